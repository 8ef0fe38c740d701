import { openReadModelDataSource, poolOf } from '@handoff/platform';
import { createIsolatedDatabase, type IsolatedDatabase } from '@handoff/testing';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { recorded, scenario } from '../test/ownership-scenario';
import { OwnershipReadModels1764460800000 } from './migrations/1764460800000-ownership-read-models';
import { OWNERSHIP_ENTITIES, OwnershipSegmentEntity, TicketOwnerEntity } from './ownership.entities';
import { projectOwnershipEvent } from './ownership.projector';

let database: IsolatedDatabase;
let dataSource: DataSource;
let pool: Pool;

beforeAll(async () => {
  database = await createIsolatedDatabase('ownership_projection');
  dataSource = await openReadModelDataSource({
    url: database.url,
    schema: 'ownership',
    entities: OWNERSHIP_ENTITIES,
    migrations: [OwnershipReadModels1764460800000],
  });
  pool = poolOf(dataSource);
});

afterAll(async () => {
  await dataSource?.destroy();
  await database?.drop();
});

const snapshot = async () => {
  const tables = ['tickets', 'ownership_segments', 'handovers'];
  const rows = await Promise.all(
    tables.map((table) =>
      pool
        .query<Record<string, unknown>>(`SELECT * FROM ownership.${table} ORDER BY 1, 2, 3`)
        .then((r) => r.rows),
    ),
  );
  return Object.fromEntries(tables.map((table, i) => [table, rows[i]]));
};

async function apply(revision: number): Promise<void> {
  const events = scenario();
  const event = events[revision];
  if (!event) throw new Error(`no event ${revision}`);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await projectOwnershipEvent(recorded(event, revision), client);
    await client.query('COMMIT');
  } finally {
    client.release();
  }
}

describe('ownership projection (real PostgreSQL)', () => {
  it('builds segments that tile the ticket’s life, and replaying every event changes nothing', async () => {
    const count = scenario().length;
    for (let revision = 0; revision < count; revision++) await apply(revision);
    const once = await snapshot();
    for (let revision = 0; revision < count; revision++) await apply(revision);
    expect(await snapshot()).toEqual(once);

    const segments = await dataSource
      .getRepository(OwnershipSegmentEntity)
      .find({ where: { ticketId: 'ticket-1' }, order: { revision: 'ASC' } });
    segments.forEach((segment, i) => {
      const next = segments[i + 1];
      if (next) expect(segment.endedAt).toEqual(next.startedAt);
      else expect(segment.endedAt).toBeNull();
    });
    expect(segments.map((s) => s.status)).toContain('closed');
    const ticket = await dataSource
      .getRepository(TicketOwnerEntity)
      .findOneByOrFail({ ticketId: 'ticket-1' });
    // The scenario ends with a reopen while the last owner is offline: a measured lapse.
    expect({ status: ticket.status, cause: ticket.lapseCause }).toEqual({
      status: 'lapsed',
      cause: 'reopened_owner_offline',
    });
    const handovers = await pool.query<{ handover_id: string; status: string }>(
      'SELECT handover_id, status FROM ownership.handovers ORDER BY handover_id',
    );
    expect(handovers.rows).toEqual([
      { handover_id: 'ho-1', status: 'acknowledged' },
      { handover_id: 'ho-2', status: 'escalated' },
    ]);
  });
});
