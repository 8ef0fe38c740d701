/** Stops only what the global setup started; reused servers and brokers keep running. */
export default async function globalTeardown(): Promise<void> {
  const started = globalThis.__handoffProvisioned ?? [];
  globalThis.__handoffProvisioned = undefined;
  const results = await Promise.allSettled(started.reverse().map((p) => p.stop()));
  for (const result of results) {
    if (result.status === 'rejected')
      process.stderr.write(`[test infrastructure] teardown: ${String(result.reason)}\n`);
  }
}
