import { int, loadServiceConfig, str, type ConfigEnv } from '@handoff/platform';

/** The ownership service's own settings, next to the common ones. */
export const ownershipConfigSchema = {
  PORT: int({ min: 0, max: 65535, default: 3004 }),
  KAFKA_PARTITIONS: int({ min: 1, max: 1000, default: 6 }),
  KAFKA_GROUP_ID: str({ default: 'handoff.ownership' }),
  BOT_OWNER_ID: str({ default: 'bot' }),
  LOOP_WINDOW_SECONDS: int({ min: 1, max: 30 * 24 * 3600, default: 3600 }),
  // At most the owner history the decider keeps per ticket (OWNER_HISTORY_LIMIT).
  LOOP_MAX_CHANGES: int({ min: 2, max: 200, default: 5 }),
  HANDOVER_ACK_TIMEOUT_SECONDS: int({ min: 1, max: 7 * 24 * 3600, default: 1800 }),
  HANDOVER_POLL_INTERVAL_MS: int({ min: 50, max: 600_000, default: 5000 }),
  // A lapse older than this is alerted once (warn log + ownership_lapses_overdue_total).
  LAPSE_ALERT_AFTER_SECONDS: int({ min: 1, max: 30 * 24 * 3600, default: 900 }),
  LAPSE_ALERT_POLL_INTERVAL_MS: int({ min: 50, max: 600_000, default: 10_000 }),
};

export const loadOwnershipConfig = (env: ConfigEnv) => loadServiceConfig(env, ownershipConfigSchema);
export type OwnershipConfig = ReturnType<typeof loadOwnershipConfig>;
