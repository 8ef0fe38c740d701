import crypto from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import {
  MaxAppendSizeExceededError,
  NO_STREAM,
  StreamDeletedError,
  StreamNotFoundError,
  UnavailableError,
  WrongExpectedVersionError,
  type AllStreamResolvedEvent,
  type EventStoreDBClient,
  type SubscribeToAllOptions as EsdbSubscribeToAllOptions,
} from '@eventstore/db-client';
import { Subscription as ClientSubscription } from '@eventstore/db-client/dist/streams/utils/Subscription';
import {
  EventTooLarge,
  InvalidAppend,
  InvalidStreamName,
  StoreFailure,
  StreamDeleted,
  StreamNotFound,
  WrongExpectedVersion,
} from './errors';
import {
  decodeStoredMetadata,
  encodeStoredMetadata,
  EsdbEventStore,
  esdbAppendExpectation,
  fromEsdbRevision,
  toEsdbConnectionString,
  translateEsdbError,
} from './esdb-event-store.adapter';
import { contractMetadata } from './event-store.contract';
import { supportsMultiStream, type RecordedEvent } from './event-store.port';
import { GENESIS_HASH } from './hash-chain';

const HASH_A = 'a'.repeat(64);

describe('EventStoreDB adapter, without a server', () => {
  describe('connection strings', () => {
    it.each([
      ['kurrentdb://localhost:2113?tls=false', 'esdb://localhost:2113?tls=false'],
      ['kurrentdb+discover://cluster:2113', 'esdb+discover://cluster:2113'],
      ['kdb://h:1', 'esdb://h:1'],
      ['esdb://h:1?tls=false', 'esdb://h:1?tls=false'],
      ['esdb+discover://h:1', 'esdb+discover://h:1'],
    ])('reads %s as %s', (given, expected) => {
      expect(toEsdbConnectionString(given)).toBe(expected);
    });
  });

  describe('expected revision mapping', () => {
    it('sends an exact expectation as is, so the server checks it (and its idempotency applies)', () => {
      expect(esdbAppendExpectation('no-stream', -1n)).toBe(NO_STREAM);
      expect(esdbAppendExpectation(3n, 3n)).toBe(3n);
      expect(esdbAppendExpectation(0n, 0n)).toBe(0n);
    });

    it("pins 'any' and 'exists' to the head the events were chained onto", () => {
      expect(esdbAppendExpectation('any', -1n)).toBe(NO_STREAM);
      expect(esdbAppendExpectation('any', 4n)).toBe(4n);
      expect(esdbAppendExpectation('exists', 7n)).toBe(7n);
    });

    it("reads the server's revisions back as the port's", () => {
      expect(fromEsdbRevision(NO_STREAM)).toBe('no-stream');
      expect(fromEsdbRevision(-1n)).toBe('no-stream');
      expect(fromEsdbRevision(0n)).toBe(0n);
      expect(fromEsdbRevision(12n)).toBe(12n);
    });
  });

  describe('error translation', () => {
    it('WrongExpectedVersionError → WrongExpectedVersion with the actual revision', () => {
      const translated = translateEsdbError(
        new WrongExpectedVersionError(undefined, { streamName: 'ns/ticket-1', expected: 1n, current: 4n }),
        { stream: 'ticket-1', expectedRevision: 1n },
      );
      expect(translated).toBeInstanceOf(WrongExpectedVersion);
      expect(translated).toMatchObject({ stream: 'ticket-1', expectedRevision: 1n, actualRevision: 4n });
      const none = translateEsdbError(
        new WrongExpectedVersionError(undefined, {
          streamName: 'ticket-2',
          expected: 'stream_exists',
          current: NO_STREAM,
        }),
        { stream: 'ticket-2' },
      );
      expect(none).toMatchObject({ expectedRevision: 'exists', actualRevision: 'no-stream' });
    });

    it('StreamNotFoundError → StreamNotFound, StreamDeletedError → StreamDeleted (with the port stream name)', () => {
      expect(
        translateEsdbError(new StreamNotFoundError(undefined, 'ns/ticket-1'), { stream: 'ticket-1' }),
      ).toEqual(new StreamNotFound('ticket-1'));
      const deleted = translateEsdbError(StreamDeletedError.fromStreamName('ns/ticket-1'), {
        stream: 'ticket-1',
      });
      expect(deleted).toBeInstanceOf(StreamDeleted);
      expect(deleted).toMatchObject({ code: 'STREAM_DELETED', stream: 'ticket-1' });
    });

    it('MaxAppendSizeExceededError → EventTooLarge with the server limit', () => {
      const events = [
        { eventId: 'e-small', dataJson: '{}', metadataJson: '{}', prevHash: GENESIS_HASH, hash: HASH_A },
        {
          eventId: 'e-big',
          dataJson: `"${'x'.repeat(500)}"`,
          metadataJson: '{}',
          prevHash: HASH_A,
          hash: HASH_A,
        },
      ];
      const translated = translateEsdbError(MaxAppendSizeExceededError.fromMaxAppendSize(512), {
        stream: 'ticket-1',
        events,
      });
      expect(translated).toBeInstanceOf(EventTooLarge);
      expect(translated).toMatchObject({ code: 'EVENT_TOO_LARGE', eventId: 'e-big', limit: 512 });
      expect((translated as EventTooLarge).size).toBeGreaterThan(512);
    });

    it('keeps port errors and wraps anything else in StoreFailure with the cause', () => {
      const portError = new StreamNotFound('ticket-1');
      expect(translateEsdbError(portError, {})).toBe(portError);
      const unavailable = new UnavailableError(undefined, 'connection refused');
      const translated = translateEsdbError(unavailable, { stream: 'ticket-1' });
      expect(translated).toBeInstanceOf(StoreFailure);
      expect(translated.cause).toBe(unavailable);
      expect(translateEsdbError('boom', {})).toBeInstanceOf(StoreFailure);
    });
  });

  describe('chain fields in the event metadata', () => {
    const fields = { schemaVersion: 2, prevHash: GENESIS_HASH, hash: HASH_A };

    it('round-trips the caller metadata, schema version, prevHash and hash', () => {
      const metadata = contractMetadata({ causationId: 'cause-1' });
      const stored = encodeStoredMetadata(metadata, fields);
      expect(stored).toEqual({
        ...metadata,
        $schemaVersion: 2,
        $chain: { prevHash: GENESIS_HASH, hash: HASH_A },
      });
      // As the server hands it back: parsed JSON.
      expect(decodeStoredMetadata(JSON.parse(JSON.stringify(stored)))).toEqual({ metadata, ...fields });
    });

    it.each([
      ['nothing', undefined],
      ['bytes', new Uint8Array([1, 2])],
      ['an array', []],
      ['no chain', { ...contractMetadata(), $schemaVersion: 1 }],
      ['no schema version', { ...contractMetadata(), $chain: { prevHash: GENESIS_HASH, hash: HASH_A } }],
      [
        'a bad hash',
        { ...contractMetadata(), $schemaVersion: 1, $chain: { prevHash: GENESIS_HASH, hash: 'nope' } },
      ],
      [
        'schema version 0',
        { ...contractMetadata(), $schemaVersion: 0, $chain: { prevHash: GENESIS_HASH, hash: HASH_A } },
      ],
    ])('does not decode metadata with %s', (_label, stored) => {
      expect(decodeStoredMetadata(stored)).toBeUndefined();
    });
  });

  describe('with a fake client', () => {
    const namespace = 'nsunit';
    let position = 100n;
    const stored = (
      streamId: string,
      type: string,
      revision = 0n,
    ): AllStreamResolvedEvent & { event: { position: { commit: bigint } } } => {
      position += 10n;
      const metadata = encodeStoredMetadata(contractMetadata(), {
        schemaVersion: 1,
        prevHash: GENESIS_HASH,
        hash: HASH_A,
      });
      return {
        event: {
          streamId,
          id: crypto.randomUUID(),
          revision,
          type,
          created: new Date(0),
          data: { type },
          metadata: metadata as never,
          isJson: true,
          position: { commit: position, prepare: position },
        },
        commitPosition: position,
      };
    };
    const readable = (items: unknown[]) =>
      Object.assign(Readable.from(items), { cancel: () => Promise.resolve() });

    /** A client whose subscription is the library's own Subscription over a scripted gRPC stream. */
    const fakeClient = (allHead: AllStreamResolvedEvent | undefined) => {
      const grpc = Object.assign(new PassThrough({ objectMode: true }), { cancel: () => grpc.end() });
      const subscribeCalls: EsdbSubscribeToAllOptions[] = [];
      const client = {
        readAll: () => readable(allHead ? [allHead] : []),
        subscribeToAll: (options: EsdbSubscribeToAllOptions) => {
          subscribeCalls.push(options);
          return new ClientSubscription(
            () => Promise.resolve(grpc as never),
            (event: unknown) => event as AllStreamResolvedEvent,
            {},
            options.filter?.checkpointReached,
          );
        },
      } as unknown as EventStoreDBClient;
      const send = {
        event: (resolved: AllStreamResolvedEvent) =>
          grpc.write({ hasEvent: () => true, getEvent: () => resolved }),
        caughtUp: () => grpc.write({ hasCaughtUp: () => true }),
      };
      return { client, send, subscribeCalls };
    };

    const waitFor = async (check: () => boolean) => {
      const deadline = Date.now() + 5_000;
      while (!check()) {
        if (Date.now() > deadline) throw new Error('timed out');
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    };

    it('refuses bad input before any I/O', async () => {
      const store = new EsdbEventStore({ connection: {} as EventStoreDBClient, namespace });
      const metadata = contractMetadata();
      await expect(
        store.append('nodash', [{ type: 'A', data: {}, metadata }], { expectedRevision: 'any' }),
      ).rejects.toBeInstanceOf(InvalidStreamName);
      await expect(
        store.append('ticket-1', [{ type: 'A', data: {}, metadata: { ...metadata, $chain: {} } as never }], {
          expectedRevision: 'any',
        }),
      ).rejects.toBeInstanceOf(InvalidAppend);
      expect(
        () => new EsdbEventStore({ connection: {} as EventStoreDBClient, namespace: 'has-dash' }),
      ).toThrow(RangeError);
    });

    it('has no multi-stream operations: its client has no multi-stream transaction', () => {
      expect(
        supportsMultiStream(new EsdbEventStore({ connection: {} as EventStoreDBClient, namespace })),
      ).toBe(false);
    });

    it('delivers past events before announcing caught-up, then live ones, one at a time, namespace stripped', async () => {
      const past = [
        stored(`${namespace}/ticket-1`, 'P0'),
        stored(`$$${namespace}/ticket-1`, '$metadata'),
        stored(`${namespace}/ticket-1`, 'P1', 1n),
      ];
      const { client, send, subscribeCalls } = fakeClient(past[2]);
      const store = new EsdbEventStore({ connection: client, namespace });
      const delivered: RecordedEvent[] = [];
      let caughtUpAfter: number | undefined;
      let running = 0;
      const subscription = store.subscribeToCategory('ticket', {
        onEvent: async (event) => {
          running += 1;
          expect(running).toBe(1);
          await new Promise((resolve) => setTimeout(resolve, 20));
          delivered.push(event);
          running -= 1;
        },
        onError: (error) => {
          throw error;
        },
        onCaughtUp: () => {
          caughtUpAfter = delivered.length;
        },
      });
      await waitFor(() => subscribeCalls.length === 1);
      expect(subscribeCalls[0]?.filter).toMatchObject({ prefixes: [`${namespace}/ticket-`] });
      // The server sends the history and its caught-up message in one burst, before the slow handler ran.
      for (const event of past) send.event(event);
      send.caughtUp();
      await waitFor(() => caughtUpAfter !== undefined);
      expect(caughtUpAfter).toBe(2);
      send.event(stored(`${namespace}/ticket-2`, 'L0'));
      await waitFor(() => delivered.length === 3);
      await subscription.stop();
      expect(delivered.map((e) => [e.streamName, e.type])).toEqual([
        ['ticket-1', 'P0'],
        ['ticket-1', 'P1'],
        ['ticket-2', 'L0'],
      ]);
      expect(delivered[0]?.metadata).toEqual(contractMetadata());
      expect(delivered[0]).toMatchObject({ prevHash: GENESIS_HASH, hash: HASH_A, schemaVersion: 1 });
    });

    it('reports what the handler threw, as is, and stops', async () => {
      const { client, send, subscribeCalls } = fakeClient(undefined);
      const store = new EsdbEventStore({ connection: client, namespace });
      const failure = new Error('handler failed');
      let reported: unknown;
      const seen: string[] = [];
      const subscription = store.subscribeToAll({
        onEvent: (event) => {
          seen.push(event.type);
          throw failure;
        },
        onError: (error) => {
          reported = error;
        },
      });
      await waitFor(() => subscribeCalls.length === 1);
      send.event(stored(`${namespace}/ticket-1`, 'A'));
      send.event(stored(`${namespace}/ticket-1`, 'B', 1n));
      await waitFor(() => reported !== undefined);
      await subscription.stop();
      expect(reported).toBe(failure);
      expect(seen).toEqual(['A']);
    });

    it('skips events at or before an exclusive checkpoint', async () => {
      const { client, send, subscribeCalls } = fakeClient(undefined);
      const store = new EsdbEventStore({ connection: client, namespace });
      const first = stored(`${namespace}/ticket-1`, 'E0');
      const second = stored(`${namespace}/ticket-1`, 'E1', 1n);
      const seen: string[] = [];
      const subscription = store.subscribeToAll({
        fromPosition: first.event.position.commit,
        onEvent: (event) => {
          seen.push(event.type);
        },
        onError: () => undefined,
      });
      await waitFor(() => subscribeCalls.length === 1);
      expect(subscribeCalls[0]?.fromPosition).toEqual(first.event.position);
      send.event(first);
      send.event(second);
      await waitFor(() => seen.length === 1);
      await subscription.stop();
      expect(seen).toEqual(['E1']);
    });
  });
});
