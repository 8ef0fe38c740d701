/** Settings of a {@link PeriodicTask}. */
export interface PeriodicTaskOptions {
  /** Pause between the end of one run and the start of the next. */
  intervalMs: number;
  /** Delay of the first run after `start()` (default: at once). */
  firstRunInMs?: number;
  /** Receives what a run threw; the next run is scheduled all the same. */
  onError: (error: unknown) => void;
}

/**
 * Runs a piece of background work again and again until stopped: never two runs at once (the
 * next is scheduled when one ends), a failed run reported and followed by the next, and `stop()`
 * waiting for a run in progress, so a service's shutdown does not close the pool under it. The work
 * itself keeps its state in the database (durable deadlines, alerts already sent), never in timers.
 */
export class PeriodicTask {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private stopping = new AbortController();

  /** `work` receives a signal aborted by `stop()`, so a run going through many batches can end early. */
  constructor(
    private readonly work: (stopping: AbortSignal) => Promise<unknown>,
    private readonly options: PeriodicTaskOptions,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.stopping = new AbortController();
    this.schedule(this.options.firstRunInMs ?? 0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping.abort();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.work(this.stopping.signal)
        .then(
          () => undefined,
          (error: unknown) => this.options.onError(error),
        )
        .finally(() => {
          this.running = undefined;
          this.schedule(this.options.intervalMs);
        });
    }, delayMs);
  }
}
