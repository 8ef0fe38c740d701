import type { MigrationInterface, QueryRunner } from 'typeorm';

export class SummarizationReadModel1764460000000 implements MigrationInterface {
  name = 'SummarizationReadModel1764460000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`CREATE TABLE transcript_messages (
      tenant_id text NOT NULL, ticket_id text NOT NULL, message_id text NOT NULL,
      sequence integer NOT NULL, sender_kind text NOT NULL, sender_id text NOT NULL, channel text NOT NULL,
      text text NOT NULL, sent_at timestamptz NOT NULL, language text,
      PRIMARY KEY (tenant_id, ticket_id, message_id))`);
    await runner.query(
      `CREATE INDEX transcript_by_sequence ON transcript_messages (tenant_id, ticket_id, sequence)`,
    );
    await runner.query(`CREATE TABLE intent_taxonomies (
      tenant_id text PRIMARY KEY, document jsonb NOT NULL, revision integer NOT NULL, updated_at timestamptz NOT NULL)`);
    await runner.query(`CREATE TABLE handoff_watches (
      tenant_id text NOT NULL, handoff_id text NOT NULL, ticket_id text NOT NULL,
      requested_position integer NOT NULL, status text NOT NULL, covers_position integer,
      knowledge jsonb, accepted boolean NOT NULL DEFAULT false,
      PRIMARY KEY (tenant_id, handoff_id))`);
    await runner.query(`CREATE INDEX handoff_watches_by_ticket ON handoff_watches (tenant_id, ticket_id)`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE handoff_watches');
    await runner.query('DROP TABLE intent_taxonomies');
    await runner.query('DROP TABLE transcript_messages');
  }
}
