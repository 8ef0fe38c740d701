import { type IsolatedDatabase } from '../isolation';

/** One measured figure and its baseline, measured in the same run on the same machine. */
export interface MetricInput {
  metric: string;
  unit: string;
  value: number;
  baseline: number;
  /** Whether a larger value is better (throughput) or worse (latency). */
  higherIsBetter: boolean;
  /** The target for value / baseline, when the issue sets one (e.g. 0.6). */
  targetRatio?: number;
  median?: number;
  p95?: number;
  p99?: number;
  /** Free text: what the baseline is, sizes, anything needed to read the figure. */
  note?: string;
}

/** A row of `bench-results/<benchmark>.json`. */
export interface BenchResult extends MetricInput {
  benchmark: string;
  ratio: number;
  meetsTarget?: boolean;
  peakRssMb: number;
}

export interface BenchContext {
  postgresUrl: string;
  kafkaBrokers: string[];
  /** A fresh database for this benchmark, dropped after it. */
  createDatabase(label: string): Promise<IsolatedDatabase>;
  record(metric: MetricInput): void;
  log(line: string): void;
}

export interface Benchmark {
  /** Also the name for `npm run bench -- <name>` and the results file. */
  name: string;
  description: string;
  needs: ('postgres' | 'kafka')[];
  run(context: BenchContext): Promise<void>;
}

export const defineBenchmark = (benchmark: Benchmark): Benchmark => benchmark;

/** Median, p95 and p99 of a sample (nearest-rank). */
export function percentiles(samples: number[]): { median: number; p95: number; p99: number } {
  if (samples.length === 0) throw new RangeError('no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (p: number) =>
    sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
  return { median: rank(50), p95: rank(95), p99: rank(99) };
}

/** Milliseconds spent in `work`, by the monotonic clock. */
export async function elapsedMs(work: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** Runs `task(i)` for i in [0, count) with at most `concurrency` in flight. */
export async function inParallel(
  count: number,
  concurrency: number,
  task: (i: number) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}
