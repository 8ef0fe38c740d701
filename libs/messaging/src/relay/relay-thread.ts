import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { OutboxRelay, RelayFailure, RelayMetrics } from './outbox-relay';

/**
 * What a relay thread's module exports (under {@link RelayThreadOptions.exportName}): builds the
 * relay inside the thread from plain settings, with its own connections, and says how to close them
 * once the relay has stopped. `hooks.onError` carries the relay's failures to the host thread.
 */
export type RelayFactory<Settings> = (
  settings: Settings,
  hooks: { onError: (failure: RelayFailure) => void },
) => Promise<{ relay: Pick<OutboxRelay<unknown>, 'start' | 'stop' | 'metrics'>; close: () => Promise<void> }>;

/** A failure of the relay in the thread, or of the thread itself. */
export interface RelayThreadFailure {
  /** `relay`: the relay failed and restarts itself; `thread`: the thread failed or died and is restarted. */
  source: 'relay' | 'thread';
  message: string;
  /** Consecutive failures so far, 1 for the first. */
  attempt: number;
  restartInMs: number;
}

export interface RelayThreadOptions<Settings> {
  /** The relay's name, for errors. */
  name: string;
  /** Absolute path of the module holding the {@link RelayFactory}: a `.ts` source or a built `.js`. */
  module: string;
  exportName: string;
  /** Passed to the factory; copied into the thread (structured clone: plain data only). */
  settings: Settings;
  /** Every failure, in the host thread: log or count it here. */
  onError?: (failure: RelayThreadFailure) => void;
  /** Restart delays of a thread that died: doubling from `initialMs` up to `maxMs`; default 200 ms → 10 s. */
  backoff?: { initialMs: number; maxMs: number };
  /** How often the thread reports its relay's counters; default 200 ms. */
  metricsIntervalMs?: number;
  /** How long {@link RelayThread.stop} waits for a clean stop before ending the thread; default 30 s. */
  stopTimeoutMs?: number;
}

/** Messages from the thread to its host. */
export type RelayThreadReport =
  | { kind: 'running' }
  | { kind: 'metrics'; metrics: RelayMetrics }
  | { kind: 'relay-error'; message: string; attempt: number; restartInMs: number }
  | { kind: 'failed'; message: string };

/** What the thread receives as `workerData`. */
export interface RelayThreadData {
  module: string;
  exportName: string;
  settings: unknown;
  metricsIntervalMs: number;
}

/** Runs in the thread before its entry: the TypeScript loader when the sources run uncompiled. */
const BOOT = `
const { workerData } = require('node:worker_threads');
for (const file of workerData.preload) require(file);
require(workerData.entry);
`;

/**
 * An {@link OutboxRelay} on a worker thread of its own: it reads the service's events, maps and
 * encodes them and produces to Kafka without taking event-loop time from the service's requests
 * and consumers (on the ingestion benchmarks the relay took a fifth of the service's thread). The
 * relay in the thread has the same guarantees as in the service's thread: it is the same class,
 * checkpointed in the same table, over its own connections.
 *
 * The host sees the relay's counters (reported every `metricsIntervalMs`) and its failures; a
 * thread that dies (an uncaught error, a failing factory) is reported and started again with
 * bounded exponential backoff, and its relay resumes from its checkpoint.
 */
export class RelayThread<Settings> {
  private worker: Worker | undefined;
  private stopping = false;
  private consecutiveFailures = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private exited: Promise<void> = Promise.resolve();
  private lastMetrics: RelayMetrics | undefined;
  private readonly backoff: { initialMs: number; maxMs: number };
  private runningWaiters: { resolve: () => void; reject: (error: Error) => void }[] = [];

  constructor(private readonly options: RelayThreadOptions<Settings>) {
    this.backoff = options.backoff ?? { initialMs: 200, maxMs: 10_000 };
    if (!path.isAbsolute(options.module) || !fs.existsSync(options.module))
      throw new RangeError(
        `relay ${options.name}: module must be an existing absolute path, got ${options.module}`,
      );
  }

  /** Starts the thread; a no-op while it runs. */
  start(): void {
    if (this.worker || this.restartTimer) return;
    this.stopping = false;
    this.spawn();
  }

  /**
   * Resolves once the relay in the thread has started (its connections made), rejects if the thread
   * fails before that or `timeoutMs` passes.
   */
  running(timeoutMs = 60_000): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.runningWaiters = this.runningWaiters.filter((w) => w !== waiter);
        reject(new Error(`relay ${this.options.name}: thread not running after ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (error: Error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.runningWaiters.push(waiter);
    });
  }

  /**
   * Stops: the relay in the thread publishes and checkpoints what it has read and closes its
   * connections, then the thread ends. After `stopTimeoutMs` the thread is ended as it is; its
   * relay then resumes from its last checkpoint at the next start (at-least-once, nothing lost).
   */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    const worker = this.worker;
    if (!worker) return;
    worker.postMessage({ kind: 'stop' });
    const timeout = setTimeout(() => void worker.terminate(), this.options.stopTimeoutMs ?? 30_000);
    try {
      await this.exited;
    } finally {
      clearTimeout(timeout);
    }
  }

  /** The relay's counters as the thread last reported them (`stopped` before the first report). */
  metrics(): RelayMetrics {
    return (
      this.lastMetrics ?? {
        status: 'stopped',
        published: 0,
        relayed: 0,
        checkpoint: undefined,
        lastSeenPosition: undefined,
        lag: 0n,
        failures: 0,
      }
    );
  }

  private spawn(): void {
    const extension = path.extname(__filename);
    const data: RelayThreadData & { entry: string; preload: string[] } = {
      module: this.options.module,
      exportName: this.options.exportName,
      settings: this.options.settings,
      metricsIntervalMs: this.options.metricsIntervalMs ?? 200,
      entry: path.join(__dirname, `relay-thread.worker${extension}`),
      // Uncompiled sources (tests, benchmarks) need the workspace's TypeScript loader in the thread.
      preload: extension === '.ts' ? [path.resolve(__dirname, '../../../../scripts/ts-register.cjs')] : [],
    };
    const worker = new Worker(BOOT, { eval: true, workerData: data });
    this.worker = worker;
    let failure: string | undefined;
    let running = false;
    worker.on('message', (report: RelayThreadReport) => {
      switch (report.kind) {
        case 'running':
          running = true;
          this.consecutiveFailures = 0;
          for (const waiter of this.runningWaiters.splice(0)) waiter.resolve();
          return;
        case 'metrics':
          this.lastMetrics = report.metrics;
          return;
        case 'relay-error':
          this.report({ source: 'relay', ...report });
          return;
        case 'failed':
          failure = report.message;
          return;
      }
    });
    worker.on('error', (error) => {
      failure = `${error.name}: ${error.message}`;
    });
    this.exited = new Promise<void>((resolve) => {
      worker.once('exit', (code) => {
        this.worker = undefined;
        if (this.lastMetrics) this.lastMetrics = { ...this.lastMetrics, status: 'stopped' };
        resolve();
        if (this.stopping && failure === undefined) return;
        const message = failure ?? `thread exited with code ${code}`;
        if (!running)
          for (const waiter of this.runningWaiters.splice(0))
            waiter.reject(new Error(`relay ${this.options.name}: ${message}`));
        if (this.stopping) return;
        const attempt = (this.consecutiveFailures += 1);
        const restartInMs = Math.min(this.backoff.maxMs, this.backoff.initialMs * 2 ** (attempt - 1));
        this.report({ source: 'thread', message, attempt, restartInMs });
        this.restartTimer = setTimeout(() => {
          this.restartTimer = undefined;
          if (!this.stopping) this.spawn();
        }, restartInMs);
      });
    });
  }

  private report(failure: RelayThreadFailure): void {
    try {
      this.options.onError?.(failure);
    } catch {
      // A throwing error handler must not stop the restarts.
    }
  }
}
