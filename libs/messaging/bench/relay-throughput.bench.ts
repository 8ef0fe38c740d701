import { Partitioners, type Message } from 'kafkajs';
import { defineBenchmark, elapsedMs, percentiles } from '@handoff/testing';
import { OutboxRelay } from '../src/relay/outbox-relay';
import {
  appendTicketEvents,
  encodeTestEnvelope,
  TEST_CATEGORY,
  testMapper,
  type TestEnvelope,
} from '../src/relay/testing/relay-fixtures';
import { relayBenchEnvironment } from './relay-bench-environment';

const TICKETS = 100;
const PER_TICKET = 500;
const EVENTS = TICKETS * PER_TICKET;
const BATCH = 500;
const PARTITIONS = 6;
const ROUNDS = 5;

/**
 * Relay throughput from the PostgreSQL event store to a topic (subscription read, mapping, CloudEvents
 * encoding, produce with acks=-1, checkpoint) against a plain kafkajs producer sending the same
 * pre-encoded messages with the same batching and producer settings, in the same run.
 */
export default defineBenchmark({
  name: 'relay-throughput',
  description: `${EVENTS.toLocaleString('en')} pre-appended events relayed to a ${PARTITIONS}-partition topic vs a plain kafkajs producer, batches of ${BATCH}`,
  needs: ['postgres', 'kafka'],
  async run(ctx) {
    const { store, checkpoints, kafka, relayTopic, plainTopic, close } = await relayBenchEnvironment(
      ctx,
      'relay-throughput',
      PARTITIONS,
    );
    try {
      ctx.log(`appending ${EVENTS} events`);
      const { lastPosition } = await appendTicketEvents(store, {
        tickets: TICKETS,
        perTicket: PER_TICKET,
        batch: 100,
      });

      // The baseline's messages: exactly what the relay produces, encoded before the clock starts.
      const messages: Message[] = (await store.readAll())
        .flatMap(testMapper)
        .map((envelope) => encodeTestEnvelope(envelope));
      const producer = kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      await producer.connect();

      const relayRound = async (round: number): Promise<void> => {
        const relay = new OutboxRelay<TestEnvelope>({
          name: `bench-${round}`,
          store,
          categories: [TEST_CATEGORY],
          map: testMapper,
          encode: encodeTestEnvelope,
          topic: relayTopic,
          kafka,
          checkpoints,
          batchSize: BATCH,
        });
        relay.start();
        while ((relay.metrics().checkpoint ?? -1n) < lastPosition) {
          if (relay.metrics().failures > 0) throw new Error('relay failed during the benchmark');
          await new Promise((resolve) => setTimeout(resolve, 2));
        }
        await relay.stop();
      };
      const plainRound = async (): Promise<void> => {
        for (let i = 0; i < messages.length; i += BATCH) {
          await producer.sendBatch({
            acks: -1,
            topicMessages: [{ topic: plainTopic, messages: messages.slice(i, i + BATCH) }],
          });
        }
      };

      // Warm-up of both paths (connections, metadata, JIT), outside the measurement.
      await plainRound();
      await relayRound(-1);
      const relayMs: number[] = [];
      const plainMs: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        // Alternating which side goes first, so neither profits from a warmer broker.
        if (round % 2 === 0) {
          relayMs.push(await elapsedMs(() => relayRound(round)));
          plainMs.push(await elapsedMs(plainRound));
        } else {
          plainMs.push(await elapsedMs(plainRound));
          relayMs.push(await elapsedMs(() => relayRound(round)));
        }
        ctx.log(
          `round ${round}: relay ${relayMs.at(-1)?.toFixed(0)} ms, plain ${plainMs.at(-1)?.toFixed(0)} ms`,
        );
      }
      await producer.disconnect();
      ctx.record({
        metric: 'store → topic throughput',
        unit: 'events/s',
        value: EVENTS / (percentiles(relayMs).median / 1000),
        baseline: EVENTS / (percentiles(plainMs).median / 1000),
        higherIsBetter: true,
        targetRatio: 0.7,
        note:
          `${EVENTS} events (${TICKETS} tickets), median of ${ROUNDS} alternating rounds, relay from a fresh checkpoint ` +
          `each round (includes reading the store and checkpointing); baseline: plain kafkajs sendBatch of the same ` +
          `pre-encoded messages, ${BATCH} per batch, one in flight, idempotent, acks=-1`,
      });
    } finally {
      await close();
    }
  },
});
