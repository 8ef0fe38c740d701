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
import type {
  EventMetadata,
  EventStore,
  NewEvent,
  RecordedEvent,
  SubscribeToAllOptions,
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
}

export function eventStoreContract(
  adapterName: string,
  makeStore: ContractStoreFactory,
  capabilities: ContractCapabilities = {},
): void {
  const { globallyUniqueEventIds = true } = capabilities;
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
