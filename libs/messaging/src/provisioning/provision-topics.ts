import { Kafka, KafkaJSProtocolError, logLevel, type Admin, type ITopicConfig } from 'kafkajs';

/** A topic as the catalogue of `@handoff/contracts` describes it. */
export interface TopicSpec {
  name: string;
  partitions: number;
  replicationFactor: number;
  /** Topic-level configs (`cleanup.policy`, `retention.ms`, …), values as strings. */
  configs?: Record<string, string>;
  /** The topic's dead-letter topic, created with the same settings when given. */
  dlq?: string | Omit<TopicSpec, 'dlq'>;
}

/** What {@link provisionTopics} did. */
export interface ProvisionResult {
  /** Topics this call created. */
  created: string[];
  /** Topics that already existed with at least the configured partition count. */
  existing: string[];
}

/** Options of {@link provisionTopics}. */
export interface ProvisionTopicsOptions {
  /** How long to wait for the new topics' partitions to have leaders; default 30 s. */
  timeoutMs?: number;
  /** Client id when `brokers` are given instead of an admin client; default `handoff-provisioning`. */
  clientId?: string;
}

/**
 * An existing topic has fewer partitions than the catalogue says. Provisioning refuses rather than
 * run with a different partitioning than configured; adding partitions moves keys between partitions
 * and breaks per-ticket order, so it is an operator's decision, not a start-up side effect.
 */
export class TopicPartitionMismatch extends Error {
  override readonly name = 'TopicPartitionMismatch';
  constructor(
    readonly topic: string,
    readonly expectedPartitions: number,
    readonly actualPartitions: number,
  ) {
    super(
      `topic ${topic} exists with ${actualPartitions} partition(s) but the catalogue configures ` +
        `${expectedPartitions}: increase its partitions deliberately (this moves keys between ` +
        `partitions) or configure ${actualPartitions}`,
    );
  }
}

/**
 * Creates the catalogue's topics and their dead-letter topics when missing, and waits until every
 * partition of every catalogue topic (new, or created a moment ago by another process) is served by
 * its leader. Idempotent: existing topics are reported, not changed;
 * an existing topic with fewer partitions than configured fails with {@link TopicPartitionMismatch}
 * (more partitions than configured are accepted: the catalogue states a minimum for parallelism).
 *
 * @param kafka an admin client the caller owns (left connected), or broker addresses.
 */
export async function provisionTopics(
  kafka: Admin | readonly string[],
  catalogue: readonly TopicSpec[],
  options: ProvisionTopicsOptions = {},
): Promise<ProvisionResult> {
  const ownAdmin = isBrokerList(kafka)
    ? new Kafka({
        clientId: options.clientId ?? 'handoff-provisioning',
        brokers: [...kafka],
        logLevel: logLevel.NOTHING,
      }).admin()
    : undefined;
  const admin = ownAdmin ?? (kafka as Admin);
  if (ownAdmin) await ownAdmin.connect();
  try {
    return await provision(admin, expand(catalogue), options.timeoutMs ?? 30_000);
  } finally {
    await ownAdmin?.disconnect();
  }
}

async function provision(
  admin: Admin,
  topics: Omit<TopicSpec, 'dlq'>[],
  timeoutMs: number,
): Promise<ProvisionResult> {
  const existing = new Set(await admin.listTopics());
  const present = topics.filter((topic) => existing.has(topic.name));
  await checkPartitions(admin, present);

  const missing = topics.filter((topic) => !existing.has(topic.name));
  const created: string[] = [];
  if (missing.length > 0) {
    await admin.createTopics({
      // Waited for below: kafkajs' own wait gives up on an error a fresh topic briefly answers with.
      waitForLeaders: false,
      timeout: timeoutMs,
      topics: missing.map((topic): ITopicConfig => ({
        topic: topic.name,
        numPartitions: topic.partitions,
        replicationFactor: topic.replicationFactor,
        configEntries: Object.entries(topic.configs ?? {}).map(([name, value]) => ({ name, value })),
      })),
    });
  }
  // Every topic, listed ones too: services starting together each provision the catalogue, and a
  // topic another of them created a moment ago is listed before its partitions are served. Once
  // every partition is, this costs a metadata read and a ListOffsets per topic.
  await waitForLeaders(admin, topics, timeoutMs);
  if (missing.length > 0) {
    // Another process may have created some of them between listTopics and createTopics (kafkajs
    // then reports nothing for those): check all of them again, once they are led, rather than
    // trust the race.
    await checkPartitions(admin, missing);
    created.push(...missing.map((topic) => topic.name));
  }
  return { created, existing: present.map((topic) => topic.name) };
}

async function checkPartitions(admin: Admin, topics: Omit<TopicSpec, 'dlq'>[]): Promise<void> {
  if (topics.length === 0) return;
  const { topics: metadata } = await admin.fetchTopicMetadata({ topics: topics.map((topic) => topic.name) });
  for (const topic of topics) {
    const actual = metadata.find((m) => m.name === topic.name)?.partitions.length ?? 0;
    if (actual < topic.partitions) throw new TopicPartitionMismatch(topic.name, topic.partitions, actual);
  }
}

/**
 * Creates topics and waits until every partition has a leader. kafkajs' `waitForLeaders` retries only
 * LEADER_NOT_AVAILABLE, while a KRaft broker briefly answers UNKNOWN_TOPIC_OR_PARTITION for a topic
 * it has just created; this waits through both.
 * @returns whether the topics were created (false when they all existed)
 */
export async function createTopicsAndWait(
  admin: Admin,
  topics: ITopicConfig[],
  timeoutMs = 30_000,
): Promise<boolean> {
  const created = await admin.createTopics({ waitForLeaders: false, timeout: timeoutMs, topics });
  await waitForLeaders(
    admin,
    topics.map((topic) => ({ name: topic.topic })),
    timeoutMs,
  );
  return created;
}

/**
 * What a broker answers for a topic it is still setting up: unknown at first, then without a
 * leader, then (KRaft) with a leader in its metadata that does not serve the partition yet.
 */
const STILL_CREATING = new Set([
  'UNKNOWN_TOPIC_OR_PARTITION',
  'LEADER_NOT_AVAILABLE',
  'NOT_LEADER_FOR_PARTITION',
]);

function stillCreating(error: unknown): boolean {
  // kafkajs' retrier gives up with the last protocol error as the cause.
  const cause = error instanceof Error && !(error instanceof KafkaJSProtocolError) ? error.cause : error;
  return cause instanceof KafkaJSProtocolError && STILL_CREATING.has(cause.type);
}

/**
 * Producers and consumers need every partition led, not only the controller's acknowledgement. A
 * KRaft broker names a new partition's leader in its metadata a moment before that leader serves it:
 * a consumer's first ListOffsets then fails with NOT_LEADER_FOR_PARTITION, which kafkajs retries but
 * logs as an error. So a topic counts as ready once its partitions' leaders answer ListOffsets.
 */
async function waitForLeaders(admin: Admin, topics: { name: string }[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const names = topics.map((topic) => topic.name);
  for (;;) {
    let leaderless = names;
    try {
      const { topics: metadata } = await admin.fetchTopicMetadata({ topics: names });
      leaderless = metadata.filter((m) => m.partitions.some((p) => p.leader < 0)).map((m) => m.name);
      if (leaderless.length === 0) {
        const served = await Promise.all(
          names.map((name) =>
            admin.fetchTopicOffsets(name).then(
              () => true,
              (error: unknown) => {
                if (stillCreating(error)) return false;
                throw error;
              },
            ),
          ),
        );
        leaderless = names.filter((_, i) => !served[i]);
      }
    } catch (error) {
      if (!stillCreating(error)) throw error;
    }
    if (leaderless.length === 0) return;
    if (Date.now() > deadline) {
      throw new Error(`topics without a partition leader after ${timeoutMs} ms: ${leaderless.join(', ')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The topics and their dead-letter topics, each once (a catalogue may list a DLQ itself too). */
function expand(catalogue: readonly TopicSpec[]): Omit<TopicSpec, 'dlq'>[] {
  const byName = new Map<string, Omit<TopicSpec, 'dlq'>>();
  const add = (topic: Omit<TopicSpec, 'dlq'>): void => {
    const seen = byName.get(topic.name);
    if (seen && seen.partitions !== topic.partitions) {
      throw new RangeError(
        `catalogue lists ${topic.name} twice with ${seen.partitions} and ${topic.partitions} partitions`,
      );
    }
    byName.set(topic.name, seen ?? topic);
  };
  for (const { dlq, ...topic } of catalogue) {
    add(topic);
    if (typeof dlq === 'string') add({ ...topic, name: dlq });
    else if (dlq) add(dlq);
  }
  return [...byName.values()];
}

function isBrokerList(kafka: Admin | readonly string[]): kafka is readonly string[] {
  return Array.isArray(kafka);
}
