import crypto from 'node:crypto';
import { type EventStore, PostgresEventStore, type RecordedEvent, uuidV7 } from '@handoff/event-store';
import { ProjectionRunner } from '@handoff/messaging';
import { openReadModelDataSource, poolOf } from '@handoff/platform';
import { createIsolatedDatabase, type IsolatedDatabase, overriding, testPool } from '@handoff/testing';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import type { IncomingMessage } from '../domain/inbound-message';
import { projectOwnEvent, projectOwnEvents } from '../projections/conversations.projection';
import { READ_MODEL_ENTITIES } from '../projections/read-model.entities';
import { READ_MODEL_MIGRATIONS } from '../projections/read-model.migrations';
import { InlineProjection } from '../projections/inline-projection';
import { ConversationsReadModel } from '../projections/read-model.queries';
import { EVENT_STORE_SCHEMA, READ_MODEL_SCHEMA } from '../projections/read-model.schema';
import type { ProjectionBarrier } from './conversations.ports';
import { CustomerIdentities } from './customer-identities';
import { PostgresCustomerLocks } from './customer-locks.pg';
import { IngestMessageHandler, type IngestOutcome } from './ingest-message.handler';
import { CUSTOMER_CATEGORY, inboundStream, TICKET_CATEGORY } from './stream-names';
import { StreamStateCache } from './stream-runner';

// The ingestion handler on a real PostgreSQL event store and read model: what a process that never
// saw a channel message (restarted, or another replica) answers when the message is sent again.
let db: IsolatedDatabase;
let dataSource: DataSource;
let store: PostgresEventStore;
let projection: ProjectionRunner;
let lockPool: Pool;

const TENANT = 'tenant-ingest';
const run = crypto.randomBytes(4).toString('hex');
const request = { correlationId: crypto.randomUUID() };

/** A handler with memory of its own, as a fresh process has, on the shared store and read model. */
function freshHandler(
  options: { barrier?: ProjectionBarrier; withReadModel?: InlineProjection; store?: EventStore } = {},
): IngestMessageHandler {
  const cache = new StreamStateCache();
  const clock = { now: () => new Date() };
  const ids = { next: () => uuidV7() };
  return new IngestMessageHandler(
    options.store ?? store,
    new CustomerIdentities(store, clock, ids, cache),
    new ConversationsReadModel(dataSource),
    new PostgresCustomerLocks(lockPool),
    options.barrier ?? projection,
    clock,
    ids,
    { maxMessageChars: 2_000 },
    cache,
    options.withReadModel,
  );
}

const message = (n: number, visitor: string, extra: Partial<IncomingMessage> = {}): IncomingMessage => ({
  tenantId: TENANT,
  channel: 'web_chat',
  channelMessageId: `${run}-m-${n}`,
  channelThreadId: `${run}-thread-${visitor}`,
  sender: {
    kind: 'customer',
    identity: { kind: 'chat_visitor_id', value: `${run}-${visitor}`, verified: false },
  },
  text: `message ${n}: the parcel with order 4471 has still not arrived`,
  attachments: [],
  sentAt: new Date().toISOString(),
  ...extra,
});

const lastPosition = async (): Promise<bigint> => (await store.readAll()).at(-1)?.globalPosition ?? 0n;

const guardEvents = (m: IncomingMessage): Promise<RecordedEvent[]> =>
  store.readStream(inboundStream(m.tenantId, m.channel, m.channelMessageId));

const outcomeOf = (result: { ok: true; outcome: IngestOutcome } | { ok: false; error: unknown }) => {
  if (!result.ok) throw result.error;
  return result.outcome;
};

beforeAll(async () => {
  db = await createIsolatedDatabase('conversations_ingest');
  dataSource = await openReadModelDataSource({
    url: db.url,
    schema: READ_MODEL_SCHEMA,
    entities: READ_MODEL_ENTITIES,
    migrations: READ_MODEL_MIGRATIONS,
  });
  store = new PostgresEventStore({ connection: poolOf(dataSource), schema: EVENT_STORE_SCHEMA });
  await store.init();
  projection = new ProjectionRunner({
    name: 'conversations-read-model',
    store,
    categories: [CUSTOMER_CATEGORY, TICKET_CATEGORY],
    pool: poolOf(dataSource),
    schema: READ_MODEL_SCHEMA,
    apply: projectOwnEvent,
    applyBatch: projectOwnEvents,
  });
  await projection.init();
  await projection.start();
  lockPool = testPool(db.url, { max: 4 });
});

afterAll(async () => {
  await projection?.stop();
  await store?.close();
  await lockPool?.end();
  await dataSource?.destroy();
  await db?.drop();
});

describe('IngestMessageHandler (real PostgreSQL)', () => {
  it('answers a re-send of a batch-ingested message from its receipt in a process that never saw it, appending nothing', async () => {
    const first = freshHandler();
    const sent = [message(1, 'ana'), message(2, 'ben'), message(3, 'ana')];
    const results = (
      await first.ingestMany(
        sent.map((input) => ({ input, request })),
        { awaitProjection: true, keepOrder: true },
      )
    ).map(outcomeOf);
    expect(results.map((r) => r.replayed)).toEqual([false, false, false]);
    expect(results[2]?.result).toMatchObject({ ticketId: results[0]?.result.ticketId, sequence: 2 });

    // The batch path's guard is a receipt: where the message went, not a second copy of it.
    const [guard, ...more] = await guardEvents(sent[2]!);
    expect(more).toEqual([]);
    expect(guard?.type).toBe('MessageIngested');
    expect(guard?.data).toEqual({
      messageId: results[2]?.result.messageId,
      ticketId: results[2]?.result.ticketId,
      customerId: results[2]?.result.customerId,
      rule: results[2]?.result.rule,
    });

    const before = await lastPosition();
    const second = freshHandler();
    // One by one and in a batch, with a text a retry changed: the first answer, marked replayed.
    const again = await second.ingest({ ...sent[2]!, text: 'edited by a retry' }, request, {
      awaitProjection: true,
    });
    expect(again).toEqual({ result: results[2]?.result, replayed: true });
    // Byte for byte: a REST client may compare the answers of a request and its retry as text.
    expect(JSON.stringify(again.result)).toBe(JSON.stringify(results[2]?.result));
    const batch = (
      await freshHandler().ingestMany(
        sent.map((input) => ({ input, request })),
        { awaitProjection: true, keepOrder: true },
      )
    ).map(outcomeOf);
    expect(batch).toEqual(results.map(({ result }) => ({ result, replayed: true })));
    expect(await lastPosition()).toBe(before);
  });

  it('answers a re-send of a message ingested one by one (a plan on its guard) the same way', async () => {
    const first = freshHandler();
    const opened = await first.ingest(message(10, 'cleo'), request, { awaitProjection: true });
    // A ticket reference takes the one-by-one path, whose guard holds the plan it completes.
    const referenced = message(11, 'cleo', { ticketId: opened.result.ticketId });
    const original = await first.ingest(referenced, request, { awaitProjection: true });
    expect(original.result).toMatchObject({ ticketId: opened.result.ticketId, sequence: 2 });
    const [guard] = await guardEvents(referenced);
    expect(guard?.type).toBe('MessagePlanned');

    const before = await lastPosition();
    const again = await freshHandler().ingest(referenced, request, { awaitProjection: true });
    expect(again).toEqual({ result: original.result, replayed: true });
    expect(await lastPosition()).toBe(before);
  });

  it('reports the delivery that completes a half-done ingestion as the one that ingested it, and only later ones as replays', async () => {
    const opened = await freshHandler().ingest(message(15, 'dana'), request, { awaitProjection: true });
    const referenced = message(16, 'dana', { ticketId: opened.result.ticketId });
    // A process that dies between the guard's plan and the ticket's append: the plan is all it left.
    const dying = overriding(store, {
      append: (stream, events, options) =>
        stream.startsWith(`${TICKET_CATEGORY}-`)
          ? Promise.reject(new Error('process died before the ticket append'))
          : store.append(stream, events, options),
    });
    await expect(
      freshHandler({ store: dying }).ingest(referenced, request, { awaitProjection: true }),
    ).rejects.toThrow('process died before the ticket append');
    const [planned, ...none] = await guardEvents(referenced);
    expect(planned?.type).toBe('MessagePlanned');
    expect(none).toEqual([]);
    const ticketBefore = await store.readStream(`${TICKET_CATEGORY}-${opened.result.ticketId}`);

    // The re-send appends the message to its ticket: not a replay.
    const completed = await freshHandler().ingest(referenced, request, { awaitProjection: true });
    expect(completed.replayed).toBe(false);
    expect(completed.result).toMatchObject({ ticketId: opened.result.ticketId, sequence: 2 });
    const ticketAfter = await store.readStream(`${TICKET_CATEGORY}-${opened.result.ticketId}`);
    expect(ticketAfter.length).toBeGreaterThan(ticketBefore.length);

    // Any later one finds it done, in this process or another.
    const before = await lastPosition();
    const again = await freshHandler().ingest(referenced, request, { awaitProjection: true });
    expect(again).toEqual({ result: completed.result, replayed: true });
    const batch = (
      await freshHandler().ingestMany([{ input: referenced, request }], {
        awaitProjection: true,
        keepOrder: true,
      })
    ).map(outcomeOf);
    expect(batch).toEqual([{ result: completed.result, replayed: true }]);
    expect(await lastPosition()).toBe(before);
  });

  it('writes the read-model rows with the append when the caller or the next message waits for them, and leaves the other consumer rounds to the projection', async () => {
    // Any wait for the projection fails the round: what is readable was written with the append.
    const waited: bigint[] = [];
    const barrier: ProjectionBarrier = {
      waitFor: (position) => {
        waited.push(position);
        return Promise.reject(new Error(`waited for the projection at ${position}`));
      },
    };
    const inline = new InlineProjection(store, [CUSTOMER_CATEGORY, TICKET_CATEGORY]);
    const readModel = new ConversationsReadModel(dataSource);
    let doraTicket = '';
    let finnTicket = '';
    await projection.stop();
    try {
      // Two rounds: dora's second message is decided on the ticket her first one opened.
      const sent = [message(20, 'dora'), message(21, 'eli'), message(22, 'dora')];
      const results = (
        await freshHandler({ barrier, withReadModel: inline }).ingestMany(
          sent.map((input) => ({ input, request })),
          { awaitProjection: true, keepOrder: true },
        )
      ).map(outcomeOf);
      expect(waited).toEqual([]);
      const dora = results[0]!.result;
      doraTicket = dora.ticketId;
      expect(results[2]?.result).toMatchObject({ ticketId: dora.ticketId, sequence: 2 });
      expect(await readModel.ticket(TENANT, dora.ticketId)).toMatchObject({
        status: 'open',
        messageCount: 2,
      });
      const page = await readModel.timeline(TENANT, dora.ticketId, 10);
      expect(page.items.map((item) => item.kind)).toEqual([
        'TicketOpened',
        'MessageReceived',
        'MessageReceived',
      ]);
      expect(await readModel.ticketForThread(TENANT, 'web_chat', `${run}-thread-eli`)).toMatchObject({
        ticketId: results[1]?.result.ticketId,
      });

      // The projection is told which events it need not apply, once each.
      const own = (await store.readAll()).filter((e) =>
        [dora.ticketId, results[1]!.result.ticketId].some((id) => e.streamName === `ticket-${id}`),
      );
      expect(own).toHaveLength(5);
      expect(own.map(inline.writtenAlready)).toEqual([true, true, true, true, true]);
      expect(own.map(inline.writtenAlready)).toEqual([false, false, false, false, false]);

      // A consumer's round (no caller waits) that opens a ticket writes its rows with the append
      // too: the next message of the customer is decided on them, and nobody waits for the
      // projection under the customer's lock.
      const consumer = freshHandler({ barrier, withReadModel: inline });
      const opened = await consumer.ingestMany([{ input: message(23, 'finn'), request }], {
        awaitProjection: false,
        keepOrder: true,
      });
      const finn = outcomeOf(opened[0]!).result;
      finnTicket = finn.ticketId;
      expect(waited).toEqual([]);
      expect(await readModel.ticket(TENANT, finn.ticketId)).toMatchObject({
        status: 'open',
        messageCount: 1,
      });
      const openedEvents = (await store.readAll()).filter((e) => e.streamName === `ticket-${finn.ticketId}`);
      expect(openedEvents.map(inline.writtenAlready)).toEqual([true, true]);

      // A consumer's round that changes no continuity (a message on the customer's open ticket)
      // leaves its rows to the projection: nothing is written with the append, nothing waits.
      const followed = await consumer.ingestMany([{ input: message(24, 'finn'), request }], {
        awaitProjection: false,
        keepOrder: true,
      });
      expect(outcomeOf(followed[0]!).result).toMatchObject({ ticketId: finn.ticketId, sequence: 2 });
      expect(waited).toEqual([]);
      expect(await readModel.ticket(TENANT, finn.ticketId)).toMatchObject({ messageCount: 1 });
      const followEvent = (await store.readAll()).at(-1)!;
      expect(followEvent).toMatchObject({ streamName: `ticket-${finn.ticketId}`, type: 'MessageReceived' });
      expect(inline.writtenAlready(followEvent)).toBe(false);
    } finally {
      await projection.start();
    }
    // The projection then applies everything again, and the rows stay as they were.
    const before = await readModel.timeline(TENANT, doraTicket, 10);
    await projection.waitFor(await lastPosition());
    expect(await readModel.timeline(TENANT, doraTicket, 10)).toEqual(before);
    // And the round it was left to is applied.
    expect(await readModel.ticket(TENANT, finnTicket)).toMatchObject({ messageCount: 2 });
  });
});
