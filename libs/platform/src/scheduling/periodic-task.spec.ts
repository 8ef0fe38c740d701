import { PeriodicTask } from './periodic-task';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('PeriodicTask', () => {
  it('runs the work again after each run, never two at once, and reports failures without stopping', async () => {
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    const errors: unknown[] = [];
    const task = new PeriodicTask(
      async () => {
        active += 1;
        maxActive = Math.max(maxActive, active);
        runs += 1;
        await sleep(5);
        active -= 1;
        if (runs === 2) throw new Error('second run failed');
      },
      { intervalMs: 1, onError: (error) => errors.push(error) },
    );
    task.start();
    task.start(); // a second start changes nothing
    while (runs < 5) await sleep(2);
    await task.stop();
    expect(maxActive).toBe(1);
    expect(errors).toHaveLength(1);
    expect((errors[0] as Error).message).toBe('second run failed');
  });

  it('waits for the run in progress when stopped, and runs nothing afterwards', async () => {
    let finished = false;
    let abortedAtEnd = false;
    let runs = 0;
    const task = new PeriodicTask(
      async (stopping) => {
        runs += 1;
        await sleep(30);
        abortedAtEnd = stopping.aborted;
        finished = true;
      },
      { intervalMs: 1, onError: () => undefined },
    );
    task.start();
    await sleep(5);
    await task.stop();
    expect(finished).toBe(true);
    // The run in progress was told to stop, so work going through many batches can end early.
    expect(abortedAtEnd).toBe(true);
    const after = runs;
    await sleep(20);
    expect(runs).toBe(after);
  });

  it('delays the first run when asked', async () => {
    let runs = 0;
    const task = new PeriodicTask(() => Promise.resolve(void (runs += 1)), {
      intervalMs: 10_000,
      firstRunInMs: 10_000,
      onError: () => undefined,
    });
    task.start();
    await sleep(20);
    await task.stop();
    expect(runs).toBe(0);
  });
});
