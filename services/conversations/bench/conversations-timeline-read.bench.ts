import crypto from 'node:crypto';
import { eventsTopic, sourceOf, toKafkaMessage } from '@handoff/contracts';
import { defineBenchmark, elapsedMs, percentiles, testPool } from '@handoff/testing';
import { Kafka, logLevel } from 'kafkajs';
import { startBenchService } from './conversations-bench-environment';

const MESSAGES = 2_000;
const HANDOFFS = 40;
const PAGE = 100;
const SAMPLES = 400;

interface Page {
  items: { itemId: string; occurredAt: string }[];
  nextCursor: string | null;
}

/**
 * `GET /v1/tickets/:id/timeline` on a ticket of 2,000 messages interleaved with 40 handoff facts
 * consumed from Kafka: latency of a page of 100 at a random depth (cursor), against the same page
 * read straight from PostgreSQL with the same keyset query (the database's own share).
 */
export default defineBenchmark({
  name: 'conversations-timeline-read',
  description: `timeline page of ${PAGE} on a ticket of ${MESSAGES} messages + ${HANDOFFS} handoffs: HTTP API vs the bare SQL`,
  needs: ['postgres', 'kafka'],
  async run(ctx) {
    const bench = await startBenchService(ctx, 'conversations_timeline');
    const kafka = new Kafka({
      clientId: 'timeline-bench',
      brokers: ctx.kafkaBrokers,
      logLevel: logLevel.NOTHING,
    });
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const pool = testPool(bench.databaseUrl, { max: 2 });
    const url = bench.service.url;
    try {
      const run = crypto.randomBytes(4).toString('hex');
      let ticketId = '';
      const setupMs = await elapsedMs(async () => {
        for (let i = 0; i < MESSAGES; i++) {
          const response = await fetch(`${url}/v1/messages`, {
            method: 'POST',
            headers: { 'x-api-key': bench.key.key, 'content-type': 'application/json' },
            body: JSON.stringify({
              channel: i % 3 === 0 ? 'email' : 'web_chat',
              channelMessageId: `${run}-${i}`,
              channelThreadId: `${run}-thread`,
              sender:
                i % 2 === 0
                  ? { kind: 'customer', identity: { kind: 'chat_visitor_id', value: `${run}-visitor` } }
                  : { kind: 'agent', id: 'agent-1' },
              text: `message ${i} of a long conversation about a delayed parcel`,
              sentAt: new Date().toISOString(),
              ...(ticketId ? { ticketId } : {}),
            }),
          });
          const body = (await response.json()) as { ticketId: string };
          if (response.status !== 201) throw new Error(`ingest answered ${response.status}`);
          ticketId = body.ticketId;
          if (i % (MESSAGES / HANDOFFS) === 0) {
            await producer.send({
              topic: eventsTopic('escalation'),
              acks: -1,
              messages: [
                toKafkaMessage({
                  id: crypto.randomUUID(),
                  source: sourceOf('escalation'),
                  type: 'dev.handoff.escalation.HandoffRequested.v1',
                  subject: ticketId,
                  time: new Date().toISOString(),
                  tenantId: bench.tenantId,
                  data: {
                    tenantId: bench.tenantId,
                    ticketId,
                    handoffId: `h-${run}-${i}`,
                    handoffType: 'ai_to_human',
                    from: { kind: 'bot', id: 'bot-1' },
                    to: { kind: 'team', id: 'support' },
                    reasonCode: 'needs_human',
                    priority: 'normal',
                    requestedBy: { kind: 'bot', id: 'bot-1' },
                  },
                }),
              ],
            });
          }
        }
      });
      ctx.log(`ingested ${MESSAGES} messages into one ticket in ${(setupMs / 1000).toFixed(1)} s`);
      // Wait for the consumed handoff facts, then collect every page's cursor.
      const cursors: (string | null)[] = [];
      for (const deadline = Date.now() + 60_000; ;) {
        cursors.length = 0;
        let cursor: string | null = null;
        let items = 0;
        do {
          cursors.push(cursor);
          const page = (await (
            await fetch(
              `${url}/v1/tickets/${ticketId}/timeline?limit=${PAGE}${cursor ? `&cursor=${cursor}` : ''}`,
              {
                headers: { 'x-api-key': bench.key.key },
              },
            )
          ).json()) as Page;
          items += page.items.length;
          cursor = page.nextCursor;
        } while (cursor);
        if (items >= MESSAGES + HANDOFFS + 1) break;
        if (Date.now() > deadline) throw new Error(`timeline holds ${items} items`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const pick = () => cursors[crypto.randomInt(cursors.length)] ?? null;
      const api: number[] = [];
      const sql: number[] = [];
      for (let i = 0; i < SAMPLES; i++) {
        const cursor = pick();
        api.push(
          await elapsedMs(async () => {
            const response = await fetch(
              `${url}/v1/tickets/${ticketId}/timeline?limit=${PAGE}${cursor ? `&cursor=${cursor}` : ''}`,
              { headers: { 'x-api-key': bench.key.key } },
            );
            if (response.status !== 200) throw new Error(`timeline answered ${response.status}`);
            await response.arrayBuffer();
          }),
        );
        const after = cursor
          ? (JSON.parse(Buffer.from(cursor, 'base64url').toString()) as string[])
          : undefined;
        sql.push(
          await elapsedMs(() =>
            pool.query(
              `SELECT * FROM conversations.timeline_items
               WHERE tenant_id = $1 AND ticket_id = $2
               ${after ? 'AND (occurred_at, position, item_id) > ($4::timestamptz, $5::bigint, $6::text)' : ''}
               ORDER BY occurred_at, position, item_id LIMIT $3`,
              after ? [bench.tenantId, ticketId, PAGE + 1, ...after] : [bench.tenantId, ticketId, PAGE + 1],
            ),
          ),
        );
      }
      const a = percentiles(api);
      const s = percentiles(sql);
      ctx.record({
        metric: 'timeline page read latency p50',
        unit: 'ms',
        value: a.median,
        baseline: s.median,
        higherIsBetter: false,
        ...a,
        note:
          `${SAMPLES} sequential GET /v1/tickets/:id/timeline?limit=${PAGE} at random cursors on a ticket of ${MESSAGES} messages ` +
          `+ ${HANDOFFS} consumed handoff facts; baseline: the same keyset page straight from PostgreSQL (p50 ${s.median.toFixed(2)} ms, ` +
          `p99 ${s.p99.toFixed(2)} ms); ingesting the ${MESSAGES} messages one by one took ${(setupMs / 1000).toFixed(1)} s`,
      });
      ctx.record({
        metric: 'timeline page read latency p99',
        unit: 'ms',
        value: a.p99,
        baseline: s.p99,
        higherIsBetter: false,
        note: 'same samples as the p50 figure',
      });
    } finally {
      await producer.disconnect();
      await pool.end();
      await bench.close();
    }
  },
});
