import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The escalation read model: handoffs, offers, agents and their counters, deadlines, upstream facts. */
export class EscalationReadModel1767225600000 implements MigrationInterface {
  name = 'EscalationReadModel1767225600000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE escalation.handoffs (
        handoff_id text PRIMARY KEY,
        tenant_id text NOT NULL,
        ticket_id text NOT NULL,
        handoff_type text NOT NULL,
        status text NOT NULL,
        from_party jsonb NOT NULL,
        target jsonb NOT NULL,
        reason_code text NOT NULL,
        priority text NOT NULL,
        channel text,
        conversation_position bigint NOT NULL,
        brief_id text,
        brief_version integer,
        current_offer_id text,
        current_agent_id text,
        team_id text,
        offer_expires_at timestamptz,
        without_brief boolean NOT NULL DEFAULT false,
        attempts integer NOT NULL DEFAULT 0,
        expiries integer NOT NULL DEFAULT 0,
        escalated boolean NOT NULL DEFAULT false,
        waiting_for_agent boolean NOT NULL DEFAULT false,
        -- Counts toward the current agent's load (offered or accepted, ticket still open).
        holds_capacity boolean NOT NULL DEFAULT false,
        requested_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        last_position bigint NOT NULL
      )`);
    await runner.query(
      `CREATE INDEX handoffs_tenant_status ON escalation.handoffs (tenant_id, status, requested_at)`,
    );
    await runner.query(`CREATE INDEX handoffs_ticket ON escalation.handoffs (tenant_id, ticket_id)`);
    await runner.query(
      `CREATE INDEX handoffs_load ON escalation.handoffs (tenant_id, current_agent_id) WHERE holds_capacity`,
    );
    await runner.query(`
      CREATE TABLE escalation.handoff_offers (
        offer_id text PRIMARY KEY,
        handoff_id text NOT NULL,
        tenant_id text NOT NULL,
        ticket_id text NOT NULL,
        agent_id text NOT NULL,
        team_id text,
        status text NOT NULL,
        brief_id text,
        brief_version integer,
        without_brief boolean NOT NULL,
        attempt integer NOT NULL,
        routing jsonb NOT NULL,
        offered_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        answered_at timestamptz,
        answer_reason text
      )`);
    await runner.query(
      `CREATE INDEX handoff_offers_agent ON escalation.handoff_offers (tenant_id, agent_id, status)`,
    );
    await runner.query(`
      CREATE TABLE escalation.agents (
        tenant_id text NOT NULL,
        agent_id text NOT NULL,
        display_name text,
        presence text NOT NULL,
        supervisor boolean NOT NULL,
        skills jsonb NOT NULL,
        languages jsonb NOT NULL,
        tiers jsonb NOT NULL,
        teams jsonb NOT NULL,
        capacity jsonb NOT NULL,
        offers integer NOT NULL DEFAULT 0,
        accepts integer NOT NULL DEFAULT 0,
        declines integer NOT NULL DEFAULT 0,
        expiries integer NOT NULL DEFAULT 0,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, agent_id)
      )`);
    await runner.query(`
      CREATE TABLE escalation.deadlines (
        deadline_id bigserial PRIMARY KEY,
        tenant_id text NOT NULL,
        handoff_id text,
        kind text NOT NULL,
        -- Distinguishes deadlines of one handoff and kind (the offer id, the causing event id).
        ref text NOT NULL,
        due_at timestamptz NOT NULL,
        payload jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        fired_at timestamptz,
        attempts integer NOT NULL DEFAULT 0,
        last_error text,
        UNIQUE (kind, ref)
      )`);
    await runner.query(`CREATE INDEX deadlines_due ON escalation.deadlines (due_at) WHERE fired_at IS NULL`);
    await runner.query(`
      CREATE TABLE escalation.acceptance_policies (
        tenant_id text NOT NULL,
        team_id text NOT NULL,
        handoff_type text NOT NULL,
        timeout_seconds integer NOT NULL CHECK (timeout_seconds > 0),
        max_expiries integer NOT NULL CHECK (max_expiries > 0),
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, team_id, handoff_type)
      )`);
    await runner.query(`
      CREATE TABLE escalation.tickets (
        tenant_id text NOT NULL,
        ticket_id text NOT NULL,
        customer_id text,
        status text NOT NULL,
        channel text,
        last_sequence bigint NOT NULL DEFAULT 0,
        owner_kind text,
        owner_id text,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, ticket_id)
      )`);
    await runner.query(`CREATE INDEX tickets_customer ON escalation.tickets (tenant_id, customer_id)`);
    await runner.query(`
      CREATE TABLE escalation.briefs (
        tenant_id text NOT NULL,
        ticket_id text NOT NULL,
        brief_id text NOT NULL,
        version integer NOT NULL,
        covers_position bigint NOT NULL,
        handoff_id text,
        language text,
        prepared_at timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, brief_id, version)
      )`);
    await runner.query(
      `CREATE INDEX briefs_ticket ON escalation.briefs (tenant_id, ticket_id, covers_position)`,
    );
    await runner.query(`
      CREATE TABLE escalation.owner_history (
        tenant_id text NOT NULL,
        ticket_id text NOT NULL,
        agent_id text NOT NULL,
        since timestamptz NOT NULL,
        event_id text NOT NULL,
        PRIMARY KEY (event_id)
      )`);
    await runner.query(
      `CREATE INDEX owner_history_ticket ON escalation.owner_history (tenant_id, ticket_id, since)`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    for (const table of [
      'owner_history',
      'briefs',
      'tickets',
      'acceptance_policies',
      'deadlines',
      'agents',
      'handoff_offers',
      'handoffs',
    ]) {
      await runner.query(`DROP TABLE IF EXISTS escalation.${table}`);
    }
  }
}
