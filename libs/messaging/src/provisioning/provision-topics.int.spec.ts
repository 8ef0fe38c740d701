import { topicCatalogue } from '@handoff/contracts';
import { ConfigResourceTypes, Kafka, logLevel, type Admin } from 'kafkajs';
import { testInfrastructure, uniqueName } from '@handoff/testing';
import { provisionTopics, TopicPartitionMismatch, type TopicSpec } from './provision-topics';

const { kafkaBrokers } = testInfrastructure();
let admin: Admin;
const created: string[] = [];

beforeAll(async () => {
  admin = new Kafka({
    clientId: 'provision-spec',
    brokers: kafkaBrokers,
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
});

afterAll(async () => {
  const existing = new Set(await admin.listTopics());
  const topics = created.filter((topic) => existing.has(topic));
  if (topics.length > 0) await admin.deleteTopics({ topics });
  await admin?.disconnect();
});

function spec(label: string, partitions: number): TopicSpec {
  const name = uniqueName(label);
  created.push(name, `${name}.dlq`);
  return {
    name,
    partitions,
    replicationFactor: 1,
    configs: { 'retention.ms': '86400000' },
    dlq: `${name}.dlq`,
  };
}

/**
 * Asserts that a first ListOffsets of each topic (6 partitions) succeeds, from a client that neither
 * retries nor stays quiet: a partition not yet served by its leader would fail it or log an error.
 */
async function expectServed(topics: string[], clientId: string): Promise<void> {
  const logged: string[] = [];
  const strict = new Kafka({
    clientId,
    brokers: kafkaBrokers,
    retry: { retries: 0 },
    logLevel: logLevel.ERROR,
    logCreator: () => (entry) => logged.push(entry.log.message),
  }).admin();
  await strict.connect();
  try {
    for (const topic of topics) {
      const offsets = await strict.fetchTopicOffsets(topic);
      expect(offsets.map((o) => o.offset)).toEqual(['0', '0', '0', '0', '0', '0']);
    }
  } finally {
    await strict.disconnect();
  }
  expect(logged).toEqual([]);
}

describe('provisionTopics on the real broker', () => {
  it('creates topics and their dead-letter topics with the catalogue settings, then finds them on the next run', async () => {
    const catalogue = [spec('prov-a', 3), spec('prov-b', 2)];
    const names = catalogue.flatMap((t) => [t.name, `${t.name}.dlq`]);

    const first = await provisionTopics(admin, catalogue);
    expect([...first.created].sort()).toEqual([...names].sort());
    expect(first.existing).toEqual([]);

    const { topics } = await admin.fetchTopicMetadata({ topics: names });
    const partitions = Object.fromEntries(topics.map((t) => [t.name, t.partitions.length]));
    expect(partitions).toEqual({
      [names[0] ?? '']: 3,
      [names[1] ?? '']: 3,
      [names[2] ?? '']: 2,
      [names[3] ?? '']: 2,
    });
    for (const topic of topics) expect(topic.partitions.every((p) => p.leader >= 0)).toBe(true);
    const configs = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: 2 /* TOPIC */, name: names[0] ?? '', configNames: ['retention.ms'] }],
    });
    expect(configs.resources[0]?.configEntries[0]?.configValue).toBe('86400000');

    // Idempotent, also through its own client built from broker addresses.
    const second = await provisionTopics(kafkaBrokers, catalogue);
    expect(second.created).toEqual([]);
    expect([...second.existing].sort()).toEqual([...names].sort());
  });

  it('returns only once every new partition is served by its leader, so a first ListOffsets succeeds', async () => {
    // A KRaft broker names a new partition's leader in its metadata a moment before the leader
    // serves it; clients retry the NOT_LEADER_FOR_PARTITION answer but log it as an error.
    const catalogue = [spec('prov-led-a', 6), spec('prov-led-b', 6), spec('prov-led-c', 6)];
    await provisionTopics(kafkaBrokers, catalogue);
    await expectServed(
      catalogue.flatMap((t) => [t.name, `${t.name}.dlq`]),
      'provision-spec-strict',
    );
  });

  it('returns only once topics another process just created are served, though it finds them listed', async () => {
    // Services starting together each provision the catalogue: the one whose listing already holds
    // the topics another created a moment ago must still wait for their partitions' leaders.
    const catalogue = [spec('prov-race-a', 6), spec('prov-race-b', 6), spec('prov-race-c', 6)];
    const names = catalogue.flatMap((t) => [t.name, `${t.name}.dlq`]);
    await admin.createTopics({
      waitForLeaders: false,
      topics: names.map((topic) => ({ topic, numPartitions: 6, replicationFactor: 1 })),
    });
    const result = await provisionTopics(kafkaBrokers, catalogue);
    expect([...result.existing].sort()).toEqual([...names].sort());
    await expectServed(names, 'provision-spec-strict-race');
  });

  it('refuses an existing topic with fewer partitions than configured, naming both counts', async () => {
    const [small] = [spec('prov-mismatch', 1)];
    if (!small) throw new Error('unreachable');
    await provisionTopics(admin, [small]);

    const error = await provisionTopics(admin, [{ ...small, partitions: 3 }]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TopicPartitionMismatch);
    expect(error).toMatchObject({ topic: small.name, expectedPartitions: 3, actualPartitions: 1 });
    expect(String((error as Error).message)).toContain(
      'exists with 1 partition(s) but the catalogue configures 3',
    );
    // Nothing was changed.
    const { topics } = await admin.fetchTopicMetadata({ topics: [small.name] });
    expect(topics[0]?.partitions).toHaveLength(1);
  });

  it('rejects a catalogue that lists one topic twice with different partition counts', async () => {
    const topic = spec('prov-dup', 2);
    await expect(
      provisionTopics(admin, [topic, { ...topic, dlq: undefined, partitions: 4 }]),
    ).rejects.toThrow(/twice with 2 and 4 partitions/);
  });
});

describe('provisionTopics with the contracts catalogue', () => {
  it('creates every catalogue topic and dead-letter topic with its partitions and configs', async () => {
    // The catalogue's settings under names of this test only: the services' suites use the real
    // topic names on the same broker at the same time, and this test deletes what it creates.
    const prefix = uniqueName('catalogue');
    const catalogue = topicCatalogue({ partitions: 2 }).map((topic) => ({
      ...topic,
      name: `${prefix}.${topic.name}`,
      dlq: { ...topic.dlq, name: `${prefix}.${topic.dlq.name}` },
    }));
    const names = catalogue.flatMap((t) => [t.name, t.dlq.name]);
    created.push(...names);
    const result = await provisionTopics(admin, catalogue);
    expect([...result.created].sort()).toEqual([...names].sort());
    const metadata = await admin.fetchTopicMetadata({ topics: names });
    for (const topic of metadata.topics) expect(topic.partitions).toHaveLength(2);
    const inbound = catalogue.find((t) => t.kind === 'inbound');
    const [configs] = (
      await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: inbound?.name ?? '' }],
      })
    ).resources;
    const retention = configs?.configEntries.find((entry) => entry.configName === 'retention.ms');
    expect(retention?.configValue).toBe(inbound?.configs['retention.ms']);
    expect((await provisionTopics(admin, catalogue)).created).toEqual([]);
  });
});
