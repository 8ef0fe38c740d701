import type { MigrationInterface, QueryRunner } from 'typeorm';
import { HANDOFF_DAILY_DDL, TICKET_INTENT_DAILY_DDL } from '../daily-rollups';

/** The read models of insights (see projections/insights.entities.ts). */
export class InsightsReadModels1764460000000 implements MigrationInterface {
  name = 'InsightsReadModels1764460000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE insights.ticket_facts (
        tenant_id text NOT NULL, ticket_id text NOT NULL, event_id text NOT NULL,
        kind text NOT NULL, at timestamptz NOT NULL, fact jsonb NOT NULL,
        PRIMARY KEY (tenant_id, ticket_id, event_id));
      CREATE TABLE insights.pending_derivations (
        tenant_id text NOT NULL, ticket_id text NOT NULL, event_id text NOT NULL,
        PRIMARY KEY (tenant_id, ticket_id, event_id));
      CREATE TABLE insights.agent_presence (
        tenant_id text NOT NULL, event_id text NOT NULL, agent_id text NOT NULL,
        presence text NOT NULL, at timestamptz NOT NULL, PRIMARY KEY (tenant_id, event_id));
      CREATE INDEX agent_presence_agent ON insights.agent_presence (tenant_id, agent_id, at);

      CREATE TABLE insights.tickets (
        tenant_id text NOT NULL, ticket_id text NOT NULL, opened_at timestamptz NOT NULL,
        channel text, customer_id text, intent text, first_resolved_at timestamptz, resolution_ms bigint,
        closed_at timestamptz, reopen_count integer NOT NULL, owner_changes integer NOT NULL,
        last_owner_kind text, last_owner_id text, last_owner_team text,
        accepted_handoffs integer NOT NULL, edges jsonb NOT NULL, loops integer NOT NULL,
        lapses integer NOT NULL, PRIMARY KEY (tenant_id, ticket_id));
      CREATE INDEX tickets_opened ON insights.tickets (tenant_id, opened_at);
      CREATE INDEX tickets_resolved ON insights.tickets (tenant_id, intent, first_resolved_at);

      CREATE TABLE insights.handoffs (
        tenant_id text NOT NULL, ticket_id text NOT NULL, handoff_id text NOT NULL,
        handoff_type text, edge text NOT NULL, sender_id text, sender_kind text,
        receiver_id text, receiver_team text, channel text, intent text,
        requested_at timestamptz, accepted_at timestamptz, declines integer NOT NULL,
        expiries integer NOT NULL, without_brief boolean NOT NULL, cancelled boolean NOT NULL,
        time_to_accept_ms bigint, first_reply_at timestamptz, time_to_first_meaningful_reply_ms bigint,
        idle_ms bigint, no_reply boolean NOT NULL, repeats integer NOT NULL, bounced boolean NOT NULL,
        reopened boolean NOT NULL, csat_after integer, resolved_at timestamptz,
        accept_to_resolution_ms bigint, ticket_resolution_ms bigint, score double precision, components jsonb,
        points_accept double precision, points_first_reply double precision,
        points_no_repeat double precision, points_not_bounced double precision,
        points_not_reopened double precision, points_csat double precision,
        PRIMARY KEY (tenant_id, ticket_id, handoff_id));
      CREATE INDEX handoffs_accepted ON insights.handoffs (tenant_id, accepted_at);
      CREATE INDEX handoffs_id ON insights.handoffs (tenant_id, handoff_id);
      CREATE INDEX handoffs_with_repeats ON insights.handoffs (tenant_id, accepted_at) WHERE repeats > 0;

      CREATE TABLE insights.owner_segments (
        tenant_id text NOT NULL, ticket_id text NOT NULL, seq integer NOT NULL,
        owner_kind text NOT NULL, owner_id text NOT NULL, team_id text,
        started_at timestamptz NOT NULL, ended_at timestamptz, replied boolean NOT NULL,
        PRIMARY KEY (tenant_id, ticket_id, seq));

      CREATE TABLE insights.transfers (
        tenant_id text NOT NULL, ticket_id text NOT NULL, event_id text NOT NULL, at timestamptz NOT NULL,
        from_kind text NOT NULL, from_id text NOT NULL, from_team text,
        to_kind text NOT NULL, to_id text NOT NULL, to_team text,
        handoff_id text, shift_handover_id text, sender_replied boolean,
        PRIMARY KEY (tenant_id, ticket_id, event_id));
      CREATE INDEX transfers_at ON insights.transfers (tenant_id, at);

      CREATE TABLE insights.ownership_lapses (
        tenant_id text NOT NULL, ticket_id text NOT NULL, seq integer NOT NULL,
        started_at timestamptz NOT NULL, ended_at timestamptz, cause text NOT NULL,
        PRIMARY KEY (tenant_id, ticket_id, seq));
      CREATE INDEX lapses_started ON insights.ownership_lapses (tenant_id, started_at);

      CREATE TABLE insights.ownership_loops (
        tenant_id text NOT NULL, ticket_id text NOT NULL, event_id text NOT NULL, at timestamptz NOT NULL,
        pattern text NOT NULL, owner_changes integer NOT NULL, window_seconds integer NOT NULL,
        owners jsonb NOT NULL, PRIMARY KEY (tenant_id, ticket_id, event_id));

      CREATE TABLE insights.closures (
        tenant_id text NOT NULL, ticket_id text NOT NULL, seq integer NOT NULL,
        closed_at timestamptz NOT NULL, resolution text NOT NULL, reopened_at timestamptz,
        PRIMARY KEY (tenant_id, ticket_id, seq));
      CREATE INDEX closures_closed ON insights.closures (tenant_id, closed_at);

      CREATE TABLE insights.repeats (
        tenant_id text NOT NULL, ticket_id text NOT NULL, detection_id text NOT NULL,
        handoff_id text NOT NULL, message_id text NOT NULL, at timestamptz NOT NULL,
        repeat_kind text NOT NULL, fact_kinds jsonb NOT NULL, evidence jsonb NOT NULL,
        PRIMARY KEY (tenant_id, ticket_id, detection_id));
      CREATE INDEX repeats_handoff ON insights.repeats (tenant_id, handoff_id);

      CREATE TABLE insights.csat_responses (
        tenant_id text NOT NULL, ticket_id text NOT NULL, response_id text NOT NULL,
        score integer NOT NULL, channel text NOT NULL, responded_at timestamptz NOT NULL,
        escalated boolean NOT NULL, owner_kind text, owner_id text, owner_team text,
        PRIMARY KEY (tenant_id, ticket_id, response_id));
      CREATE INDEX csat_responded ON insights.csat_responses (tenant_id, responded_at);

      CREATE TABLE insights.csat_attributions (
        tenant_id text NOT NULL, ticket_id text NOT NULL, response_id text NOT NULL,
        segment_seq integer NOT NULL, segment_label text NOT NULL, owner_kind text NOT NULL,
        owner_id text NOT NULL, team_id text, weight double precision NOT NULL, score integer NOT NULL,
        channel text NOT NULL, responded_at timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, ticket_id, response_id, segment_seq));
      CREATE INDEX attributions_responded ON insights.csat_attributions (tenant_id, responded_at);
    `);
    await q.query(`
      CREATE TABLE insights.derivation_failures (
        tenant_id text NOT NULL, ticket_id text NOT NULL, error text NOT NULL,
        failed_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (tenant_id, ticket_id))`);
    await q.query(HANDOFF_DAILY_DDL);
    await q.query(TICKET_INTENT_DAILY_DDL);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS insights.derivation_failures, insights.handoff_daily, insights.ticket_intent_daily,
      insights.csat_attributions, insights.csat_responses, insights.repeats, insights.closures,
      insights.ownership_loops, insights.ownership_lapses, insights.transfers, insights.owner_segments,
      insights.handoffs, insights.tickets, insights.agent_presence, insights.pending_derivations,
      insights.ticket_facts`);
  }
}
