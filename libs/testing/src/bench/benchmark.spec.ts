import { inParallel, percentiles } from './benchmark';

describe('benchmark helpers', () => {
  it('computes nearest-rank percentiles', () => {
    const samples = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentiles(samples)).toEqual({ median: 50, p95: 95, p99: 99 });
    expect(percentiles([7])).toEqual({ median: 7, p95: 7, p99: 7 });
    expect(() => percentiles([])).toThrow(RangeError);
  });

  it('runs every task once with bounded concurrency', async () => {
    let inFlight = 0;
    let peak = 0;
    const done: number[] = [];
    await inParallel(20, 3, async (i) => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 1));
      done.push(i);
      inFlight -= 1;
    });
    expect(done.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(peak).toBe(3);
  });
});
