import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The ownership read models (schema `ownership`): current owner, segments, agents, teams, handovers. */
export class OwnershipReadModels1764460800000 implements MigrationInterface {
  name = 'OwnershipReadModels1764460800000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE ownership.tickets (
        tenant_id           text NOT NULL,
        ticket_id           text NOT NULL,
        status              text NOT NULL,
        opened_at           timestamptz NOT NULL,
        closed_at           timestamptz,
        owner_kind          text,
        owner_id            text,
        owner_team_id       text,
        owner_name          text,
        owner_since         timestamptz,
        lapsed_since        timestamptz,
        lapse_cause         text,
        last_owner_id       text,
        revision            bigint NOT NULL,
        first_position      bigint NOT NULL,
        last_event_at       timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, ticket_id)
      )`);
    await runner.query(
      `CREATE INDEX tickets_open_by_owner ON ownership.tickets (tenant_id, owner_id) WHERE status = 'owned'`,
    );
    await runner.query(
      `CREATE INDEX tickets_lapsed ON ownership.tickets (tenant_id, lapsed_since) WHERE status = 'lapsed'`,
    );
    await runner.query(`
      CREATE TABLE ownership.ownership_segments (
        tenant_id     text NOT NULL,
        ticket_id     text NOT NULL,
        revision      bigint NOT NULL,
        status        text NOT NULL,
        owner_kind    text,
        owner_id      text,
        owner_team_id text,
        owner_name    text,
        started_at    timestamptz NOT NULL,
        ended_at      timestamptz,
        changed_by    jsonb NOT NULL,
        reason        text,
        handoff_id    text,
        event_id      uuid NOT NULL,
        PRIMARY KEY (tenant_id, ticket_id, revision)
      )`);
    // As-of: the last segment of a ticket starting at or before T, found by index.
    await runner.query(
      `CREATE INDEX segments_as_of ON ownership.ownership_segments (tenant_id, ticket_id, started_at DESC, revision DESC)`,
    );
    await runner.query(
      `CREATE INDEX segments_by_owner ON ownership.ownership_segments (tenant_id, owner_id, started_at) WHERE owner_id IS NOT NULL`,
    );
    await runner.query(`
      CREATE TABLE ownership.agents (
        tenant_id           text NOT NULL,
        agent_id            text NOT NULL,
        display_name        text,
        team_id             text,
        active              boolean NOT NULL DEFAULT true,
        presence            text NOT NULL DEFAULT 'offline',
        presence_changed_at timestamptz,
        updated_at          timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, agent_id)
      )`);
    await runner.query(`CREATE INDEX agents_by_team ON ownership.agents (tenant_id, team_id)`);
    await runner.query(`
      CREATE TABLE ownership.teams (
        tenant_id     text NOT NULL,
        team_id       text NOT NULL,
        name          text NOT NULL,
        lead_rule     jsonb,
        supervisor_id text,
        updated_at    timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, team_id)
      )`);
    await runner.query(`
      CREATE TABLE ownership.handovers (
        tenant_id        text NOT NULL,
        handover_id      text NOT NULL,
        ticket_id        text NOT NULL,
        from_agent_id    text NOT NULL,
        to_agent_id      text NOT NULL,
        note             jsonb NOT NULL,
        supervisor_id    text,
        requested_at     timestamptz NOT NULL,
        acknowledge_by   timestamptz NOT NULL,
        status           text NOT NULL,
        resolved_at      timestamptz,
        deadline_fired_at timestamptz,
        PRIMARY KEY (tenant_id, handover_id)
      )`);
    // The durable acknowledgement deadlines: polled by due time, fired once.
    await runner.query(
      `CREATE INDEX handovers_due ON ownership.handovers (acknowledge_by) WHERE status = 'pending' AND deadline_fired_at IS NULL`,
    );
    await runner.query(
      `CREATE INDEX handovers_by_receiver ON ownership.handovers (tenant_id, to_agent_id, status)`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    for (const table of ['handovers', 'teams', 'agents', 'ownership_segments', 'tickets']) {
      await runner.query(`DROP TABLE IF EXISTS ownership.${table}`);
    }
  }
}
