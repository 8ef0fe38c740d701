import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';

// The README's first command, as a newcomer runs it: embedded PostgreSQL and the scripted broker,
// ready output, Ctrl-C stops everything, and a second start finds the first one's data.
const root = path.resolve(__dirname, '..', '..');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'npm-start-'));
const env: NodeJS.ProcessEnv = {
  ...process.env,
  HANDOFF_DATA_DIR: dataDir,
  HANDOFF_PG_PORT: '54392',
  KAFKA_PORT: '19492',
  KAFKA_CONTROLLER_PORT: '19493',
  HANDOFF_PORT_BASE: '19401',
  DATABASE_URL: '',
  KAFKA_BROKERS: '',
};

/** The services of this checkout: npm start runs each `services/<name>/src/main.ts`. */
const availableServices = (): { name: string }[] =>
  fs
    .readdirSync(path.join(root, 'services'))
    .filter((name) => fs.existsSync(path.join(root, 'services', name, 'src', 'main.ts')))
    .map((name) => ({ name }));

/** The service lines npm start prints: name, URL and docs URL. */
const serviceLines = (output: string) =>
  [...output.matchAll(/^\s+([a-z]+)\s+(http:\/\/\S+)\s+docs (http:\/\/\S+)/gm)].map((m) => ({
    name: m[1] ?? '',
    url: m[2] ?? '',
    docs: m[3] ?? '',
  }));

/** The development keys npm start prints, by role. */
const devKeys = (output: string): Record<string, string | undefined> =>
  Object.fromEntries(
    [...output.matchAll(/^\s+([a-z]+)\s+(hk_dev_\S+)$/gm)].map((m): [string, string | undefined] => [
      m[1] ?? '',
      m[2],
    ]),
  );

// A process stopped by Ctrl-C exits with 128 + SIGINT, as shells expect, after its clean-up ran.
const SIGINT_EXIT = 130;

const running = new Set<ChildProcessWithoutNullStreams>();

function startPlatform(): {
  child: ChildProcessWithoutNullStreams;
  output: () => string;
  ready: Promise<void>;
} {
  const child = spawn(process.execPath, [path.join(root, 'scripts', 'start.cjs')], { cwd: root, env });
  running.add(child);
  child.on('exit', () => running.delete(child));
  let output = '';
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Press Ctrl-C to stop.')) resolve();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`npm start exited with ${code} before ready:\n${output}`)));
  });
  return { child, output: () => output, ready };
}

async function interrupt(child: ChildProcessWithoutNullStreams): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  child.kill('SIGINT');
  return exited;
}

// Five services compile and start next to the infrastructure on two cores.
jest.setTimeout(300_000);

describe('npm start (embedded defaults)', () => {
  // A failed assertion must not leave a platform running for the next test (or the next run).
  afterEach(async () => {
    await Promise.all([...running].map((child) => interrupt(child)));
  });
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('starts PostgreSQL and Kafka that really answer, and Ctrl-C stops both', async () => {
    const platform = startPlatform();
    await platform.ready;
    const pgUrl = /PostgreSQL\s+(\S+)/.exec(platform.output())?.[1]?.replace('***', 'postgres');
    expect(pgUrl).toBe('postgres://postgres:postgres@127.0.0.1:54392/handoff');
    const client = new Client({ connectionString: pgUrl });
    await client.connect();
    await client.query('CREATE TABLE marker (id int)');
    await client.end();

    const admin = new Kafka({ brokers: ['127.0.0.1:19492'], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    expect((await admin.describeCluster()).brokers).toHaveLength(1);
    // The services created their topics at start-up.
    if (availableServices().length > 0) {
      expect(await admin.listTopics()).toEqual(
        expect.arrayContaining(['handoff.conversations.events.v1', 'handoff.inbound.messages.v1']),
      );
    }
    await admin.disconnect();

    // Every service runs as its own process, ready, with its OpenAPI document, and a key per role works.
    const lines = serviceLines(platform.output());
    expect(lines.map((line) => line.name).sort()).toEqual(
      availableServices()
        .map((service) => service.name)
        .sort(),
    );
    const keys = devKeys(platform.output());
    if (lines.length > 0)
      expect(Object.keys(keys).sort()).toEqual(['agent', 'auditor', 'bot', 'integration', 'supervisor']);
    for (const line of lines) {
      expect((await fetch(`${line.url}/health/ready`)).status).toBe(200);
      const docs = await fetch(`${line.docs}-json`);
      expect(docs.status).toBe(200);
      // A read endpoint of the service's own OpenAPI document: 401 without a key (problem+json),
      // and the development supervisor key passes authentication and the role check.
      const { paths } = (await docs.json()) as { paths: Record<string, { get?: unknown }> };
      const reads = Object.keys(paths).filter((p) => p.startsWith('/v1/') && paths[p]?.get);
      // A route without parameters if there is one, else one with an id nobody has.
      const route = (reads.find((p) => !p.includes('{')) ?? reads[0])?.replace(
        /\{[^}]+\}/g,
        '01a229fa-0000-7000-8000-000000000000',
      );
      expect([line.name, route]).toEqual([line.name, expect.any(String)]);
      const anonymous = await fetch(`${line.url}${route}`);
      expect([line.name, anonymous.status]).toEqual([line.name, 401]);
      expect(anonymous.headers.get('content-type')).toContain('application/problem+json');
      const authenticated = await fetch(`${line.url}${route}`, {
        headers: { 'x-api-key': keys.supervisor ?? '' },
      });
      expect([line.name, [401, 403].includes(authenticated.status)]).toEqual([line.name, false]);
    }
    fs.writeFileSync(path.join(dataDir, 'first-keys.json'), JSON.stringify(keys));

    expect(await interrupt(platform.child)).toBe(SIGINT_EXIT);
    expect(platform.output()).toMatch(/stopped Kafka/);
    expect(platform.output()).toMatch(/stopped\.\n/);
    const probe = new Client({ connectionString: pgUrl, connectionTimeoutMillis: 1000 });
    await expect(probe.connect()).rejects.toThrow();
  });

  it('finds the data of the first run on a second start', async () => {
    const platform = startPlatform();
    await platform.ready;
    expect(platform.output()).toMatch(/found the data of an earlier run/);
    const client = new Client({ connectionString: 'postgres://postgres:postgres@127.0.0.1:54392/handoff' });
    await client.connect();
    const { rows } = await client.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'marker'",
    );
    await client.end();
    expect(rows[0]?.n).toBe(1);
    // The same development keys as the first run: nothing to copy again.
    const firstKeys = JSON.parse(fs.readFileSync(path.join(dataDir, 'first-keys.json'), 'utf8')) as Record<
      string,
      string
    >;
    expect(devKeys(platform.output())).toEqual(firstKeys);
    expect(await interrupt(platform.child)).toBe(SIGINT_EXIT);
  });
});
