import crypto from 'node:crypto';
import { deadLetterTopic, eventsTopic, toKafkaMessage } from '@handoff/contracts';
import { type Pool } from 'pg';
import { mintApiKey } from '@handoff/platform';
import {
  createIsolatedDatabase,
  testInfrastructure,
  type IsolatedDatabase,
  testPool,
} from '@handoff/testing';
import { startOwnershipService, type RunningOwnershipService } from './bootstrap';
import {
  eventually,
  handoffAccepted,
  KafkaFixture,
  presenceChanged,
  ticketClosed,
  ticketOpened,
  ticketReopened,
} from './test/ownership.fixtures';

const { kafkaBrokers } = testInfrastructure();
const suffix = crypto.randomBytes(4).toString('hex');
const TENANT = `own-a-${suffix}`;
const OTHER = `own-b-${suffix}`;
const supervisorKey = mintApiKey(TENANT, ['supervisor']);
const auditorKey = mintApiKey(TENANT, ['auditor']);
const otherKey = mintApiKey(OTHER, ['supervisor', 'auditor']);

let database: IsolatedDatabase;
let service: RunningOwnershipService | undefined;
let kafka: KafkaFixture;
let pool: Pool;

const GROUP_ID = `handoff.ownership.int.${suffix}`;
const env = (database: IsolatedDatabase) => ({
  DATABASE_URL: database.url,
  KAFKA_BROKERS: kafkaBrokers.join(','),
  API_KEYS: [supervisorKey.entry, auditorKey.entry, otherKey.entry].join(','),
  PORT: '0',
  HOST: '127.0.0.1',
  LOG_LEVEL: process.env['OWNERSHIP_INT_LOG_LEVEL'] ?? 'silent',
  KAFKA_GROUP_ID: GROUP_ID,
  HANDOVER_ACK_TIMEOUT_SECONDS: '3',
  HANDOVER_POLL_INTERVAL_MS: '200',
});

const start = async () => {
  service = await startOwnershipService(env(database), { enableShutdownHooks: false });
  return service;
};

async function call(method: string, path: string, body?: unknown, key = supervisorKey.key) {
  const response = await fetch(`${service?.url}${path}`, {
    method,
    headers: { 'x-api-key': key, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = { text };
  }
  return { status: response.status, body: json, text, headers: response.headers };
}

const agent = (agentId: string, active = true, teamId?: string) =>
  call('PUT', `/v1/agents/${agentId}`, { active, ...(teamId ? { teamId } : {}) });

/** A ticket opened through the real conversations topic, owned by the bot once consumed. */
async function openTicket(tenantId = TENANT): Promise<string> {
  const ticketId = `tkt-${crypto.randomUUID()}`;
  await kafka.publish('conversations', ticketOpened(tenantId, ticketId));
  await eventually(
    () =>
      call(
        'GET',
        `/v1/tickets/${ticketId}/owner`,
        undefined,
        tenantId === TENANT ? supervisorKey.key : otherKey.key,
      ),
    (r) => r.status === 200,
  );
  return ticketId;
}

beforeAll(async () => {
  database = await createIsolatedDatabase('ownership');
  pool = testPool(database.url, { max: 2 });
  kafka = new KafkaFixture(kafkaBrokers);
  await start();
  for (const id of ['a1', 'a2', 'a3', 'sup-1']) expect((await agent(id)).status).toBe(200);
  for (let i = 0; i < 50; i++) await agent(`racer-${i}`);
  await agent('gone', false);
}, 120_000);

afterAll(async () => {
  await service?.close();
  await kafka?.close();
  await pool?.end();
  await database?.drop();
});

describe('ownership service (real PostgreSQL and Kafka)', () => {
  it('gives a ticket opened on the conversations topic to the bot identity', async () => {
    const ticketId = await openTicket();
    const owner = await call('GET', `/v1/tickets/${ticketId}/owner`);
    expect(owner.body).toMatchObject({ status: 'owned', owner: { kind: 'bot', id: 'bot' } });
  });

  it('lets exactly one of 50 concurrent conflicting transfers win; the others get 409 with the owner', async () => {
    const ticketId = await openTicket();
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        call('POST', `/v1/tickets/${ticketId}/owner/transfer`, {
          toAgentId: `racer-${i}`,
          reason: 'race',
          expectedOwnerId: 'bot',
        }),
      ),
    );
    const winners = results.filter((r) => r.status === 200);
    const losers = results.filter((r) => r.status === 409);
    expect(winners).toHaveLength(1);
    expect(losers).toHaveLength(49);
    const winner = (winners[0]?.body['owner'] as { id: string }).id;
    for (const loser of losers) {
      expect(loser.headers.get('content-type')).toContain('application/problem+json');
      expect(loser.body['currentOwner']).toMatchObject({ kind: 'agent', id: winner });
    }
    const history = await call('GET', `/v1/tickets/${ticketId}/history`);
    const transfers = (history.body['entries'] as { type: string }[]).filter(
      (e) => e.type === 'OwnershipTransferred',
    );
    expect(transfers).toHaveLength(1);
  });

  it('refuses bad transfers: current owner 422, unknown agent 404, deactivated agent 422', async () => {
    const ticketId = await openTicket();
    expect(
      (await call('POST', `/v1/tickets/${ticketId}/owner/transfer`, { toAgentId: 'a1', reason: 'r' })).status,
    ).toBe(200);
    const same = await call('POST', `/v1/tickets/${ticketId}/owner/transfer`, {
      toAgentId: 'a1',
      reason: 'r',
    });
    expect([same.status, same.body['code']]).toEqual([422, 'already-owner']);
    const unknown = await call('POST', `/v1/tickets/${ticketId}/owner/transfer`, {
      toAgentId: 'nobody',
      reason: 'r',
    });
    expect([unknown.status, unknown.body['code']]).toEqual([404, 'agent-not-found']);
    const gone = await call('POST', `/v1/tickets/${ticketId}/owner/transfer`, {
      toAgentId: 'gone',
      reason: 'r',
    });
    expect([gone.status, gone.body['code']]).toEqual([422, 'agent-deactivated']);
  });

  it('records a HandoffAccepted from the escalation topic as a transfer, visible over REST and published', async () => {
    const ticketId = await openTicket();
    const accepted = handoffAccepted(TENANT, ticketId, 'a2');
    await kafka.publish('escalation', accepted);
    const owner = await eventually(
      () => call('GET', `/v1/tickets/${ticketId}/owner`),
      (r) => (r.body['owner'] as { id?: string } | null)?.id === 'a2',
    );
    expect(owner.body['owner']).toMatchObject({ kind: 'agent', id: 'a2', teamId: 'tier-2' });
    const history = await call('GET', `/v1/tickets/${ticketId}/history`);
    const handoffId = (accepted.data as { handoffId: string }).handoffId;
    expect(history.body['entries']).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          type: 'OwnershipTransferred',
          handoffId,
          brief: { briefId: 'brief-1', version: 2 },
        }),
      ]),
    );
    const published = await kafka.ownershipEventsOf(ticketId, (events) =>
      events.some((e) => e.type === 'dev.handoff.ownership.OwnershipTransferred.v1'),
    );
    expect(
      published.find((e) => e.type === 'dev.handoff.ownership.OwnershipTransferred.v1')?.data,
    ).toMatchObject({
      tenantId: TENANT,
      ticketId,
      from: { kind: 'bot', id: 'bot' },
      to: { kind: 'agent', id: 'a2' },
      handoffId,
      brief: { briefId: 'brief-1', version: 2 },
    });
    // A redelivered HandoffAccepted changes nothing.
    await kafka.publish('escalation', { ...accepted, id: crypto.randomUUID() });
    await kafka.publish('escalation', presenceChanged(TENANT, 'a2', 'online'));
    await eventually(
      () =>
        pool.query<{ presence: string }>(
          `SELECT presence FROM ownership.agents WHERE tenant_id = $1 AND agent_id = 'a2'`,
          [TENANT],
        ),
      (r) => r.rows[0]?.presence === 'online',
    );
    const after = await call('GET', `/v1/tickets/${ticketId}/history`);
    expect(
      (after.body['entries'] as { type: string }[]).filter((e) => e.type === 'OwnershipTransferred'),
    ).toHaveLength(1);
  });

  it('closes and reopens from the conversations topic: back to an online owner, else to routing', async () => {
    const status = (ticketId: string) => call('GET', `/v1/tickets/${ticketId}/owner`);
    const online = await openTicket();
    const offline = await openTicket();
    await agent('day-1');
    await agent('day-2');
    await call('POST', `/v1/tickets/${online}/owner/transfer`, { toAgentId: 'day-1', reason: 'r' });
    await call('POST', `/v1/tickets/${offline}/owner/transfer`, { toAgentId: 'day-2', reason: 'r' });
    await kafka.publish('escalation', presenceChanged(TENANT, 'day-1', 'online'));
    await kafka.publish('escalation', presenceChanged(TENANT, 'day-2', 'offline'));
    for (const ticketId of [online, offline]) {
      await kafka.publish('conversations', ticketClosed(TENANT, ticketId));
      await eventually(
        () => status(ticketId),
        (r) => r.body['status'] === 'closed',
      );
    }
    await eventually(
      () =>
        pool.query<{ n: string }>(
          `SELECT count(*) AS n FROM ownership.agents WHERE tenant_id = $1 AND presence_changed_at IS NOT NULL
              AND agent_id IN ('day-1', 'day-2')`,
          [TENANT],
        ),
      (r) => r.rows[0]?.n === '2',
    );
    for (const ticketId of [online, offline])
      await kafka.publish('conversations', ticketReopened(TENANT, ticketId));
    const back = await eventually(
      () => status(online),
      (r) => r.body['status'] === 'owned',
    );
    expect(back.body['owner']).toMatchObject({ id: 'day-1' });
    const routed = await eventually(
      () => status(offline),
      (r) => r.body['status'] === 'lapsed',
    );
    expect(routed.body['lapse']).toMatchObject({ cause: 'reopened_owner_offline' });
    const published = await kafka.ownershipEventsOf(offline, (events) =>
      events.some((e) => e.type === 'dev.handoff.ownership.OwnershipLapsed.v1'),
    );
    expect(published.map((e) => e.type)).toEqual(
      expect.arrayContaining([
        'dev.handoff.ownership.TicketClosed.v1',
        'dev.handoff.ownership.TicketReopened.v1',
        'dev.handoff.ownership.OwnershipLapsed.v1',
      ]),
    );
  });

  it('dead-letters facts the rules refuse, with the reason, and applies the next message of the partition', async () => {
    const ticketId = await openTicket();
    // Both keyed by the ticket id, hence on the same partition of the escalation topic, in this order.
    const refused = handoffAccepted(TENANT, ticketId, 'gone');
    const next = handoffAccepted(TENANT, ticketId, 'a1');
    await kafka.publish('escalation', refused);
    await kafka.publish('escalation', next);
    const owner = await eventually(
      () => call('GET', `/v1/tickets/${ticketId}/owner`),
      (r) => (r.body['owner'] as { id?: string } | null)?.id === 'a1',
    );
    expect(owner.body['owner']).toMatchObject({ kind: 'agent', id: 'a1' });
    const escalationTopic = eventsTopic('escalation');
    const parked = await kafka.firstMessageOf(
      deadLetterTopic(escalationTopic),
      // The topics are shared with other services' suites, whose groups park the same message too.
      (message) =>
        message.headers['ce_id'] === refused.id && message.headers['dlq_consumer_group'] === GROUP_ID,
    );
    expect(parked.key).toBe(ticketId);
    expect(parked.value?.equals(toKafkaMessage(refused).value)).toBe(true);
    expect(parked.headers).toMatchObject({
      dlq_reason: 'agent-deactivated',
      dlq_consumer_group: GROUP_ID,
      dlq_attempts: '1',
      dlq_original_topic: escalationTopic,
    });
    expect(parked.headers['dlq_error']).toContain('gone');
    const history = await call('GET', `/v1/tickets/${ticketId}/history`);
    const transfers = (history.body['entries'] as { type: string; to?: { id: string } }[]).filter(
      (e) => e.type === 'OwnershipTransferred',
    );
    expect(transfers.map((t) => t.to?.id)).toEqual(['a1']);

    // A reopen of a ticket ownership never saw is refused too (conversations topic).
    const unknown = ticketReopened(TENANT, `tkt-${crypto.randomUUID()}`);
    await kafka.publish('conversations', unknown);
    const parkedReopen = await kafka.firstMessageOf(
      deadLetterTopic(eventsTopic('conversations')),
      (message) =>
        message.headers['ce_id'] === unknown.id && message.headers['dlq_consumer_group'] === GROUP_ID,
    );
    expect(parkedReopen.headers).toMatchObject({
      dlq_reason: 'ticket-not-found',
      dlq_consumer_group: GROUP_ID,
    });
  });

  it('refuses a shift handover of 3 tickets where one lacks a note as a whole: nothing changes', async () => {
    await agent('eve');
    const tickets = [await openTicket(), await openTicket(), await openTicket()];
    for (const ticketId of tickets)
      await call('POST', `/v1/tickets/${ticketId}/owner/transfer`, { toAgentId: 'eve', reason: 'evening' });
    const streams = tickets.map((ticketId) => `ownership-${ticketId}`);
    const eventCount = async () =>
      (
        await pool.query<{ n: string }>(
          `SELECT count(*) AS n FROM ownership_events.events WHERE stream_name = ANY($1)`,
          [streams],
        )
      ).rows[0]?.n;
    const before = await eventCount();
    const note = { status: 'waiting on the carrier', nextSteps: ['call the carrier'], promisesMade: [] };
    const [first, second, third] = tickets as [string, string, string];
    const items = [
      { ticketId: first, toAgentId: 'a1', note },
      { ticketId: second, toAgentId: 'a3' },
      { ticketId: third, toAgentId: 'a1', note },
    ];
    const refused = await call('POST', '/v1/agents/eve/shift-handover', { handovers: items });
    expect([refused.status, refused.body['code']]).toEqual([422, 'shift-handover-refused']);
    expect(refused.body['refusedTickets']).toEqual([
      expect.objectContaining({ ticketId: second, code: 'handover-note-missing' }),
    ]);
    expect(await eventCount()).toBe(before);
    const handoverRows = await pool.query(`SELECT 1 FROM ownership.handovers WHERE ticket_id = ANY($1)`, [
      tickets,
    ]);
    expect(handoverRows.rowCount).toBe(0);
    for (const ticketId of tickets) {
      const owner = await call('GET', `/v1/tickets/${ticketId}/owner`);
      expect(owner.body['owner']).toMatchObject({ id: 'eve' });
    }

    // Corrected, it hands over all three; asked again, it answers the same handovers.
    const fixed = items.map((item) => ({ ...item, note }));
    const accepted = await call('POST', '/v1/agents/eve/shift-handover', { handovers: fixed });
    expect(accepted.status).toBe(200);
    const ids = (accepted.body['handovers'] as { ticketId: string; handoverId: string }[]).map((h) => [
      h.ticketId,
      h.handoverId,
    ]);
    expect(ids.map(([ticketId]) => ticketId)).toEqual(tickets);
    expect(new Set(ids.map(([, id]) => id)).size).toBe(3);
    const again = await call('POST', '/v1/agents/eve/shift-handover', { handovers: fixed });
    expect(
      (again.body['handovers'] as { ticketId: string; handoverId: string }[]).map((h) => [
        h.ticketId,
        h.handoverId,
      ]),
    ).toEqual(ids);
  });

  it('answers owner-as-of at any instant, before existence and in the future', async () => {
    const ticketId = await openTicket();
    const before = new Date();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await call('POST', `/v1/tickets/${ticketId}/owner/transfer`, { toAgentId: 'a1', reason: 'r' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const middle = new Date();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await call('POST', `/v1/tickets/${ticketId}/owner/release`, { reason: 'end of day' });
    const asOf = (at: Date) =>
      call('GET', `/v1/tickets/${ticketId}/owner?at=${encodeURIComponent(at.toISOString())}`);
    expect((await asOf(before)).body).toMatchObject({ state: 'owned', owner: { id: 'bot' } });
    expect((await asOf(middle)).body).toMatchObject({ state: 'owned', owner: { id: 'a1' } });
    expect((await asOf(new Date())).body).toMatchObject({ state: 'lapsed', owner: null, reason: 'released' });
    const lapsed = await call('GET', '/v1/lapsed-tickets');
    expect(lapsed.body['tickets']).toEqual(
      expect.arrayContaining([expect.objectContaining({ ticketId, cause: 'released', lastOwnerId: 'a1' })]),
    );
    const early = await asOf(new Date('2001-01-01T00:00:00Z'));
    expect([early.status, early.body['state']]).toEqual([200, 'not_yet_opened']);
    const future = await asOf(new Date(Date.now() + 86_400_000));
    expect([future.status, future.body['state']]).toEqual([200, 'in_future']);
    const segments = await call('GET', `/v1/tickets/${ticketId}/owner-segments`);
    expect((segments.body['segments'] as { status: string }[]).map((s) => s.status)).toEqual([
      'owned',
      'owned',
      'lapsed',
    ]);
    const agentTickets = await call(
      'GET',
      `/v1/agents/a1/tickets?from=${encodeURIComponent(before.toISOString())}&to=${encodeURIComponent(new Date().toISOString())}`,
    );
    expect(agentTickets.body['tickets']).toContain(ticketId);
  });

  it('hands over a shift with notes; acknowledged moves the owner, unacknowledged escalates once, across a restart', async () => {
    await agent('night');
    const acknowledged = await openTicket();
    const unacknowledged = await openTicket();
    for (const ticketId of [acknowledged, unacknowledged]) {
      await call('POST', `/v1/tickets/${ticketId}/owner/transfer`, {
        toAgentId: 'night',
        reason: 'night shift',
      });
    }
    const note = {
      status: 'awaiting refund',
      nextSteps: ['confirm refund'],
      promisesMade: ['call by 10:00'],
    };
    const withoutNote = await call('POST', '/v1/agents/night/shift-handover', {
      handovers: [
        { ticketId: acknowledged, toAgentId: 'a1', note },
        { ticketId: unacknowledged, toAgentId: 'a3' },
      ],
      supervisorId: 'sup-1',
    });
    expect([withoutNote.status, withoutNote.body['code']]).toEqual([422, 'shift-handover-refused']);
    expect(withoutNote.body['refusedTickets']).toEqual([
      expect.objectContaining({ ticketId: unacknowledged, code: 'handover-note-missing' }),
    ]);
    const incomplete = await call('POST', '/v1/agents/night/shift-handover', {
      handovers: [{ ticketId: acknowledged, toAgentId: 'a1', note }],
    });
    expect([incomplete.status, incomplete.body['code']]).toEqual([422, 'handover-incomplete']);

    const handover = await call('POST', '/v1/agents/night/shift-handover', {
      handovers: [
        { ticketId: acknowledged, toAgentId: 'a1', note },
        { ticketId: unacknowledged, toAgentId: 'a3', note },
      ],
      supervisorId: 'sup-1',
    });
    expect(handover.status).toBe(200);
    const ids = handover.body['handovers'] as { ticketId: string; handoverId: string }[];
    const first = ids.find((h) => h.ticketId === acknowledged)?.handoverId;
    const ack = await call('POST', `/v1/tickets/${acknowledged}/handovers/${first}/acknowledge`, {
      agentId: 'a1',
    });
    expect(ack.body).toMatchObject({ owner: { id: 'a1' } });

    // Stop before the deadline; it passes while the service is down and fires after the restart.
    await service?.close();
    service = undefined;
    await new Promise((resolve) => setTimeout(resolve, 3500));
    await start();
    const escalated = await eventually(
      () => call('GET', `/v1/tickets/${unacknowledged}/owner`),
      (r) => (r.body['owner'] as { id?: string } | null)?.id === 'sup-1',
    );
    expect(escalated.body['owner']).toMatchObject({ id: 'sup-1' });
    await new Promise((resolve) => setTimeout(resolve, 800));
    const history = await call('GET', `/v1/tickets/${unacknowledged}/history`);
    const types = (history.body['entries'] as { type: string }[]).map((e) => e.type);
    expect(types.filter((t) => t === 'ShiftHandoverEscalated')).toHaveLength(1);
    const stillA1 = await call('GET', `/v1/tickets/${acknowledged}/owner`);
    expect(stillA1.body['owner']).toMatchObject({ id: 'a1' });
  }, 60_000);

  it('replays, streams NDJSON and CSV, verifies, and detects a tampered stream', async () => {
    const from = new Date(Date.now() - 120_000);
    const ticketId = await openTicket();
    await call('POST', `/v1/tickets/${ticketId}/owner/transfer`, { toAgentId: 'a1', reason: 'billing' });
    await call('POST', `/v1/tickets/${ticketId}/owner/transfer`, { toAgentId: 'a3', reason: 'tier 2' });
    const replay = await call('GET', `/v1/audit/tickets/${ticketId}/replay`, undefined, auditorKey.key);
    const steps = replay.body['steps'] as { type: string; stateAfter: { owner: { id: string } | null } }[];
    expect(steps.map((s) => s.type)).toEqual([
      'OwnershipOpened',
      'OwnerAssigned',
      'OwnershipTransferred',
      'OwnershipTransferred',
    ]);
    expect(steps.map((s) => s.stateAfter.owner?.id ?? null)).toEqual([null, 'bot', 'a1', 'a3']);

    const to = new Date(Date.now() + 1000);
    const range = `from=${encodeURIComponent(from.toISOString())}&to=${encodeURIComponent(to.toISOString())}`;
    const ndjson = await call('GET', `/v1/audit/replay?${range}`, undefined, auditorKey.key);
    expect(ndjson.headers.get('content-type')).toContain('application/x-ndjson');
    const lines = ndjson.text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { ticketId: string; type: string });
    expect(lines.filter((l) => l.ticketId === ticketId).map((l) => l.type)).toEqual(steps.map((s) => s.type));
    const csv = await call('GET', `/v1/audit/replay?${range}&format=csv`, undefined, auditorKey.key);
    expect(csv.headers.get('content-type')).toContain('text/csv');
    expect(csv.text.split('\r\n')[0]).toContain('ticketId,revision');
    expect(csv.text).toContain(`"${ticketId}","2"`);
    // Tenant B's replay sees none of tenant A's events.
    const foreign = await call('GET', `/v1/audit/replay?${range}`, undefined, otherKey.key);
    expect(foreign.text).not.toContain(ticketId);

    const verified = await call('POST', `/v1/audit/tickets/${ticketId}/verify`, undefined, auditorKey.key);
    expect(verified.body).toMatchObject({ ok: true, events: 4 });
    await pool.query(
      `UPDATE ownership_events.events SET data = jsonb_set(data::jsonb, '{reason}', '"nothing to see"')::json
        WHERE stream_name = $1 AND revision = 2`,
      [`ownership-${ticketId}`],
    );
    const tampered = await call('POST', `/v1/audit/tickets/${ticketId}/verify`, undefined, auditorKey.key);
    expect(tampered.body).toMatchObject({ ok: false, firstBrokenRevision: 2 });
  });

  it('isolates tenants (404) and keeps auditors read-only (403)', async () => {
    const ticketId = await openTicket();
    for (const path of ['owner', 'history', 'owner-segments']) {
      const foreign = await call('GET', `/v1/tickets/${ticketId}/${path}`, undefined, otherKey.key);
      expect([foreign.status, foreign.body['code']]).toEqual([404, 'ticket-not-found']);
    }
    expect((await call('POST', `/v1/audit/tickets/${ticketId}/verify`, undefined, otherKey.key)).status).toBe(
      404,
    );
    const write = await call(
      'POST',
      `/v1/tickets/${ticketId}/owner/transfer`,
      { toAgentId: 'a1', reason: 'r' },
      otherKey.key,
    );
    expect(write.status).toBe(404);
    const auditorWrite = await call(
      'POST',
      `/v1/tickets/${ticketId}/owner/transfer`,
      { toAgentId: 'a1', reason: 'r' },
      auditorKey.key,
    );
    expect(auditorWrite.status).toBe(403);
    expect((await call('GET', `/v1/tickets/${ticketId}/owner`, undefined, auditorKey.key)).status).toBe(200);
    expect(
      (await call('POST', `/v1/audit/tickets/${ticketId}/verify`, undefined, auditorKey.key)).status,
    ).toBe(200);
  });

  it('documents every endpoint in OpenAPI, 422 and 409 included', async () => {
    const document = await call('GET', '/docs-json');
    const paths = document.body['paths'] as Record<
      string,
      Record<string, { responses: Record<string, unknown> }>
    >;
    for (const path of [
      '/v1/tickets/{ticketId}/owner',
      '/v1/tickets/{ticketId}/history',
      '/v1/tickets/{ticketId}/owner-segments',
      '/v1/tickets/{ticketId}/owner/transfer',
      '/v1/tickets/{ticketId}/handovers/{handoverId}/acknowledge',
      '/v1/agents/{agentId}/tickets',
      '/v1/agents/{agentId}/shift-handover',
      '/v1/teams/{teamId}',
      '/v1/audit/tickets/{ticketId}/replay',
      '/v1/audit/tickets/{ticketId}/verify',
      '/v1/audit/replay',
      '/v1/lapsed-tickets',
    ]) {
      expect(paths[path]).toBeDefined();
    }
    expect(Object.keys(paths['/v1/tickets/{ticketId}/owner/transfer']?.['post']?.responses ?? {})).toEqual(
      expect.arrayContaining(['409', '422', '404']),
    );
  });

  it('assigns to a team only through its lead rule', async () => {
    const ticketId = await openTicket();
    expect((await call('PUT', '/v1/teams/queue', { name: 'General queue' })).status).toBe(200);
    const refused = await call('POST', `/v1/tickets/${ticketId}/owner/assign`, { teamId: 'queue' });
    expect([refused.status, refused.body['code']]).toEqual([422, 'team-without-lead']);
    await call('PUT', '/v1/teams/billing', {
      name: 'Billing',
      leadRule: { type: 'named_lead', agentId: 'a3' },
    });
    const assigned = await call('POST', `/v1/tickets/${ticketId}/owner/assign`, { teamId: 'billing' });
    expect(assigned.body).toMatchObject({ owner: { id: 'a3', teamId: 'billing' } });
  });
});
