import crypto from 'node:crypto';
import { Writable } from 'node:stream';
import { mintApiKey } from '@handoff/platform';
import { createIsolatedDatabase, testInfrastructure, type IsolatedDatabase } from '@handoff/testing';
import { Client } from 'pg';
import { startConversationsService, type RunningConversationsService } from './bootstrap';

jest.setTimeout(120_000);

/** The tables every ingestion reads or writes, which grow with every message. */
const HOT_TABLES = [
  'conversations_events.streams',
  'conversations_events.events',
  'conversations.tickets',
  'conversations.ticket_threads',
  'conversations.timeline_items',
  'conversations.customer_identities',
];

const suffix = crypto.randomBytes(4).toString('hex');
const TENANT = `plans-${suffix}`;
const key = mintApiKey(TENANT, ['integration']);
let db: IsolatedDatabase;

const start = (planner?: string): Promise<RunningConversationsService> => {
  const infra = testInfrastructure();
  return startConversationsService(
    {
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: db.url,
      KAFKA_BROKERS: infra.kafkaBrokers.join(','),
      KAFKA_GROUP_ID: `plans-${crypto.randomUUID()}`,
      API_KEYS: key.entry,
      LOG_LEVEL: 'error',
      ...(planner === undefined ? {} : { DB_PLANNER: planner }),
    },
    { enableShutdownHooks: false, logDestination: new Writable({ write: (_c, _e, done) => done() }) },
  );
};

/** A query of the statistics views, on a connection of its own (not one whose counters it reads). */
async function statistics<Row extends object>(text: string, values: unknown[]): Promise<Row[]> {
  const client = new Client({ connectionString: db.url });
  await client.connect();
  try {
    return (await client.query<Row>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** Sequential scans of each hot table so far, as the statistics collector has them. */
async function sequentialScans(): Promise<Record<string, number>> {
  const rows = await statistics<{ name: string; seq_scan: string }>(
    `SELECT schemaname || '.' || relname AS name, seq_scan FROM pg_stat_user_tables
      WHERE schemaname || '.' || relname = ANY($1::text[])`,
    [HOT_TABLES],
  );
  return Object.fromEntries(rows.map((r) => [r.name, Number(r.seq_scan)]));
}

/**
 * Index scans and the index entries they read, of each index of the tables looked up by key only
 * (`tickets`, `streams`), by index name: about one entry per scan when every scan is a lookup by key.
 */
async function indexReads(): Promise<Record<string, { scans: number; read: number }>> {
  const rows = await statistics<{ name: string; idx_scan: string; idx_tup_read: string }>(
    `SELECT indexrelname AS name, idx_scan, idx_tup_read FROM pg_stat_user_indexes
      WHERE schemaname || '.' || relname = ANY($1::text[])`,
    [['conversations.tickets', 'conversations_events.streams']],
  );
  return Object.fromEntries(
    rows.map((r) => [r.name, { scans: Number(r.idx_scan), read: Number(r.idx_tup_read) }]),
  );
}

/** Counters of the sessions that ended are flushed as they end; polls until two reads agree. */
async function settledSequentialScans(): Promise<Record<string, number>> {
  let last = await sequentialScans();
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 300));
    const now = await sequentialScans();
    if (JSON.stringify(now) === JSON.stringify(last)) return now;
    last = now;
  }
}

/** Waves of concurrent REST messages: new customers first, then the same customers again. */
async function ingest(service: RunningConversationsService, waves: number): Promise<void> {
  const run = crypto.randomBytes(3).toString('hex');
  for (let wave = 0; wave < waves; wave++) {
    const statuses = await Promise.all(
      Array.from({ length: 24 }, async (_, c) => {
        const response = await fetch(`${service.url}/v1/messages`, {
          method: 'POST',
          headers: { 'x-api-key': key.key, 'content-type': 'application/json' },
          body: JSON.stringify({
            channel: 'web_chat',
            channelMessageId: `${run}-${wave}-${c}`,
            channelThreadId: `${run}-thread-${c}`,
            sender: { kind: 'customer', identity: { kind: 'chat_visitor_id', value: `${run}-visitor-${c}` } },
            text: `wave ${wave} of customer ${c}`,
            sentAt: new Date().toISOString(),
          }),
        });
        await response.arrayBuffer();
        return response.status;
      }),
    );
    expect(statuses.filter((s) => s !== 201)).toEqual([]);
  }
}

beforeEach(async () => {
  db = await createIsolatedDatabase('conversations_plans');
});

afterEach(async () => {
  await db?.drop();
});

interface Scans {
  /** Sequential scans of each hot table. */
  sequential: Record<string, number>;
  /** Index entries read per scan, by index of `tickets` and `streams` (those scanned). */
  readPerIndexScan: Record<string, number>;
}

/** How the hot tables were scanned while a new process ingested into them from empty. */
async function scansWhileIngesting(planner: 'oltp' | 'postgres'): Promise<Scans> {
  // The schema, then the counters of what its migrations scanned (their sessions ended).
  await (await start(planner)).close();
  const before = await settledSequentialScans();
  const indexesBefore = await indexReads();
  expect(Object.keys(before).sort()).toEqual([...HOT_TABLES].sort());
  // A new process on the still empty tables: each connection plans its statements on empty tables.
  const service = await start(planner);
  try {
    await ingest(service, 6);
  } finally {
    await service.close();
  }
  const after = await settledSequentialScans();
  const indexesAfter = await indexReads();
  const readPerIndexScan: Record<string, number> = {};
  for (const [index, counts] of Object.entries(indexesAfter)) {
    const scans = counts.scans - (indexesBefore[index]?.scans ?? 0);
    if (scans > 0) readPerIndexScan[index] = (counts.read - (indexesBefore[index]?.read ?? 0)) / scans;
  }
  return {
    sequential: Object.fromEntries(
      HOT_TABLES.map((table) => [table, (after[table] ?? 0) - (before[table] ?? 0)]),
    ),
    readPerIndexScan,
  };
}

describe('planner settings (real PostgreSQL and Kafka)', () => {
  it('DB_PLANNER=oltp: no statement scans a hot table, though each was planned once, on empty tables', async () => {
    const scans = await scansWhileIngesting('oltp');
    expect(scans.sequential).toEqual(Object.fromEntries(HOT_TABLES.map((t) => [t, 0])));
    // Tickets and stream heads are found by key: about one entry per index scan (24 customers,
    // one ticket each; a scan of a tenant's tickets would read up to 24).
    expect(Object.keys(scans.readPerIndexScan)).toEqual(
      expect.arrayContaining(['tickets_pkey', 'tickets_open_by_customer', 'streams_pkey']),
    );
    expect(Object.entries(scans.readPerIndexScan).filter(([, read]) => read > 1.5)).toEqual([]);
  });

  it("DB_PLANNER=postgres: PostgreSQL's own choices scan the small tables (what the counters above would see)", async () => {
    const scans = await scansWhileIngesting('postgres');
    expect(Object.values(scans.sequential).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  });
});
