import { toKafkaMessage } from '@handoff/contracts';
import { mintApiKey, type MintedApiKey } from '@handoff/platform';
import {
  createIsolatedDatabase,
  testInfrastructure,
  uniqueName,
  type IsolatedDatabase,
  testPool,
} from '@handoff/testing';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { type Pool } from 'pg';
import type { handoffStory } from './application/handoff-story.query';
import type { InsightsQueries } from './application/insights-queries';
import { startInsightsService, type RunningInsightsService } from './bootstrap';
import { dropInsightsReadModels } from './projections/insights-rebuild';
import { scriptedTickets, type ScriptedEvent } from './testing/scripted-tickets.fixtures';

const MIN = 60_000;

/** The JSON of a figure (what the query returns, serialised). */
type Body<
  K extends
    | 'repeats'
    | 'ownerChanges'
    | 'resolutionAfterTransfer'
    | 'csat'
    | 'closureWithoutOutcome'
    | 'handoffQuality',
> = Awaited<ReturnType<InsightsQueries[K]>>;
type Story = Awaited<ReturnType<typeof handoffStory>>;
type Problem = { type: string; detail: string; status: number };
const T0 = Date.parse('2026-03-02T09:00:00.000Z');
const WINDOW = `from=2026-03-01T00:00:00Z&to=2026-03-12T00:00:00Z`;
const NOW = new Date('2026-03-20T00:00:00.000Z');

// Cross-topic disorder on purpose: ownership facts first, conversations last.
const TOPIC_ORDER = ['ownership', 'escalation', 'summarization', 'conversations'];

describe('insights over the real topics (scripted tickets)', () => {
  let db: IsolatedDatabase;
  let pool: Pool;
  let kafka: Kafka;
  let producer: Producer;
  let service: RunningInsightsService | undefined;
  const tenant = uniqueName('ins-a').replace(/_/g, '-');
  const other = uniqueName('ins-b').replace(/_/g, '-');
  const keys: Record<'agent' | 'supervisor' | 'auditor' | 'bot' | 'otherAgent', MintedApiKey> = {
    agent: mintApiKey(tenant, ['agent']),
    supervisor: mintApiKey(tenant, ['supervisor']),
    auditor: mintApiKey(tenant, ['auditor']),
    bot: mintApiKey(tenant, ['bot']),
    otherAgent: mintApiKey(other, ['agent']),
  };
  const events = scriptedTickets(tenant, T0);
  // The other tenant: the same script shifted by a day, with ticket ids of its own (only B and C).
  const otherEvents = scriptedTickets(other, T0).filter((e) =>
    ['ticket-b', 'ticket-c'].includes(e.event.subject),
  );

  const start = (groupId: string) =>
    startInsightsService(
      {
        DATABASE_URL: db.url,
        KAFKA_BROKERS: testInfrastructure().kafkaBrokers.join(','),
        API_KEYS: Object.values(keys)
          .map((k) => k.entry)
          .join(','),
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'error',
        KAFKA_GROUP_ID: groupId,
        KAFKA_PARTITIONS_CONSUMED_CONCURRENTLY: '2',
      },
      { clock: () => NOW, enableShutdownHooks: false },
    );

  async function produce(list: ScriptedEvent[]): Promise<void> {
    for (const context of TOPIC_ORDER) {
      const onTopic = list.filter((e) => e.topic === `handoff.${context}.events.v1`);
      if (onTopic.length === 0) continue;
      await producer.send({
        topic: onTopic[0]!.topic,
        acks: -1,
        messages: onTopic.map((e) => toKafkaMessage(e.event)),
      });
    }
  }

  /** Waits until every fact of `tenantId` is stored and derived. */
  async function caughtUp(tenantId: string, list: ScriptedEvent[]): Promise<void> {
    const presence = list.filter(
      (e) => e.event.type === 'dev.handoff.escalation.AgentPresenceChanged.v1',
    ).length;
    const ticketFacts = list.length - presence;
    const deadline = Date.now() + 60_000;
    for (;;) {
      const { rows } = await pool
        .query<{ facts: number; presence: number }>(
          `SELECT (SELECT count(*) FROM insights.ticket_facts WHERE tenant_id = $1)::int AS facts,
                (SELECT count(*) FROM insights.agent_presence WHERE tenant_id = $1)::int AS presence`,
          [tenantId],
        )
        .catch(() => ({ rows: [{ facts: -1, presence: -1 }] }));
      if (rows[0]?.facts === ticketFacts && rows[0]?.presence === presence) break;
      if (Date.now() > deadline) throw new Error(`folded ${JSON.stringify(rows[0])} of ${ticketFacts} facts`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await service!.drain();
  }

  async function get<T = Problem>(path: string, key: MintedApiKey = keys.agent) {
    const response = await fetch(`${service!.url}${path}`, { headers: { 'x-api-key': key.key } });
    return {
      status: response.status,
      type: response.headers.get('content-type'),
      body: (await response.json()) as T,
    };
  }

  /** Every figure by every dimension it has: what the rebuild must reproduce. */
  async function everyFigure() {
    const figures: Record<string, unknown> = {};
    const dims: Record<string, string[]> = {
      repeats: ['', 'edge', 'team', 'agent', 'channel'],
      'owner-changes': ['', 'team', 'agent', 'channel'],
      'resolution-after-transfer': ['', 'edge', 'team', 'agent', 'channel'],
      csat: ['', 'team', 'agent', 'channel'],
      'closure-without-outcome': ['', 'team', 'agent', 'channel'],
      'handoff-quality': ['', 'edge', 'sender', 'receiver', 'team', 'agent', 'channel'],
    };
    for (const [figure, list] of Object.entries(dims))
      for (const by of list) {
        const response = await get<unknown>(`/v1/insights/${figure}?${WINDOW}${by ? `&by=${by}` : ''}`);
        expect(response.status).toBe(200);
        figures[`${figure}:${by}`] = response.body;
      }
    for (const ticket of ['ticket-a', 'ticket-b', 'ticket-c', 'ticket-d'])
      figures[ticket] = (await get<Story>(`/v1/tickets/${ticket}/handoff-story`)).body;
    return figures;
  }

  beforeAll(async () => {
    db = await createIsolatedDatabase('insights');
    pool = testPool(db.url, { max: 2 });
    kafka = new Kafka({
      clientId: 'insights-test',
      brokers: testInfrastructure().kafkaBrokers,
      logLevel: logLevel.NOTHING,
    });
    producer = kafka.producer({ allowAutoTopicCreation: false });
    service = await start(uniqueName('insights-group'));
    await producer.connect();
    await produce(events);
    await produce(otherEvents);
    await caughtUp(tenant, events);
    await caughtUp(other, otherEvents);
  }, 120_000);

  afterAll(async () => {
    await service?.close();
    await producer?.disconnect();
    await pool?.end();
    await db?.drop();
  });

  it('counts repeats after handoffs per edge and receiving team, with evidence links', async () => {
    const { body } = await get<Body<'repeats'>>(`/v1/insights/repeats?${WINDOW}&by=edge`);
    expect(body.rows).toEqual([
      {
        key: 'bot→tier1',
        handoffs: 2,
        handoffsWithRepeat: 1,
        repeats: 1,
        repeatRate: 0.5,
        evidence: [
          {
            ticketId: 'ticket-a',
            handoffId: 'h1',
            detectionId: 'det-a1',
            messageId: 'ticket-a-m4',
            repeatKind: 'restated_value',
            factKinds: ['order_number'],
            evidenceMessageIds: ['ticket-a-m1', 'ticket-a-m4'],
            detectedAt: new Date(T0 + 9 * MIN).toISOString(),
            link: '/v1/tickets/ticket-a/handoff-story',
          },
        ],
      },
      { key: 'tier1→tier2', handoffs: 2, handoffsWithRepeat: 0, repeats: 0, repeatRate: 0, evidence: [] },
    ]);
    const byTeam = await get<Body<'repeats'>>(`/v1/insights/repeats?${WINDOW}&by=team`);
    expect(byTeam.body.rows.map((r) => [r.key, r.handoffs, r.repeatRate])).toEqual([
      ['tier1', 2, 0.5],
      ['tier2', 2, 0],
    ]);
  });

  it('measures owner changes per ticket, tickets above the threshold, loops and lapses', async () => {
    const { body } = await get<Body<'ownerChanges'>>(`/v1/insights/owner-changes?${WINDOW}&threshold=2`);
    expect(body.rows).toEqual([
      {
        key: 'all',
        tickets: 4,
        ownerChanges: 6,
        avgOwnerChangesPerTicket: 1.5,
        distribution: [0, 1, 2, 3].map((n) => ({ ownerChanges: n, tickets: 1 })),
        aboveThreshold: { tickets: 1, rate: 0.25, ticketIds: ['ticket-d'] },
        loops: { total: 1, byPattern: { returned_to_previous_owner: 1 } },
        lapses: {
          total: 1,
          open: 0,
          avgDurationMs: 15 * MIN,
          maxDurationMs: 15 * MIN,
          totalDurationMs: 15 * MIN,
        },
      },
    ]);
  });

  it('compares resolution time after each edge with same-intent tickets without that transfer', async () => {
    const { body } = await get<Body<'resolutionAfterTransfer'>>(
      `/v1/insights/resolution-after-transfer?${WINDOW}&by=edge`,
    );
    expect(body.rows).toEqual([
      {
        key: 'bot→tier1',
        handoffs: 2,
        resolved: 2,
        avgAcceptToResolutionMs: 41 * MIN, // (56 + 26) / 2
        avgIdleAfterTransferMs: 1.5 * MIN, // (1 + 2) / 2
        idleMeasured: 2,
        leftWithoutReply: 0,
        sameIntentComparison: {
          transferredAvgResolutionMs: 45 * MIN, // A 60, B 30
          withoutTransferAvgResolutionMs: 20 * MIN, // C
          byIntent: [
            {
              intent: 'refund',
              transferredTickets: 2,
              transferredAvgResolutionMs: 45 * MIN,
              withoutTransferTickets: 1,
              withoutTransferAvgResolutionMs: 20 * MIN,
            },
          ],
        },
      },
      {
        key: 'tier1→tier2',
        handoffs: 2,
        resolved: 1,
        avgAcceptToResolutionMs: 35 * MIN,
        avgIdleAfterTransferMs: 17.5 * MIN, // A 15 (omar's reply), D 20 (handed back without one)
        idleMeasured: 2,
        leftWithoutReply: 1,
        sameIntentComparison: {
          transferredAvgResolutionMs: 60 * MIN, // A (D has no intent)
          withoutTransferAvgResolutionMs: 25 * MIN, // B 30, C 20
          byIntent: [
            {
              intent: 'refund',
              transferredTickets: 1,
              transferredAvgResolutionMs: 60 * MIN,
              withoutTransferTickets: 2,
              withoutTransferAvgResolutionMs: 25 * MIN,
            },
          ],
        },
      },
    ]);
  });

  it('splits CSAT into escalated and not, and attributes it across the owner chain', async () => {
    const { body } = await get<Body<'csat'>>(`/v1/insights/csat?${WINDOW}`);
    expect(body.rows).toEqual([
      {
        key: 'all',
        responses: 3,
        avgScore: 3.6667,
        escalated: { responses: 2, avgScore: 3.5 },
        notEscalated: { responses: 1, avgScore: 4 },
        attributed: {
          weight: 3,
          avgScore: 3.6667,
          bySegment: [
            // A (2) ⅓, B (5) ½, C (4) whole: 7.1667 / 1.8333
            { segment: 'bot', weight: 1.8333, avgScore: 3.9091 },
            { segment: 'human_1', weight: 0.8333, avgScore: 3.8 },
            { segment: 'human_2', weight: 0.3333, avgScore: 2 },
          ],
        },
      },
    ]);
    const byAgent = await get<Body<'csat'>>(`/v1/insights/csat?${WINDOW}&by=agent`);
    expect(
      byAgent.body.rows.map((r) => [
        r.key,
        r.responses,
        r.avgScore,
        r.attributed.weight,
        r.attributed.avgScore,
      ]),
    ).toEqual([
      ['bot', 1, 4, 1.8333, 3.9091],
      ['maya', 1, 5, 0.8333, 3.8],
      ['omar', 1, 2, 0.3333, 2],
    ]);
  });

  it('finds closures without outcome: reopened within N days, shift-end transfers, no reply', async () => {
    const { body } = await get<Body<'closureWithoutOutcome'>>(
      `/v1/insights/closure-without-outcome?${WINDOW}`,
    );
    expect(body).toMatchObject({ reopenWithinDays: 7, shiftEndMinutes: 30 });
    expect(body.rows).toEqual([
      {
        key: 'all',
        closed: 4,
        reopened: 1,
        reopenedWithinDays: 1,
        reopenedWithinDaysRate: 0.25,
        transfersByAgents: 3,
        transfersNearShiftEnd: 1,
        transfersNearShiftEndWithHandoverNote: 0,
        passedOnWithoutReply: 2,
        passedOnWithoutReplyRate: 0.6667,
      },
    ]);
    const strict = await get<Body<'closureWithoutOutcome'>>(
      `/v1/insights/closure-without-outcome?${WINDOW}&reopenWithinDays=1&shiftEndMinutes=10`,
    );
    expect(strict.body.rows[0]).toMatchObject({ reopenedWithinDays: 0, transfersNearShiftEnd: 0 });
  });

  it('scores every handoff and rolls the score up per edge, sender and receiver', async () => {
    const byEdge = await get<Body<'handoffQuality'>>(`/v1/insights/handoff-quality?${WINDOW}&by=edge`);
    // h1 58.8, h3 100 | h2 73, h4 56.3
    expect(byEdge.body.rows.map((r) => [r.key, r.handoffs, r.avgScore])).toEqual([
      ['bot→tier1', 2, 79.4],
      ['tier1→tier2', 2, 64.65],
    ]);
    expect(byEdge.body.rows[1]).toMatchObject({
      avgTimeToAcceptMs: 5 * MIN,
      withoutMeaningfulReply: 1,
      bounceRate: 0.5,
      reopenRate: 0.5,
      csatAfter: { responses: 1, avgScore: 2 },
    });
    const bySender = await get<Body<'handoffQuality'>>(`/v1/insights/handoff-quality?${WINDOW}&by=sender`);
    expect(bySender.body.rows.map((r) => [r.key, r.avgScore])).toEqual([
      ['bot', 79.4],
      ['maya', 64.65],
    ]);
    const byReceiver = await get<Body<'handoffQuality'>>(
      `/v1/insights/handoff-quality?${WINDOW}&by=receiver`,
    );
    expect(byReceiver.body.rows.map((r) => [r.key, r.avgScore])).toEqual([
      ['maya', 79.4],
      ['omar', 64.65],
    ]);
  });

  it('is exact for windows that cut days: whole days from the roll-ups, the cut days from the rows', async () => {
    // From 09:30 on the first day: h1 (09:04) and h2 (09:25) fall out, h3 (B, 10:04) and h4 (D, 12:10) stay.
    const cut = `from=2026-03-02T09:30:00Z&to=2026-03-11T17:00:00Z`;
    const quality = await get<Body<'handoffQuality'>>(`/v1/insights/handoff-quality?${cut}&by=edge`);
    expect(quality.body.rows.map((r) => [r.key, r.handoffs, r.avgScore])).toEqual([
      ['bot→tier1', 1, 100],
      ['tier1→tier2', 1, 56.3],
    ]);
    const sameDay = await get<Body<'handoffQuality'>>(
      `/v1/insights/handoff-quality?from=2026-03-02T09:30:00Z&to=2026-03-02T23:00:00Z&by=edge`,
    );
    expect(sameDay.body.rows).toEqual(quality.body.rows);
    const resolution = await get<Body<'resolutionAfterTransfer'>>(
      `/v1/insights/resolution-after-transfer?${cut}&by=edge`,
    );
    // B's handoff: accepted 10:04, resolved 10:30; the tickets opened from 09:30 are B, C and D.
    expect(resolution.body.rows[0]).toMatchObject({
      key: 'bot→tier1',
      handoffs: 1,
      avgAcceptToResolutionMs: 26 * MIN,
      sameIntentComparison: {
        transferredAvgResolutionMs: 30 * MIN,
        withoutTransferAvgResolutionMs: 20 * MIN,
      },
    });
  });

  it("tells a ticket's handoff story with every quality component", async () => {
    const { status, body } = await get<Story>(`/v1/tickets/ticket-a/handoff-story`, keys.auditor);
    expect(status).toBe(200);
    expect(body.edges).toEqual(['bot→tier1', 'tier1→tier2']);
    expect(body.ownerChain.map((s) => s.owner.id)).toEqual(['bot', 'maya', 'omar']);
    expect(body.handoffs[0]).toMatchObject({
      handoffId: 'h1',
      edge: 'bot→tier1',
      timeToAcceptMs: 2 * MIN,
      timeToFirstMeaningfulReplyMs: 4 * MIN,
      repeats: 1,
      bounced: false,
      reopened: true,
      csatAfter: 2,
      quality: {
        score: 58.8,
        components: {
          accept: { weight: 20, credit: 1, points: 20 },
          firstReply: { weight: 20, credit: 1, points: 20 },
          noRepeat: { weight: 20, credit: 0, points: 0 },
          notBounced: { weight: 15, credit: 1, points: 15 },
          notReopened: { weight: 10, credit: 0, points: 0 },
          csat: { weight: 15, credit: 0.25, points: 3.75 },
        },
      },
    });
    expect(body.csat[0]?.attribution.map((a) => a.segment)).toEqual(['bot', 'human_1', 'human_2']);
    expect(body.closures).toHaveLength(2);
  });

  it('exports the headline figures as Prometheus gauges', async () => {
    const text = await (await fetch(`${service!.url}/metrics`)).text();
    expect(text).toContain(`insights_repeat_rate{tenant="${tenant}"} 0.25`);
    expect(text).toContain(`insights_handoff_quality_score{tenant="${tenant}"} 72.025`);
    expect(text).toContain(`insights_owner_changes_per_ticket{tenant="${tenant}"} 1.5`);
    expect(text).toContain(`insights_csat_average{tenant="${tenant}",escalated="true"} 3.5`);
    expect(text).toMatch(
      /insights_events_folded_total\{type="dev\.handoff\.ownership\.OwnerAssigned\.v1",kept="true"\} \d+/,
    );
  });

  it('answers bad query parameters with problem+json and checks roles', async () => {
    const unknown = await get(`/v1/insights/repeats?by=planet`);
    expect(unknown.status).toBe(400);
    expect(unknown.type).toContain('application/problem+json');
    expect(unknown.body.type).toContain('unknown-dimension');
    const unsupported = await get(`/v1/insights/csat?by=edge`);
    expect(unsupported.status).toBe(400);
    expect(unsupported.body.type).toContain('unknown-dimension');
    const badWindow = await get(`/v1/insights/repeats?from=2026-03-05T00:00:00Z&to=2026-03-01T00:00:00Z`);
    expect(badWindow.status).toBe(400);
    expect(badWindow.body.type).toContain('invalid-window');
    expect((await get(`/v1/insights/repeats?from=last-tuesday`)).status).toBe(400);
    expect((await get<Body<'repeats'>>(`/v1/insights/repeats?${WINDOW}`, keys.supervisor)).status).toBe(200);
    expect((await get(`/v1/insights/repeats?${WINDOW}`, keys.bot)).status).toBe(403);
    expect((await fetch(`${service!.url}/v1/insights/repeats`)).status).toBe(401);
  });

  it("keeps tenants apart: another tenant sees only its own figures and none of this tenant's tickets", async () => {
    const theirs = await get<Body<'handoffQuality'>>(
      `/v1/insights/handoff-quality?${WINDOW}`,
      keys.otherAgent,
    );
    expect(theirs.body.rows).toEqual([expect.objectContaining({ key: 'all', handoffs: 1, avgScore: 100 })]);
    const owners = await get<Body<'ownerChanges'>>(`/v1/insights/owner-changes?${WINDOW}`, keys.otherAgent);
    expect(owners.body.rows[0]).toMatchObject({ tickets: 2, ownerChanges: 1 });
    const story = await get(`/v1/tickets/ticket-d/handoff-story`, keys.otherAgent);
    expect(story.status).toBe(404);
    const ours = await get<Story>(`/v1/tickets/ticket-d/handoff-story`);
    expect(ours.status).toBe(200);
    const missing = await get(`/v1/tickets/no-such-ticket/handoff-story`);
    expect(missing.status).toBe(404);
    expect(story.body.detail).toBe(missing.body.detail.replace('no-such-ticket', 'ticket-d'));
  });

  it('rebuilds from scratch: dropped read models replayed with a fresh group give the same figures', async () => {
    const before = await everyFigure();
    await service!.close();
    service = undefined;
    await dropInsightsReadModels(db.url);
    const { rows } = await pool.query<{ table: string | null }>(
      `SELECT to_regclass('insights.handoffs')::text AS table`,
    );
    expect(rows[0]?.table).toBeNull();
    service = await start(uniqueName('insights-rebuild'));
    await caughtUp(tenant, events);
    expect(await everyFigure()).toEqual(before);
  }, 120_000);
});
