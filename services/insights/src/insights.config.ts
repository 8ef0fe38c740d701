import { int, list, str, type ConfigOf } from '@handoff/platform';
import type { commonConfigSchema } from '@handoff/platform';

/** The settings of insights beside the common ones (every one has a default but the common ones). */
export const insightsConfigSchema = {
  PORT: int({ min: 0, max: 65535, default: 3005 }),
  KAFKA_GROUP_ID: str({ default: 'handoff.insights' }),
  KAFKA_CLIENT_ID: str({ default: 'insights' }),
  KAFKA_PARTITIONS: int({ min: 1, max: 1000, default: 6 }),
  /** Partitions folded at once by one instance (order is kept per partition). */
  KAFKA_PARTITIONS_CONSUMED_CONCURRENTLY: int({ min: 1, max: 64, default: 4 }),
  /** Tenants whose events are accepted; empty (the default) accepts every tenant. */
  KNOWN_TENANTS: list(str({ pattern: /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/ })),
  /** Default N of "closed and reopened within N days". */
  REOPEN_WITHIN_DAYS: int({ min: 1, max: 365, default: 7 }),
  /** Default M of "transferred within M minutes of a shift end". */
  SHIFT_END_MINUTES: int({ min: 1, max: 24 * 60, default: 30 }),
  /** Default threshold of "tickets with more owner changes than this". */
  OWNER_CHANGE_THRESHOLD: int({ min: 0, max: 1000, default: 3 }),
  /** Window of the Prometheus headline gauges, in days. */
  METRICS_WINDOW_DAYS: int({ min: 1, max: 400, default: 30 }),
  /** Most tickets re-derived per transaction. */
  DERIVE_BATCH_TICKETS: int({ min: 1, max: 10_000, default: 200 }),
};

export type InsightsConfig = ConfigOf<typeof commonConfigSchema & typeof insightsConfigSchema>;
