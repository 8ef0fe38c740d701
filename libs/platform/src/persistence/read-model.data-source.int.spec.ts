import { Column, Entity, PrimaryColumn, type MigrationInterface, type QueryRunner } from 'typeorm';
import { createIsolatedDatabase, type IsolatedDatabase } from '@handoff/testing';
import { createEventStore } from './event-store.factory';
import { openReadModelDataSource, poolOf } from './read-model.data-source';

@Entity({ name: 'notes' })
class NoteRow {
  @PrimaryColumn('text') id!: string;
  @Column('text') body!: string;
}

class CreateNotes1700000000000 implements MigrationInterface {
  name = 'CreateNotes1700000000000';
  async up(runner: QueryRunner): Promise<void> {
    await runner.query('CREATE TABLE "spec_rm".notes (id text PRIMARY KEY, body text NOT NULL)');
  }
  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE "spec_rm".notes');
  }
}

let database: IsolatedDatabase;
beforeAll(async () => {
  database = await createIsolatedDatabase('read_model');
});
afterAll(() => database?.drop());

const open = () =>
  openReadModelDataSource({
    url: database.url,
    schema: 'spec_rm',
    entities: [NoteRow],
    migrations: [CreateNotes1700000000000],
    poolSize: 3,
  });

describe('openReadModelDataSource', () => {
  it('creates the schema and runs the migrations once, even when two processes start together', async () => {
    const [a, b] = await Promise.all([open(), open()]);
    try {
      const applied = await a.query<{ name: string }[]>('SELECT name FROM "spec_rm".typeorm_migrations');
      expect(applied.map((row) => row.name)).toEqual(['CreateNotes1700000000000']);
      await a.getRepository(NoteRow).save({ id: 'n1', body: 'written through TypeORM' });
      // The pg pool under TypeORM sees the same rows (what consumers and projections write with).
      const { rows } = await poolOf(b).query<{ body: string }>('SELECT body FROM "spec_rm".notes');
      expect(rows).toEqual([{ body: 'written through TypeORM' }]);
    } finally {
      await Promise.all([a.destroy(), b.destroy()]);
    }
  });

  it('rejects a schema name that is not a plain identifier', async () => {
    await expect(
      openReadModelDataSource({ url: database.url, schema: 'x"; DROP', entities: [], migrations: [] }),
    ).rejects.toThrow(/lower-case SQL identifier/);
  });
});

describe('createEventStore', () => {
  it('opens the PostgreSQL event store in the service schema of the shared pool', async () => {
    const dataSource = await open();
    try {
      const store = await createEventStore(
        { EVENT_STORE: 'postgres', ESDB_CONNECTION_STRING: undefined },
        { pool: poolOf(dataSource), schema: 'spec_events', namespace: 'spec' },
      );
      await store.append(
        'note-1',
        [
          {
            type: 'NoteWritten',
            data: {},
            metadata: {
              tenantId: 't1',
              correlationId: 'c1',
              actor: { kind: 'system', id: 'spec' },
              occurredAt: new Date().toISOString(),
            },
          },
        ],
        { expectedRevision: 'no-stream' },
      );
      const { rows } = await poolOf(dataSource).query<{ n: string }>(
        "SELECT count(*)::text AS n FROM information_schema.tables WHERE table_schema = 'spec_events'",
      );
      expect(Number(rows[0]?.n)).toBeGreaterThan(0);
      await store.close();
    } finally {
      await dataSource.destroy();
    }
  });

  it('asks for the connection string when EVENT_STORE=esdb has none', async () => {
    const dataSource = await open();
    try {
      await expect(
        createEventStore(
          { EVENT_STORE: 'esdb', ESDB_CONNECTION_STRING: undefined },
          { pool: poolOf(dataSource), schema: 'spec_events', namespace: 'spec' },
        ),
      ).rejects.toThrow(/ESDB_CONNECTION_STRING is required/);
    } finally {
      await dataSource.destroy();
    }
  });
});
