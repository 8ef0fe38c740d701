import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The overdue-lapse alerts already raised: one row per lapse (ticket and the instant it began). */
export class LapseAlerts1767225600000 implements MigrationInterface {
  name = 'LapseAlerts1767225600000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE ownership.lapse_alerts (
        tenant_id     text NOT NULL,
        ticket_id     text NOT NULL,
        lapsed_since  timestamptz NOT NULL,
        cause         text,
        last_owner_id text,
        alerted_at    timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, ticket_id, lapsed_since)
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE IF EXISTS ownership.lapse_alerts`);
  }
}
