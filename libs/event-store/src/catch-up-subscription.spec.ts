import { ChangeSignal, startCatchUpSubscription, type SubscriptionSource } from './catch-up-subscription';
import type { RecordedEvent, Subscription } from './event-store.port';

/** A log in memory whose reads are counted: position n is the n-th event, the cursor the last read. */
function countedSource(options: { heldBack?: () => boolean } = {}) {
  const log: RecordedEvent[] = [];
  const signal = new ChangeSignal();
  let fetches = 0;
  const source: SubscriptionSource<number> = {
    start: () => Promise.resolve(0),
    fetch: (cursor) => {
      fetches += 1;
      const events = log.slice(cursor);
      return Promise.resolve({
        events,
        cursor: cursor + events.length,
        caughtUp: true,
        heldBack: options.heldBack?.() ?? false,
      });
    },
    signal,
    pollIntervalMs: 60_000,
  };
  return {
    source,
    fetches: () => fetches,
    /** Commits an event and wakes the subscription, as an append does. */
    commit: (type: string) => {
      log.push({ type, globalPosition: BigInt(log.length + 1) } as RecordedEvent);
      signal.notify();
    },
  };
}

/** Lets the subscription loop run what is due now (promise callbacks, timers at this instant). */
const settle = () => jest.advanceTimersByTimeAsync(0);

describe('catch-up subscription coalescing', () => {
  let subscription: Subscription | undefined;

  beforeEach(() => jest.useFakeTimers());
  afterEach(async () => {
    const stopping = subscription?.stop();
    await jest.advanceTimersByTimeAsync(0);
    await stopping;
    subscription = undefined;
    jest.useRealTimers();
  });

  it('without coalesceMs, reads at each commit', async () => {
    const log = countedSource();
    const delivered: string[] = [];
    subscription = startCatchUpSubscription(log.source, {
      onEvent: (e) => void delivered.push(e.type),
      onError: (error) => {
        throw error;
      },
    });
    await settle();
    expect(log.fetches()).toBe(1);
    log.commit('A');
    await settle();
    log.commit('B');
    await settle();
    expect(log.fetches()).toBe(3);
    expect(delivered).toEqual(['A', 'B']);
  });

  it('reads at most once per interval: the commits within it arrive in one read', async () => {
    const log = countedSource();
    const reads: string[][] = [];
    let page: string[] = [];
    subscription = startCatchUpSubscription(log.source, {
      coalesceMs: 100,
      onEvent: (e) => void page.push(e.type),
      onError: (error) => {
        throw error;
      },
    });
    const track = async (ms: number) => {
      const before = log.fetches();
      await jest.advanceTimersByTimeAsync(ms);
      if (log.fetches() > before) {
        reads.push(page);
        page = [];
      }
    };
    await track(0);
    expect(log.fetches()).toBe(1);
    log.commit('A');
    await track(10);
    log.commit('B');
    await track(80);
    // 90 ms after the first read: nothing read yet.
    expect(log.fetches()).toBe(1);
    await track(15);
    expect(log.fetches()).toBe(2);
    expect(reads.at(-1)).toEqual(['A', 'B']);
    // Idle for longer than the interval: the next commit is read at once.
    await track(500);
    log.commit('C');
    await track(0);
    expect(log.fetches()).toBe(3);
    expect(reads.at(-1)).toEqual(['C']);
  });

  it('readNow reads at once, until a read that started after it delivered everything', async () => {
    const log = countedSource();
    const delivered: string[] = [];
    subscription = startCatchUpSubscription(log.source, {
      coalesceMs: 1_000,
      onEvent: (e) => void delivered.push(e.type),
      onError: (error) => {
        throw error;
      },
    });
    await settle();
    log.commit('A');
    await settle();
    // Waiting for the interval: a reader that needs A now cuts it short.
    expect(delivered).toEqual([]);
    subscription.readNow?.();
    await settle();
    expect(delivered).toEqual(['A']);
    // Answered: the next commit waits for the interval again.
    log.commit('B');
    await jest.advanceTimersByTimeAsync(500);
    expect(delivered).toEqual(['A']);
    await jest.advanceTimersByTimeAsync(600);
    expect(delivered).toEqual(['A', 'B']);
  });

  it('polls events held back behind a running transaction at the interval, or at once for a reader', async () => {
    let heldBack = true;
    const log = countedSource({ heldBack: () => heldBack });
    subscription = startCatchUpSubscription(log.source, {
      coalesceMs: 1_000,
      onEvent: () => undefined,
      onError: (error) => {
        throw error;
      },
    });
    await settle();
    expect(log.fetches()).toBe(1);
    // Held back: polled again once the interval is over, not every few milliseconds.
    await jest.advanceTimersByTimeAsync(900);
    expect(log.fetches()).toBe(1);
    await jest.advanceTimersByTimeAsync(200);
    expect(log.fetches()).toBe(2);
    // A reader: polled at the short held-back delays (backing off from 5 ms: 20 ms by now) until a
    // read delivers everything.
    subscription.readNow?.();
    await settle();
    expect(log.fetches()).toBe(3);
    await jest.advanceTimersByTimeAsync(20);
    expect(log.fetches()).toBe(4);
    heldBack = false;
    await jest.advanceTimersByTimeAsync(40);
    const answered = log.fetches();
    await jest.advanceTimersByTimeAsync(500);
    expect(log.fetches()).toBe(answered);
  });
});
