import crypto from 'node:crypto';
import {
  EventStoreError,
  EventTooLarge,
  InvalidAppend,
  InvalidArgument,
  InvalidStreamName,
  StreamDeleted,
  StreamNotFound,
  WrongExpectedVersion,
} from './errors';
import {
  supportsMultiStream,
  type EventMetadata,
  type EventStore,
  type MultiStreamEventStore,
  type NewEvent,
  type RecordedEvent,
  type SubscribeToAllOptions,
} from './event-store.port';
import { computeEventHash, GENESIS_HASH } from './hash-chain';
import { UpcasterRegistry } from './upcasters';

/** What the suite may ask of an adapter's factory. */
export interface ContractStoreOptions {
  maxEventBytes?: number;
  upcasters?: UpcasterRegistry;
}

/**
 * Makes a store for one test. It must start empty (a fresh database or schema) so that global
 * reads see only the test's own events; the suite closes it after the test.
 */
export type ContractStoreFactory = (options: ContractStoreOptions) => Promise<EventStore>;

type ErrorClass<E> = abstract new (...args: never[]) => E;

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Metadata valid for every event of the suite. */
export const contractMetadata = (overrides: Partial<EventMetadata> = {}): EventMetadata => ({
  tenantId: 'tenant-a',
  ticketId: 'ticket-1',
  correlationId: 'corr-1',
  actor: { kind: 'agent', id: 'agent-7' },
  occurredAt: '2025-01-02T03:04:05.678Z',
  ...overrides,
});

const event = (type: string, data: unknown = {}, extra: Partial<NewEvent> = {}): NewEvent => ({
  type,
  data,
  metadata: contractMetadata(),
  ...extra,
});

const newStream = (category = `t${crypto.randomBytes(4).toString('hex')}`): string =>
  `${category}-${crypto.randomUUID()}`;

/**
 * `readAll` once it shows at least `count` events. Global reads may lag a just-committed append
 * (PostgreSQL shows only transactions below the cluster-wide oldest in-flight one, and other
 * databases' transactions count), so a test waits for visibility instead of assuming it.
 */
async function readAllVisible(
  store: EventStore,
  count: number,
  timeoutMs = 10_000,
): Promise<RecordedEvent[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const all = await store.readAll();
    if (all.length >= count || Date.now() > deadline) return all;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function rejection<E>(promise: Promise<unknown>, errorClass: ErrorClass<E>): Promise<E> {
  let thrown: unknown;
  try {
    await promise;
  } catch (error) {
    thrown = error;
  }
  if (!(thrown instanceof (errorClass as ErrorClass<Error>))) {
    throw new Error(
      `expected ${errorClass.name}, got ${thrown instanceof Error ? thrown.name : String(thrown)}`,
    );
  }
  expect(thrown).toBeInstanceOf(EventStoreError);
  return thrown as E;
}

async function eventually(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A subscription that records what it delivers. */
export function recordSubscription(
  subscribe: (options: SubscribeToAllOptions) => { stop(): Promise<void> },
  options: Partial<SubscribeToAllOptions> = {},
) {
  const events: RecordedEvent[] = [];
  const errors: unknown[] = [];
  let caughtUp = false;
  const subscription = subscribe({
    ...options,
    onEvent: (recorded) => {
      events.push(recorded);
    },
    onError: (error) => errors.push(error),
    onCaughtUp: () => {
      caughtUp = true;
    },
  });
  return {
    events,
    errors,
    stop: () => subscription.stop(),
    caughtUp: () => eventually(() => caughtUp, 'the subscription to catch up'),
    receive: (count: number) =>
      eventually(() => events.length >= count, `${count} events (have ${events.length})`),
  };
}

/**
 * The behaviour every {@link EventStore} adapter must show. Call it from each adapter's spec:
 * `eventStoreContract('PostgreSQL', (options) => makeStore(options))`; the describe title names the
 * adapter so the test output says which adapters ran.
 */
/** Where adapters legitimately differ, as their vendors do; everything else is the same for all. */
export interface ContractCapabilities {
  /**
   * Whether an event id is unique across all streams (PostgreSQL, in-memory) or only within one
   * stream's idempotency window (EventStoreDB, which has no global lookup by id). Default true.
   */
  globallyUniqueEventIds?: boolean;
  /**
   * Whether the adapter has the optional {@link MultiStreamEventStore} operations (PostgreSQL,
   * in-memory) or not (EventStoreDB, whose client has no multi-stream transaction). Default true, so
   * that an adapter that lost them fails the suite instead of skipping it.
   */
  multiStream?: boolean;
}

export function eventStoreContract(
  adapterName: string,
  makeStore: ContractStoreFactory,
  capabilities: ContractCapabilities = {},
): void {
  const { globallyUniqueEventIds = true, multiStream = true } = capabilities;
  describe(`EventStore contract: ${adapterName} adapter`, () => {
    const opened: EventStore[] = [];
    const open = async (options: ContractStoreOptions = {}): Promise<EventStore> => {
      const store = await makeStore(options);
      opened.push(store);
      return store;
    };
    let store: EventStore;

    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((s) => s.close()));
    });

    describe('append', () => {
      it('writes a batch to a new stream and returns the last revision and global position', async () => {
        const stream = newStream();
        const givenId = '0190a6e0-0000-7000-8000-000000000001';
        const result = await store.append(
          stream,
          [event('Opened', { a: 1 }, { eventId: givenId }), event('Noted')],
          {
            expectedRevision: 'no-stream',
          },
        );
        expect(result.nextExpectedRevision).toBe(1n);
        const read = await store.readStream(stream);
        expect(read.map((e) => [e.type, e.revision])).toEqual([
          ['Opened', 0n],
          ['Noted', 1n],
        ]);
        const [first, second] = read as [RecordedEvent, RecordedEvent];
        expect(result.position).toBe(second.globalPosition);
        expect(second.globalPosition).toBeGreaterThan(first.globalPosition);
        expect(first).toMatchObject({
          eventId: givenId,
          schemaVersion: 1,
          data: { a: 1 },
          metadata: contractMetadata(),
          streamName: stream,
          prevHash: GENESIS_HASH,
        });
        expect(second.eventId).toMatch(UUID_V7);
        expect(first.recordedAt).toBeInstanceOf(Date);
        expect(typeof first.globalPosition).toBe('bigint');
      });

      it('accepts an exact expected revision, exists and any', async () => {
        const stream = newStream();
        await store.append(stream, [event('A')], { expectedRevision: 'no-stream' });
        expect(
          (await store.append(stream, [event('B')], { expectedRevision: 0n })).nextExpectedRevision,
        ).toBe(1n);
        expect(
          (await store.append(stream, [event('C')], { expectedRevision: 'exists' })).nextExpectedRevision,
        ).toBe(2n);
        expect(
          (await store.append(stream, [event('D')], { expectedRevision: 'any' })).nextExpectedRevision,
        ).toBe(3n);
        const fresh = newStream();
        expect(
          (await store.append(fresh, [event('A')], { expectedRevision: 'any' })).nextExpectedRevision,
        ).toBe(0n);
      });

      it('refuses a stale or impossible expected revision with the actual revision, writing nothing', async () => {
        const stream = newStream();
        await store.append(stream, [event('A'), event('B')], { expectedRevision: 'no-stream' });
        const stale = await rejection(
          store.append(stream, [event('C')], { expectedRevision: 0n }),
          WrongExpectedVersion,
        );
        expect(stale).toMatchObject({
          code: 'WRONG_EXPECTED_VERSION',
          stream,
          expectedRevision: 0n,
          actualRevision: 1n,
        });
        const exists = await rejection(
          store.append(stream, [event('C')], { expectedRevision: 'no-stream' }),
          WrongExpectedVersion,
        );
        expect(exists.actualRevision).toBe(1n);
        const missing = newStream();
        const none = await rejection(
          store.append(missing, [event('C')], { expectedRevision: 'exists' }),
          WrongExpectedVersion,
        );
        expect(none.actualRevision).toBe('no-stream');
        await rejection(store.append(missing, [event('C')], { expectedRevision: 3n }), WrongExpectedVersion);
        await rejection(store.readStream(missing), StreamNotFound);
        expect(await store.readStream(stream)).toHaveLength(2);
      });

      it('treats a retry of the same event ids at the same expected revision as a no-op', async () => {
        const stream = newStream();
        const first = [event('A', { n: 1 }), event('B', { n: 2 })].map((e) => ({
          ...e,
          eventId: crypto.randomUUID(),
        }));
        const original = await store.append(stream, first, { expectedRevision: 'no-stream' });
        expect(await store.append(stream, first, { expectedRevision: 'no-stream' })).toEqual(original);
        const second = [event('C')].map((e) => ({ ...e, eventId: crypto.randomUUID() }));
        const next = await store.append(stream, second, { expectedRevision: 1n });
        expect(await store.append(stream, second, { expectedRevision: 1n })).toEqual(next);
        expect(await store.append(stream, second, { expectedRevision: 'any' })).toEqual(next);
        expect(await store.readStream(stream)).toHaveLength(3);
        expect(await readAllVisible(store, 3)).toHaveLength(3);
        // A different batch at the stale revision is a conflict, not a retry.
        const conflict = await rejection(
          store.append(stream, [event('X')], { expectedRevision: 1n }),
          WrongExpectedVersion,
        );
        expect(conflict.actualRevision).toBe(2n);
      });

      if (globallyUniqueEventIds) {
        it('refuses an event id already stored elsewhere', async () => {
          const eventId = crypto.randomUUID();
          await store.append(newStream(), [event('A', {}, { eventId })], { expectedRevision: 'any' });
          const other = newStream();
          const error = await rejection(
            store.append(other, [event('B'), event('A', {}, { eventId })], { expectedRevision: 'any' }),
            InvalidAppend,
          );
          expect(error.reason).toBe('duplicate-event-id');
          await rejection(store.readStream(other), StreamNotFound);
        });
      } else {
        it('accepts an event id already stored in another stream (ids are unique per stream only)', async () => {
          const eventId = crypto.randomUUID();
          const first = newStream();
          await store.append(first, [event('A', {}, { eventId })], { expectedRevision: 'any' });
          const other = newStream();
          await store.append(other, [event('B'), event('A', {}, { eventId })], { expectedRevision: 'any' });
          expect((await store.readStream(other)).map((e) => e.type)).toEqual(['B', 'A']);
          expect((await store.readStream(first)).map((e) => e.eventId)).toEqual([eventId]);
        });
      }

      it('refuses metadata keys starting with "$", which belong to the store', async () => {
        const stream = newStream();
        const error = await rejection(
          store.append(
            stream,
            [{ type: 'A', data: {}, metadata: { ...contractMetadata(), $chain: 'x' } as never }],
            {
              expectedRevision: 'any',
            },
          ),
          InvalidAppend,
        );
        expect(error.message).toMatch(/reserved/);
        await rejection(store.readStream(stream), StreamNotFound);
      });

      it('lets exactly one of several concurrent appends at one revision win, leaving no gap', async () => {
        const stream = newStream();
        await store.append(stream, [event('A')], { expectedRevision: 'no-stream' });
        const results = await Promise.allSettled(
          Array.from({ length: 6 }, (_, i) =>
            store.append(stream, [event('B', { i }), event('C', { i })], { expectedRevision: 0n }),
          ),
        );
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        for (const failed of results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')) {
          expect(failed.reason).toBeInstanceOf(WrongExpectedVersion);
        }
        const read = await store.readStream(stream);
        expect(read.map((e) => e.revision)).toEqual([0n, 1n, 2n]);
        expect(read[1]?.data).toEqual(read[2]?.data);
        expect(await store.verifyStream(stream)).toMatchObject({ ok: true, events: 3 });
      });
    });

    describe('bad input: a typed error and nothing written', () => {
      const refuses = async <E>(
        errorClass: ErrorClass<E>,
        attempt: (stream: string) => Promise<unknown>,
        stream = newStream(),
      ): Promise<E> => {
        const error = await rejection(attempt(stream), errorClass);
        expect(await store.readAll()).toEqual([]);
        return error;
      };

      it.each([
        'nodash',
        '-id',
        'cat-',
        '1cat-id',
        'cat egory-id',
        'cat-has space',
        '$all-x',
        'cat-a/b',
        `c-${'x'.repeat(300)}`,
        '',
      ])('refuses the stream name %j', async (name) => {
        await refuses(
          InvalidStreamName,
          (stream) => store.append(stream, [event('A')], { expectedRevision: 'any' }),
          name,
        );
        await rejection(store.readStream(name), InvalidStreamName);
      });

      it('refuses an empty batch', async () => {
        const error = await refuses(InvalidAppend, (s) => store.append(s, [], { expectedRevision: 'any' }));
        expect(error.reason).toBe('empty-batch');
      });

      it.each([
        ['a string', 'latest'],
        ['a number', 1],
        ['a negative bigint', -1n],
        ['undefined', undefined],
      ])('refuses %s as expected revision', async (_label, value) => {
        const error = await refuses(InvalidAppend, (s) =>
          store.append(s, [event('A')], { expectedRevision: value as never }),
        );
        expect(error.reason).toBe('invalid-expected-revision');
      });

      const circular: Record<string, unknown> = { a: 1 };
      circular.self = circular;
      it.each([
        ['a BigInt', { amount: 10n }],
        ['a circular object', circular],
        ['a function', { f: () => 1 }],
        ['NaN', { n: Number.NaN }],
        ['a Date', { at: new Date(0) }],
        ['a Map', new Map([[1, 2]])],
        ['undefined', undefined],
        ['a symbol', { s: Symbol('x') }],
        ['undefined in an array', [1, undefined]],
        ['a NUL character', { text: 'a\u0000b' }],
      ])('refuses data holding %s, even as the last event of a batch', async (_label, data) => {
        const error = await refuses(InvalidAppend, (s) =>
          store.append(s, [event('Good'), { ...event('Bad'), data }], { expectedRevision: 'any' }),
        );
        expect(error.reason).toBe('invalid-data');
      });

      it('names the member that is not JSON, however deep', async () => {
        const data = { ticket: { notes: ['fine', { text: 'a\u0000b' }] } };
        const error = await refuses(InvalidAppend, (s) =>
          store.append(s, [event('Good'), { ...event('Bad'), data }], { expectedRevision: 'any' }),
        );
        expect(error.message).toContain('event #1: data.ticket.notes[1].text contains U+0000');
        const metadata = { ...contractMetadata(), extra: { at: new Date(0) } };
        const refused = await refuses(InvalidAppend, (s) =>
          store.append(s, [{ ...event('Bad'), metadata }], { expectedRevision: 'any' }),
        );
        expect(refused.reason).toBe('invalid-metadata');
        expect(refused.message).toContain('metadata.extra.at is not a plain object');
      });

      it('keeps what was appended when the caller changes its objects afterwards', async () => {
        const stream = newStream();
        const data = { items: [{ n: 1 }], note: 'first' };
        const metadata = contractMetadata();
        await store.append(stream, [{ type: 'Noted', data, metadata }], { expectedRevision: 'no-stream' });
        data.items[0]!.n = 2;
        data.note = 'changed';
        metadata.correlationId = 'changed';
        const [stored] = await store.readStream(stream);
        expect(stored?.data).toEqual({ items: [{ n: 1 }], note: 'first' });
        expect(stored?.metadata.correlationId).toBe(contractMetadata().correlationId);
        expect(await store.verifyStream(stream)).toMatchObject({ ok: true, events: 1 });
      });

      it.each(['', '1abc', 'has space', 'x'.repeat(201), 42])('refuses the event type %j', async (type) => {
        const error = await refuses(InvalidAppend, (s) =>
          store.append(s, [{ ...event('A'), type: type as string }], { expectedRevision: 'any' }),
        );
        expect(error.reason).toBe('invalid-event-type');
      });

      it('refuses bad event ids, duplicate ids in a batch and bad schema versions', async () => {
        expect(
          (
            await refuses(InvalidAppend, (s) =>
              store.append(s, [event('A', {}, { eventId: 'nope' })], { expectedRevision: 'any' }),
            )
          ).reason,
        ).toBe('invalid-event-id');
        const eventId = crypto.randomUUID();
        expect(
          (
            await refuses(InvalidAppend, (s) =>
              store.append(s, [event('A', {}, { eventId }), event('B', {}, { eventId })], {
                expectedRevision: 'any',
              }),
            )
          ).reason,
        ).toBe('duplicate-event-id');
        for (const schemaVersion of [0, 1.5, -1]) {
          expect(
            (
              await refuses(InvalidAppend, (s) =>
                store.append(s, [event('A', {}, { schemaVersion })], { expectedRevision: 'any' }),
              )
            ).reason,
          ).toBe('invalid-schema-version');
        }
      });

      it.each([
        ['no tenant', { tenantId: '' }],
        ['an unknown actor kind', { actor: { kind: 'robot', id: 'r' } }],
        ['an actor without id', { actor: { kind: 'bot', id: '' } }],
        ['a non-ISO occurredAt', { occurredAt: 'yesterday' }],
        ['no correlation id', { correlationId: undefined }],
      ])('refuses metadata with %s', async (_label, overrides) => {
        const error = await refuses(InvalidAppend, (s) =>
          store.append(
            s,
            [{ ...event('A'), metadata: contractMetadata(overrides as Partial<EventMetadata>) }],
            {
              expectedRevision: 'any',
            },
          ),
        );
        expect(error.reason).toBe('invalid-metadata');
      });

      it('refuses an event over 1 MiB by default', async () => {
        const error = await refuses(EventTooLarge, (s) =>
          store.append(s, [event('Small'), event('Big', { blob: 'x'.repeat(1024 * 1024) })], {
            expectedRevision: 'any',
          }),
        );
        expect(error).toMatchObject({ code: 'EVENT_TOO_LARGE', limit: 1024 * 1024 });
        expect(error.size).toBeGreaterThan(1024 * 1024);
      });

      it('applies a configured size limit to data + metadata', async () => {
        const small = await open({ maxEventBytes: 400 });
        const stream = newStream();
        await small.append(stream, [event('Fits', { blob: 'x'.repeat(100) })], {
          expectedRevision: 'no-stream',
        });
        await rejection(
          small.append(stream, [event('Big', { blob: 'x'.repeat(300) })], { expectedRevision: 0n }),
          EventTooLarge,
        );
        expect(await small.readStream(stream)).toHaveLength(1);
      });
    });

    describe('readStream', () => {
      it('reads forwards and backwards from a revision with a limit', async () => {
        const stream = newStream();
        await store.append(
          stream,
          ['E0', 'E1', 'E2', 'E3', 'E4'].map((t) => event(t)),
          { expectedRevision: 'no-stream' },
        );
        const types = (events: RecordedEvent[]) => events.map((e) => e.type);
        expect(types(await store.readStream(stream, { fromRevision: 1n, maxCount: 2 }))).toEqual([
          'E1',
          'E2',
        ]);
        expect(types(await store.readStream(stream, { direction: 'backwards' }))).toEqual([
          'E4',
          'E3',
          'E2',
          'E1',
          'E0',
        ]);
        expect(
          types(await store.readStream(stream, { direction: 'backwards', fromRevision: 2n, maxCount: 2 })),
        ).toEqual(['E2', 'E1']);
        expect(await store.readStream(stream, { fromRevision: 9n })).toEqual([]);
      });

      it('throws StreamNotFound for a stream never written, InvalidArgument for bad options', async () => {
        await rejection(store.readStream(newStream()), StreamNotFound);
        const stream = newStream();
        await store.append(stream, [event('A')], { expectedRevision: 'any' });
        await rejection(store.readStream(stream, { maxCount: 0 }), InvalidArgument);
        await rejection(store.readStream(stream, { fromRevision: -1n }), InvalidArgument);
        await rejection(store.readStream(stream, { direction: 'sideways' as never }), InvalidArgument);
      });
    });

    describe('readAll', () => {
      it('reads every stream in global order, from an exclusive position, with a limit', async () => {
        const a = newStream();
        const b = newStream();
        await store.append(a, [event('A0')], { expectedRevision: 'any' });
        await store.append(b, [event('B0'), event('B1')], { expectedRevision: 'any' });
        await store.append(a, [event('A1')], { expectedRevision: 'any' });
        const all = await readAllVisible(store, 4);
        expect(all.map((e) => e.type)).toEqual(['A0', 'B0', 'B1', 'A1']);
        const positions = all.map((e) => e.globalPosition);
        expect([...positions].sort((x, y) => (x < y ? -1 : 1))).toEqual(positions);
        const afterFirst = await store.readAll({ fromPosition: positions[0], maxCount: 2 });
        expect(afterFirst.map((e) => e.type)).toEqual(['B0', 'B1']);
        expect(await store.readAll({ fromPosition: positions[3] })).toEqual([]);
      });
    });

    describe('deleteStream', () => {
      it('soft-deletes: reads, appends and verification then fail with StreamDeleted', async () => {
        const stream = newStream();
        await store.append(stream, [event('A')], { expectedRevision: 'no-stream' });
        await store.deleteStream(stream);
        await rejection(store.readStream(stream), StreamDeleted);
        await rejection(store.append(stream, [event('B')], { expectedRevision: 'any' }), StreamDeleted);
        await rejection(store.verifyStream(stream), StreamDeleted);
        await rejection(store.deleteStream(stream), StreamDeleted);
        await rejection(store.deleteStream(newStream()), StreamNotFound);
        // The global log keeps what happened.
        expect((await readAllVisible(store, 1)).map((e) => e.type)).toEqual(['A']);
      });
    });

    describe('hash chain', () => {
      it('chains every event to the previous one with the shared hash code', async () => {
        const stream = newStream();
        await store.append(stream, [event('A', { z: 1, a: [1, 'two', null] }), event('B')], {
          expectedRevision: 'no-stream',
        });
        await store.append(stream, [event('C', { nested: { b: true, a: 1.5 } })], { expectedRevision: 1n });
        const read = await store.readStream(stream);
        let prevHash = GENESIS_HASH;
        for (const recorded of read) {
          expect(recorded.prevHash).toBe(prevHash);
          expect(recorded.hash).toBe(computeEventHash(prevHash, recorded));
          prevHash = recorded.hash;
        }
        expect(await store.verifyStream(stream)).toEqual({ ok: true, events: 3, lastHash: prevHash });
        await rejection(store.verifyStream(newStream()), StreamNotFound);
      });
    });

    describe('subscriptions', () => {
      it('delivers past events, then switches to live delivery, each event once and in order', async () => {
        const a = newStream();
        await store.append(a, [event('P0'), event('P1')], { expectedRevision: 'any' });
        const sub = recordSubscription((o) => store.subscribeToAll(o));
        await sub.caughtUp();
        expect(sub.events.map((e) => e.type)).toEqual(['P0', 'P1']);
        await store.append(newStream(), [event('L0')], { expectedRevision: 'any' });
        await store.append(a, [event('L1'), event('L2')], { expectedRevision: 'any' });
        await sub.receive(5);
        await sub.stop();
        expect(sub.events.map((e) => e.type)).toEqual(['P0', 'P1', 'L0', 'L1', 'L2']);
        expect(sub.errors).toEqual([]);
        await store.append(a, [event('After')], { expectedRevision: 'any' });
        await new Promise((resolve) => setTimeout(resolve, 50));
        expect(sub.events).toHaveLength(5);
      });

      it('resumes after an exclusive checkpoint', async () => {
        const stream = newStream();
        await store.append(stream, [event('E0'), event('E1'), event('E2')], { expectedRevision: 'any' });
        const all = await readAllVisible(store, 3);
        const sub = recordSubscription((o) => store.subscribeToAll(o), {
          fromPosition: all[1]?.globalPosition,
        });
        await sub.receive(1);
        await store.append(stream, [event('E3')], { expectedRevision: 'any' });
        await sub.receive(2);
        await sub.stop();
        expect(sub.events.map((e) => e.type)).toEqual(['E2', 'E3']);
      });

      it('filters by stream prefix and by category', async () => {
        const tickets = `ticket${crypto.randomBytes(3).toString('hex')}`;
        const owners = `owner${crypto.randomBytes(3).toString('hex')}`;
        const byCategory = recordSubscription((o) => store.subscribeToCategory(tickets, o));
        const byPrefix = recordSubscription((o) => store.subscribeToAll(o), {
          filter: { streamPrefixes: [`${owners}-`] },
        });
        await store.append(newStream(tickets), [event('T0')], { expectedRevision: 'any' });
        await store.append(newStream(owners), [event('O0')], { expectedRevision: 'any' });
        // A category is the text before the first dash, not a prefix of a longer category.
        await store.append(newStream(`${tickets}x`), [event('Other')], { expectedRevision: 'any' });
        await store.append(newStream(tickets), [event('T1')], { expectedRevision: 'any' });
        await byCategory.receive(2);
        await byPrefix.receive(1);
        await store.append(newStream(owners), [event('O1')], { expectedRevision: 'any' });
        await byPrefix.receive(2);
        await Promise.all([byCategory.stop(), byPrefix.stop()]);
        expect(byCategory.events.map((e) => e.type)).toEqual(['T0', 'T1']);
        expect(byPrefix.events.map((e) => e.type)).toEqual(['O0', 'O1']);
        expect(() =>
          store.subscribeToCategory('bad-category', { onEvent: () => undefined, onError: () => undefined }),
        ).toThrow(InvalidStreamName);
      });

      it('stops and reports the error when a handler throws', async () => {
        await store.append(newStream(), [event('A'), event('B')], { expectedRevision: 'any' });
        const seen: string[] = [];
        const failure = new Error('handler failed');
        let reported: unknown;
        const subscription = store.subscribeToAll({
          onEvent: (recorded) => {
            seen.push(recorded.type);
            throw failure;
          },
          onError: (error) => {
            reported = error;
          },
        });
        await eventually(() => reported !== undefined, 'the error');
        await subscription.stop();
        expect(reported).toBe(failure);
        expect(seen).toEqual(['A']);
      });
    });

    describe('multi-stream', () => {
      if (!multiStream) {
        it('is not offered: supportsMultiStream says so', () => {
          expect(supportsMultiStream(store)).toBe(false);
        });
        return;
      }

      const multi = (candidate: EventStore = store): MultiStreamEventStore => {
        if (!supportsMultiStream(candidate)) {
          throw new Error(
            `the ${adapterName} adapter has no appendToStreams/readStreams: pass { multiStream: false }`,
          );
        }
        return candidate;
      };
      const types = (events: RecordedEvent[] | undefined) => events?.map((e) => e.type);

      it('appends to several streams in one call, all chained, in request order in the global log', async () => {
        const m = multi();
        const existing = newStream();
        const fresh = newStream();
        const other = newStream();
        await m.append(existing, [event('E0'), event('E1')], { expectedRevision: 'no-stream' });
        await m.append(other, [event('O0')], { expectedRevision: 'no-stream' });
        const sub = recordSubscription((o) => m.subscribeToAll(o));
        await sub.receive(3);
        const results = await m.appendToStreams([
          { stream: fresh, events: [event('F0'), event('F1')], expectedRevision: 'no-stream' },
          { stream: existing, events: [event('E2')], expectedRevision: 1n },
          { stream: other, events: [event('O1'), event('O2')], expectedRevision: 'any' },
        ]);
        expect(results.map((r) => r.nextExpectedRevision)).toEqual([1n, 2n, 2n]);
        const expected: [string, string[], number][] = [
          [fresh, ['F0', 'F1'], 2],
          [existing, ['E0', 'E1', 'E2'], 3],
          [other, ['O0', 'O1', 'O2'], 3],
        ];
        for (const [index, [stream, streamTypes, count]] of expected.entries()) {
          const read = await m.readStream(stream);
          expect(types(read)).toEqual(streamTypes);
          expect(read.map((e) => e.revision)).toEqual(streamTypes.map((_, i) => BigInt(i)));
          expect(results[index]?.position).toBe(read[read.length - 1]?.globalPosition);
          expect(await m.verifyStream(stream)).toMatchObject({ ok: true, events: count });
        }
        const all = await readAllVisible(m, 8);
        expect(types(all)).toEqual(['E0', 'E1', 'O0', 'F0', 'F1', 'E2', 'O1', 'O2']);
        const positions = all.map((e) => e.globalPosition);
        expect([...positions].sort((x, y) => (x < y ? -1 : 1))).toEqual(positions);
        await sub.receive(8);
        await sub.stop();
        expect(sub.errors).toEqual([]);
        expect(types(sub.events)).toEqual(types(all));
        // The heads the call left behind are what the next single append expects.
        await m.append(existing, [event('E3')], { expectedRevision: 2n });
        await m.append(fresh, [event('F2')], { expectedRevision: 1n });
        expect(await m.appendToStreams([])).toEqual([]);
      });

      it('writes nothing when an expectation fails, naming the first stream that failed', async () => {
        const m = multi();
        const a = newStream();
        const b = newStream();
        const fresh = newStream();
        await m.append(a, [event('A0')], { expectedRevision: 'no-stream' });
        await m.append(b, [event('B0'), event('B1')], { expectedRevision: 'no-stream' });
        const error = await rejection(
          m.appendToStreams([
            { stream: fresh, events: [event('F0')], expectedRevision: 'no-stream' },
            { stream: a, events: [event('A1')], expectedRevision: 0n },
            { stream: b, events: [event('B2')], expectedRevision: 0n },
            { stream: newStream(), events: [event('X')], expectedRevision: 'exists' },
          ]),
          WrongExpectedVersion,
        );
        expect(error).toMatchObject({ stream: b, expectedRevision: 0n, actualRevision: 1n });
        const missing = await rejection(
          m.appendToStreams([
            { stream: a, events: [event('A1')], expectedRevision: 'exists' },
            { stream: fresh, events: [event('F0')], expectedRevision: 0n },
          ]),
          WrongExpectedVersion,
        );
        expect(missing).toMatchObject({ stream: fresh, actualRevision: 'no-stream' });
        expect(types(await m.readStream(a))).toEqual(['A0']);
        expect(types(await m.readStream(b))).toEqual(['B0', 'B1']);
        await rejection(m.readStream(fresh), StreamNotFound);
        // Had the refused calls written anything, it would show before this event in the global log.
        await m.append(a, [event('A1')], { expectedRevision: 0n });
        expect(types(await readAllVisible(m, 4))).toEqual(['A0', 'B0', 'B1', 'A1']);
      });

      it('refuses a deleted stream with StreamDeleted, writing nothing', async () => {
        const m = multi();
        const live = newStream();
        const deleted = newStream();
        await m.append(live, [event('L0')], { expectedRevision: 'no-stream' });
        await m.append(deleted, [event('D0')], { expectedRevision: 'no-stream' });
        await m.deleteStream(deleted);
        const error = await rejection(
          m.appendToStreams([
            { stream: live, events: [event('L1')], expectedRevision: 0n },
            { stream: deleted, events: [event('D1')], expectedRevision: 'any' },
          ]),
          StreamDeleted,
        );
        expect(error.stream).toBe(deleted);
        expect(types(await m.readStream(live))).toEqual(['L0']);
        await m.append(live, [event('L1')], { expectedRevision: 0n });
        expect(types(await readAllVisible(m, 3))).toEqual(['L0', 'D0', 'L1']);
      });

      it('refuses bad input, a stream named twice and an event id in two batches, writing nothing', async () => {
        const m = multi();
        const stream = newStream();
        const part = (name: string, events = [event('A')]) => ({
          stream: name,
          events,
          expectedRevision: 'any' as const,
        });
        expect(
          (await rejection(m.appendToStreams([part(stream), part(stream)]), InvalidArgument)).message,
        ).toMatch(/more than once/);
        await rejection(m.appendToStreams([part(stream), part('nodash')]), InvalidStreamName);
        expect(
          (await rejection(m.appendToStreams([part(stream), part(newStream(), [])]), InvalidAppend)).reason,
        ).toBe('empty-batch');
        expect(
          (
            await rejection(
              m.appendToStreams([part(stream), { ...part(newStream()), expectedRevision: -1n }]),
              InvalidAppend,
            )
          ).reason,
        ).toBe('invalid-expected-revision');
        await rejection(
          m.appendToStreams([
            part(stream),
            part(newStream(), [event('Big', { blob: 'x'.repeat(1024 * 1024) })]),
          ]),
          EventTooLarge,
        );
        const eventId = crypto.randomUUID();
        const twice = await rejection(
          m.appendToStreams([
            part(stream, [event('A', {}, { eventId })]),
            part(newStream(), [event('B', {}, { eventId })]),
          ]),
          InvalidAppend,
        );
        expect(twice.reason).toBe('duplicate-event-id');
        await rejection(m.appendToStreams('nope' as never), InvalidArgument);
        expect(await m.readAll()).toEqual([]);
        await rejection(m.readStream(stream), StreamNotFound);
      });

      if (globallyUniqueEventIds) {
        it('refuses an event id stored before, and does not take a repeated call for a retry', async () => {
          const m = multi();
          const a = newStream();
          const b = newStream();
          const call = [
            {
              stream: a,
              events: [event('A', {}, { eventId: crypto.randomUUID() })],
              expectedRevision: 'no-stream',
            },
            {
              stream: b,
              events: [event('B', {}, { eventId: crypto.randomUUID() })],
              expectedRevision: 'no-stream',
            },
          ] as const;
          await m.appendToStreams(call);
          const repeated = await rejection(m.appendToStreams(call), WrongExpectedVersion);
          expect(repeated).toMatchObject({ stream: a, actualRevision: 0n });
          const anyRevision = call.map((part) => ({ ...part, expectedRevision: 'any' as const }));
          const duplicate = await rejection(m.appendToStreams(anyRevision), InvalidAppend);
          expect(duplicate).toMatchObject({ reason: 'duplicate-event-id', stream: a });
          const fresh = newStream();
          const elsewhere = await rejection(
            m.appendToStreams([
              { stream: fresh, events: [event('C')], expectedRevision: 'no-stream' },
              { stream: newStream(), events: [call[1].events[0]], expectedRevision: 'no-stream' },
            ]),
            InvalidAppend,
          );
          expect(elsewhere.reason).toBe('duplicate-event-id');
          await rejection(m.readStream(fresh), StreamNotFound);
          expect(await m.readStream(a)).toHaveLength(1);
        });
      }

      it('lets exactly one of a single append and a multi-stream append at the same revision win', async () => {
        const m = multi();
        for (let round = 0; round < 10; round++) {
          const contested = newStream();
          const bystander = newStream();
          await m.append(contested, [event('First')], { expectedRevision: 'no-stream' });
          const single = () => m.append(contested, [event('Single')], { expectedRevision: 0n });
          const multiple = () =>
            m.appendToStreams([
              { stream: bystander, events: [event('Bystander')], expectedRevision: 'no-stream' },
              { stream: contested, events: [event('Multi')], expectedRevision: 0n },
            ]);
          // Alternate which starts first, so each gets the chance to win.
          const [singleOutcome, multiOutcome] =
            round % 2 === 0
              ? await Promise.allSettled([single(), multiple()])
              : await Promise.allSettled([multiple(), single()]).then(([x, y]) => [y, x] as const);
          const outcomes = [singleOutcome, multiOutcome];
          expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
          for (const lost of outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected')) {
            expect(lost.reason).toBeInstanceOf(WrongExpectedVersion);
            expect(lost.reason).toMatchObject({ stream: contested, actualRevision: 1n });
          }
          const read = await m.readStream(contested);
          expect(types(read)).toEqual(['First', multiOutcome.status === 'fulfilled' ? 'Multi' : 'Single']);
          if (multiOutcome.status === 'fulfilled') {
            expect(types(await m.readStream(bystander))).toEqual(['Bystander']);
          } else {
            await rejection(m.readStream(bystander), StreamNotFound);
          }
          expect(await m.verifyStream(contested)).toMatchObject({ ok: true, events: 2 });
        }
      });

      it('serialises concurrent multi-stream appends over the same streams, new or existing', async () => {
        const m = multi();
        const a = newStream();
        const b = newStream();
        // Neither stream exists yet: all but one of the calls find the other's creation in their way.
        const results = await Promise.all(
          Array.from({ length: 8 }, (_, i) =>
            m.appendToStreams(
              (i % 2 === 0 ? [a, b] : [b, a]).map((stream) => ({
                stream,
                events: [event('N', { i }), event('M', { i })],
                expectedRevision: 'any' as const,
              })),
            ),
          ),
        );
        expect(results.flat()).toHaveLength(16);
        for (const stream of [a, b]) {
          const read = await m.readStream(stream);
          expect(read.map((e) => e.revision)).toEqual(Array.from({ length: 16 }, (_, i) => BigInt(i)));
          // Each call's two events stay together.
          for (let i = 0; i < 16; i += 2) expect(read[i]?.data).toEqual(read[i + 1]?.data);
          expect(await m.verifyStream(stream)).toMatchObject({ ok: true, events: 16 });
        }
        const exact = await Promise.allSettled(
          Array.from({ length: 4 }, (_, i) =>
            m.appendToStreams(
              (i % 2 === 0 ? [a, b] : [b, a]).map((stream) => ({
                stream,
                events: [event('X', { i })],
                expectedRevision: 15n,
              })),
            ),
          ),
        );
        expect(exact.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
        for (const lost of exact.filter((o): o is PromiseRejectedResult => o.status === 'rejected')) {
          expect(lost.reason).toBeInstanceOf(WrongExpectedVersion);
        }
        expect((await m.readStream(a)).map((e) => e.data)).toEqual(
          (await m.readStream(b)).map((e) => e.data),
        );
      });

      it('reads several streams in one call, each from its revision; a missing one maps to undefined', async () => {
        const m = multi();
        const a = newStream();
        const b = newStream();
        const short = newStream();
        const missing = newStream();
        await m.append(a, [event('A0'), event('A1'), event('A2')], { expectedRevision: 'no-stream' });
        await m.append(b, [event('B0'), event('B1')], { expectedRevision: 'no-stream' });
        await m.append(short, [event('S0')], { expectedRevision: 'no-stream' });
        const read = await m.readStreams([
          { stream: b },
          { stream: missing },
          { stream: a, fromRevision: 1n },
          { stream: short, fromRevision: 5n },
        ]);
        expect([...read.keys()]).toEqual([b, missing, a, short]);
        expect(types(read.get(b))).toEqual(['B0', 'B1']);
        expect(read.get(missing)).toBeUndefined();
        expect(types(read.get(a))).toEqual(['A1', 'A2']);
        expect(read.get(short)).toEqual([]);
        expect(read.get(a)).toEqual(await m.readStream(a, { fromRevision: 1n }));
        expect(read.get(b)).toEqual(await m.readStream(b));
        expect((await m.readStreams([])).size).toBe(0);
        expect(
          (await rejection(m.readStreams([{ stream: a }, { stream: a, fromRevision: 1n }]), InvalidArgument))
            .message,
        ).toMatch(/more than once/);
        await rejection(m.readStreams([{ stream: a }, { stream: 'nodash' }]), InvalidStreamName);
        await rejection(m.readStreams([{ stream: a, fromRevision: -1n }]), InvalidArgument);
      });

      it('throws StreamDeleted when one of the streams read is deleted', async () => {
        const m = multi();
        const live = newStream();
        const deleted = newStream();
        await m.append(live, [event('L0')], { expectedRevision: 'no-stream' });
        await m.append(deleted, [event('D0')], { expectedRevision: 'no-stream' });
        await m.deleteStream(deleted);
        const error = await rejection(m.readStreams([{ stream: live }, { stream: deleted }]), StreamDeleted);
        expect(error.stream).toBe(deleted);
      });

      it('upcasts what it reads and appends at the current schema version, as the single-stream calls do', async () => {
        const upcasting = multi(
          await open({
            upcasters: new UpcasterRegistry().register('NoteAdded', 1, (data) => ({
              text: (data as { body: string }).body,
            })),
          }),
        );
        const old = newStream();
        const current = newStream();
        await upcasting.appendToStreams([
          {
            stream: old,
            events: [event('NoteAdded', { body: 'hello' }, { schemaVersion: 1 })],
            expectedRevision: 'no-stream',
          },
          { stream: current, events: [event('NoteAdded', { text: 'hi' })], expectedRevision: 'no-stream' },
        ]);
        const read = await upcasting.readStreams([{ stream: old }, { stream: current }]);
        expect(read.get(old)?.map((e) => [e.schemaVersion, e.data])).toEqual([[2, { text: 'hello' }]]);
        expect(read.get(current)?.map((e) => [e.schemaVersion, e.data])).toEqual([[2, { text: 'hi' }]]);
        expect(read.get(old)).toEqual(await upcasting.readStream(old));
        expect(await upcasting.verifyStream(old)).toMatchObject({ ok: true, events: 1 });
      });
    });

    describe('upcasting', () => {
      const registry = () =>
        new UpcasterRegistry()
          .register('NoteAdded', 1, (data) => ({ text: (data as { body: string }).body }))
          .register('NoteAdded', 2, (data) => ({ ...(data as { text: string }), language: 'en' }));

      it('reads old schema versions in the current shape; the chain covers the stored payload', async () => {
        const upcasting = await open({ upcasters: registry() });
        const stream = newStream();
        await upcasting.append(
          stream,
          [
            event('NoteAdded', { body: 'hello' }, { schemaVersion: 1 }),
            event('NoteAdded', { text: 'hi', language: 'fr' }),
          ],
          { expectedRevision: 'no-stream' },
        );
        const read = await upcasting.readStream(stream);
        expect(read.map((e) => [e.schemaVersion, e.data])).toEqual([
          [3, { text: 'hello', language: 'en' }],
          [3, { text: 'hi', language: 'fr' }],
        ]);
        expect((await readAllVisible(upcasting, 1))[0]?.data).toEqual({ text: 'hello', language: 'en' });
        const sub = recordSubscription((o) => upcasting.subscribeToAll(o));
        await sub.receive(2);
        await sub.stop();
        expect(sub.events[0]?.schemaVersion).toBe(3);
        expect(await upcasting.verifyStream(stream)).toMatchObject({ ok: true, events: 2 });
        expect(read[0]?.hash).toBe(
          computeEventHash(GENESIS_HASH, {
            ...(read[0] as RecordedEvent),
            schemaVersion: 1,
            data: { body: 'hello' },
          }),
        );
      });
    });
  });
}
