import { bool, int, list, loadServiceConfig, oneOf, optional, str, type ConfigEnv } from '@handoff/platform';

const KEY_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** The settings of the conversations service (on top of the common ones). */
export const conversationsConfigSchema = {
  PORT: int({ min: 0, max: 65535, default: 3001 }),
  KAFKA_PARTITIONS: int({ min: 1, max: 1000, default: 6 }),
  KAFKA_GROUP_ID: str({ default: 'handoff.conversations' }),
  KAFKA_CLIENT_ID: str({ default: 'conversations' }),
  /** Longest accepted message text, in characters; longer texts get 413 (REST) or the DLQ (Kafka). */
  MAX_MESSAGE_CHARS: int({ min: 1, max: 100_000, default: 20_000 }),
  /** Connections of the read-model / event-store pool. */
  DB_POOL_SIZE: int({ min: 4, max: 200, default: 24 }),
  /**
   * Ingestions that may hold a customer lock at once (each holds one connection of its own pool,
   * kept apart from DB_POOL_SIZE so lock holders can never starve the appends they wait for).
   */
  INGEST_CONCURRENCY: int({ min: 1, max: 100, default: 8 }),
  /**
   * Group commit of `POST /v1/messages`: concurrent requests are ingested together, at most this
   * many per batch (1 turns batching off: each request alone).
   */
  INGEST_BATCH_MAX: int({ min: 1, max: 1000, default: 64 }),
  /** Batches of REST requests being ingested at once; later requests queue for the next one. */
  INGEST_BATCHES_IN_FLIGHT: int({ min: 1, max: 16, default: 2 }),
  /** Partitions of the consumed topics processed at once (order stays per partition). */
  KAFKA_CONCURRENT_PARTITIONS: int({ min: 1, max: 64, default: 3 }),
  /**
   * Poll interval of the event-store subscriptions (projection, relay) when no notification woke
   * them. Ingestion waits for the projection, so a missed wake-up costs up to this much latency.
   */
  EVENT_STORE_POLL_MS: int({ min: 5, max: 10_000, default: 50 }),
  /**
   * Other processes' subscriptions to the service's events (other replicas, the relay thread) are
   * woken by a NOTIFY at most once per this many milliseconds (0: after every burst of appends).
   * This process's own projection and relay are woken at each commit either way.
   */
  EVENT_STORE_NOTIFY_MS: int({ min: 0, max: 1_000, default: 50 }),
  /**
   * Run the outbox relay (reading the service's events, publishing them to Kafka) on a worker
   * thread of its own, so publishing does not take event-loop time from requests and consumers.
   * Off by default: the thread loads its own copy of the service's modules (about 75 MB more idle
   * RSS, over the 150 MB budget of a service), and it pays only where a core is free for it.
   */
  RELAY_THREAD: bool({ default: false }),
  /**
   * The relay reads the service's new events at most once per this many milliseconds: under load,
   * one subscription read, one Kafka request and one checkpoint save for several ingestion rounds
   * instead of each, at up to this much more publication latency (an idle relay reads at once).
   */
  RELAY_COALESCE_MS: int({ min: 0, max: 1_000, default: 100 }),
  /**
   * The read-model projection reads new events at most once per this many milliseconds (an idle
   * one at once). Requests that wait for their rows (read-your-writes) never wait for it: the
   * projection reads at once for them. Rows of consumed messages nobody waits for show up to this
   * much later under load.
   */
  PROJECTION_COALESCE_MS: int({ min: 0, max: 1_000, default: 100 }),
  /**
   * How PostgreSQL plans the service's statements, all of them lookups by key. `oltp`: the
   * statements of the hot paths are prepared by name and planned once per connection (a generic
   * plan: planning them on every call was about half of what PostgreSQL spent on an ingestion
   * round), and the planner uses indexes and nested loops only, so a plan made while the tables were
   * empty stays right as they grow (`plan_cache_mode=force_generic_plan`, `enable_seqscan`,
   * `enable_hashjoin` and `enable_mergejoin` off on the service's connections). `postgres`:
   * PostgreSQL's own defaults (a new custom plan for each call).
   */
  DB_PLANNER: oneOf(['oltp', 'postgres'], { default: 'oltp' }),
  /** Tenants whose inbound messages are accepted besides those of API_KEYS. */
  TENANTS: optional(list(str({ pattern: KEY_ID, description: 'a tenant id' }))),
};

export type ConversationsConfig = ReturnType<typeof loadConversationsConfig>;

/** Loads and validates the configuration (the composition root's only read of the environment). */
export const loadConversationsConfig = (env: ConfigEnv) => loadServiceConfig(env, conversationsConfigSchema);
