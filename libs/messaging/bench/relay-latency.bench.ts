import { spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { Partitioners } from 'kafkajs';
import { defineBenchmark, percentiles } from '@handoff/testing';
import { OutboxRelay } from '../src/relay/outbox-relay';
import {
  encodeTestEnvelope,
  TEST_CATEGORY,
  testMapper,
  type TestEnvelope,
} from '../src/relay/testing/relay-fixtures';
import { relayBenchEnvironment } from './relay-bench-environment';

const EVENTS = 1_000;
const INTERVAL_MS = 5;
const PARTITIONS = 3;
const ROOT = path.resolve(__dirname, '../../..');

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across processes of one host. */
const now = (): number => performance.timeOrigin + performance.now();

/**
 * End-to-end latency of one event: `append` called → the relay publishes it → a plain kafkajs
 * consumer in another process receives it. Baseline, same run and same consumer process: a plain
 * kafkajs producer `send` called → received (the broker's own produce → consume latency).
 */
export default defineBenchmark({
  name: 'relay-latency',
  description: `${EVENTS} events appended one at a time every ${INTERVAL_MS} ms → consumer in another process, vs raw produce → consume`,
  needs: ['postgres', 'kafka'],
  async run(ctx) {
    const { store, checkpoints, kafka, relayTopic, plainTopic, suffix, close } = await relayBenchEnvironment(
      ctx,
      'relay-latency',
      PARTITIONS,
    );

    const received = new Map<string, number>();
    let onReceived: () => void = () => undefined;
    const consumer = spawn(
      process.execPath,
      [
        '-r',
        path.join(ROOT, 'scripts/ts-register.cjs'),
        path.join(ROOT, 'libs/messaging/src/relay/testing/latency-consumer.process.ts'),
        JSON.stringify({
          brokers: ctx.kafkaBrokers,
          topics: [relayTopic, plainTopic],
          groupId: `bench-latency-${suffix}`,
        }),
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const ready = new Promise<void>((resolve) => {
      readline.createInterface({ input: consumer.stdout }).on('line', (line) => {
        if (line === 'ready') return resolve();
        const [id, at] = line.split(' ');
        if (id && at) received.set(id, Number(at));
        onReceived();
      });
    });
    const relay = new OutboxRelay<TestEnvelope>({
      name: 'bench-latency',
      store,
      categories: [TEST_CATEGORY],
      map: testMapper,
      encode: encodeTestEnvelope,
      topic: relayTopic,
      kafka,
      checkpoints,
    });
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    let stopObserver = (): Promise<void> => Promise.resolve();
    let sentByRelay = new Map<string, number>();
    try {
      await producer.connect();
      relay.start();
      // A bare store subscription beside the relay: splits the relay's latency into store delivery and the rest.
      const delivered = new Map<string, number>();
      const observer = store.subscribeToCategory(TEST_CATEGORY, {
        onEvent: (e) => void delivered.set(e.eventId, now()),
        onError: (error) => ctx.log(`observer failed: ${String(error)}`),
      });
      stopObserver = () => observer.stop();
      await ready;
      const waitFor = async (ids: string[]): Promise<void> => {
        const deadline = Date.now() + 60_000;
        while (!ids.every((id) => received.has(id))) {
          if (Date.now() > deadline) throw new Error('messages not received within 60 s');
          await new Promise<void>((resolve) => {
            onReceived = resolve;
            setTimeout(resolve, 100);
          });
        }
      };
      const event = (i: number) => ({
        eventId: crypto.randomUUID(),
        type: 'TicketProgressed',
        data: { seq: i },
        metadata: {
          tenantId: 'tenant-1',
          ticketId: `t${i % 50}`,
          correlationId: `t${i % 50}`,
          actor: { kind: 'system' as const, id: 'bench' },
          occurredAt: new Date().toISOString(),
        },
      });

      // Warm-up: both paths once, so connections and metadata are in place.
      const warmEvent = event(-1);
      await store.append(`${TEST_CATEGORY}-${warmEvent.metadata.ticketId}`, [warmEvent], {
        expectedRevision: 'any',
      });
      const warmMessage = encodeTestEnvelope({
        ...testMapper({
          ...warmEvent,
          schemaVersion: 1,
          streamName: '',
          revision: 0n,
          globalPosition: 0n,
          recordedAt: new Date(),
          prevHash: '',
          hash: '',
        })[0]!,
        id: crypto.randomUUID(),
      });
      await producer.send({ topic: plainTopic, acks: -1, messages: [warmMessage] });
      await waitFor([warmEvent.eventId, warmMessage.headers.ce_id ?? '']);

      const measure = async (send: (i: number) => Promise<string>): Promise<number[]> => {
        const sentAt = new Map<string, number>();
        for (let i = 0; i < EVENTS; i++) {
          const started = now();
          const id = await send(i);
          sentAt.set(id, started);
          const pause = INTERVAL_MS - (now() - started);
          if (pause > 0) await new Promise((resolve) => setTimeout(resolve, pause));
        }
        await waitFor([...sentAt.keys()]);
        sentByRelay = sentAt;
        return [...sentAt].map(([id, at]) => (received.get(id) ?? NaN) - at);
      };
      const relayed = await measure(async (i) => {
        const e = event(i);
        await store.append(`${TEST_CATEGORY}-${e.metadata.ticketId}`, [e], { expectedRevision: 'any' });
        return e.eventId;
      });
      const storeDelivery = [...sentByRelay].map(([id, at]) => (delivered.get(id) ?? NaN) - at);
      const raw = await measure(async (i) => {
        const e = event(i);
        const message = {
          ...encodeTestEnvelope({
            id: e.eventId,
            source: 'bench',
            type: 'handoff.test.ticket-progressed.v1',
            subject: e.metadata.ticketId,
            time: e.metadata.occurredAt,
            tenantId: 'tenant-1',
            data: e.data,
          }),
        };
        // Not awaited: like the relay's producer, the plain one sends while the next event arrives.
        void producer.send({ topic: plainTopic, acks: -1, messages: [message] });
        return Promise.resolve(e.eventId);
      });
      const r = percentiles(relayed);
      const b = percentiles(raw);
      ctx.log(
        `relay p50 ${r.median.toFixed(2)} ms p99 ${r.p99.toFixed(2)} ms; broker p50 ${b.median.toFixed(2)} ms p99 ${b.p99.toFixed(2)} ms`,
      );
      const note =
        `${EVENTS} single-event appends, one every ${INTERVAL_MS} ms, on 50 tickets; consumer: plain kafkajs in a child process ` +
        `(maxWaitTimeInMs 50); baseline: plain kafkajs producer send (acks=-1, idempotent) → the same consumer`;
      ctx.record({
        metric: 'append → consumed, p50',
        unit: 'ms',
        value: r.median,
        baseline: b.median,
        higherIsBetter: false,
        ...r,
        note,
      });
      const d = percentiles(storeDelivery);
      ctx.log(
        `of which append → store subscription delivery: p50 ${d.median.toFixed(2)} ms p99 ${d.p99.toFixed(2)} ms`,
      );
      ctx.record({
        metric: 'append → consumed, p99',
        unit: 'ms',
        value: r.p99,
        baseline: b.p99,
        higherIsBetter: false,
        ...r,
        note,
      });
    } finally {
      await relay.stop();
      await stopObserver();
      await producer.disconnect();
      consumer.kill('SIGTERM');
      await close();
    }
  },
});
