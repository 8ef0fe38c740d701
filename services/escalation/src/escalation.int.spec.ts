// The escalation service in-process (startEscalationService) on the run's real PostgreSQL and Kafka:
// upstream facts are produced to the real topics, published events are read back from Kafka.
import crypto from 'node:crypto';
import {
  eventsTopic,
  fromKafkaMessage,
  publicEventExamples,
  sourceOf,
  toKafkaMessage,
  type PublicEventEnvelope,
} from '@handoff/contracts';
import { deriveEventId } from '@handoff/messaging';
import { mintApiKey } from '@handoff/platform';
import {
  createIsolatedDatabase,
  testInfrastructure,
  uniqueName,
  type IsolatedDatabase,
  testPool,
} from '@handoff/testing';
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import { Writable } from 'node:stream';
import { startEscalationService, type RunningEscalationService } from './bootstrap';

jest.setTimeout(120_000);

const TENANT = 'esc-tenant-a';
const OTHER = 'esc-tenant-b';
const staff = mintApiKey(TENANT, ['supervisor', 'agent', 'bot']);
const agentKey = mintApiKey(TENANT, ['agent']);
const auditor = mintApiKey(TENANT, ['auditor']);
const other = mintApiKey(OTHER, ['supervisor', 'agent', 'bot']);

/** A JSON response body, read field by field in the assertions. */
type Body = Record<string, unknown>;

const silent = new Writable({ write: (_chunk, _encoding, done) => done() });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const id = (label: string) => `${label}-${crypto.randomBytes(4).toString('hex')}`;

let db: IsolatedDatabase;
let service: RunningEscalationService | undefined;
let env: Record<string, string>;
let kafka: Kafka;
let producer: Producer;
let collector: Consumer;
const published: PublicEventEnvelope[] = [];

async function start(): Promise<RunningEscalationService> {
  service = await startEscalationService(env, { logDestination: silent, enableShutdownHooks: false });
  return service;
}

async function api(method: string, path: string, body?: unknown, key = staff.key) {
  const response = await fetch(`${service?.url}${path}`, {
    method,
    headers: { 'x-api-key': key, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: (text === '' ? undefined : JSON.parse(text)) as Body,
  };
}

async function eventually<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

async function publish(
  context: 'conversations' | 'summarization' | 'ownership',
  type: string,
  data: Record<string, unknown>,
) {
  const envelope = {
    id: crypto.randomUUID(),
    source: sourceOf(context),
    type,
    subject: data['ticketId'] as string,
    time: new Date().toISOString(),
    tenantId: data['tenantId'] as string,
    data,
    correlationId: crypto.randomUUID(),
  } as PublicEventEnvelope;
  await producer.send({ topic: eventsTopic(context), messages: [toKafkaMessage(envelope)] });
  return envelope;
}

const example = (type: keyof typeof publicEventExamples) =>
  publicEventExamples[type] as Record<string, unknown>;

async function openTicket(ticketId: string, messages: number, tenantId = TENANT) {
  await publish('conversations', 'dev.handoff.conversations.TicketOpened.v1', {
    ...example('dev.handoff.conversations.TicketOpened.v1'),
    tenantId,
    ticketId,
    customerId: `cus-${ticketId}`,
    channel: 'web_chat',
  });
  for (let sequence = 1; sequence <= messages; sequence++) {
    await publish('conversations', 'dev.handoff.conversations.MessageReceived.v1', {
      ...example('dev.handoff.conversations.MessageReceived.v1'),
      tenantId,
      ticketId,
      customerId: `cus-${ticketId}`,
      channel: 'web_chat',
      messageId: `${ticketId}-m${sequence}`,
      channelMessageId: `${ticketId}-c${sequence}`,
      sequence,
    });
  }
  // The ticket and its messages are in this service's read model before the test goes on: what the
  // test then asserts does not depend on how far the consumer got under the machine's load.
  const pool = testPool(db.url, { max: 1 });
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const { rows } = await pool
        .query<{ n: string }>(
          'SELECT last_sequence::text AS n FROM escalation.tickets WHERE tenant_id = $1 AND ticket_id = $2',
          [tenantId, ticketId],
        )
        .catch(() => ({ rows: [] as { n: string }[] }));
      if (rows[0] && Number(rows[0].n) >= messages) break;
      if (Date.now() > deadline)
        throw new Error(`escalation never saw ticket ${ticketId} with ${messages} messages`);
      await sleep(50);
    }
  } finally {
    await pool.end();
  }
}

async function prepareBrief(ticketId: string, coversPosition: number, version = 1, tenantId = TENANT) {
  const briefId = `brief-${ticketId}`;
  await publish('summarization', 'dev.handoff.summarization.BriefPrepared.v1', {
    ...example('dev.handoff.summarization.BriefPrepared.v1'),
    tenantId,
    ticketId,
    briefId,
    version,
    coversPosition: String(coversPosition),
    language: 'en',
  });
  return { briefId, version };
}

const agentBody = (agentId: string, overrides: Record<string, unknown> = {}) => ({
  agentId,
  displayName: agentId,
  skills: [{ name: 'billing', level: 3 }],
  languages: ['en'],
  tiers: ['1'],
  teams: ['billing'],
  capacity: [{ channel: 'web_chat', max: 5 }],
  presence: 'online',
  ...overrides,
});

async function registerAgent(agentId: string, overrides: Record<string, unknown> = {}, key = staff.key) {
  const response = await api('POST', '/v1/agents', agentBody(agentId, overrides), key);
  expect(response.status).toBe(201);
  return response.body;
}

/** Requests a handoff once the ticket is known to escalation (the conversations consumer is async). */
async function requestHandoff(body: Record<string, unknown>, key = staff.key) {
  return eventually(
    async () => {
      const response = await api('POST', '/v1/handoffs', body, key);
      return response.status === 404 && String(response.body['type']).includes('ticket-not-found')
        ? undefined
        : response;
    },
    20_000,
    `ticket ${String(body['ticketId'])} to be known`,
  );
}

const handoffBody = (ticketId: string, overrides: Record<string, unknown> = {}) => ({
  ticketId,
  handoffType: 'ai_to_human',
  from: { kind: 'bot', id: 'bot-1' },
  to: { kind: 'team', id: 'billing' },
  reasonCode: 'customer_asked_for_human',
  ...overrides,
});

const detail = (handoffId: string, key = staff.key) =>
  api('GET', `/v1/handoffs/${handoffId}`, undefined, key);
const lifecycleTypes = (body: Body) => (body['lifecycle'] as { type: string }[]).map((e) => e.type);
const waitForStatus = (handoffId: string, status: string, timeoutMs = 20_000) =>
  eventually(
    async () => {
      const response = await detail(handoffId);
      return response.body['status'] === status ? response.body : undefined;
    },
    timeoutMs,
    `handoff ${handoffId} to be ${status}`,
  );
const publishedOf = (handoffId: string, type: string) =>
  published.filter((e) => e.type === type && (e.data as { handoffId?: string }).handoffId === handoffId);

beforeAll(async () => {
  const infra = testInfrastructure();
  db = await createIsolatedDatabase('escalation');
  env = {
    DATABASE_URL: db.url,
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    API_KEYS: [staff.entry, agentKey.entry, auditor.entry, other.entry].join(','),
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    KAFKA_GROUP_ID: uniqueName('escalation'),
    BRIEF_TIMEOUT_MS: '6000',
    ACCEPTANCE_TIMEOUT_SECONDS: '300',
    DEADLINE_POLL_MS: '50',
    ROUTING_RETRY_MS: '60000',
  };
  kafka = new Kafka({ clientId: 'escalation-int', brokers: infra.kafkaBrokers, logLevel: logLevel.NOTHING });
  await start();
  producer = kafka.producer();
  await producer.connect();
  collector = kafka.consumer({ groupId: uniqueName('escalation-collector') });
  await collector.connect();
  await collector.subscribe({ topic: eventsTopic('escalation'), fromBeginning: true });
  await collector.run({
    eachMessage: ({ message }) => {
      published.push(fromKafkaMessage(message));
      return Promise.resolve();
    },
  });
});

afterAll(async () => {
  await collector?.disconnect();
  await producer?.disconnect();
  await service?.close();
  await db?.drop();
});

describe('escalation service (PostgreSQL + Kafka)', () => {
  it('AI→human: the offer waits for a brief covering the request, then carries it', async () => {
    const ticketId = id('t-ai');
    await openTicket(ticketId, 3);
    const agent = id('ai-agent');
    await registerAgent(agent, { teams: ['ai-team'] });
    const requested = await requestHandoff(handoffBody(ticketId, { to: { kind: 'team', id: 'ai-team' } }));
    expect(requested.status).toBe(201);
    const handoffId = requested.body['handoffId'] as string;
    expect(requested.body['conversationPosition']).toBe('3');

    // A brief older than the request position does not release the offer.
    await prepareBrief(ticketId, 2, 1);
    await sleep(1200);
    expect((await detail(handoffId)).body['status']).toBe('requested');

    const brief = await prepareBrief(ticketId, 3, 2);
    const offered = await waitForStatus(handoffId, 'offered');
    expect(offered['brief']).toEqual({ ...brief, coversPosition: '3' });
    expect(offered['currentOffer']).toMatchObject({ agentId: agent, teamId: 'ai-team' });
    expect(lifecycleTypes(offered)).toEqual(['HandoffRequested', 'BriefAttached', 'HandoffOffered']);

    const offer = await eventually(
      () => publishedOf(handoffId, 'dev.handoff.escalation.HandoffOffered.v1')[0],
    );
    expect(offer.data).toMatchObject({ brief, withoutBrief: false, agent: { agentId: agent }, attempt: 1 });
    // The offer is listed for the agent with its brief, so it is seen before accepting.
    const offers = await eventually(async () => {
      const list = await api('GET', `/v1/agents/${agent}/offers?status=offered`);
      return (list.body as unknown as unknown[]).length > 0 ? list.body : undefined;
    });
    expect(offers).toEqual([expect.objectContaining({ handoffId, brief, withoutBrief: false })]);
  });

  it('brief timeout: the offer goes out with the raw-context flag', async () => {
    const ticketId = id('t-raw');
    await openTicket(ticketId, 2);
    const agent = id('raw-agent');
    await registerAgent(agent, { teams: ['raw-team'] });
    const requested = await requestHandoff(handoffBody(ticketId, { to: { kind: 'team', id: 'raw-team' } }));
    const handoffId = requested.body['handoffId'] as string;
    await sleep(2000);
    expect((await detail(handoffId)).body['status']).toBe('requested');
    const offered = await waitForStatus(handoffId, 'offered', 15_000);
    expect(offered['brief']).toBeUndefined();
    const offer = await eventually(
      () => publishedOf(handoffId, 'dev.handoff.escalation.HandoffOffered.v1')[0],
    );
    expect(offer.data).toMatchObject({ withoutBrief: true, agent: { agentId: agent } });
    expect(offer.data).not.toHaveProperty('brief');
    const offeredAt = Date.parse(offer.time);
    expect(
      offeredAt - Date.parse((requested.body['lifecycle'] as { occurredAt: string }[])[0]?.occurredAt ?? ''),
    ).toBeGreaterThanOrEqual(6000);
  });

  it('Tier 1 → Tier 2: diagnostics intact on the published events, accepted by the tier-2 agent', async () => {
    const ticketId = id('t-tier');
    await openTicket(ticketId, 4);
    const tier2 = id('tier2');
    await registerAgent(id('tier1'), { tiers: ['1'], teams: ['support'] });
    await registerAgent(tier2, {
      tiers: ['2'],
      teams: ['support'],
      skills: [{ name: 'networking', level: 4 }],
    });
    await prepareBrief(ticketId, 4);
    const diagnostics = {
      logs: ['2026-01-01T10:00:00Z ERROR gateway timeout upstream=payments'],
      stepsTried: ['restarted router', 'cleared DNS cache'],
      environment: { os: 'Windows 11', app: '5.4.2', region: 'eu-west-1' },
      attachments: [{ fileName: 'trace.har', contentType: 'application/json', sizeBytes: 48213 }],
    };
    const requested = await requestHandoff(
      handoffBody(ticketId, {
        handoffType: 'tier_escalation',
        from: { kind: 'agent', id: 'tier1-agent' },
        to: { kind: 'tier', id: '2' },
        reasonCode: 'needs_network_specialist',
        priority: 'high',
        requiredSkills: [{ skill: 'networking', minLevel: 3 }],
        diagnostics,
      }),
    );
    const handoffId = requested.body['handoffId'] as string;
    expect(requested.body['diagnostics']).toEqual(diagnostics);
    await waitForStatus(handoffId, 'offered');
    const accepted = await api('POST', `/v1/handoffs/${handoffId}/accept`, { agentId: tier2 }, agentKey.key);
    expect(accepted.status).toBe(200);
    expect(accepted.body['status']).toBe('accepted');

    const request = await eventually(
      () => publishedOf(handoffId, 'dev.handoff.escalation.HandoffRequested.v1')[0],
    );
    expect(request.data).toMatchObject({ handoffType: 'tier_escalation', priority: 'high', diagnostics });
    const acceptance = await eventually(
      () => publishedOf(handoffId, 'dev.handoff.escalation.HandoffAccepted.v1')[0],
    );
    expect(acceptance.data).toMatchObject({
      handoffType: 'tier_escalation',
      agent: { agentId: tier2 },
      from: { kind: 'agent', id: 'tier1-agent' },
      reasonCode: 'needs_network_specialist',
      brief: { briefId: `brief-${ticketId}`, version: 1 },
    });
    const offer = publishedOf(handoffId, 'dev.handoff.escalation.HandoffOffered.v1')[0];
    expect(offer?.data).toMatchObject({ agent: { agentId: tier2 } });
  });

  it('routing: prefers the previous agent, never offline agents, alerts and waits when nobody qualifies', async () => {
    const ticketId = id('t-route');
    await openTicket(ticketId, 1);
    const team = id('route-team');
    const previous = id('prev');
    const idle = id('idle');
    await registerAgent(previous, { teams: [team] });
    await registerAgent(idle, { teams: [team] });
    await registerAgent(id('off'), { teams: [team], presence: 'offline' });
    await publish('ownership', 'dev.handoff.ownership.OwnershipTransferred.v1', {
      ...example('dev.handoff.ownership.OwnershipTransferred.v1'),
      tenantId: TENANT,
      ticketId,
      to: { kind: 'agent', id: previous },
    });
    // Load the previous agent so that plain load balancing would pick the idle one.
    const busyTicket = id('t-busy');
    await openTicket(busyTicket, 1);
    await prepareBrief(busyTicket, 1);
    const busy = await requestHandoff(handoffBody(busyTicket, { to: { kind: 'agent', id: previous } }));
    await waitForStatus(busy.body['handoffId'] as string, 'offered');

    await prepareBrief(ticketId, 1);
    await sleep(500); // the ownership fact and the brief are consumed
    const requested = await requestHandoff(handoffBody(ticketId, { to: { kind: 'team', id: team } }));
    const handoffId = requested.body['handoffId'] as string;
    const offered = await waitForStatus(handoffId, 'offered');
    expect(offered['currentOffer']).toMatchObject({ agentId: previous });
    const offer = await eventually(
      () => publishedOf(handoffId, 'dev.handoff.escalation.HandoffOffered.v1')[0],
    );
    expect(offer.data).toMatchObject({ routing: { previousAgentPreferred: true } });
    expect((offer.data as { routing: { reasons: string[] } }).routing.reasons.join(' ')).toContain('online');

    // Nobody qualifies (language): NoEligibleAgent, the handoff stays requested; an agent coming online takes it.
    const lonely = id('t-none');
    await openTicket(lonely, 1);
    await prepareBrief(lonely, 1);
    const waiting = await requestHandoff(
      handoffBody(lonely, { to: { kind: 'team', id: team }, language: 'fi' }),
    );
    const waitingId = waiting.body['handoffId'] as string;
    await eventually(() => publishedOf(waitingId, 'dev.handoff.escalation.NoEligibleAgent.v1')[0]);
    expect((await detail(waitingId)).body['status']).toBe('requested');
    const finn = id('finn');
    await registerAgent(finn, { teams: [team], languages: ['fi'], presence: 'offline' });
    await sleep(300);
    expect((await detail(waitingId)).body['status']).toBe('requested');
    expect((await api('PUT', `/v1/agents/${finn}/presence`, { presence: 'online' })).status).toBe(200);
    const taken = await waitForStatus(waitingId, 'offered');
    expect(taken['currentOffer']).toMatchObject({ agentId: finn });
    const presence = await eventually(() =>
      published.find(
        (e) =>
          e.type === 'dev.handoff.escalation.AgentPresenceChanged.v1' &&
          e.subject === finn &&
          (e.data as { presence: string }).presence === 'online',
      ),
    );
    expect(presence.data).toMatchObject({ previousPresence: 'offline' });
  });

  it('capacity is reserved atomically: concurrent handoffs never share the last slot of an agent', async () => {
    const team = id('one-slot-team');
    const agent = id('one-slot');
    await registerAgent(agent, { teams: [team], capacity: [{ channel: 'web_chat', max: 1 }] });
    const tickets = Array.from({ length: 6 }, () => id('t-slot'));
    for (const ticketId of tickets) await openTicket(ticketId, 1);
    for (const ticketId of tickets) await prepareBrief(ticketId, 1);
    const pool = testPool(db.url, { max: 1 });
    try {
      await eventually(
        async () => {
          const { rows } = await pool.query<{ n: string }>(
            'SELECT count(*) AS n FROM escalation.briefs WHERE tenant_id = $1 AND ticket_id = ANY($2::text[])',
            [TENANT, tickets],
          );
          return Number(rows[0]?.n) === tickets.length ? true : undefined;
        },
        30_000,
        'the briefs to be known',
      );
    } finally {
      await pool.end();
    }

    // All at once: each request routes with the brief present and finds the agent's slot free.
    const responses = await Promise.all(
      tickets.map((ticketId) =>
        api('POST', '/v1/handoffs', handoffBody(ticketId, { to: { kind: 'team', id: team } })),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(tickets.map(() => 201));
    const offered = responses.filter((r) => r.body['status'] === 'offered');
    expect(offered).toHaveLength(1);
    expect(offered[0]?.body['currentOffer']).toMatchObject({ agentId: agent });
    const waiting = responses.filter((r) => r.body['status'] === 'requested');
    expect(waiting).toHaveLength(tickets.length - 1);
    for (const response of waiting) expect(lifecycleTypes(response.body)).toContain('NoEligibleAgentFound');
    expect((await api('GET', `/v1/agents/${agent}`)).body['load']).toEqual({ web_chat: 1 });

    // A decline gives the slot back; a waiting handoff retried meanwhile may take it, never more.
    const offeredId = offered[0]?.body['handoffId'] as string;
    const declined = await api('POST', `/v1/handoffs/${offeredId}/decline`, {
      agentId: agent,
      reasonCode: 'busy',
    });
    expect(declined.status).toBe(200);
    const settled = await eventually(
      async () => {
        const load = (await api('GET', `/v1/agents/${agent}`)).body['load'] as Record<string, number>;
        const open = (await api('GET', `/v1/agents/${agent}/offers?status=offered`)).body as unknown as {
          handoffId: string;
        }[];
        const held = load['web_chat'] ?? 0;
        return open.every((o) => o.handoffId !== offeredId) && held === open.length ? { held } : undefined;
      },
      20_000,
      'the declined slot to be released',
    );
    expect(settled.held).toBeLessThanOrEqual(1);
  });

  it('answers bad input: 403 for someone else, idempotent accept, 409 after expiry, 422 without reason, 404/409 tickets, auditor 403', async () => {
    const ticketId = id('t-bad');
    await openTicket(ticketId, 1);
    await prepareBrief(ticketId, 1);
    const team = id('bad-team');
    const mine = id('mine');
    await registerAgent(mine, { teams: [team] });
    const requested = await requestHandoff(handoffBody(ticketId, { to: { kind: 'team', id: team } }));
    const handoffId = requested.body['handoffId'] as string;
    await waitForStatus(handoffId, 'offered');

    expect((await api('POST', `/v1/handoffs/${handoffId}/accept`, { agentId: 'someone-else' })).status).toBe(
      403,
    );
    const decline = await api('POST', `/v1/handoffs/${handoffId}/decline`, { agentId: mine });
    expect(decline.status).toBe(422);
    expect(decline.body).toMatchObject({ code: 'decline-reason-required', field: 'reasonCode' });
    expect(
      (await api('POST', `/v1/handoffs/${handoffId}/accept`, { agentId: mine }, auditor.key)).status,
    ).toBe(403);
    const first = await api('POST', `/v1/handoffs/${handoffId}/accept`, { agentId: mine });
    const second = await api('POST', `/v1/handoffs/${handoffId}/accept`, { agentId: mine });
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(lifecycleTypes(second.body).filter((t) => t === 'HandoffAccepted')).toHaveLength(1);

    expect((await api('POST', '/v1/handoffs', handoffBody(id('t-unknown')))).status).toBe(404);
    const closed = id('t-closed');
    await openTicket(closed, 1);
    await publish('conversations', 'dev.handoff.conversations.TicketClosed.v1', {
      ...example('dev.handoff.conversations.TicketClosed.v1'),
      tenantId: TENANT,
      ticketId: closed,
    });
    const refused = await eventually(async () => {
      const response = await api('POST', '/v1/handoffs', handoffBody(closed));
      return response.status === 409 ? response : undefined;
    });
    expect(String(refused.body['type'])).toContain('ticket-closed');
    expect((await api('POST', '/v1/handoffs', handoffBody(ticketId), auditor.key)).status).toBe(403);

    // Accepting after the expiry: a 1 s deadline for this team.
    const quick = id('quick-team');
    const late = id('late');
    await registerAgent(late, { teams: [quick] });
    expect(
      (
        await api('PUT', `/v1/acceptance-policies/${quick}/ai_to_human`, {
          timeoutSeconds: 1,
          maxExpiries: 5,
        })
      ).status,
    ).toBe(200);
    const lateTicket = id('t-late');
    await openTicket(lateTicket, 1);
    await prepareBrief(lateTicket, 1);
    const lateHandoff = await requestHandoff(handoffBody(lateTicket, { to: { kind: 'team', id: quick } }));
    const lateId = lateHandoff.body['handoffId'] as string;
    await waitForStatus(lateId, 'offered');
    await eventually(() => publishedOf(lateId, 'dev.handoff.escalation.OfferExpired.v1')[0]);
    const tooLate = await api('POST', `/v1/handoffs/${lateId}/accept`, { agentId: late });
    expect(tooLate.status).toBe(409);
    expect(tooLate.body).toMatchObject({ status: 409, handoffId: lateId });
    expect(String(tooLate.body['type'])).toContain('offer-not-open');
    const lateAgent = await eventually(async () => {
      const body = (await api('GET', `/v1/agents/${late}`)).body;
      return (body['counts'] as { expiries?: number } | undefined)?.expiries === 1 ? body : undefined;
    });
    expect(lateAgent['counts']).toMatchObject({ offers: 1, expiries: 1, declines: 0 });
  });

  it('expiry chain across a restart: the pending deadline fires once after the restart and re-offers', async () => {
    const team = id('chain-team');
    const [a, b, boss] = [id('a'), id('b'), id('boss')];
    await registerAgent(a, { teams: [team] });
    await registerAgent(b, { teams: [team], capacity: [{ channel: 'web_chat', max: 5 }] });
    await registerAgent(boss, {
      teams: [team],
      supervisor: true,
      capacity: [{ channel: 'web_chat', max: 5 }],
    });
    expect(
      (await api('PUT', `/v1/acceptance-policies/${team}/*`, { timeoutSeconds: 3, maxExpiries: 2 })).status,
    ).toBe(200);
    const ticketId = id('t-chain');
    await openTicket(ticketId, 1);
    await prepareBrief(ticketId, 1);
    const requested = await requestHandoff(handoffBody(ticketId, { to: { kind: 'team', id: team } }));
    const handoffId = requested.body['handoffId'] as string;
    const first = await waitForStatus(handoffId, 'offered');
    const firstAgent = (first['currentOffer'] as { agentId: string }).agentId;

    // Stop the service while the deadline is pending; it passes while nothing runs.
    await service?.close();
    service = undefined;
    await sleep(3500);
    await start();

    const second = await eventually(async () => {
      const body = (await detail(handoffId)).body;
      return body['status'] === 'offered' && body['attempts'] === 2 ? body : undefined;
    });
    const secondAgent = (second['currentOffer'] as { agentId: string }).agentId;
    expect(secondAgent).not.toBe(firstAgent);
    expect(lifecycleTypes(second).filter((t) => t === 'OfferExpired')).toHaveLength(1);

    // The second expiry reaches N = 2: a supervisor takes the handoff.
    const escalated = await eventually(async () => {
      const body = (await detail(handoffId)).body;
      return body['escalated'] === true && body['status'] === 'offered' ? body : undefined;
    }, 20_000);
    expect(escalated['currentOffer']).toMatchObject({ agentId: boss });
    expect(lifecycleTypes(escalated)).toEqual([
      'HandoffRequested',
      'BriefAttached',
      'HandoffOffered',
      'OfferExpired',
      'HandoffOffered',
      'OfferExpired',
      'HandoffEscalatedToSupervisor',
      'HandoffOffered',
    ]);
    await eventually(
      () => publishedOf(handoffId, 'dev.handoff.escalation.HandoffEscalatedToSupervisor.v1')[0],
    );
    expect(
      publishedOf(handoffId, 'dev.handoff.escalation.OfferExpired.v1').map(
        (e) => (e.data as { expiries: number }).expiries,
      ),
    ).toEqual([1, 2]);
  });

  it('channel switch: recorded without acceptance when the owner stays', async () => {
    const ticketId = id('t-switch');
    await openTicket(ticketId, 2);
    const owner = id('owner');
    await registerAgent(owner, {
      capacity: [
        { channel: 'web_chat', max: 5 },
        { channel: 'whatsapp', max: 5 },
      ],
    });
    await publish('ownership', 'dev.handoff.ownership.OwnerAssigned.v1', {
      ...example('dev.handoff.ownership.OwnerAssigned.v1'),
      tenantId: TENANT,
      ticketId,
      owner: { kind: 'agent', id: owner },
    });
    await sleep(500);
    const switched = await publish('conversations', 'dev.handoff.conversations.ChannelSwitched.v1', {
      ...example('dev.handoff.conversations.ChannelSwitched.v1'),
      tenantId: TENANT,
      ticketId,
      customerId: `cus-${ticketId}`,
      fromChannel: 'web_chat',
      toChannel: 'whatsapp',
    });
    const handoffId = deriveEventId(switched.id, 0);
    const recorded = await eventually(async () => {
      const response = await detail(handoffId);
      return response.status === 200 ? response.body : undefined;
    });
    expect(recorded).toMatchObject({
      status: 'recorded',
      handoffType: 'channel_switch',
      to: { kind: 'agent', id: owner },
    });
    expect(lifecycleTypes(recorded)).toEqual(['HandoffRequested', 'ChannelSwitchRecorded']);
    const request = await eventually(
      () => publishedOf(handoffId, 'dev.handoff.escalation.HandoffRequested.v1')[0],
    );
    expect(request.data).toMatchObject({
      handoffType: 'channel_switch',
      channel: 'whatsapp',
      conversationPosition: '2',
    });
  });

  it('queues, cancel and hand back over REST', async () => {
    const team = id('queue-team');
    const ticketId = id('t-queue');
    await openTicket(ticketId, 1);
    const waiting = await requestHandoff(handoffBody(ticketId, { to: { kind: 'team', id: team } }));
    const waitingId = waiting.body['handoffId'] as string;
    const queue = await eventually(async () => {
      const queues = (await api('GET', '/v1/queues')).body as unknown as {
        target: { id: string };
        waiting: number;
      }[];
      return queues.find((q) => q.target.id === team);
    });
    expect(queue).toMatchObject({ waiting: 1, offered: 0 });
    const listed = (await api('GET', `/v1/queues/team/${team}`)).body as unknown as { handoffId: string }[];
    expect(listed.map((h) => h.handoffId)).toEqual([waitingId]);
    const cancelled = await api('POST', `/v1/handoffs/${waitingId}/cancel`, { reason: 'customer left' });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body['status']).toBe('cancelled');
    expect((await api('POST', `/v1/handoffs/${waitingId}/cancel`, { reason: 'again' })).status).toBe(200);
    await eventually(() => publishedOf(waitingId, 'dev.handoff.escalation.HandoffCancelled.v1')[0]);

    const agent = id('hb');
    await registerAgent(agent, { teams: [team] });
    await prepareBrief(ticketId, 1);
    const second = await requestHandoff(handoffBody(ticketId, { to: { kind: 'team', id: team } }));
    const secondId = second.body['handoffId'] as string;
    await waitForStatus(secondId, 'offered');
    expect((await api('POST', `/v1/handoffs/${secondId}/accept`, { agentId: agent })).status).toBe(200);
    const back = await api('POST', `/v1/handoffs/${secondId}/hand-back`, {
      reason: 'resolved, bot follows up',
    });
    expect(back.body['status']).toBe('handed_back');
    expect((await api('POST', `/v1/handoffs/${secondId}/cancel`, { reason: 'late' })).status).toBe(409);
    const handedBack = await eventually(
      () => publishedOf(secondId, 'dev.handoff.escalation.HandedBackToBot.v1')[0],
    );
    expect(handedBack.data).toMatchObject({ botId: 'bot', reason: 'resolved, bot follows up' });
  });

  it('isolates tenants: no reads, no writes, no routing across tenants', async () => {
    const ticketId = id('t-iso');
    await openTicket(ticketId, 1);
    await prepareBrief(ticketId, 1);
    const agent = id('iso');
    await registerAgent(agent, { teams: ['iso-team'] });
    const requested = await requestHandoff(handoffBody(ticketId, { to: { kind: 'team', id: 'iso-team' } }));
    const handoffId = requested.body['handoffId'] as string;
    await waitForStatus(handoffId, 'offered');

    const seen = await detail(handoffId, other.key);
    expect(seen.status).toBe(404);
    expect(
      (await api('POST', `/v1/handoffs/${handoffId}/accept`, { agentId: agent }, other.key)).status,
    ).toBe(404);
    expect((await api('POST', `/v1/handoffs/${handoffId}/cancel`, { reason: 'x' }, other.key)).status).toBe(
      404,
    );
    expect((await api('GET', `/v1/agents/${agent}`, undefined, other.key)).status).toBe(404);
    expect((await api('GET', `/v1/agents/${agent}/offers`, undefined, other.key)).body).toEqual([]);
    // Tenant A's ticket is unknown to tenant B.
    expect((await api('POST', '/v1/handoffs', handoffBody(ticketId), other.key)).status).toBe(404);
    // Tenant B's team of the same name gets no tenant-A agent.
    const bTicket = id('t-iso-b');
    await openTicket(bTicket, 1, OTHER);
    await prepareBrief(bTicket, 1, 1, OTHER);
    const bRequest = await requestHandoff(
      handoffBody(bTicket, { to: { kind: 'team', id: 'iso-team' } }),
      other.key,
    );
    const bId = bRequest.body['handoffId'] as string;
    await eventually(() => publishedOf(bId, 'dev.handoff.escalation.NoEligibleAgent.v1')[0]);
    expect((await detail(bId, other.key)).body['status']).toBe('requested');
    expect(
      published
        .filter((e) => e.tenantId === OTHER)
        .every((e) => (e.data as { tenantId: string }).tenantId === OTHER),
    ).toBe(true);
  });
});
