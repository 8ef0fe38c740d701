import { PostgresEventStore } from '@handoff/event-store';
import { openReadModelDataSource, poolOf } from '@handoff/platform';
import { createIsolatedDatabase, type IsolatedDatabase } from '@handoff/testing';
import type { DataSource } from 'typeorm';
import { handoffStream } from '../domain/handoff.events';
import { reserveSlot } from '../projections/capacity-holds';
import { ESCALATION_ENTITIES } from '../projections/escalation.entities';
import { ESCALATION_MIGRATIONS } from '../projections/escalation.migrations';
import { OrphanedHoldSweeper } from './orphaned-holds.sweeper';

let db: IsolatedDatabase;
let dataSource: DataSource;
let store: PostgresEventStore;
const log = { warn: () => undefined, error: () => undefined };
const MINUTE = 60_000;

beforeAll(async () => {
  db = await createIsolatedDatabase('escalation_holds');
  dataSource = await openReadModelDataSource({
    url: db.url,
    schema: 'escalation',
    entities: ESCALATION_ENTITIES,
    migrations: ESCALATION_MIGRATIONS,
  });
  store = new PostgresEventStore({ connection: poolOf(dataSource), schema: 'escalation_events' });
  await store.init();
});

afterAll(async () => {
  await store?.close();
  await dataSource?.destroy();
  await db?.drop();
});

const reserve = (offerId: string, handoffId: string, minutesAgo: number) =>
  reserveSlot(poolOf(dataSource), {
    tenantId: 't1',
    agentId: 'agent-1',
    channel: 'web_chat',
    capacity: 5,
    offerId,
    handoffId,
    ticketId: `ticket-${handoffId}`,
    at: new Date(Date.now() - minutesAgo * MINUTE),
  });

const held = async () =>
  Number(
    (
      await dataSource.query<{ held: number }[]>(
        `SELECT held FROM escalation.agent_load WHERE tenant_id = 't1' AND agent_id = 'agent-1'`,
      )
    )[0]?.held,
  );

const offered = (handoffId: string, offerId: string) =>
  store.append(
    handoffStream(handoffId),
    [
      {
        type: 'HandoffOffered',
        data: { handoffId, offerId },
        metadata: {
          tenantId: 't1',
          correlationId: 'c-1',
          actor: { kind: 'system', id: 'escalation' },
          occurredAt: new Date().toISOString(),
        },
      },
    ],
    { expectedRevision: 'any' },
  );

describe('orphaned capacity holds (PostgreSQL read model and event store)', () => {
  it('releases only old holds whose offer the handoff stream does not hold', async () => {
    // Crashed between reservation and append: nothing in the store.
    expect(await reserve('offer-orphan', 'h-orphan', 10)).toBe(true);
    // Offer appended, read model not caught up yet: the store says it was made.
    expect(await reserve('offer-made', 'h-made', 10)).toBe(true);
    await offered('h-made', 'offer-made');
    // A request still on its way to the append.
    expect(await reserve('offer-young', 'h-young', 0)).toBe(true);
    // A stream whose offer is another one: the hold's own offer was never made.
    expect(await reserve('offer-lost', 'h-other', 10)).toBe(true);
    await offered('h-other', 'offer-other');
    expect(await held()).toBe(4);

    const sweeper = new OrphanedHoldSweeper({
      pool: poolOf(dataSource),
      store,
      clock: { now: () => new Date() },
      graceMs: 5 * MINUTE,
      intervalMs: 60_000,
      log,
    });
    expect((await sweeper.sweep()).sort()).toEqual(['offer-lost', 'offer-orphan']);
    expect(await held()).toBe(2);
    // A second sweep finds nothing more and gives nothing back twice.
    expect(await sweeper.sweep()).toEqual([]);
    expect(await held()).toBe(2);
    const open = await dataSource.query<{ offer_id: string }[]>(
      `SELECT offer_id FROM escalation.capacity_holds WHERE released_at IS NULL ORDER BY offer_id`,
    );
    expect(open.map((row) => row.offer_id)).toEqual(['offer-made', 'offer-young']);
  });
});
