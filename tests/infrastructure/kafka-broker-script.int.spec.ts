import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// The broker script as a contributor meets it: start, start again, status, stop, and a clear
// failure when Java is missing. It runs its own broker on ports of its own.
const script = path.resolve(__dirname, '..', '..', 'scripts', 'kafka', 'kafka-broker.cjs');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafka-script-'));
const env = { ...process.env, KAFKA_PORT: '19292', KAFKA_CONTROLLER_PORT: '19293', KAFKA_DATA_DIR: dataDir };
const run = (command: string, extraEnv: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, [script, command], {
    env: { ...env, ...extraEnv },
    encoding: 'utf8',
    timeout: 150_000,
  });

describe('scripts/kafka/kafka-broker.cjs', () => {
  afterAll(() => {
    run('stop');
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('fails at once, naming Java and the alternatives, when no java is on PATH', () => {
    const result = run('start', { PATH: '/nonexistent' });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/Java 17 or newer is required/);
    expect(result.stderr).toMatch(/KAFKA_BROKERS/);
    expect(result.stderr).toMatch(/deploy\//);
  });

  it('starts a broker, reuses it on a second start, reports it, and stops it', () => {
    const first = run('start');
    expect(first.status).toBe(0);
    expect(first.stdout.trim()).toBe('127.0.0.1:19292');
    expect(first.stderr).toMatch(/ready on 127\.0\.0\.1:19292/);
    expect(fs.readFileSync(path.join(dataDir, 'broker.log'), 'utf8')).toMatch(/Kafka version: \d+\.\d+\.\d+/);

    const second = run('start');
    expect(second.status).toBe(0);
    expect(second.stderr).toMatch(/already running .* reusing it/);

    const status = run('status');
    expect(status.status).toBe(0);
    expect(status.stdout).toMatch(/^running: Kafka .* answering Metadata requests/);

    const stop = run('stop');
    expect(stop.status).toBe(0);
    expect(stop.stderr).toMatch(/stopped Kafka/);

    const after = run('status');
    expect(after.status).toBe(3);
    expect(after.stdout).toMatch(/^stopped/);
  });
});
