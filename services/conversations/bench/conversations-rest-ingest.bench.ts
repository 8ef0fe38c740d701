import crypto from 'node:crypto';
import type { AddressInfo } from 'node:net';
import {
  type CpuAccount,
  defineBenchmark,
  describeCpuPer,
  elapsedMs,
  inParallel,
  percentiles,
  startCpuAccount,
  testPool,
} from '@handoff/testing';
import Fastify from 'fastify';
import {
  BASELINE_INSERT,
  BASELINE_TABLE,
  baselineRow,
  post,
  restMessage,
  startBenchService,
} from './conversations-bench-environment';

const MESSAGES = 1_500;
const CLIENTS = 16;
const CUSTOMERS = 300;
const ROUNDS = 3;

/**
 * `POST /v1/messages` with concurrent HTTP clients against a bare Fastify route that inserts the same
 * message row (idempotent on the channel message id) with one INSERT, in the same run on the same
 * database server. The service does what the issue asks for on each message: idempotency guard,
 * identity → customer, continuity, ticket append with sequence, read-your-writes projection.
 */
export default defineBenchmark({
  name: 'conversations-rest-ingest',
  description: `${MESSAGES} messages of ${CUSTOMERS} customers through POST /v1/messages with ${CLIENTS} clients vs a bare Fastify INSERT route`,
  needs: ['postgres', 'kafka'],
  async run(ctx) {
    const bench = await startBenchService(ctx, 'conversations_rest');
    const pool = testPool(bench.databaseUrl, { max: CLIENTS });
    await pool.query(BASELINE_TABLE);
    const bare = Fastify({ logger: false });
    bare.post('/v1/messages', async (request, reply) => {
      const m = request.body as ReturnType<typeof restMessage>;
      await pool.query(BASELINE_INSERT, baselineRow(bench.tenantId, m));
      return reply.code(201).send({ ok: true });
    });
    await bare.listen({ port: 0, host: '127.0.0.1' });
    const bareUrl = `http://127.0.0.1:${(bare.server.address() as AddressInfo).port}/v1/messages`;
    const serviceUrl = `${bench.service.url}/v1/messages`;
    try {
      const serviceRates: number[] = [];
      const bareRates: number[] = [];
      const latencies: number[] = [];
      const cpu: Record<'service' | 'bare', CpuAccount[]> = { service: [], bare: [] };
      const drive = async (side: 'service' | 'bare', measured: boolean): Promise<number> => {
        const url = side === 'service' ? serviceUrl : bareUrl;
        const run = crypto.randomBytes(4).toString('hex');
        const account = startCpuAccount();
        const ms = await elapsedMs(() =>
          inParallel(MESSAGES, CLIENTS, async (i) => {
            const started = process.hrtime.bigint();
            const status = await post(url, bench.key.key, restMessage(i, CUSTOMERS, run));
            if (status !== 201) throw new Error(`${url} answered ${status}`);
            if (measured && side === 'service')
              latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
          }),
        );
        const spent = account?.();
        if (measured && spent) cpu[side].push(spent);
        return MESSAGES / (ms / 1000);
      };
      // Warm-up of both (JIT, connections, first tickets).
      await drive('service', false);
      await drive('bare', false);
      for (let round = 0; round < ROUNDS; round++) {
        const sides = [
          async () => serviceRates.push(await drive('service', true)),
          async () => bareRates.push(await drive('bare', true)),
        ];
        if (round % 2 === 1) sides.reverse();
        for (const side of sides) await side();
        ctx.log(
          `round ${round}: service ${serviceRates.at(-1)?.toFixed(0)}/s, bare ${bareRates.at(-1)?.toFixed(0)}/s`,
        );
        for (const side of ['service', 'bare'] as const) {
          const spent = cpu[side].at(-1);
          if (spent) ctx.log(`  ${side}: ${describeCpuPer(spent, MESSAGES, 'message')}`);
        }
      }
      const latency = percentiles(latencies);
      ctx.record({
        metric: 'REST ingest throughput',
        unit: 'messages/s',
        value: percentiles(serviceRates).median,
        baseline: percentiles(bareRates).median,
        higherIsBetter: true,
        targetRatio: 0.5,
        ...latency,
        note:
          `${MESSAGES} messages of ${CUSTOMERS} customers (new customers and tickets in each round), ${CLIENTS} concurrent fetch clients, ` +
          `median of ${ROUNDS} alternating rounds; median/p95/p99 = service request latency in ms; ` +
          'baseline: bare Fastify route, one INSERT … ON CONFLICT DO NOTHING of the same message row' +
          cpuNote(cpu),
      });
    } finally {
      await bare.close();
      await pool.end();
      await bench.close();
    }
  },
});

/**
 * The machine's CPU per message on each side, median of the rounds: both sides share two cores
 * with PostgreSQL and the broker, so their ratio follows what a message costs all of them.
 */
function cpuNote(cpu: Record<'service' | 'bare', CpuAccount[]>): string {
  if (cpu.service.length === 0 || cpu.bare.length === 0) return '';
  const median = (accounts: CpuAccount[]): CpuAccount => ({
    process: percentiles(accounts.map((a) => a.process)).median,
    postgres: percentiles(accounts.map((a) => a.postgres)).median,
    java: percentiles(accounts.map((a) => a.java)).median,
    other: percentiles(accounts.map((a) => a.other)).median,
    idleShare: percentiles(accounts.map((a) => a.idleShare)).median,
  });
  return (
    `; CPU (median of the rounds), service: ${describeCpuPer(median(cpu.service), MESSAGES, 'message')}` +
    `; bare route: ${describeCpuPer(median(cpu.bare), MESSAGES, 'message')}`
  );
}
