import type { RecordedEvent, Subscription, SubscriptionOptions } from './event-store.port';

/**
 * Wakes waiting subscriptions when new events may be visible. The version counter closes the race
 * between "read, found nothing" and "start waiting": a wake-up in between is not lost.
 */
export class ChangeSignal {
  private version = 0;
  private readonly waiters = new Set<() => void>();

  get current(): number {
    return this.version;
  }

  notify(): void {
    this.version += 1;
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const wake of waiters) wake();
  }

  /** Resolves on the next notify after `seenVersion`, after `timeoutMs`, or when `abort` fires. */
  wait(seenVersion: number, timeoutMs: number, abort: AbortSignal): Promise<void> {
    if (this.version !== seenVersion || abort.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(done);
        abort.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.waiters.add(done);
      abort.addEventListener('abort', done);
    });
  }
}

/** Where a catch-up subscription reads from: batches in the store's global order after a cursor. */
export interface SubscriptionSource<Cursor> {
  start(): Promise<Cursor>;
  /** The next events after `cursor` (already filtered) and the cursor after everything scanned. */
  fetch(
    cursor: Cursor,
  ): Promise<{ events: RecordedEvent[]; cursor: Cursor; caughtUp: boolean; heldBack?: boolean }>;
  signal: ChangeSignal;
  /** How long to wait for a wake-up before polling anyway. */
  pollIntervalMs: number;
}

const HELD_BACK_FIRST_DELAY_MS = 5;

/**
 * Runs a catch-up subscription: reads batches until caught up, then waits for a wake-up or the
 * polling interval and reads again. One loop per subscription, so `onEvent` calls never overlap.
 *
 * With `coalesceMs`, live reads come at most once per that many milliseconds: a wake-up sooner
 * after the previous read waits for the rest of the interval, so a burst of commits is read (and
 * handled) at once. {@link Subscription.readNow} cuts that wait short until a read that started
 * after the call has delivered everything committed before it.
 */
export function startCatchUpSubscription<Cursor>(
  source: SubscriptionSource<Cursor>,
  options: SubscriptionOptions,
): Subscription {
  const abort = new AbortController();
  const coalesceMs = options.coalesceMs ?? 0;
  // readNow() calls so far, and how many of them a complete read started after them has answered.
  let asked = 0;
  let answered = 0;
  let hurry: (() => void) | undefined;
  const urgent = (): boolean => answered < asked;
  /** Waits `ms`, or less when stopped or urgent. */
  const pause = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      if (ms <= 0 || abort.signal.aborted || urgent()) return resolve();
      const done = (): void => {
        clearTimeout(timer);
        abort.signal.removeEventListener('abort', done);
        hurry = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      hurry = done;
      abort.signal.addEventListener('abort', done, { once: true });
    });
  const run = async (): Promise<void> => {
    let cursor: Cursor = await source.start();
    let announcedCaughtUp = false;
    // While catching up, the next page is read while this one is delivered: the database round
    // trip overlaps the subscriber's work instead of following it.
    let next: { batch: ReturnType<typeof source.fetch>; asked: number; at: number } | undefined;
    // While committed events wait behind an older transaction, poll again soon, backing off.
    let heldBackDelayMs = HELD_BACK_FIRST_DELAY_MS;
    while (!abort.signal.aborted) {
      const seen = source.signal.current;
      const read = next ?? { batch: source.fetch(cursor), asked, at: Date.now() };
      const batch = await read.batch;
      next = undefined;
      if (!batch.caughtUp) {
        next = { batch: source.fetch(batch.cursor), asked, at: Date.now() };
        // Handled when awaited; a failure then stops the subscription as any other would.
        next.batch.catch(() => undefined);
      }
      for (const event of batch.events) {
        if (abort.signal.aborted) return;
        // Await only what is a promise: a synchronous handler costs no microtask per event.
        const handled = options.onEvent(event);
        if (handled) await handled;
      }
      cursor = batch.cursor;
      if (batch.caughtUp) {
        // Committed events still held back behind an older transaction are not delivered yet:
        // the subscription is caught up only once they are.
        if (!announcedCaughtUp && !batch.heldBack && !abort.signal.aborted) {
          announcedCaughtUp = true;
          options.onCaughtUp?.();
        }
        if (!batch.heldBack) answered = Math.max(answered, read.asked);
        const coalescing = coalesceMs > 0 && !urgent();
        // What is left of the coalescing interval since this read went out.
        const rest = (): number => coalesceMs - (Date.now() - read.at);
        if (batch.heldBack) {
          const delayMs = Math.min(heldBackDelayMs, source.pollIntervalMs);
          heldBackDelayMs = Math.min(heldBackDelayMs * 2, source.pollIntervalMs);
          if (coalescing) await pause(Math.max(delayMs, rest()));
          else await source.signal.wait(seen, delayMs, abort.signal);
        } else {
          heldBackDelayMs = HELD_BACK_FIRST_DELAY_MS;
          await source.signal.wait(seen, source.pollIntervalMs, abort.signal);
          // Woken by a commit within the interval: the commits until its end are read together.
          if (coalescing && source.signal.current !== seen) await pause(rest());
        }
      }
    }
  };
  const done = run().catch((error: unknown) => {
    if (!abort.signal.aborted) options.onError(error);
  });
  return {
    stop: async () => {
      abort.abort();
      await done;
    },
    readNow: () => {
      asked += 1;
      hurry?.();
    },
  };
}
