import { assertRetryPolicy, backoffDelay, type RetryPolicy } from './backoff';

const policy: RetryPolicy = { attempts: 5, baseMs: 100, maxMs: 1_000 };

describe('backoffDelay', () => {
  it('doubles from the base delay', () => {
    expect([1, 2, 3, 4].map((attempt) => backoffDelay(policy, attempt, () => 0))).toEqual([
      100, 200, 400, 800,
    ]);
  });

  it('never exceeds the maximum', () => {
    expect(backoffDelay(policy, 30, () => 0)).toBe(1_000);
  });

  it('takes at most 20 % off for jitter', () => {
    expect(backoffDelay(policy, 1, () => 1)).toBe(80);
  });
});

describe('assertRetryPolicy', () => {
  it.each([
    [{ attempts: 0, baseMs: 1, maxMs: 1 }, /retry.attempts/],
    [{ attempts: 1, baseMs: -1, maxMs: 1 }, /retry.baseMs/],
    [{ attempts: 1, baseMs: 10, maxMs: 1 }, /retry.maxMs/],
  ])('rejects %o naming the setting', (bad, message) => {
    expect(() => assertRetryPolicy(bad)).toThrow(message);
  });
});
