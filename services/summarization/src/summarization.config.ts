import { int, list, loadServiceConfig, optional, secret, str, url, type ConfigEnv } from '@handoff/platform';

/** The summarization service's own settings (next to the common ones). */
export const summarizationConfigSchema = {
  PORT: int({ min: 0, max: 65535, default: 3002 }),
  KAFKA_PARTITIONS: int({ min: 1, max: 1000, default: 6 }),
  KAFKA_GROUP_ID: str({ default: 'handoff.summarization' }),
  /** Tenants whose events are accepted besides those named by API_KEYS (comma-separated). */
  KNOWN_TENANTS: list(str({ pattern: /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/ }), { default: [] }),
  /** Record an incremental brief version every N new messages of a ticket (0 turns it off). */
  BRIEF_INCREMENTAL_EVERY: int({ min: 0, max: 100_000, default: 20 }),
  BRIEF_ENGINE_CACHE_SIZE: int({ min: 1, max: 1_000_000, default: 2000 }),
  /** Optional OpenAI-compatible provider; unset = deterministic engine only. */
  SUMMARY_PROVIDER_URL: optional(url({ protocols: ['http:', 'https:'] })),
  SUMMARY_PROVIDER_MODEL: str({ default: 'gpt-4o-mini' }),
  SUMMARY_PROVIDER_API_KEY: optional(secret()),
  SUMMARY_PROVIDER_TIMEOUT_MS: int({ min: 100, max: 120_000, default: 5000 }),
};

export type SummarizationConfig = ReturnType<typeof loadSummarizationConfig>;

/** Loads and validates the configuration (throws ConfigError naming every bad setting). */
export function loadSummarizationConfig(env: ConfigEnv) {
  return loadServiceConfig(env, summarizationConfigSchema);
}
