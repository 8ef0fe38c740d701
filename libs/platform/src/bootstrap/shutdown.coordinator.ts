import { Logger, type OnApplicationShutdown } from '@nestjs/common';

/** A stop hook: stops consuming, finishes in-flight work, commits, closes a connection. */
export type StopHook = () => Promise<void> | void;

/** What happened to one stop hook during shutdown. */
export interface StopOutcome {
  name: string;
  outcome: 'stopped' | 'failed' | 'timed-out';
}

/**
 * Graceful shutdown in one order: parts register a stop hook when they start, and hooks run in reverse
 * order of registration (what started last stops first: consumers before the pools they write to).
 * Each hook gets a time limit; a hook that fails or hangs is logged and the next one still runs, so
 * one stuck dependency cannot keep the process from exiting.
 *
 * Runs on Nest's `onApplicationShutdown`, i.e. after the HTTP server has stopped accepting and
 * finished its in-flight requests, so those requests still had their connections.
 */
export class ShutdownCoordinator implements OnApplicationShutdown {
  private readonly logger = new Logger('Shutdown');
  private readonly hooks: { name: string; stop: StopHook }[] = [];
  private running: Promise<StopOutcome[]> | undefined;

  constructor(private readonly hookTimeoutMs = 10_000) {}

  /** Registers a hook; it runs before every hook registered earlier. */
  register(name: string, stop: StopHook): void {
    this.hooks.push({ name, stop });
  }

  /** Runs every hook once, last registered first; later calls return the same outcome. */
  run(): Promise<StopOutcome[]> {
    this.running ??= this.runHooks();
    return this.running;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.run();
  }

  private async runHooks(): Promise<StopOutcome[]> {
    const outcomes: StopOutcome[] = [];
    for (const { name, stop } of [...this.hooks].reverse()) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timed-out'>((resolve) => {
        timer = setTimeout(() => resolve('timed-out'), this.hookTimeoutMs);
      });
      const stopped = Promise.resolve()
        .then(stop)
        .then(
          () => 'stopped' as const,
          (error: unknown) => {
            this.logger.error(
              `stop hook "${name}" failed: ${error instanceof Error ? error.message : String(error)}`,
            );
            return 'failed' as const;
          },
        );
      const outcome = await Promise.race([stopped, timeout]);
      clearTimeout(timer);
      if (outcome === 'timed-out')
        this.logger.warn(`stop hook "${name}" did not finish within ${this.hookTimeoutMs} ms`);
      outcomes.push({ name, outcome });
    }
    return outcomes;
  }
}
