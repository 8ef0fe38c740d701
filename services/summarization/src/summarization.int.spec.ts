// The service in-process on real PostgreSQL and Kafka: conversation and escalation events produced
// onto their topics, briefs and repeats read back from the real summarization topic, REST checked
// for tenancy and roles.
import crypto from 'node:crypto';
import {
  eventsTopic,
  fromKafkaMessage,
  publicEventExamples,
  sourceOf,
  toKafkaMessage,
  validatePublicEvent,
  type PublicEventEnvelope,
} from '@handoff/contracts';
import { mintApiKey } from '@handoff/platform';
import {
  createIsolatedDatabase,
  testInfrastructure,
  uniqueName,
  type IsolatedDatabase,
} from '@handoff/testing';
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import { startSummarizationService, type RunningSummarizationService } from './bootstrap';

const { kafkaBrokers } = testInfrastructure();
const TENANT_A = 'tenant-sum-a';
const TENANT_B = 'tenant-sum-b';
const agentA = mintApiKey(TENANT_A, ['agent']);
const supervisorA = mintApiKey(TENANT_A, ['supervisor']);
const auditorA = mintApiKey(TENANT_A, ['auditor']);
const agentB = mintApiKey(TENANT_B, ['agent']);

let database: IsolatedDatabase;
let service: RunningSummarizationService;
let producer: Producer;
let reader: Consumer;
const published: PublicEventEnvelope[] = [];
const kafka = new Kafka({ clientId: 'summarization-int', brokers: kafkaBrokers, logLevel: logLevel.NOTHING });

beforeAll(async () => {
  database = await createIsolatedDatabase('summarization');
  service = await startSummarizationService(
    {
      DATABASE_URL: database.url,
      KAFKA_BROKERS: kafkaBrokers.join(','),
      API_KEYS: [agentA, supervisorA, auditorA, agentB].map((k) => k.entry).join(','),
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'error',
      KAFKA_GROUP_ID: uniqueName('summarization'),
      KAFKA_PARTITIONS: '2',
      BRIEF_INCREMENTAL_EVERY: '0',
    },
    { enableShutdownHooks: false },
  );
  producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  reader = kafka.consumer({ groupId: uniqueName('summarization-reader') });
  await reader.connect();
  await reader.subscribe({ topic: eventsTopic('summarization'), fromBeginning: true });
  await reader.run({
    eachMessage: async ({ message }) => {
      published.push(fromKafkaMessage(message));
      await Promise.resolve();
    },
  });
}, 120_000);

afterAll(async () => {
  await reader?.disconnect();
  await producer?.disconnect();
  await service?.close();
  await database?.drop();
}, 60_000);

async function waitFor<T>(find: () => T | undefined, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function send(context: 'conversations' | 'escalation', event: PublicEventEnvelope): Promise<void> {
  await producer.send({ topic: eventsTopic(context), acks: -1, messages: [toKafkaMessage(event)] });
}

const envelope = (
  context: string,
  type: string,
  tenantId: string,
  ticketId: string,
  data: Record<string, unknown>,
) =>
  ({
    id: crypto.randomUUID(),
    source: sourceOf(context),
    type,
    subject: ticketId,
    time: new Date().toISOString(),
    tenantId,
    data: { ...data, tenantId, ticketId },
  }) as PublicEventEnvelope;

const message = (
  tenantId: string,
  ticketId: string,
  sequence: number,
  sender: 'customer' | 'bot' | 'agent',
  text: string,
) =>
  envelope('conversations', 'dev.handoff.conversations.MessageReceived.v1', tenantId, ticketId, {
    ...publicEventExamples['dev.handoff.conversations.MessageReceived.v1'],
    messageId: `${ticketId}-m${sequence}`,
    channelMessageId: `${ticketId}-c${sequence}`,
    sequence,
    sender: { kind: sender, id: `${sender}-1` },
    text,
    attachments: [],
    sentAt: new Date(Date.UTC(2026, 0, 10, 9, sequence)).toISOString(),
  });

const handoffRequested = (tenantId: string, ticketId: string, handoffId: string, position: number) =>
  envelope('escalation', 'dev.handoff.escalation.HandoffRequested.v1', tenantId, ticketId, {
    ...publicEventExamples['dev.handoff.escalation.HandoffRequested.v1'],
    handoffId,
    conversationPosition: String(position),
  });

const handoffAccepted = (tenantId: string, ticketId: string, handoffId: string) =>
  envelope('escalation', 'dev.handoff.escalation.HandoffAccepted.v1', tenantId, ticketId, {
    ...publicEventExamples['dev.handoff.escalation.HandoffAccepted.v1'],
    handoffId,
  });

const http = (path: string, key: string, init: RequestInit = {}) =>
  fetch(`${service.url}${path}`, {
    ...init,
    headers: {
      'x-api-key': key,
      ...(init.body ? { 'content-type': 'application/json' } : {}),
      ...(init.headers ?? {}),
    },
  });

const briefOf = (ticketId: string, handoffId: string) => () =>
  published.find(
    (e) =>
      e.type === 'dev.handoff.summarization.BriefPrepared.v1' &&
      e.subject === ticketId &&
      (e.data as { handoffId?: string }).handoffId === handoffId,
  );

describe('summarization service (PostgreSQL + Kafka)', () => {
  const ticketId = `tkt-${crypto.randomUUID()}`;
  const handoffId = `hnd-${crypto.randomUUID()}`;

  it('publishes a BriefPrepared covering the requested position when a handoff is requested', async () => {
    await send(
      'conversations',
      message(TENANT_A, ticketId, 1, 'customer', 'My order 77123 never arrived and I was charged $30.00.'),
    );
    await send(
      'conversations',
      message(TENANT_A, ticketId, 2, 'bot', 'I have checked the tracking: the parcel was lost.'),
    );
    await send('conversations', message(TENANT_A, ticketId, 3, 'customer', 'I want a refund please.'));
    const request = handoffRequested(TENANT_A, ticketId, handoffId, 3);
    await send('escalation', request);

    const event = await waitFor(briefOf(ticketId, handoffId), 'BriefPrepared');
    // Redelivery (same event id) and a re-sent request (new event id) add no version.
    await send('escalation', request);
    await send('escalation', { ...request, id: crypto.randomUUID() });
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const briefs = published.filter(
      (e) => e.type === 'dev.handoff.summarization.BriefPrepared.v1' && e.subject === ticketId,
    );
    expect(briefs).toHaveLength(1);
    expect(validatePublicEvent(event.type, event.data).ok).toBe(true);
    expect(event.tenantId).toBe(TENANT_A);
    expect(event.data).toMatchObject({
      ticketId,
      handoffId,
      trigger: 'handoff_requested',
      coversPosition: '3',
      coversMessageId: `${ticketId}-m3`,
      version: 1,
      messagesSinceCovered: 0,
      keyFacts: expect.arrayContaining([
        expect.objectContaining({ kind: 'order_number', value: '77123', evidence: [`${ticketId}-m1`] }),
      ]) as unknown,
    });
  }, 60_000);

  it('serves the latest brief and its versions to the tenant only, auditors included', async () => {
    const latest = await http(`/v1/tickets/${ticketId}/brief`, agentA.key);
    expect(latest.status).toBe(200);
    expect(await latest.json()).toMatchObject({ version: 1, coversPosition: '3', handoffId });
    expect((await http(`/v1/tickets/${ticketId}/brief/versions/1`, auditorA.key)).status).toBe(200);
    const missing = await http(`/v1/tickets/${ticketId}/brief/versions/9`, agentA.key);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/application\/problem\+json/);
    const otherTenant = await http(`/v1/tickets/${ticketId}/brief`, agentB.key);
    expect(otherTenant.status).toBe(404);
    expect((await http(`/v1/tickets/${ticketId}/brief/versions/abc`, agentA.key)).status).toBe(400);
    expect((await http(`/v1/tickets/${ticketId}/brief`, '')).status).toBe(401);
  });

  it('refuses writes to auditors and records on-demand briefs for agents', async () => {
    expect((await http(`/v1/tickets/${ticketId}/brief`, auditorA.key, { method: 'POST' })).status).toBe(403);
    const taxonomy = { intents: [{ name: 'refund', examples: ['I want my money back'] }] };
    expect(
      (await http('/v1/intent-taxonomy', auditorA.key, { method: 'PUT', body: JSON.stringify(taxonomy) }))
        .status,
    ).toBe(403);
    const onDemand = await http(`/v1/tickets/${ticketId}/brief`, agentA.key, { method: 'POST' });
    expect(onDemand.status).toBe(201);
    expect(await onDemand.json()).toMatchObject({ version: 2, trigger: 'on_demand' });
    expect((await http(`/v1/tickets/${ticketId}/brief`, agentB.key, { method: 'POST' })).status).toBe(404);
  });

  it('detects a repeat after the handoff is accepted and publishes it with the handoff id', async () => {
    await send('escalation', handoffAccepted(TENANT_A, ticketId, handoffId));
    await send(
      'conversations',
      message(TENANT_A, ticketId, 4, 'agent', 'Hello, I am taking over. How can I help?'),
    );
    await send(
      'conversations',
      message(TENANT_A, ticketId, 5, 'customer', 'As I told the last person, order 77123 never arrived.'),
    );
    const repeat = await waitFor(
      () =>
        published.find(
          (e) =>
            e.type === 'dev.handoff.summarization.RepeatedInformationDetected.v1' && e.subject === ticketId,
        ),
      'RepeatedInformationDetected',
    );
    expect(validatePublicEvent(repeat.type, repeat.data).ok).toBe(true);
    expect(repeat.data).toMatchObject({
      handoffId,
      messageId: `${ticketId}-m5`,
      repeatKind: 'explicit_cue',
      repeatedFacts: [{ kind: 'order_number', value: '77123', firstSeenIn: [`${ticketId}-m1`] }],
      brief: { version: 1 },
    });
  }, 60_000);

  it('waits for the transcript when the request names a position not yet read', async () => {
    const late = `tkt-${crypto.randomUUID()}`;
    const lateHandoff = `hnd-${crypto.randomUUID()}`;
    await send('conversations', message(TENANT_A, late, 1, 'customer', 'My account is locked.'));
    await send('escalation', handoffRequested(TENANT_A, late, lateHandoff, 2));
    await send('conversations', message(TENANT_A, late, 2, 'customer', 'I cannot log in since yesterday.'));
    const event = await waitFor(briefOf(late, lateHandoff), 'late BriefPrepared');
    expect(event.data).toMatchObject({ coversPosition: '2' });
  }, 60_000);

  it("keeps tenants apart: another tenant's brief is neither visible nor mixed with tenant A's facts", async () => {
    const handoffB = `hnd-${crypto.randomUUID()}`;
    await send('conversations', message(TENANT_B, `b-${ticketId}`, 1, 'customer', 'Where is my parcel?'));
    await send('escalation', handoffRequested(TENANT_B, `b-${ticketId}`, handoffB, 1));
    const event = await waitFor(briefOf(`b-${ticketId}`, handoffB), 'tenant B brief');
    expect(event.tenantId).toBe(TENANT_B);
    expect(JSON.stringify(event.data)).not.toContain('77123');
    expect((await http(`/v1/tickets/b-${ticketId}/brief`, agentA.key)).status).toBe(404);
    expect((await http(`/v1/tickets/b-${ticketId}/brief`, agentB.key)).status).toBe(200);
  }, 60_000);

  it('previews a brief without storing it, and answers bad input with problem+json', async () => {
    const body = {
      messages: [
        {
          id: 'p1',
          sender: 'customer',
          text: 'I was charged twice for order 5512, please refund 12.50 EUR.',
          sentAt: '2026-01-10T09:00:00Z',
        },
        { id: 'p2', sender: 'agent', text: 'I have refunded 12.50 EUR.', sentAt: '2026-01-10T09:05:00Z' },
      ],
    };
    const preview = await http('/v1/briefs/preview', agentA.key, {
      method: 'POST',
      body: JSON.stringify(body),
    });
    expect(preview.status).toBe(200);
    expect(await preview.json()).toMatchObject({
      coversPosition: '2',
      keyFacts: expect.arrayContaining([
        expect.objectContaining({ kind: 'amount', normalized: '12.50 EUR' }),
      ]) as unknown,
    });
    const bad = await http('/v1/briefs/preview', agentA.key, {
      method: 'POST',
      body: JSON.stringify({ messages: [{ id: 'x', sender: 'robot', text: 1, sentAt: 'yesterday' }] }),
    });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toMatch(/application\/problem\+json/);
  });

  it('stores a tenant taxonomy and uses it for previews', async () => {
    const taxonomy = {
      intents: [
        { name: 'lost_parcel', examples: ['my parcel is lost', 'the package never arrived'] },
        { name: 'password_reset', examples: ['reset my password', 'I forgot my password'] },
      ],
    };
    const put = await http('/v1/intent-taxonomy', supervisorA.key, {
      method: 'PUT',
      body: JSON.stringify(taxonomy),
    });
    expect(put.status).toBe(200);
    expect(await (await http('/v1/intent-taxonomy', auditorA.key)).json()).toMatchObject({
      revision: 1,
      isDefault: false,
    });
    expect(await (await http('/v1/intent-taxonomy', agentB.key)).json()).toMatchObject({ isDefault: true });
    const preview = await http('/v1/briefs/preview', agentA.key, {
      method: 'POST',
      body: JSON.stringify({
        messages: [
          {
            id: 'q1',
            sender: 'customer',
            text: 'I forgot my password again',
            sentAt: '2026-01-10T09:00:00Z',
          },
        ],
      }),
    });
    expect(await preview.json()).toMatchObject({ intent: { label: 'password_reset' } });
    const invalid = await http('/v1/intent-taxonomy', supervisorA.key, {
      method: 'PUT',
      body: JSON.stringify({
        intents: [
          { name: 'a', examples: ['x'] },
          { name: 'a', examples: ['y'] },
        ],
      }),
    });
    expect(invalid.status).toBe(400);
  });
});
