/** Bounded exponential backoff for handler retries. */
export interface RetryPolicy {
  /** Attempts in all, the first included (≥ 1). */
  attempts: number;
  /** Delay before the second attempt, in ms. */
  baseMs: number;
  /** Upper bound of any one delay, in ms. */
  maxMs: number;
}

/** The default: 5 attempts, 100 ms doubling up to 2 s (under 4 s in all, well inside a session timeout). */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { attempts: 5, baseMs: 100, maxMs: 2_000 };

/**
 * Delay before attempt `attempt + 1` after `attempt` failed (1-based): base·2^(attempt−1), capped at
 * `maxMs`, with up to 20 % jitter taken off so instances that failed together do not retry together.
 */
export function backoffDelay(
  policy: RetryPolicy,
  attempt: number,
  random: () => number = Math.random,
): number {
  const exponential = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exponential * (1 - 0.2 * random()));
}

/** Throws a RangeError naming the setting when `policy` is unusable. */
export function assertRetryPolicy(policy: RetryPolicy): void {
  if (!Number.isInteger(policy.attempts) || policy.attempts < 1)
    throw new RangeError(`retry.attempts must be an integer ≥ 1, got ${policy.attempts}`);
  if (!(policy.baseMs >= 0)) throw new RangeError(`retry.baseMs must be ≥ 0, got ${policy.baseMs}`);
  if (!(policy.maxMs >= policy.baseMs))
    throw new RangeError(`retry.maxMs must be ≥ retry.baseMs, got ${policy.maxMs}`);
}
