import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import { defineBenchmark, inParallel } from '@handoff/testing';

const msSince = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e6;

const root = path.resolve(__dirname, '..', '..');
const CONCURRENCY = 16;
const REQUESTS = 3_000;
const ROUNDS = 3;
const IDLE_SECONDS = 15;

interface StartedPlatform {
  child: ChildProcess;
  infrastructureMs: number;
  readyMs: number;
  output: () => string;
}

/** Runs `npm start`'s script with embedded defaults in `dataDir`; resolves when it says it is ready. */
function startPlatform(dataDir: string, portBase: number): Promise<StartedPlatform> {
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, [path.join(root, 'scripts', 'start.cjs')], {
    cwd: root,
    env: {
      ...process.env,
      HANDOFF_DATA_DIR: dataDir,
      HANDOFF_PG_PORT: String(portBase + 50),
      KAFKA_PORT: String(portBase + 60),
      KAFKA_CONTROLLER_PORT: String(portBase + 61),
      HANDOFF_PORT_BASE: String(portBase),
      DATABASE_URL: '',
      KAFKA_BROKERS: '',
      API_KEYS: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let infrastructureMs = 0;
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (!infrastructureMs && output.includes('infrastructure is ready'))
        infrastructureMs = msSince(started);
      if (output.includes('Press Ctrl-C to stop.')) {
        resolve({ child, infrastructureMs, readyMs: msSince(started), output: () => output });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${output}`)));
  });
}

function stopPlatform(platform: StartedPlatform): Promise<void> {
  return new Promise((resolve) => {
    platform.child.once('exit', () => resolve());
    platform.child.kill('SIGINT');
  });
}

/** Resident memory (MB) of each service process started by the platform, by service name. */
function serviceRss(parentPid: number): Record<string, number> {
  const lines = execFileSync('ps', ['--ppid', String(parentPid), '-o', 'rss=,args='], { encoding: 'utf8' });
  const rss: Record<string, number> = {};
  for (const line of lines.trim().split('\n')) {
    const match = /^\s*(\d+)\s+.*services\/([a-z]+)\/src\/main\.(?:ts|js)/.exec(line);
    if (match?.[1] && match[2]) rss[match[2]] = Number(match[1]) / 1024;
  }
  return rss;
}

async function throughput(url: string, headers: Record<string, string>): Promise<number> {
  const started = process.hrtime.bigint();
  await inParallel(REQUESTS, CONCURRENCY, async () => {
    const response = await fetch(url, { headers });
    if (response.status !== 200) throw new Error(`${url} answered ${response.status}`);
    await response.arrayBuffer();
  });
  return REQUESTS / (msSince(started) / 1000);
}

/**
 * The platform as users meet it: `npm start` to all-ready on a warm cache (second start, data and
 * broker jars present), idle RSS of every service, and the REST throughput of one read endpoint
 * (ownership's current owner of a ticket) against a bare Fastify route returning the same payload.
 */
export default defineBenchmark({
  name: 'platform',
  description: `npm start to all-ready (warm), idle RSS per service, GET owner vs bare Fastify (${CONCURRENCY} clients, ${REQUESTS} requests)`,
  needs: [],
  async run(ctx) {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'platform-bench-'));
    const portBase = 19700;
    try {
      ctx.log('first start (initialises PostgreSQL and Kafka storage)');
      const cold = await startPlatform(dataDir, portBase);
      await stopPlatform(cold);
      ctx.log('second start: warm cache');
      const warm = await startPlatform(dataDir, portBase);
      try {
        ctx.record({
          metric: 'npm start to all services ready (warm)',
          unit: 'ms',
          value: warm.readyMs,
          baseline: warm.infrastructureMs,
          higherIsBetter: false,
          note: `baseline: the same start up to infrastructure ready (PostgreSQL + Kafka); cold start ${Math.round(cold.readyMs)} ms`,
        });

        const keys = (
          JSON.parse(fs.readFileSync(path.join(dataDir, 'dev-api-keys.json'), 'utf8')) as {
            keys: Record<string, string>;
          }
        ).keys;
        const headers = { 'x-api-key': keys.supervisor ?? '' };
        const conversations = `http://127.0.0.1:${portBase}`;
        const ownership = `http://127.0.0.1:${portBase + 3}`;

        ctx.log(`idle for ${IDLE_SECONDS} s`);
        await new Promise((resolve) => setTimeout(resolve, IDLE_SECONDS * 1000));
        const rss = serviceRss(warm.child.pid ?? 0);
        for (const [service, megabytes] of Object.entries(rss)) {
          ctx.record({
            metric: `idle RSS ${service}`,
            unit: 'MB',
            value: megabytes,
            baseline: 150,
            higherIsBetter: false,
            targetRatio: 1,
            note: 'baseline: the 150 MB budget per service',
          });
        }

        // A ticket with an owner to read.
        const ingest = await fetch(`${conversations}/v1/messages`, {
          method: 'POST',
          headers: { 'x-api-key': keys.integration ?? '', 'content-type': 'application/json' },
          body: JSON.stringify({
            channel: 'web_chat',
            channelMessageId: `bench-${Date.now()}`,
            sender: {
              kind: 'customer',
              identity: { kind: 'email', value: 'bench@example.com', verified: true },
            },
            text: 'Where is my order A-1?',
            sentAt: new Date().toISOString(),
          }),
        });
        const { ticketId } = (await ingest.json()) as { ticketId: string };
        const ownerUrl = `${ownership}/v1/tickets/${ticketId}/owner`;
        let payload = '';
        for (let attempt = 0; attempt < 200 && !payload; attempt += 1) {
          const answer = await fetch(ownerUrl, { headers });
          if (answer.status === 200) payload = await answer.text();
          else await new Promise((resolve) => setTimeout(resolve, 100));
        }
        if (!payload) throw new Error('the ticket never got an owner');

        const bare = Fastify({ logger: false });
        bare.get('/v1/tickets/:ticketId/owner', async (_request, reply) =>
          reply.header('content-type', 'application/json; charset=utf-8').send(payload),
        );
        const bareUrl = `${await bare.listen({ port: 0, host: '127.0.0.1' })}/v1/tickets/${ticketId}/owner`;
        try {
          await throughput(ownerUrl, headers); // warm-up of both sides
          await throughput(bareUrl, headers);
          const service: number[] = [];
          const baseline: number[] = [];
          for (let round = 0; round < ROUNDS; round += 1) {
            // Alternate which side goes first.
            if (round % 2 === 0) {
              service.push(await throughput(ownerUrl, headers));
              baseline.push(await throughput(bareUrl, headers));
            } else {
              baseline.push(await throughput(bareUrl, headers));
              service.push(await throughput(ownerUrl, headers));
            }
          }
          const median = (values: number[]) =>
            [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
          ctx.record({
            metric: 'GET /v1/tickets/:id/owner throughput',
            unit: 'requests/s',
            value: median(service),
            baseline: median(baseline),
            higherIsBetter: true,
            targetRatio: 0.5,
            note: 'baseline: bare Fastify route returning the same payload; the service authenticates, scopes by tenant, logs and queries PostgreSQL',
          });
        } finally {
          await bare.close();
        }
      } finally {
        await stopPlatform(warm);
      }
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  },
});
