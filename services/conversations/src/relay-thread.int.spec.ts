import crypto from 'node:crypto';
import { Writable } from 'node:stream';
import { eventsTopic } from '@handoff/contracts';
import { mintApiKey } from '@handoff/platform';
import { createIsolatedDatabase, testInfrastructure, type IsolatedDatabase } from '@handoff/testing';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { startConversationsService, type RunningConversationsService } from './bootstrap';

jest.setTimeout(120_000);

// The service with RELAY_THREAD=true: its public events are published by the relay on a worker
// thread (the module's own factory, its own connections), and closing the service ends the thread.
let db: IsolatedDatabase;
let service: RunningConversationsService | undefined;
const tenant = `conv-thread-${crypto.randomBytes(4).toString('hex')}`;
const key = mintApiKey(tenant, ['integration']);
const kafka = new Kafka({
  clientId: 'conversations-relay-thread-int',
  brokers: testInfrastructure().kafkaBrokers,
  logLevel: logLevel.NOTHING,
});

beforeAll(async () => {
  db = await createIsolatedDatabase('conversations_relay_thread');
  service = await startConversationsService(
    {
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: db.url,
      KAFKA_BROKERS: testInfrastructure().kafkaBrokers.join(','),
      KAFKA_GROUP_ID: `conversations-relay-thread-${crypto.randomUUID()}`,
      API_KEYS: key.entry,
      LOG_LEVEL: 'warn',
      RELAY_THREAD: 'true',
    },
    { enableShutdownHooks: false, logDestination: new Writable({ write: (_c, _e, done) => done() }) },
  );
});

afterAll(async () => {
  await service?.close();
  await db?.drop();
});

it('publishes the events of an ingested message from the relay thread', async () => {
  const response = await fetch(`${service!.url}/v1/messages`, {
    method: 'POST',
    headers: { 'x-api-key': key.key, 'content-type': 'application/json' },
    body: JSON.stringify({
      channel: 'email',
      channelMessageId: crypto.randomUUID(),
      channelThreadId: crypto.randomUUID(),
      sender: { kind: 'customer', identity: { kind: 'email', value: `${tenant}@example.com` } },
      text: 'The invoice is wrong.',
      sentAt: new Date().toISOString(),
    }),
  });
  expect(response.status).toBe(201);
  const { ticketId, messageId } = (await response.json()) as { ticketId: string; messageId: string };

  const types = new Set<string>();
  const consumer = kafka.consumer({ groupId: `relay-thread-reader-${crypto.randomUUID()}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: eventsTopic('conversations'), fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${[...types].join(', ')} arrived`)), 60_000);
      void consumer.run({
        eachMessage: ({ message }) => {
          if (message.key?.toString() === ticketId) {
            types.add(message.headers?.['ce_type']?.toString() ?? '');
            const body = JSON.parse(message.value?.toString() ?? '{}') as { messageId?: string };
            if (body.messageId === messageId && types.has('dev.handoff.conversations.TicketOpened.v1')) {
              clearTimeout(timer);
              resolve();
            }
          }
          return Promise.resolve();
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  expect(types).toEqual(
    new Set(['dev.handoff.conversations.TicketOpened.v1', 'dev.handoff.conversations.MessageReceived.v1']),
  );

  // It was the thread's relay: its own pool (application_name conversations-relay) is connected.
  expect(await relayConnections()).toBeGreaterThan(0);
  // Closing the service stops the thread and closes its connections.
  await service!.close();
  service = undefined;
  // A backend leaves pg_stat_activity a moment after its client disconnected.
  const deadline = Date.now() + 10_000;
  while ((await relayConnections()) > 0 && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 100));
  expect(await relayConnections()).toBe(0);
});

async function relayConnections(): Promise<number> {
  const client = new Client({ connectionString: db.url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>(
      `SELECT count(*) AS n FROM pg_stat_activity
        WHERE datname = current_database() AND application_name = 'conversations-relay'`,
    );
    return Number(rows[0]?.n);
  } finally {
    await client.end();
  }
}
