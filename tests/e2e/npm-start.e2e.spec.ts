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
  DATABASE_URL: '',
  KAFKA_BROKERS: '',
};

// A process stopped by Ctrl-C exits with 128 + SIGINT, as shells expect, after its clean-up ran.
const SIGINT_EXIT = 130;

function startPlatform(): {
  child: ChildProcessWithoutNullStreams;
  output: () => string;
  ready: Promise<void>;
} {
  const child = spawn(process.execPath, [path.join(root, 'scripts', 'start.cjs')], { cwd: root, env });
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

describe('npm start (embedded defaults)', () => {
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
    await admin.disconnect();

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
    expect(await interrupt(platform.child)).toBe(SIGINT_EXIT);
  });
});
