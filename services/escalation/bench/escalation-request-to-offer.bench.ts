import crypto from 'node:crypto';
import os from 'node:os';
import { Writable } from 'node:stream';
import {
  eventsTopic,
  fromKafkaMessage,
  publicEventExamples,
  sourceOf,
  toKafkaMessage,
  type PublicEventEnvelope,
} from '@handoff/contracts';
import { createTopicsAndWait } from '@handoff/messaging';
import { mintApiKey } from '@handoff/platform';
import { defineBenchmark, percentiles, testPool } from '@handoff/testing';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { startEscalationService } from '../src/bootstrap';

const RATE_PER_SECOND = 50;
const HANDOFFS = 500;
const AGENTS = 50;
const TENANT = 'bench-escalation';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

/**
 * Handoff request → offer latency with the brief already present, at a steady 50 handoffs/s:
 * from sending POST /v1/handoffs to consuming the public HandoffOffered from Kafka (through the event
 * store, routing, the outbox relay and the broker). Beside it, in the same run and at the same rate,
 * the raw Kafka latency of producing a message and consuming it with a plain kafkajs consumer.
 */
export default defineBenchmark({
  name: 'escalation-request-to-offer',
  description: `${HANDOFFS} handoffs at ${RATE_PER_SECOND}/s (brief present, ${AGENTS} agents): request → HandoffOffered consumed, vs raw Kafka produce → consume`,
  needs: ['postgres', 'kafka'],
  async run(ctx) {
    const db = await ctx.createDatabase('escalation_bench');
    const key = mintApiKey(TENANT, ['supervisor', 'agent', 'bot']);
    const service = await startEscalationService(
      {
        DATABASE_URL: db.url,
        KAFKA_BROKERS: ctx.kafkaBrokers.join(','),
        API_KEYS: key.entry,
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'silent',
        KAFKA_GROUP_ID: `bench.escalation.${Date.now()}`,
        ACCEPTANCE_TIMEOUT_SECONDS: '3600',
      },
      { logDestination: new Writable({ write: (_c, _e, done) => done() }), enableShutdownHooks: false },
    );
    const kafka = new Kafka({
      clientId: 'escalation-bench',
      brokers: ctx.kafkaBrokers,
      logLevel: logLevel.NOTHING,
    });
    const producer = kafka.producer();
    await producer.connect();
    const pool = testPool(db.url, { max: 2 });
    const rawTopic = `bench.escalation.raw.${Date.now().toString(36)}`;
    const admin = kafka.admin();
    await admin.connect();
    await createTopicsAndWait(admin, [{ topic: rawTopic, numPartitions: 6, replicationFactor: 1 }]);
    try {
      const post = (path: string, body: unknown) =>
        fetch(`${service.url}${path}`, {
          method: 'POST',
          headers: { 'x-api-key': key.key, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      for (let i = 0; i < AGENTS; i++) {
        const response = await post('/v1/agents', {
          agentId: `agent-${i}`,
          skills: [{ name: 'billing', level: 3 }],
          languages: ['en'],
          tiers: ['1'],
          teams: ['billing'],
          capacity: [{ channel: 'web_chat', max: 1000 }],
          presence: 'online',
        });
        if (response.status !== 201)
          throw new Error(`agent registration failed: ${response.status} ${await response.text()}`);
      }
      const tickets = Array.from({ length: HANDOFFS }, (_, i) => `bench-ticket-${i}`);
      await seedTickets(producer, tickets);
      const deadline = Date.now() + 120_000;
      for (;;) {
        const { rows } = await pool.query<{ n: string }>(
          'SELECT count(*) AS n FROM escalation.briefs WHERE tenant_id = $1',
          [TENANT],
        );
        if (Number(rows[0]?.n) >= HANDOFFS) break;
        if (Date.now() > deadline) throw new Error('the upstream facts were not consumed in time');
        await sleep(200);
      }
      ctx.log(`seeded ${HANDOFFS} tickets with briefs and ${AGENTS} agents`);

      // Consumers of the escalation topic and of the raw topic, both joined before the clock starts.
      const sentAt = new Map<string, number>();
      const offerLatencies: number[] = [];
      const offered = kafka.consumer({ groupId: `bench.escalation.offers.${Date.now()}` });
      await offered.connect();
      await offered.subscribe({ topic: eventsTopic('escalation'), fromBeginning: false });
      await offered.run({
        eachMessage: ({ message }) => {
          const event = fromKafkaMessage(message);
          if (event.type === 'dev.handoff.escalation.HandoffOffered.v1') {
            const started = sentAt.get(event.data.handoffId);
            if (started !== undefined) offerLatencies.push(nowMs() - started);
          }
          return Promise.resolve();
        },
      });
      const rawLatencies: number[] = [];
      const raw = kafka.consumer({ groupId: `bench.escalation.raw.${Date.now()}` });
      await raw.connect();
      await raw.subscribe({ topic: rawTopic, fromBeginning: true });
      await raw.run({
        eachMessage: ({ message }) => {
          rawLatencies.push(nowMs() - Number(message.value?.toString()));
          return Promise.resolve();
        },
      });
      await sleep(5000); // group joins settle

      const httpLatencies: number[] = [];
      let failures = 0;
      const loadBefore = os.loadavg()[0] ?? 0;
      const started = nowMs();
      const inFlight: Promise<void>[] = [];
      for (let i = 0; i < HANDOFFS; i++) {
        const due = started + (i * 1000) / RATE_PER_SECOND;
        const wait = due - nowMs();
        if (wait > 0) await sleep(wait);
        const handoffId = `bench-handoff-${i}-${crypto.randomBytes(3).toString('hex')}`;
        inFlight.push(
          (async () => {
            const t0 = nowMs();
            sentAt.set(handoffId, t0);
            const response = await post('/v1/handoffs', {
              handoffId,
              ticketId: tickets[i],
              handoffType: 'ai_to_human',
              from: { kind: 'bot', id: 'bot-1' },
              to: { kind: 'team', id: 'billing' },
              reasonCode: 'customer_asked_for_human',
            });
            const body = (await response.json()) as { status?: string };
            if (response.status !== 201 || body.status !== 'offered') {
              throw new Error(
                `handoff ${handoffId}: ${response.status} ${JSON.stringify(body).slice(0, 300)}`,
              );
            }
            httpLatencies.push(nowMs() - t0);
            if (httpLatencies.length % 200 === 0) {
              ctx.log(
                `${httpLatencies.length} answered, HTTP p50 so far ${percentiles(httpLatencies).median.toFixed(1)} ms`,
              );
            }
          })().catch((error: unknown) => {
            // Counted, not fatal: on an overloaded machine the figure must still say what happened.
            failures += 1;
            if (failures <= 3) {
              const cause =
                error instanceof Error && error.cause !== undefined
                  ? ` (cause: ${error.cause instanceof Error ? error.cause.message : JSON.stringify(error.cause)})`
                  : '';
              ctx.log(`handoff ${i} failed: ${String(error)}${cause}`);
            }
          }),
        );
        inFlight.push(
          producer
            .send({ topic: rawTopic, messages: [{ key: tickets[i] ?? 'k', value: String(nowMs()) }] })
            .then(() => undefined),
        );
      }
      await Promise.all(inFlight);
      const waitUntil = Date.now() + 60_000;
      while ((offerLatencies.length < HANDOFFS || rawLatencies.length < HANDOFFS) && Date.now() < waitUntil)
        await sleep(100);
      const elapsed = (nowMs() - started) / 1000;
      await offered.disconnect();
      await raw.disconnect();
      if (offerLatencies.length < HANDOFFS / 2)
        throw new Error(`only ${offerLatencies.length} offers consumed`);
      const offers = percentiles(offerLatencies);
      const kafkaOnly = percentiles(rawLatencies);
      const http = percentiles(httpLatencies);
      ctx.log(
        `${HANDOFFS} handoffs in ${elapsed.toFixed(1)} s; offer p50 ${offers.median.toFixed(1)} ms, raw kafka p50 ${kafkaOnly.median.toFixed(1)} ms`,
      );
      const load = `1-min load average ${loadBefore.toFixed(1)} → ${(os.loadavg()[0] ?? 0).toFixed(1)} on ${os.cpus().length} cores`;
      const note = `${offerLatencies.length} of ${HANDOFFS} handoffs offered (${failures} requests failed), offered at ${RATE_PER_SECOND}/s over ${elapsed.toFixed(1)} s, ${load}; ${HANDOFFS} handoffs at ${RATE_PER_SECOND}/s to a team of ${AGENTS} online agents, brief present; baseline: plain kafkajs produce→consume of ${HANDOFFS} messages at the same rate in the same run`;
      ctx.record({
        metric: 'request → HandoffOffered consumed, p50',
        unit: 'ms',
        value: offers.median,
        baseline: kafkaOnly.median,
        higherIsBetter: false,
        ...offers,
        note,
      });
      ctx.record({
        metric: 'request → HandoffOffered consumed, p99',
        unit: 'ms',
        value: offers.p99,
        baseline: kafkaOnly.p99,
        higherIsBetter: false,
        ...offers,
        note,
      });
      ctx.record({
        metric: 'request → offer recorded (HTTP response), p50',
        unit: 'ms',
        value: http.median,
        baseline: kafkaOnly.median,
        higherIsBetter: false,
        ...http,
        note: 'same run: POST /v1/handoffs answered with status offered (request, brief attached, routed, offered: 3 appends)',
      });
    } finally {
      await admin.deleteTopics({ topics: [rawTopic] }).catch(() => undefined);
      await admin.disconnect();
      await producer.disconnect();
      await pool.end();
      await service.close();
    }
  },
});

async function seedTickets(producer: Producer, tickets: string[]): Promise<void> {
  const envelope = (
    context: 'conversations' | 'summarization',
    type: string,
    data: Record<string, unknown>,
  ) =>
    toKafkaMessage({
      id: crypto.randomUUID(),
      source: sourceOf(context),
      type,
      subject: data['ticketId'] as string,
      time: new Date().toISOString(),
      tenantId: TENANT,
      data,
    } as PublicEventEnvelope);
  const conversations = tickets.flatMap((ticketId) => [
    envelope('conversations', 'dev.handoff.conversations.TicketOpened.v1', {
      ...publicEventExamples['dev.handoff.conversations.TicketOpened.v1'],
      tenantId: TENANT,
      ticketId,
      channel: 'web_chat',
    }),
    envelope('conversations', 'dev.handoff.conversations.MessageReceived.v1', {
      ...publicEventExamples['dev.handoff.conversations.MessageReceived.v1'],
      tenantId: TENANT,
      ticketId,
      channel: 'web_chat',
      sequence: 1,
    }),
  ]);
  await producer.send({ topic: eventsTopic('conversations'), messages: conversations });
  const briefs = tickets.map((ticketId) =>
    envelope('summarization', 'dev.handoff.summarization.BriefPrepared.v1', {
      ...publicEventExamples['dev.handoff.summarization.BriefPrepared.v1'],
      tenantId: TENANT,
      ticketId,
      briefId: `brief-${ticketId}`,
      version: 1,
      coversPosition: '1',
    }),
  );
  await producer.send({ topic: eventsTopic('summarization'), messages: briefs });
}
