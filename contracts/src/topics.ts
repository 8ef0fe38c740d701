import { conversationsEventsV1 } from './events/conversations.v1';
import { escalationEventsV1 } from './events/escalation.v1';
import { inboundMessagesV1 } from './events/inbound-messages.v1';
import { ownershipEventsV1 } from './events/ownership.v1';
import type { SubjectField } from './events/shared.v1';
import { summarizationEventsV1 } from './events/summarization.v1';

/** The bounded contexts that publish public events, one Kafka topic each. */
export const CONTEXTS = ['conversations', 'summarization', 'escalation', 'ownership'] as const;
export type Context = (typeof CONTEXTS)[number];

/** A context that owns message types: the four publishers plus `inbound` (integration input). */
export type EventContext = Context | 'inbound';

/** Public facts of one service: `handoff.<context>.events.v1`, keyed by ticket id. */
export const eventsTopic = (context: Context, version = 1): string => `handoff.${context}.events.v${version}`;

/** Integration input, e.g. `handoff.inbound.messages.v1` for channel connectors. */
export const inboundTopic = (what: string, version = 1): string => {
  if (!/^[a-z][a-z0-9-]*$/.test(what)) throw new RangeError(`invalid inbound topic name part: "${what}"`);
  return `handoff.inbound.${what}.v${version}`;
};

/** Where a consumer of `topic` parks messages it cannot process. */
export const deadLetterTopic = (topic: string): string => `${topic}.dlq`;

/** The topic that carries the v1 message types of `context`. */
export const topicOfContext = (context: EventContext): string =>
  context === 'inbound' ? inboundTopic('messages') : eventsTopic(context);

/** Partitions of every catalogue topic unless configured otherwise. */
export const DEFAULT_PARTITIONS = 6;
/** Replication factor unless configured otherwise (1 suits the single-node broker). */
export const DEFAULT_REPLICATION_FACTOR = 1;
/** Largest message value a catalogue topic accepts (bytes). */
export const MAX_MESSAGE_BYTES = 1024 * 1024;

const DAY_MS = 24 * 60 * 60 * 1000;

/** Settings of one Kafka topic, as `createTopics` needs them. */
export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  /** Topic-level configs (`cleanup.policy`, `retention.ms`, …) as Kafka expects them: strings. */
  readonly configs: Readonly<Record<string, string>>;
}

/** A catalogue topic: its settings, its dead-letter topic and the message types it carries. */
export interface CatalogueTopic extends TopicSpec {
  readonly kind: 'events' | 'inbound';
  readonly context: EventContext;
  /** CloudEvents types that may appear on the topic. */
  readonly ceTypes: readonly string[];
  /** The `data` fields used as Kafka key (= `ce_subject`): `ticketId` for ticket facts. */
  readonly keyedBy: readonly SubjectField[];
  readonly dlq: TopicSpec;
}

/** Options of {@link topicCatalogue}. */
export interface TopicCatalogueOptions {
  /** One count for every topic, or counts by topic name (dead-letter topics included); others default. */
  readonly partitions?: number | Readonly<Record<string, number>>;
  readonly replicationFactor?: number;
}

const DEFINITIONS = [
  ...conversationsEventsV1,
  ...summarizationEventsV1,
  ...escalationEventsV1,
  ...ownershipEventsV1,
  ...inboundMessagesV1,
];

const TOPIC_CONTEXTS: readonly EventContext[] = [...CONTEXTS, 'inbound'];

const positiveInteger = (value: number, what: string): number => {
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(`${what} must be a positive integer: ${value}`);
  return value;
};

/**
 * Every topic of the platform with its settings: `handoff.<context>.events.v1` per context,
 * `handoff.inbound.messages.v1`, and a `<topic>.dlq` for each. The key is always the `ce_subject`
 * (the ticket id for ticket facts), so one ticket's facts stay ordered in one partition.
 *
 * @throws RangeError for a non-positive count or a partition count naming an unknown topic.
 */
export const topicCatalogue = (options: TopicCatalogueOptions = {}): CatalogueTopic[] => {
  const replicationFactor = positiveInteger(
    options.replicationFactor ?? DEFAULT_REPLICATION_FACTOR,
    'replicationFactor',
  );
  const byTopic = typeof options.partitions === 'object' ? options.partitions : {};
  const all = typeof options.partitions === 'number' ? options.partitions : DEFAULT_PARTITIONS;
  const names = TOPIC_CONTEXTS.map(topicOfContext);
  const known = new Set(names.flatMap((n) => [n, deadLetterTopic(n)]));
  const unknown = Object.keys(byTopic).filter((n) => !known.has(n));
  if (unknown.length > 0) throw new RangeError(`partitions given for unknown topics: ${unknown.join(', ')}`);
  const partitionsOf = (name: string): number =>
    positiveInteger(byTopic[name] ?? all, `partitions of ${name}`);
  const durability = { 'min.insync.replicas': String(Math.min(2, replicationFactor)) };

  return TOPIC_CONTEXTS.map((context): CatalogueTopic => {
    const name = topicOfContext(context);
    const definitions = DEFINITIONS.filter((d) => d.context === context);
    const dlqName = deadLetterTopic(name);
    return {
      name,
      kind: context === 'inbound' ? 'inbound' : 'events',
      context,
      partitions: partitionsOf(name),
      replicationFactor,
      configs: {
        'cleanup.policy': 'delete',
        // Public facts are kept: insights and other read-model-only consumers rebuild from the topics.
        'retention.ms': context === 'inbound' ? String(7 * DAY_MS) : '-1',
        'max.message.bytes': String(MAX_MESSAGE_BYTES),
        ...durability,
      },
      ceTypes: definitions.map((d) => d.type),
      keyedBy: [...new Set(definitions.map((d) => d.subject))],
      dlq: {
        name: dlqName,
        partitions: partitionsOf(dlqName),
        replicationFactor,
        configs: {
          'cleanup.policy': 'delete',
          'retention.ms': String(30 * DAY_MS),
          // Room for the original value plus the error headers.
          'max.message.bytes': String(2 * MAX_MESSAGE_BYTES),
          ...durability,
        },
      },
    };
  });
};
