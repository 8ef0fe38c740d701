#!/usr/bin/env node
// @ts-check
/**
 * `npm run bench [-- <name> ...]`: runs the named benchmarks (all when none is named).
 *
 * A benchmark is a `*.bench.ts` file under libs/*\/bench, services/*\/bench or tests/bench whose
 * default export comes from `defineBenchmark` (libs/testing). Each runs in a process of its own,
 * so its peak RSS is its own, against the same real infrastructure the tests use. Every figure is
 * recorded with a baseline measured in the same run; the runner adds `ratio` = value / baseline,
 * prints a table and writes `bench-results/<benchmark>.json`.
 */
'use strict';

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const REGISTER = path.join(__dirname, 'ts-register.cjs');
const RESULTS = path.join(ROOT, 'bench-results');

/**
 * @typedef {{ name: string, description: string, needs: ('postgres' | 'kafka')[], run: (context: any) => Promise<void> }} Benchmark
 * @typedef {{ metric: string, unit: string, value: number, baseline: number, higherIsBetter: boolean, targetRatio?: number, median?: number, p95?: number, p99?: number, note?: string }} MetricInput
 * @typedef {MetricInput & { benchmark: string, ratio: number, meetsTarget?: boolean, peakRssMb: number }} BenchResult
 */

function discover() {
  /** @type {string[]} */
  const files = [];
  const roots = [
    ...['libs', 'services'].flatMap((dir) =>
      fs.existsSync(path.join(ROOT, dir))
        ? fs.readdirSync(path.join(ROOT, dir)).map((d) => path.join(ROOT, dir, d, 'bench'))
        : [],
    ),
    path.join(ROOT, 'tests', 'bench'),
  ];
  for (const dir of roots) {
    if (!fs.existsSync(dir)) continue;
    for (const file of fs.readdirSync(dir)) {
      if (file.endsWith('.bench.ts')) files.push(path.join(dir, file));
    }
  }
  return files.sort();
}

/** @param {string} file @returns {Benchmark} */
function load(file) {
  require(REGISTER);
  const loaded = require(file);
  const benchmark = loaded.default ?? loaded.benchmark;
  if (!benchmark || typeof benchmark.run !== 'function' || typeof benchmark.name !== 'string') {
    throw new Error(`${path.relative(ROOT, file)} does not export default defineBenchmark({...})`);
  }
  return benchmark;
}

/** Child mode: run one benchmark and write its rows to `out`. @param {string} file @param {string} out */
async function runChild(file, out) {
  const benchmark = load(file);
  const { createIsolatedDatabase, testInfrastructure } = require(
    path.join(ROOT, 'libs', 'testing', 'src', 'index.ts'),
  );
  const infra = testInfrastructure();
  /** @type {MetricInput[]} */
  const rows = [];
  /** @type {{ drop(): Promise<void> }[]} */
  const databases = [];
  try {
    await benchmark.run({
      postgresUrl: infra.postgresUrl,
      kafkaBrokers: infra.kafkaBrokers,
      createDatabase: async (/** @type {string} */ label) => {
        const db = await createIsolatedDatabase(`bench_${label}`);
        databases.push(db);
        return db;
      },
      record: (/** @type {MetricInput} */ row) => rows.push(row),
      log: (/** @type {string} */ line) => process.stderr.write(`  [${benchmark.name}] ${line}\n`),
    });
  } finally {
    for (const db of databases) await db.drop().catch(() => undefined);
  }
  const peakRssMb = Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10;
  fs.writeFileSync(out, JSON.stringify({ rows, peakRssMb }));
}

/** @param {string} file @param {NodeJS.ProcessEnv} env */
function runInChild(file, env) {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bench-')), 'rows.json');
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        ...(process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean),
        '--expose-gc',
        '--enable-source-maps',
        __filename,
        '--child',
        file,
        out,
      ],
      {
        env,
        stdio: ['ignore', 'inherit', 'inherit'],
      },
    );
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`${path.relative(ROOT, file)} exited with ${code}`));
      resolve(JSON.parse(fs.readFileSync(out, 'utf8')));
    });
  });
}

/** @param {string} benchmark @param {{ rows: MetricInput[], peakRssMb: number }} measured @returns {BenchResult[]} */
function toResults(benchmark, measured) {
  return measured.rows.map((row) => {
    const ratio = row.baseline === 0 ? NaN : row.value / row.baseline;
    /** @type {BenchResult} */
    const result = {
      benchmark,
      ...row,
      ratio: Math.round(ratio * 1000) / 1000,
      peakRssMb: measured.peakRssMb,
    };
    if (row.targetRatio !== undefined) {
      result.meetsTarget = row.higherIsBetter ? ratio >= row.targetRatio : ratio <= row.targetRatio;
    }
    return result;
  });
}

/** @param {number} n */
const fmt = (n) =>
  n === undefined || Number.isNaN(n)
    ? ''
    : Math.abs(n) >= 100
      ? Math.round(n).toLocaleString('en')
      : String(Math.round(n * 100) / 100);

/** @param {BenchResult[]} results */
function printTable(results) {
  const header = [
    'benchmark',
    'metric',
    'value',
    'baseline',
    'unit',
    'ratio',
    'target',
    'p50 / p95 / p99',
    'peak RSS MB',
  ];
  const lines = results.map((r) => [
    r.benchmark,
    r.metric,
    fmt(r.value),
    fmt(r.baseline),
    r.unit,
    fmt(r.ratio),
    r.targetRatio === undefined
      ? ''
      : `${r.higherIsBetter ? '≥' : '≤'} ${r.targetRatio} ${r.meetsTarget ? 'met' : 'MISSED'}`,
    r.median === undefined ? '' : `${fmt(r.median)} / ${fmt(r.p95 ?? NaN)} / ${fmt(r.p99 ?? NaN)}`,
    fmt(r.peakRssMb),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => String(l[i]).length)));
  const row = (/** @type {string[]} */ cells) =>
    cells.map((c, i) => String(c).padEnd(widths[i] ?? 0)).join('  ');
  process.stdout.write(`\n${row(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n`);
  for (const l of lines) process.stdout.write(`${row(l)}\n`);
  for (const r of results.filter((x) => x.note))
    process.stdout.write(`  ${r.benchmark} / ${r.metric}: ${r.note}\n`);
}

async function main() {
  const args = process.argv.slice(2);
  if (args[0] === '--child') {
    await runChild(String(args[1]), String(args[2]));
    return 0;
  }
  const files = discover();
  const selected =
    args.length === 0
      ? files
      : files.filter((f) => args.some((name) => path.basename(f, '.bench.ts') === name));
  const unknown = args.filter((name) => !files.some((f) => path.basename(f, '.bench.ts') === name));
  if (unknown.length > 0) {
    process.stderr.write(
      `unknown benchmark(s): ${unknown.join(', ')}; known: ${files.map((f) => path.basename(f, '.bench.ts')).join(', ') || 'none'}\n`,
    );
    return 2;
  }
  if (selected.length === 0) {
    process.stdout.write('no benchmarks found\n');
    return 0;
  }
  const benchmarks = selected.map((file) => ({ file, benchmark: load(file) }));
  for (const { file, benchmark } of benchmarks) {
    if (benchmark.name !== path.basename(file, '.bench.ts')) {
      throw new Error(
        `${path.relative(ROOT, file)}: benchmark name "${benchmark.name}" must match its file name`,
      );
    }
  }

  // The same provisioning as the tests: environment variables → testcontainers → local processes.
  const { provisionPostgres } = require(path.join(ROOT, 'libs', 'testing', 'src', 'infra', 'postgres.ts'));
  const { provisionKafka } = require(path.join(ROOT, 'libs', 'testing', 'src', 'infra', 'kafka.ts'));
  const { dockerEngineAnswers } = require(path.join(ROOT, 'libs', 'testing', 'src', 'infra', 'docker.ts'));
  const { INFRA_ENV } = require(path.join(ROOT, 'libs', 'testing', 'src', 'infra', 'test-infrastructure.ts'));
  const docker = await dockerEngineAnswers();
  const needsKafka = benchmarks.some(({ benchmark }) => benchmark.needs.includes('kafka'));
  /** @type {{ stop(): Promise<void> }[]} */
  const started = [];
  try {
    const postgres = await provisionPostgres(process.env, docker);
    started.push(postgres);
    const env = {
      ...process.env,
      [INFRA_ENV.postgresUrl]: postgres.url,
      [INFRA_ENV.postgresSource]: postgres.source,
    };
    if (needsKafka) {
      const kafka = await provisionKafka(process.env, docker);
      started.push(kafka);
      Object.assign(env, {
        [INFRA_ENV.kafkaBrokers]: kafka.url,
        [INFRA_ENV.kafkaSource]: kafka.source,
        [INFRA_ENV.kafkaVersion]: kafka.version ?? 'unknown',
      });
    } else {
      Object.assign(env, {
        [INFRA_ENV.kafkaBrokers]: 'none',
        [INFRA_ENV.kafkaSource]: 'none',
        [INFRA_ENV.kafkaVersion]: 'none',
      });
    }
    process.stdout.write(
      `benchmarks on ${os.cpus().length} cores, node ${process.version}, PostgreSQL: ${postgres.source}\n`,
    );
    fs.mkdirSync(RESULTS, { recursive: true });
    /** @type {BenchResult[]} */
    const all = [];
    let failed = 0;
    for (const { file, benchmark } of benchmarks) {
      process.stdout.write(`\n▶ ${benchmark.name}: ${benchmark.description}\n`);
      try {
        const results = toResults(benchmark.name, /** @type {any} */ (await runInChild(file, env)));
        fs.writeFileSync(
          path.join(RESULTS, `${benchmark.name}.json`),
          `${JSON.stringify(results, null, 2)}\n`,
        );
        all.push(...results);
      } catch (error) {
        failed += 1;
        process.stderr.write(
          `✗ ${benchmark.name}: ${error instanceof Error ? error.message : String(error)}\n`,
        );
      }
    }
    printTable(all);
    process.stdout.write(`\nresults written to ${path.relative(ROOT, RESULTS)}/\n`);
    return failed === 0 ? 0 : 1;
  } finally {
    for (const p of started.reverse()) await p.stop().catch(() => undefined);
  }
}

if (process.argv[2] === '--child') require(REGISTER);

main().then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(
      `bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
