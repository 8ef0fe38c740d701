import crypto from 'node:crypto';
import {
  deadLetterTopic,
  eventsTopic,
  inboundTopic,
  sourceOf,
  toKafkaMessage,
  type PublicEventEnvelope,
} from '@handoff/contracts';
import { ConsumerMetrics } from '@handoff/messaging';
import { mintApiKey, type MintedApiKey } from '@handoff/platform';
import { createIsolatedDatabase, testInfrastructure, type IsolatedDatabase } from '@handoff/testing';
import { Kafka, logLevel, type IHeaders, type Producer } from 'kafkajs';
import { Writable } from 'node:stream';
import { Client } from 'pg';
import { startConversationsService, type RunningConversationsService } from './bootstrap';

jest.setTimeout(120_000);

const suffix = crypto.randomBytes(4).toString('hex');
const TENANT_A = `conv-a-${suffix}`;
const TENANT_B = `conv-b-${suffix}`;
const uid = (label: string) => `${label}-${crypto.randomBytes(6).toString('hex')}`;

interface Reply<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
}

let db: IsolatedDatabase;
let service: RunningConversationsService;
let kafka: Kafka;
let producer: Producer;
const keys: Record<'agentA' | 'integrationA' | 'auditorA' | 'agentB' | 'supervisorA', MintedApiKey> = {
  agentA: mintApiKey(TENANT_A, ['agent']),
  integrationA: mintApiKey(TENANT_A, ['integration']),
  auditorA: mintApiKey(TENANT_A, ['auditor']),
  supervisorA: mintApiKey(TENANT_A, ['supervisor']),
  agentB: mintApiKey(TENANT_B, ['agent']),
};

async function call<T = Record<string, unknown>>(
  method: 'GET' | 'POST',
  path: string,
  key: MintedApiKey,
  body?: unknown,
): Promise<Reply<T>> {
  const response = await fetch(`${service.url}${path}`, {
    method,
    headers: { 'x-api-key': key.key, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : {}) as T, headers: response.headers };
}

const message = (overrides: Record<string, unknown> = {}) => ({
  channel: 'web_chat',
  channelMessageId: uid('msg'),
  channelThreadId: uid('thread'),
  sender: { kind: 'customer', identity: { kind: 'chat_visitor_id', value: uid('visitor') } },
  text: 'Hello, my order did not arrive',
  sentAt: new Date().toISOString(),
  ...overrides,
});

interface TimelineItem {
  itemId: string;
  kind: string;
  source: string;
  channel: string | null;
  actor: { kind: string; id: string };
  sequence: number | null;
  occurredAt: string;
  data: Record<string, unknown>;
}

async function timeline(ticketId: string, key = keys.agentA, limit = 500): Promise<TimelineItem[]> {
  const items: TimelineItem[] = [];
  let cursor: string | null = null;
  do {
    const query: string = `?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`;
    const page: Reply<{ items: TimelineItem[]; nextCursor: string | null }> = await call(
      'GET',
      `/v1/tickets/${ticketId}/timeline${query}`,
      key,
    );
    expect(page.status).toBe(200);
    items.push(...page.body.items);
    cursor = page.body.nextCursor;
  } while (cursor);
  return items;
}

async function eventually<T>(
  probe: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

interface Consumed {
  key: string | undefined;
  value: string | undefined;
  headers: IHeaders;
}

/** Reads `topic` from the beginning until `done` holds for what was read (or fails after the timeout). */
async function readTopic(
  topic: string,
  done: (seen: Consumed[]) => boolean,
  timeoutMs = 30_000,
): Promise<Consumed[]> {
  const consumer = kafka.consumer({ groupId: uid('reader') });
  const seen: Consumed[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${topic}: condition not met after ${seen.length} messages`)),
        timeoutMs,
      );
      void consumer.run({
        eachMessage: ({ message: m }) => {
          seen.push({ key: m.key?.toString(), value: m.value?.toString(), headers: m.headers ?? {} });
          if (done(seen)) {
            clearTimeout(timer);
            resolve();
          }
          return Promise.resolve();
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

const header = (headers: IHeaders, name: string) => headers[name]?.toString();

async function produce(topic: string, envelope: PublicEventEnvelope) {
  await producer.send({ topic, acks: -1, messages: [toKafkaMessage(envelope)] });
}

function channelMessage(data: Record<string, unknown>): PublicEventEnvelope {
  return {
    id: crypto.randomUUID(),
    source: '/connectors/test',
    type: 'dev.handoff.inbound.ChannelMessage.v1',
    subject: data['channelThreadId'] as string,
    time: new Date().toISOString(),
    tenantId: TENANT_A,
    data: { tenantId: TENANT_A, attachments: [], ...data },
  } as unknown as PublicEventEnvelope;
}

async function ticketCount(tenantId: string): Promise<number> {
  const client = new Client({ connectionString: db.url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>(
      'SELECT count(*) AS n FROM conversations.tickets WHERE tenant_id = $1',
      [tenantId],
    );
    return Number(rows[0]?.n);
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  const infra = testInfrastructure();
  db = await createIsolatedDatabase('conversations');
  kafka = new Kafka({
    clientId: 'conversations-int',
    brokers: infra.kafkaBrokers,
    logLevel: logLevel.NOTHING,
  });
  producer = kafka.producer({ allowAutoTopicCreation: false });
  service = await startConversationsService(
    {
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: db.url,
      KAFKA_BROKERS: infra.kafkaBrokers.join(','),
      KAFKA_GROUP_ID: uid('handoff.conversations.test'),
      API_KEYS: Object.values(keys)
        .map((k) => k.entry)
        .join(','),
      MAX_MESSAGE_CHARS: '500',
      LOG_LEVEL: 'warn',
    },
    { enableShutdownHooks: false, logDestination: new Writable({ write: (_c, _e, done) => done() }) },
  );
  await producer.connect();
});

afterAll(async () => {
  await producer?.disconnect();
  await service?.close();
  await db?.drop();
});

describe('conversations service (real PostgreSQL and Kafka)', () => {
  it('ingests a REST message once: a re-send returns the same result and appends nothing', async () => {
    const body = message();
    const first = await call('POST', '/v1/messages', keys.integrationA, body);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ sequence: 1, rule: 'new-ticket' });
    expect(first.headers.get('idempotent-replayed')).toBeNull();

    const again = await call('POST', '/v1/messages', keys.integrationA, {
      ...body,
      text: 'edited by a retry',
    });
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');

    // Concurrent re-sends race on the inbound-<hash> stream: exactly one message in the timeline.
    const concurrent = message();
    const replies = await Promise.all(
      Array.from({ length: 6 }, () => call('POST', '/v1/messages', keys.integrationA, concurrent)),
    );
    expect(new Set(replies.map((r) => JSON.stringify(r.body))).size).toBe(1);
    expect(replies.every((r) => r.status === 201)).toBe(true);
    const ticketId = replies[0]?.body['ticketId'] as string;
    const items = await timeline(ticketId);
    expect(items.filter((i) => i.kind === 'MessageReceived')).toHaveLength(1);
    expect(
      (await timeline(first.body['ticketId'] as string)).filter((i) => i.kind === 'MessageReceived'),
    ).toHaveLength(1);
  });

  it('ingests concurrent REST messages of many customers together: one ticket each, gapless sequences, readable once answered', async () => {
    // 8 customers × 5 messages posted at once (they are ingested in shared batches), every third
    // message re-sent concurrently, and one customer writing on two threads at once.
    const customers = Array.from({ length: 8 }, (_, c) => ({
      visitor: uid(`batch-visitor-${c}`),
      threads: c === 0 ? [uid('batch-thread'), uid('batch-thread')] : [uid('batch-thread')],
    }));
    const bodies = customers.flatMap((customer, c) =>
      Array.from({ length: 5 }, (_, n) =>
        message({
          channelThreadId: customer.threads[n % customer.threads.length],
          sender: { kind: 'customer', identity: { kind: 'chat_visitor_id', value: customer.visitor } },
          text: `customer ${c} message ${n}`,
        }),
      ),
    );
    const posted = [...bodies, ...bodies.filter((_, i) => i % 3 === 0)];
    const replies = await Promise.all(
      posted.map(async (body) => {
        const reply = await call<{
          ticketId: string;
          messageId: string;
          sequence: number;
          customerId: string;
        }>('POST', '/v1/messages', keys.integrationA, body);
        // Read-your-writes: once answered, the message is in its ticket's timeline.
        const items = reply.status === 201 ? await timeline(reply.body.ticketId) : [];
        return { body, reply, seen: items.some((i) => i.itemId === reply.body.messageId) };
      }),
    );
    expect(replies.filter((r) => r.reply.status !== 201)).toEqual([]);
    expect(replies.filter((r) => !r.seen).map((r) => r.body.text)).toEqual([]);
    // A re-send answers exactly what the first delivery answered.
    const byChannelId = new Map<string, string>();
    for (const { body, reply } of replies) {
      const answer = JSON.stringify(reply.body);
      expect(byChannelId.get(body.channelMessageId) ?? answer).toBe(answer);
      byChannelId.set(body.channelMessageId, answer);
    }
    for (const [c] of customers.entries()) {
      const mine = replies.filter((r) => String(r.body.text).startsWith(`customer ${c} `));
      expect(new Set(mine.map((r) => r.reply.body.customerId)).size).toBe(1);
      const ticketIds = new Set(mine.map((r) => r.reply.body.ticketId));
      expect(ticketIds.size).toBe(1);
      const items = (await timeline([...ticketIds][0]!)).filter((i) => i.kind === 'MessageReceived');
      expect(items.map((i) => i.sequence).sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual([1, 2, 3, 4, 5]);
    }
  });

  it("ingests concurrent agent and bot replies with customer messages: each reply in its thread's ticket, by its sender", async () => {
    // 6 customers open a ticket each; then their follow-ups, an agent's and a bot's reply on every
    // thread and an agent's message on a thread nobody opened are posted at once (shared batches).
    const customers = Array.from({ length: 6 }, (_, c) => ({
      visitor: uid(`reply-visitor-${c}`),
      thread: uid('reply-thread'),
    }));
    const customerMessage = (c: number, text: string) =>
      message({
        channelThreadId: customers[c]!.thread,
        sender: { kind: 'customer', identity: { kind: 'chat_visitor_id', value: customers[c]!.visitor } },
        text,
      });
    const opened = await Promise.all(
      customers.map((_, c) =>
        call<{ ticketId: string }>(
          'POST',
          '/v1/messages',
          keys.integrationA,
          customerMessage(c, `customer ${c} opens`),
        ),
      ),
    );
    expect(opened.map((o) => o.status)).toEqual(customers.map(() => 201));
    const bodies = customers.flatMap((customer, c) => [
      message({
        channelThreadId: customer.thread,
        sender: { kind: 'agent', id: `agent-${c}` },
        text: `agent replies to ${c}`,
      }),
      message({
        channelThreadId: customer.thread,
        sender: { kind: 'bot', id: 'helper-bot' },
        text: `bot replies to ${c}`,
      }),
      customerMessage(c, `customer ${c} follows up`),
    ]);
    const stray = message({
      sender: { kind: 'agent', id: 'agent-stray' },
      text: 'nobody opened this thread',
    });
    const replies = await Promise.all(
      [...bodies, stray].map((body) =>
        call<{ ticketId: string; messageId: string; customerId: string }>(
          'POST',
          '/v1/messages',
          keys.integrationA,
          body,
        ),
      ),
    );
    const strayReply = replies.pop()!;
    expect(strayReply.status).toBe(422);
    expect(strayReply.body).toMatchObject({ code: 'ticket-unresolvable' });
    expect(replies.filter((r) => r.status !== 201)).toEqual([]);
    for (const [c] of customers.entries()) {
      const ticketId = opened[c]!.body.ticketId;
      const mine = replies.slice(c * 3, c * 3 + 3);
      expect(mine.map((r) => r.body.ticketId)).toEqual([ticketId, ticketId, ticketId]);
      // Read-your-writes, and each message under its own sender, sequenced without gaps.
      const items = (await timeline(ticketId)).filter((i) => i.kind === 'MessageReceived');
      expect(items.map((i) => i.sequence).sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual([1, 2, 3, 4]);
      const byText = new Map(items.map((i) => [i.data['text'], i.actor]));
      expect(byText.get(`agent replies to ${c}`)).toEqual({ kind: 'agent', id: `agent-${c}` });
      expect(byText.get(`bot replies to ${c}`)).toEqual({ kind: 'bot', id: 'helper-bot' });
      expect(byText.get(`customer ${c} follows up`)).toMatchObject({ kind: 'customer' });
    }
    // Re-sending a reply answers what the first delivery answered, and adds nothing.
    const again = await call('POST', '/v1/messages', keys.integrationA, bodies[0]);
    expect(again.body).toEqual(replies[0]!.body);
    expect(
      (await timeline(opened[0]!.body.ticketId)).filter((i) => i.kind === 'MessageReceived'),
    ).toHaveLength(4);
  });

  it('answers bad input with problem+json naming the field, and writes nothing', async () => {
    const before = await ticketCount(TENANT_A);
    const expectProblem = async (body: unknown, status: number, field: string, code?: string) => {
      const reply = await call('POST', '/v1/messages', keys.integrationA, body);
      expect(reply.status).toBe(status);
      expect(reply.headers.get('content-type')).toContain('application/problem+json');
      const errors = reply.body['errors'] as { field: string }[] | undefined;
      expect(errors?.map((e) => e.field)).toContain(field);
      if (code) expect(reply.body['code']).toBe(code);
    };
    await expectProblem(message({ channel: 'pigeon' }), 400, 'channel');
    const { sender: _sender, ...withoutSender } = message();
    await expectProblem(withoutSender, 400, 'sender');
    await expectProblem(message({ sender: { kind: 'customer' } }), 400, 'sender.identity', 'missing-sender');
    await expectProblem(message({ text: 'x'.repeat(501) }), 413, 'text', 'message-too-long');
    await expectProblem(
      message({ sender: { kind: 'customer', identity: { kind: 'email', value: 'not-an-email' } } }),
      422,
      'sender.identity.value',
      'invalid-identity',
    );
    await expectProblem(
      message({ sender: { kind: 'customer', identity: { kind: 'phone', value: '0151 12' } } }),
      422,
      'sender.identity.value',
      'invalid-identity',
    );
    await expectProblem(message({ ticketId: uid('nope') }), 422, 'ticketId', 'unknown-ticket-reference');
    // Another tenant's ticket is exactly as unknown as a missing one.
    const foreign = await call('POST', '/v1/messages', keys.agentB, message());
    expect(foreign.status).toBe(201);
    await expectProblem(
      message({ ticketId: foreign.body['ticketId'] }),
      422,
      'ticketId',
      'unknown-ticket-reference',
    );
    expect(await ticketCount(TENANT_A)).toBe(before);
  });

  it('keeps the Instagram → WhatsApp → email journey in one ticket with two channel switches', async () => {
    const handle = uid('jane').replace(/-/g, '_');
    const phone = `+4915${crypto.randomInt(10_000_000, 99_999_999)}`;
    const email = `${handle}@example.com`;
    const ig = await call('POST', '/v1/messages', keys.integrationA, {
      channel: 'instagram',
      channelMessageId: uid('ig'),
      channelThreadId: uid('ig-thread'),
      sender: {
        kind: 'customer',
        identity: { kind: 'social_handle', value: `@${handle}`, channel: 'instagram' },
      },
      text: 'My parcel is late',
      sentAt: new Date().toISOString(),
    });
    expect(ig.status).toBe(201);
    const { ticketId, customerId } = ig.body as { ticketId: string; customerId: string };

    // The agent learns the customer's phone number and links it, with provenance.
    const linked = await call('POST', `/v1/customers/${customerId}/identities`, keys.agentA, {
      identity: { kind: 'phone', value: phone, channel: 'whatsapp', verified: true },
      reason: 'customer gave the number in the Instagram chat',
    });
    expect(linked.status).toBe(200);

    const wa = await call('POST', '/v1/messages', keys.integrationA, {
      channel: 'whatsapp',
      channelMessageId: uid('wamid'),
      channelThreadId: phone,
      sender: { kind: 'customer', identity: { kind: 'phone', value: phone, verified: true } },
      text: 'Writing from WhatsApp now',
      sentAt: new Date().toISOString(),
    });
    expect(wa.body).toMatchObject({ ticketId, customerId, sequence: 2, rule: 'single-open-ticket' });

    // The email reply carries the ticket reference; the new address joins the same customer.
    const mail = await call('POST', '/v1/messages', keys.integrationA, {
      channel: 'email',
      channelMessageId: `<${uid('mail')}@mail.example.com>`,
      channelThreadId: uid('mail-thread'),
      sender: { kind: 'customer', identity: { kind: 'email', value: email.toUpperCase() } },
      text: 'Replying by email',
      sentAt: new Date().toISOString(),
      ticketId,
    });
    expect(mail.body).toMatchObject({ ticketId, customerId, sequence: 3, rule: 'ticket-reference' });

    const customer = await call<{ identities: { kind: string; value: string }[] }>(
      'GET',
      `/v1/customers/${customerId}`,
      keys.agentA,
    );
    expect(customer.body.identities.map((i) => `${i.kind}:${i.value}`).sort()).toEqual(
      [`email:${email}`, `phone:${phone}`, `social_handle:${handle}`].sort(),
    );
    const ticket = await call('GET', `/v1/tickets/${ticketId}`, keys.agentA);
    expect(ticket.body).toMatchObject({
      status: 'open',
      messageCount: 3,
      channels: ['instagram', 'whatsapp', 'email'],
    });

    // What the other services see: the public topic, read back from Kafka.
    const forTicket = (seen: Consumed[]) => seen.filter((m) => m.key === ticketId);
    const seen = await readTopic(
      eventsTopic('conversations'),
      (all) =>
        forTicket(all).filter((m) => header(m.headers, 'ce_type')?.endsWith('.ChannelSwitched.v1')).length >=
          2 &&
        forTicket(all).filter((m) => header(m.headers, 'ce_type')?.endsWith('.MessageReceived.v1')).length >=
          3,
    );
    const types = forTicket(seen).map((m) => header(m.headers, 'ce_type'));
    expect(types.filter((t) => t === 'dev.handoff.conversations.TicketOpened.v1')).toHaveLength(1);
    const switches = forTicket(seen)
      .filter((m) => header(m.headers, 'ce_type') === 'dev.handoff.conversations.ChannelSwitched.v1')
      .map(
        (m) => JSON.parse(m.value ?? '{}') as { fromChannel: string; toChannel: string; tenantId: string },
      );
    expect(switches.map((s) => `${s.fromChannel}→${s.toChannel}`)).toEqual([
      'instagram→whatsapp',
      'whatsapp→email',
    ]);
    expect(switches.every((s) => s.tenantId === TENANT_A)).toBe(true);
    const sequences = forTicket(seen)
      .filter((m) => header(m.headers, 'ce_type') === 'dev.handoff.conversations.MessageReceived.v1')
      .map((m) => (JSON.parse(m.value ?? '{}') as { sequence: number }).sequence);
    expect(sequences).toEqual([1, 2, 3]);
  });

  it('ingests from the inbound topic idempotently and dead-letters bad messages with the reason', async () => {
    const thread = uid('wa-thread');
    const phone = `+4917${crypto.randomInt(10_000_000, 99_999_999)}`;
    const data = {
      channel: 'whatsapp',
      channelMessageId: uid('wamid'),
      channelThreadId: thread,
      sender: { kind: 'customer', identity: { kind: 'phone', value: phone, verified: true } },
      text: 'Hi from the connector',
      sentAt: new Date().toISOString(),
    };
    const metrics = service.app.get(ConsumerMetrics);
    const duplicatesBefore = metrics.snapshot().duplicates;
    await produce(inboundTopic('messages'), channelMessage(data));
    // The connector re-sends the same channel message (new CloudEvent id): still one message.
    await produce(inboundTopic('messages'), channelMessage(data));
    await produce(
      inboundTopic('messages'),
      channelMessage({ ...data, channelMessageId: uid('wamid'), text: 'second' }),
    );

    const lookup = async () => {
      const reply = await call('POST', '/v1/messages', keys.integrationA, {
        channel: 'whatsapp',
        channelMessageId: data.channelMessageId,
        channelThreadId: thread,
        sender: data.sender,
        text: data.text,
        sentAt: data.sentAt,
      });
      return reply.headers.get('idempotent-replayed') === 'true' ? reply.body : undefined;
    };
    // Wait for the consumer in the read model first: a REST re-send before that would claim the
    // message itself instead of replaying the topic's copy.
    const ticketId = await eventually(async () => {
      const client = new Client({ connectionString: db.url });
      await client.connect();
      try {
        const { rows } = await client.query<{ ticket_id: string; message_count: number }>(
          `SELECT t.ticket_id, t.message_count FROM conversations.ticket_threads th
           JOIN conversations.tickets t ON t.ticket_id = th.ticket_id
           WHERE th.tenant_id = $1 AND th.thread_id = $2`,
          [TENANT_A, thread],
        );
        return rows[0] && rows[0].message_count >= 2 ? rows[0].ticket_id : undefined;
      } finally {
        await client.end();
      }
    }, 'the inbound messages');
    // The re-send changed nothing, and the consumer counts it as a duplicate, not as applied.
    await eventually(
      () => Promise.resolve(metrics.snapshot().duplicates > duplicatesBefore ? true : undefined),
      'the re-send counted as a duplicate',
    );
    const replay = await lookup();
    expect(replay).toMatchObject({ ticketId, sequence: 1 });
    const messages = (await timeline(ticketId)).filter((i) => i.kind === 'MessageReceived');
    expect(messages.map((m) => m.data['text'])).toEqual(['Hi from the connector', 'second']);

    const badThread = uid('bad');
    const bad = (label: string, extra: Record<string, unknown>) =>
      channelMessage({ ...data, channelMessageId: uid(label), channelThreadId: badThread, ...extra });
    const foreign = await call('POST', '/v1/messages', keys.agentB, message());
    const before = await ticketCount(TENANT_A);
    await produce(inboundTopic('messages'), bad('long', { text: 'y'.repeat(501) }));
    await produce(
      inboundTopic('messages'),
      bad('mail', {
        sender: { kind: 'customer', identity: { kind: 'email', value: 'nope', verified: false } },
      }),
    );
    await produce(
      inboundTopic('messages'),
      bad('phone', {
        sender: { kind: 'customer', identity: { kind: 'phone', value: '12345', verified: false } },
      }),
    );
    await produce(inboundTopic('messages'), bad('ref', { ticketId: uid('missing') }));
    await produce(inboundTopic('messages'), bad('foreign', { ticketId: foreign.body['ticketId'] }));
    await produce(inboundTopic('messages'), bad('anonymous', { sender: { kind: 'customer' } }));
    // Schema violations cannot be built with toKafkaMessage: edit the bytes of a valid message.
    const raw = toKafkaMessage(bad('channel', {}));
    const edited = JSON.parse(raw.value.toString()) as Record<string, unknown>;
    await producer.send({
      topic: inboundTopic('messages'),
      acks: -1,
      messages: [
        { ...raw, value: Buffer.from(JSON.stringify({ ...edited, channel: 'pigeon' })) },
        { ...raw, value: Buffer.from(JSON.stringify({ ...edited, sender: undefined })) },
      ],
    });

    // Parking is at-least-once: a batch rolled back and replayed one by one may park a message
    // again. Each original message counts once (by its original offset).
    const parkedOnce = (seen: typeof parked) => {
      const byOffset = new Map<string, (typeof parked)[number]>();
      for (const m of seen.filter((m) => m.key === badThread)) {
        const offset = `${header(m.headers, 'dlq_original_partition')}@${header(m.headers, 'dlq_original_offset')}`;
        if (!byOffset.has(offset)) byOffset.set(offset, m);
      }
      return [...byOffset.values()];
    };
    const parked = await readTopic(
      deadLetterTopic(inboundTopic('messages')),
      (seen) => parkedOnce(seen).length >= 8,
    );
    const reasons = parkedOnce(parked).map(
      (m) => `${header(m.headers, 'dlq_reason')} ${header(m.headers, 'dlq_error')}`,
    );
    expect(reasons.filter((r) => r.startsWith('message-too-long text:'))).toHaveLength(1);
    expect(reasons.filter((r) => r.startsWith('invalid-identity sender.identity.value:'))).toHaveLength(2);
    expect(reasons.filter((r) => r.startsWith('unknown-ticket-reference ticketId:'))).toHaveLength(2);
    expect(reasons.filter((r) => r.startsWith('missing-sender sender.identity:'))).toHaveLength(1);
    expect(reasons.filter((r) => r.startsWith('schema-violation'))).toHaveLength(2);
    expect(await ticketCount(TENANT_A)).toBe(before);
  });

  it('ingests a batch of one new customer on several threads concurrently into one customer and one ticket', async () => {
    // Different keys (threads) are ingested concurrently: they race to create the customer and the
    // ticket, and continuity must still join every message to the one ticket the first one opened.
    const visitor = uid('visitor');
    const threads = Array.from({ length: 5 }, (_, i) => uid(`concurrent-thread-${i}`));
    await producer.send({
      topic: inboundTopic('messages'),
      acks: -1,
      messages: threads.flatMap((thread, i) =>
        [0, 1].map((n) =>
          toKafkaMessage(
            channelMessage({
              channel: 'web_chat',
              channelMessageId: uid(`concurrent-${i}-${n}`),
              channelThreadId: thread,
              sender: {
                kind: 'customer',
                identity: { kind: 'chat_visitor_id', value: visitor, verified: false },
              },
              text: `thread ${i} message ${n}`,
              sentAt: new Date().toISOString(),
            }),
          ),
        ),
      ),
    });
    const rows = await eventually(async () => {
      const client = new Client({ connectionString: db.url });
      await client.connect();
      try {
        const { rows: found } = await client.query<{ ticket_id: string; thread_id: string }>(
          `SELECT th.ticket_id, th.thread_id FROM conversations.ticket_threads th
           WHERE th.tenant_id = $1 AND th.thread_id = ANY($2::text[])`,
          [TENANT_A, threads],
        );
        return found.length === threads.length ? found : undefined;
      } finally {
        await client.end();
      }
    }, 'the five threads');
    const ticketIds = new Set(rows.map((r) => r.ticket_id));
    expect(ticketIds.size).toBe(1);
    const [ticketId] = [...ticketIds] as [string];
    const messages = await eventually(async () => {
      const items = (await timeline(ticketId)).filter((i) => i.kind === 'MessageReceived');
      return items.length >= 10 ? items : undefined;
    }, 'the ten messages');
    expect(messages).toHaveLength(10);
    expect(messages.map((m) => m.sequence).sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
    ]);
    expect(new Set(messages.map((m) => m.actor.id)).size).toBe(1);
    // Within a thread the connector's order holds.
    for (const [i] of threads.entries()) {
      const texts = messages.map((m) => m.data['text']).filter((t) => String(t).startsWith(`thread ${i} `));
      expect(texts).toEqual([`thread ${i} message 0`, `thread ${i} message 1`]);
    }
  });

  it('merges two customers and undoes the merge, with provenance', async () => {
    const visitor = uid('visitor');
    const mail = `${uid('pat')}@example.com`;
    const a = await call(
      'POST',
      '/v1/messages',
      keys.integrationA,
      message({
        sender: { kind: 'customer', identity: { kind: 'chat_visitor_id', value: visitor } },
      }),
    );
    const b = await call(
      'POST',
      '/v1/messages',
      keys.integrationA,
      message({
        channel: 'email',
        sender: { kind: 'customer', identity: { kind: 'email', value: mail, verified: true } },
      }),
    );
    const A = a.body['customerId'] as string;
    const B = b.body['customerId'] as string;
    expect(A).not.toBe(B);

    const self = await call('POST', `/v1/customers/${A}/merge`, keys.agentA, {
      mergedCustomerId: A,
      reason: 'oops',
    });
    expect(self.status).toBe(422);
    expect(self.body).toMatchObject({ code: 'merge-into-itself', field: 'mergedCustomerId' });
    expect(
      (await call('POST', `/v1/customers/${A}/merge`, keys.auditorA, { mergedCustomerId: B, reason: 'x' }))
        .status,
    ).toBe(403);

    const merged = await call<{ mergeId: string; customer: { identities: { value: string }[] } }>(
      'POST',
      `/v1/customers/${A}/merge`,
      keys.agentA,
      { mergedCustomerId: B, reason: 'same person, confirmed on the phone' },
    );
    expect(merged.status).toBe(200);
    expect(merged.body.customer.identities.map((i) => i.value)).toEqual([visitor, mail]);
    expect((await call('GET', `/v1/customers/${B}`, keys.agentA)).body).toMatchObject({
      status: 'merged',
      mergedInto: A,
    });
    // Repeating the merge is idempotent: same merge id, nothing new.
    const repeat = await call<{ mergeId: string }>('POST', `/v1/customers/${A}/merge`, keys.agentA, {
      mergedCustomerId: B,
      reason: 'same person, confirmed on the phone',
    });
    expect(repeat.body.mergeId).toBe(merged.body.mergeId);
    // B's tickets now belong to A; a new email from B's address resolves to A.
    expect(
      (await call('GET', `/v1/tickets/${b.body['ticketId'] as string}`, keys.agentA)).body['customerId'],
    ).toBe(A);
    const afterMerge = await call(
      'POST',
      '/v1/messages',
      keys.integrationA,
      message({
        channel: 'email',
        channelThreadId: uid('t'),
        sender: { kind: 'customer', identity: { kind: 'email', value: mail, verified: true } },
      }),
    );
    expect(afterMerge.body['customerId']).toBe(A);

    const undone = await call('POST', `/v1/customers/${A}/unmerge`, keys.agentA, {
      mergeId: merged.body.mergeId,
      reason: 'two different people after all',
    });
    expect(undone.status).toBe(200);
    expect(undone.body).toMatchObject({ restoredCustomerId: B });
    expect((await call('GET', `/v1/customers/${B}`, keys.agentA)).body).toMatchObject({
      status: 'active',
      mergedInto: null,
    });
    expect(
      (await call('GET', `/v1/tickets/${b.body['ticketId'] as string}`, keys.agentA)).body['customerId'],
    ).toBe(B);
    const afterUndo = await call(
      'POST',
      '/v1/messages',
      keys.integrationA,
      message({
        channel: 'email',
        sender: { kind: 'customer', identity: { kind: 'email', value: mail, verified: true } },
      }),
    );
    expect(afterUndo.body['customerId']).toBe(B);

    // Different verified emails never merge without an explicit acknowledgement.
    const c = await call(
      'POST',
      '/v1/messages',
      keys.integrationA,
      message({
        channel: 'email',
        sender: {
          kind: 'customer',
          identity: { kind: 'email', value: `${uid('other')}@example.com`, verified: true },
        },
      }),
    );
    const conflict = await call('POST', `/v1/customers/${B}/merge`, keys.agentA, {
      mergedCustomerId: c.body['customerId'],
      reason: 'looks similar',
    });
    expect(conflict.status).toBe(409);
    expect(conflict.body).toMatchObject({ code: 'verified-identity-conflict', kinds: ['email'] });
    const acknowledged = await call('POST', `/v1/customers/${B}/merge`, keys.agentA, {
      mergedCustomerId: c.body['customerId'],
      reason: 'the customer confirmed both addresses',
      acknowledgeVerifiedConflicts: true,
    });
    expect(acknowledged.status).toBe(200);

    const published = await readTopic(eventsTopic('conversations'), (seen) =>
      seen.some((m) => m.key === A && header(m.headers, 'ce_type')?.endsWith('.CustomerMergeUndone.v1')),
    );
    const undoneEvent = published.find(
      (m) => m.key === A && header(m.headers, 'ce_type')?.endsWith('.CustomerMergeUndone.v1'),
    );
    expect(JSON.parse(undoneEvent?.value ?? '{}')).toMatchObject({
      restoredCustomerId: B,
      reason: 'two different people after all',
      undoneBy: { kind: 'agent' },
      restoredIdentities: [{ kind: 'email', value: mail }],
    });
  });

  it('interleaves handoff and ownership facts in the timeline in time order, paginated', async () => {
    const visitor = uid('visitor');
    const send = (text: string) =>
      call(
        'POST',
        '/v1/messages',
        keys.integrationA,
        message({
          sender: { kind: 'customer', identity: { kind: 'chat_visitor_id', value: visitor } },
          text,
        }),
      );
    const first = await send('I need help');
    const ticketId = first.body['ticketId'] as string;
    const pause = () => new Promise((resolve) => setTimeout(resolve, 20));
    await pause();
    const handoffId = uid('handoff');
    await produce(eventsTopic('escalation'), {
      id: crypto.randomUUID(),
      source: sourceOf('escalation'),
      type: 'dev.handoff.escalation.HandoffRequested.v1',
      subject: ticketId,
      time: new Date().toISOString(),
      tenantId: TENANT_A,
      data: {
        tenantId: TENANT_A,
        ticketId,
        handoffId,
        handoffType: 'ai_to_human',
        from: { kind: 'bot', id: 'bot-1' },
        to: { kind: 'team', id: 'billing' },
        reasonCode: 'needs_human',
        priority: 'normal',
        requestedBy: { kind: 'bot', id: 'bot-1' },
        conversationPosition: '1',
      },
    });
    await pause();
    await produce(eventsTopic('ownership'), {
      id: crypto.randomUUID(),
      source: sourceOf('ownership'),
      type: 'dev.handoff.ownership.OwnershipTransferred.v1',
      subject: ticketId,
      time: new Date().toISOString(),
      tenantId: TENANT_A,
      data: {
        tenantId: TENANT_A,
        ticketId,
        from: { kind: 'bot', id: 'bot' },
        to: { kind: 'agent', id: 'agent-42', teamId: 'billing' },
        transferredBy: { kind: 'agent', id: 'agent-42' },
        reason: 'handoff accepted',
        handoffId,
      },
    });
    await eventually(
      async () =>
        (await timeline(ticketId)).some((i) => i.kind === 'OwnershipTransferred') ? true : undefined,
      'the consumed facts in the timeline',
    );
    await send('Thanks, the agent is here');

    const items = await timeline(ticketId);
    expect(items.map((i) => i.kind)).toEqual([
      'TicketOpened',
      'MessageReceived',
      'HandoffRequested',
      'OwnershipTransferred',
      'MessageReceived',
    ]);
    expect(items[2]).toMatchObject({ source: 'escalation', actor: { kind: 'bot', id: 'bot-1' } });
    expect(items[3]).toMatchObject({ source: 'ownership', actor: { kind: 'agent', id: 'agent-42' } });
    expect(items[1]).toMatchObject({ channel: 'web_chat', actor: { kind: 'customer' }, sequence: 1 });
    expect(items[4]).toMatchObject({ sequence: 2 });
    const times = items.map((i) => Date.parse(i.occurredAt));
    expect([...times].sort((x, y) => x - y)).toEqual(times);
    // Page by page (two items a page) gives the same sequence.
    expect((await timeline(ticketId, keys.agentA, 2)).map((i) => i.itemId)).toEqual(
      items.map((i) => i.itemId),
    );
    const badCursor = await call('GET', `/v1/tickets/${ticketId}/timeline?cursor=garbage`, keys.agentA);
    expect(badCursor.status).toBe(400);
    expect(badCursor.body).toMatchObject({ code: 'invalid-cursor', field: 'cursor' });

    // CSAT records the owner at that time and the handoffs before it.
    const csat = await call('POST', `/v1/tickets/${ticketId}/csat`, keys.integrationA, {
      score: 4,
      comment: 'quick',
    });
    expect(csat.status).toBe(201);
    expect(csat.body).toMatchObject({
      owner: { kind: 'agent', id: 'agent-42', teamId: 'billing' },
      precedingHandoffIds: [handoffId],
    });
  });

  it('closes, reopens and merges tickets, keeping both timelines', async () => {
    const visitor = uid('visitor');
    const first = await call(
      'POST',
      '/v1/messages',
      keys.integrationA,
      message({
        sender: { kind: 'customer', identity: { kind: 'chat_visitor_id', value: visitor } },
      }),
    );
    const t1 = first.body['ticketId'] as string;
    const closed = await call('POST', `/v1/tickets/${t1}/close`, keys.agentA, { resolution: 'resolved' });
    expect(closed.body).toMatchObject({ status: 'closed', resolution: 'resolved' });
    expect(
      (await call('POST', `/v1/tickets/${t1}/close`, keys.agentA, { resolution: 'resolved' })).status,
    ).toBe(409);
    // The customer writes again: the old ticket is closed, so a new one opens.
    const secondThread = uid('thread');
    const second = await call(
      'POST',
      '/v1/messages',
      keys.integrationA,
      message({
        channelThreadId: secondThread,
        sender: { kind: 'customer', identity: { kind: 'chat_visitor_id', value: visitor } },
        text: 'another problem',
      }),
    );
    const t2 = second.body['ticketId'] as string;
    expect(t2).not.toBe(t1);
    const reopened = await call('POST', `/v1/tickets/${t1}/reopen`, keys.agentA, { reason: 'not fixed' });
    expect(reopened.body).toMatchObject({ status: 'open' });
    // Two open tickets: the next message goes to the most recently active one, flagged for review.
    const third = await call(
      'POST',
      '/v1/messages',
      keys.integrationA,
      message({
        sender: { kind: 'customer', identity: { kind: 'chat_visitor_id', value: visitor } },
      }),
    );
    expect(third.body).toMatchObject({ ticketId: t1, rule: 'most-recent-open-ticket' });
    expect((await call('GET', `/v1/tickets/${t1}`, keys.agentA)).body).toMatchObject({
      flaggedForReview: true,
    });

    expect((await call('POST', `/v1/tickets/${t1}/merge`, keys.agentA, { mergedTicketId: t1 })).status).toBe(
      422,
    );
    const merged = await call('POST', `/v1/tickets/${t1}/merge`, keys.agentA, {
      mergedTicketId: t2,
      reason: 'same issue',
    });
    expect(merged.body).toMatchObject({ ticketId: t1, mergedTicketIds: [t2] });
    expect((await call('GET', `/v1/tickets/${t2}`, keys.agentA)).body).toMatchObject({
      status: 'closed',
      resolution: 'merged',
      mergedInto: t1,
    });
    const combined = await timeline(t1);
    expect(combined.filter((i) => i.kind === 'MessageReceived').map((i) => i.data['text'])).toContain(
      'another problem',
    );
    expect(combined.some((i) => i.kind === 'TicketMerged')).toBe(true);
    // A reference to the merged ticket lands on the survivor.
    const viaOld = await call(
      'POST',
      '/v1/messages',
      keys.integrationA,
      message({
        sender: { kind: 'customer', identity: { kind: 'chat_visitor_id', value: visitor } },
        ticketId: t2,
      }),
    );
    expect(viaOld.body).toMatchObject({ ticketId: t1, rule: 'ticket-reference' });
    // So does an agent's reply on the merged ticket's thread (its thread is followed to the survivor).
    const reply = await call(
      'POST',
      '/v1/messages',
      keys.integrationA,
      message({ channelThreadId: secondThread, sender: { kind: 'agent', id: 'agent-merge' }, text: 'on it' }),
    );
    expect(reply.status).toBe(201);
    expect(reply.body).toMatchObject({ ticketId: t1 });
  });

  it("keeps tenants apart (another tenant's ticket is a 404) and lets auditors read but never write", async () => {
    const mine = await call('POST', '/v1/messages', keys.integrationA, message());
    const ticketId = mine.body['ticketId'] as string;
    const customerId = mine.body['customerId'] as string;
    for (const path of [
      `/v1/tickets/${ticketId}`,
      `/v1/tickets/${ticketId}/timeline`,
      `/v1/customers/${customerId}`,
    ]) {
      const reply = await call('GET', path, keys.agentB);
      expect(reply.status).toBe(404);
      expect(reply.headers.get('content-type')).toContain('application/problem+json');
    }
    expect(
      (await call('POST', `/v1/tickets/${ticketId}/close`, keys.agentB, { resolution: 'spam' })).status,
    ).toBe(404);
    expect((await call('GET', `/v1/tickets/${ticketId}`, keys.auditorA)).status).toBe(200);
    expect((await call('GET', `/v1/tickets/${ticketId}/timeline`, keys.auditorA)).status).toBe(200);
    expect((await call('POST', '/v1/messages', keys.auditorA, message())).status).toBe(403);
    expect(
      (await call('POST', `/v1/tickets/${ticketId}/close`, keys.auditorA, { resolution: 'resolved' })).status,
    ).toBe(403);
    expect((await call('GET', `/v1/tickets/${ticketId}`, keys.agentA)).body).toMatchObject({
      status: 'open',
    });
  });
});
