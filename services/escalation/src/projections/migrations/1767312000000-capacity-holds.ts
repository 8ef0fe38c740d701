import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Capacity as rows that a conditional UPDATE can reserve atomically: `agent_load` counts the slots
 * each agent holds per channel, `capacity_holds` says which offer holds which slot (so a release is
 * idempotent). Backfilled from the handoffs holding capacity. Also indexes the open deadlines of a
 * handoff, which every offer closes.
 */
export class CapacityHolds1767312000000 implements MigrationInterface {
  name = 'CapacityHolds1767312000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE escalation.capacity_holds (
        offer_id text PRIMARY KEY,
        tenant_id text NOT NULL,
        agent_id text NOT NULL,
        channel text NOT NULL,
        handoff_id text NOT NULL,
        ticket_id text NOT NULL,
        reserved_at timestamptz NOT NULL,
        released_at timestamptz
      )`);
    await runner.query(
      `CREATE INDEX capacity_holds_handoff ON escalation.capacity_holds (handoff_id) WHERE released_at IS NULL`,
    );
    await runner.query(
      `CREATE INDEX capacity_holds_ticket ON escalation.capacity_holds (tenant_id, ticket_id) WHERE released_at IS NULL`,
    );
    await runner.query(`
      CREATE TABLE escalation.agent_load (
        tenant_id text NOT NULL,
        agent_id text NOT NULL,
        channel text NOT NULL,
        held integer NOT NULL CHECK (held >= 0),
        PRIMARY KEY (tenant_id, agent_id, channel)
      )`);
    await runner.query(`
      INSERT INTO escalation.capacity_holds (offer_id, tenant_id, agent_id, channel, handoff_id, ticket_id, reserved_at)
      SELECT h.current_offer_id, h.tenant_id, h.current_agent_id, COALESCE(h.channel, t.channel, 'web_chat'),
             h.handoff_id, h.ticket_id, h.updated_at
        FROM escalation.handoffs h
        LEFT JOIN escalation.tickets t ON t.tenant_id = h.tenant_id AND t.ticket_id = h.ticket_id
       WHERE h.holds_capacity AND h.current_offer_id IS NOT NULL AND h.current_agent_id IS NOT NULL`);
    await runner.query(`
      INSERT INTO escalation.agent_load (tenant_id, agent_id, channel, held)
      SELECT tenant_id, agent_id, channel, count(*) FROM escalation.capacity_holds GROUP BY 1, 2, 3`);
    await runner.query(
      `CREATE INDEX deadlines_open_of_handoff ON escalation.deadlines (handoff_id) WHERE fired_at IS NULL`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP INDEX IF EXISTS escalation.deadlines_open_of_handoff`);
    await runner.query(`DROP TABLE IF EXISTS escalation.agent_load`);
    await runner.query(`DROP TABLE IF EXISTS escalation.capacity_holds`);
  }
}
