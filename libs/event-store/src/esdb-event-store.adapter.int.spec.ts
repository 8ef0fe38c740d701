import crypto from 'node:crypto';
import { EventStoreDBClient } from '@eventstore/db-client';
import { testInfrastructure } from '@handoff/testing';
import { contractMetadata, eventStoreContract } from './event-store.contract';
import { EsdbEventStore, toEsdbConnectionString } from './esdb-event-store.adapter';

const { esdbConnectionString, esdbSource } = testInfrastructure();

if (esdbConnectionString) {
  let client: EventStoreDBClient;
  const stores: EsdbEventStore[] = [];

  beforeAll(() => {
    client = EventStoreDBClient.connectionString(toEsdbConnectionString(esdbConnectionString));
  });

  afterAll(async () => {
    await Promise.all(stores.map((store) => store.close()));
    await client?.dispose();
  });

  /** One node for the run; every store gets a namespace of its own, so global reads see one test's events. */
  const makeStore = (options: Partial<ConstructorParameters<typeof EsdbEventStore>[0]> = {}) => {
    const store = new EsdbEventStore({
      connection: client,
      namespace: `t${crypto.randomBytes(6).toString('hex')}`,
      ...options,
    });
    stores.push(store);
    return store;
  };

  eventStoreContract(
    `EventStoreDB (${esdbSource ?? 'unknown source'})`,
    (options) => Promise.resolve(makeStore(options)),
    { globallyUniqueEventIds: false, multiStream: false },
  );

  describe('EventStoreDB adapter', () => {
    it('keeps namespaces apart and stores the chain in the event metadata', async () => {
      const namespace = `t${crypto.randomBytes(6).toString('hex')}`;
      const a = makeStore({ namespace });
      const b = makeStore();
      await a.append('ticket-1', [{ type: 'Opened', data: { n: 1 }, metadata: contractMetadata() }], {
        expectedRevision: 'no-stream',
      });
      await b.append('ticket-1', [{ type: 'Opened', data: { n: 2 }, metadata: contractMetadata() }], {
        expectedRevision: 'no-stream',
      });
      const [fromA] = await a.readStream('ticket-1');
      expect(fromA).toMatchObject({ streamName: 'ticket-1', data: { n: 1 } });
      expect((await b.readAll()).map((event) => event.data)).toEqual([{ n: 2 }]);
      expect(fromA?.metadata).not.toHaveProperty('$chain');
      const raw: unknown[] = [];
      for await (const resolved of client.readStream(`${namespace}/ticket-1`))
        raw.push(resolved.event?.metadata);
      expect(raw).toEqual([
        expect.objectContaining({
          $schemaVersion: 1,
          $chain: { prevHash: fromA?.prevHash, hash: fromA?.hash },
        }),
      ]);
    });
  });
} else {
  describe('EventStoreDB adapter', () => {
    it('EventStoreDB adapter: not run — set ESDB_CONNECTION_STRING or run a Docker engine', () => {
      expect(testInfrastructure().esdbConnectionString).toBeUndefined();
    });
  });
}
