import crypto from 'node:crypto';
import { mintApiKey, type MintedApiKey } from '@handoff/platform';
import type { BenchContext } from '@handoff/testing';
import { startConversationsService, type RunningConversationsService } from '../src/bootstrap';

export interface BenchService {
  service: RunningConversationsService;
  tenantId: string;
  key: MintedApiKey;
  databaseUrl: string;
  close(): Promise<void>;
}

/** The real service on a database of its own, logs discarded, with one integration key. */
export async function startBenchService(
  ctx: BenchContext,
  label: string,
  tenantId = `bench-${crypto.randomBytes(4).toString('hex')}`,
): Promise<BenchService> {
  const db = await ctx.createDatabase(label);
  const key = mintApiKey(tenantId, ['integration']);
  const service = await startConversationsService(
    {
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: db.url,
      KAFKA_BROKERS: ctx.kafkaBrokers.join(','),
      KAFKA_GROUP_ID: `bench-conversations-${crypto.randomUUID()}`,
      API_KEYS: key.entry,
      LOG_LEVEL: 'error',
      KAFKA_CONCURRENT_PARTITIONS: '6',
    },
    // Errors only, to stderr: a failing request must say why.
    { enableShutdownHooks: false, logDestination: process.stderr },
  );
  return { service, tenantId, key, databaseUrl: db.url, close: () => service.close() };
}

/** A customer message of customer `i % customers`, as the REST API takes it. */
export function restMessage(i: number, customers: number, run: string) {
  const customer = i % customers;
  return {
    channel: 'web_chat',
    channelMessageId: `${run}-m-${i}`,
    channelThreadId: `${run}-thread-${customer}`,
    sender: { kind: 'customer', identity: { kind: 'chat_visitor_id', value: `${run}-visitor-${customer}` } },
    text: `message ${i}: my order has not arrived yet, can you check the tracking number?`,
    sentAt: new Date().toISOString(),
  };
}

export async function post(url: string, key: string, body: unknown): Promise<number> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'x-api-key': key, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  await response.arrayBuffer();
  return response.status;
}

/** The row both baselines insert: the message, keyed for idempotency by its channel message id. */
export const BASELINE_TABLE = `CREATE TABLE IF NOT EXISTS baseline_messages (
  tenant_id text NOT NULL, channel text NOT NULL, channel_message_id text NOT NULL,
  thread_id text, sender jsonb NOT NULL, text text NOT NULL, sent_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, channel, channel_message_id))`;

export const BASELINE_INSERT = `INSERT INTO baseline_messages
  (tenant_id, channel, channel_message_id, thread_id, sender, text, sent_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`;

export const baselineRow = (tenantId: string, m: ReturnType<typeof restMessage>) => [
  tenantId,
  m.channel,
  m.channelMessageId,
  m.channelThreadId,
  JSON.stringify(m.sender),
  m.text,
  m.sentAt,
];
