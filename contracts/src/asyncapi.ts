import { writeFile } from 'node:fs/promises';
import { CE_HEADERS, CONTENT_TYPE_JSON, sourceOf } from './cloudevents-kafka';
import { type PublicEventTypeInfo, listPublicEventTypes } from './event-registry';
import { publicEventExamples } from './events/public-event-examples.v1';
import { type CatalogueTopic, type TopicCatalogueOptions, topicCatalogue } from './topics';

/** A JSON object (the AsyncAPI document is plain data). */
export type JsonObject = { [key: string]: unknown };

/** The generated document: plain JSON, accepted as is by `@asyncapi/parser`. */
export type AsyncApiDocument = JsonObject & { asyncapi: string };

/** A Kafka server entry of the document. */
export interface AsyncApiServer {
  host: string;
  description?: string;
}

/** Options of {@link buildAsyncApiDocument}: the catalogue's options plus document metadata. */
export interface AsyncApiOptions extends TopicCatalogueOptions {
  /** Servers by id; default one `local` broker at `localhost:9092`. */
  servers?: Record<string, AsyncApiServer>;
  /** `info.version`; default `1.0.0`. */
  version?: string;
}

const KAFKA_BINDING_VERSION = '0.5.0';

/** `handoff.ownership.events.v1` → `ownershipEventsV1`; `.dlq` → `…Dlq`. */
const channelIdOf = (topic: string): string =>
  topic
    .replace(/^handoff\./, '')
    .split(/[.-]/)
    .map((part, i) => (i === 0 ? part : part.charAt(0).toUpperCase() + part.slice(1)))
    .join('');

/** A TypeBox schema as plain JSON (drops TypeBox's symbol keys). */
const plainJson = (value: unknown): JsonObject => JSON.parse(JSON.stringify(value)) as JsonObject;

const cloudEventHeadersSchema: JsonObject = {
  type: 'object',
  description: 'CloudEvents 1.0 attributes in Kafka headers (binary content mode).',
  required: [
    CE_HEADERS.specversion,
    CE_HEADERS.id,
    CE_HEADERS.source,
    CE_HEADERS.type,
    CE_HEADERS.subject,
    CE_HEADERS.time,
    CE_HEADERS.tenantId,
    CE_HEADERS.contentType,
  ],
  properties: {
    [CE_HEADERS.specversion]: { type: 'string', const: '1.0' },
    [CE_HEADERS.id]: { type: 'string', minLength: 1, description: 'Event id; a redelivery keeps it.' },
    [CE_HEADERS.source]: { type: 'string', format: 'uri-reference', examples: ['/handoff/ownership'] },
    [CE_HEADERS.type]: { type: 'string', description: 'Versioned public event type.' },
    [CE_HEADERS.subject]: {
      type: 'string',
      description: 'Equals the Kafka key (the ticket id for ticket facts).',
    },
    [CE_HEADERS.time]: { type: 'string', format: 'date-time' },
    [CE_HEADERS.tenantId]: { type: 'string', description: 'Extension: the tenant; equals data.tenantId.' },
    [CE_HEADERS.contentType]: { type: 'string', const: CONTENT_TYPE_JSON },
    [CE_HEADERS.dataschema]: { type: 'string', format: 'uri' },
    [CE_HEADERS.correlationId]: { type: 'string', description: 'Extension: correlation id.' },
    [CE_HEADERS.causationId]: { type: 'string', description: 'Extension: causation id.' },
    [CE_HEADERS.traceparent]: {
      type: 'string',
      pattern: '^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$',
      description: 'W3C trace context.',
    },
  },
};

const messageOf = (info: PublicEventTypeInfo): JsonObject => {
  const example = publicEventExamples[info.type as keyof typeof publicEventExamples] as JsonObject;
  const subject = String(example[info.subject]);
  return {
    name: info.type,
    title: `${info.name} v${info.version}`,
    summary: info.description,
    contentType: CONTENT_TYPE_JSON,
    headers: {
      type: 'object',
      allOf: [
        { $ref: '#/components/schemas/CloudEventHeaders' },
        { type: 'object', properties: { [CE_HEADERS.type]: { type: 'string', const: info.type } } },
      ],
    },
    payload: plainJson(info.schema),
    correlationId: { location: `$message.header#/${CE_HEADERS.id}` },
    bindings: {
      kafka: {
        key: { type: 'string', description: `data.${info.subject}` },
        bindingVersion: KAFKA_BINDING_VERSION,
      },
    },
    examples: [
      {
        name: `${info.name}Example`,
        headers: {
          [CE_HEADERS.specversion]: '1.0',
          [CE_HEADERS.id]: '0195b7c0-5f3e-7d2a-8c11-3e9f2a7b4d10',
          [CE_HEADERS.source]: sourceOf(info.context),
          [CE_HEADERS.type]: info.type,
          [CE_HEADERS.subject]: subject,
          [CE_HEADERS.time]: '2025-03-04T14:02:00.000Z',
          [CE_HEADERS.tenantId]: String(example['tenantId']),
          [CE_HEADERS.contentType]: CONTENT_TYPE_JSON,
        },
        payload: example,
      },
    ],
  };
};

const kafkaChannelBinding = (topic: {
  name: string;
  partitions: number;
  replicationFactor: number;
  configs: Readonly<Record<string, string>>;
}): JsonObject => ({
  kafka: {
    topic: topic.name,
    partitions: topic.partitions,
    replicas: topic.replicationFactor,
    topicConfiguration: {
      'cleanup.policy': (topic.configs['cleanup.policy'] ?? 'delete').split(','),
      'retention.ms': Number(topic.configs['retention.ms'] ?? -1),
      'max.message.bytes': Number(topic.configs['max.message.bytes'] ?? 1048588),
    },
    bindingVersion: KAFKA_BINDING_VERSION,
  },
});

/**
 * The AsyncAPI 3.0 document of every platform topic, generated from the topic catalogue and the
 * TypeBox schemas: a channel per topic (Kafka bindings with partitions and key), a message per
 * CloudEvents type (ce_* headers, JSON Schema payload, example), `send` operations for the public
 * facts and dead letters, `receive` for inbound integration topics.
 */
export const buildAsyncApiDocument = (options: AsyncApiOptions = {}): AsyncApiDocument => {
  const catalogue = topicCatalogue(options);
  const types = listPublicEventTypes();
  const channels: JsonObject = {};
  const operations: JsonObject = {};
  const messages: JsonObject = {};

  for (const info of types) messages[info.type] = messageOf(info);

  for (const topic of catalogue) {
    const id = channelIdOf(topic.name);
    const onTopic = types.filter((t) => t.topic === topic.name);
    channels[id] = {
      address: topic.name,
      title: topic.name,
      description: describeTopic(topic),
      messages: Object.fromEntries(onTopic.map((t) => [t.type, { $ref: `#/components/messages/${t.type}` }])),
      bindings: kafkaChannelBinding(topic),
    };
    operations[`${topic.kind === 'inbound' ? 'receive' : 'send'}${capitalise(id)}`] = {
      action: topic.kind === 'inbound' ? 'receive' : 'send',
      channel: { $ref: `#/channels/${id}` },
      summary:
        topic.kind === 'inbound'
          ? `Conversations ingests messages from channel connectors on ${topic.name}.`
          : `The ${topic.context} service publishes its public facts on ${topic.name} (outbox relay).`,
      messages: onTopic.map((t) => ({ $ref: `#/channels/${id}/messages/${t.type}` })),
    };

    const dlqId = channelIdOf(topic.dlq.name);
    channels[dlqId] = {
      address: topic.dlq.name,
      title: topic.dlq.name,
      description: `Dead letters of ${topic.name}: the original key, value and headers, plus the error.`,
      messages: { DeadLetter: { $ref: '#/components/messages/DeadLetter' } },
      bindings: kafkaChannelBinding(topic.dlq),
    };
    operations[`send${capitalise(dlqId)}`] = {
      action: 'send',
      channel: { $ref: `#/channels/${dlqId}` },
      summary: `Consumers of ${topic.name} park messages they cannot process.`,
      messages: [{ $ref: `#/channels/${dlqId}/messages/DeadLetter` }],
    };
  }

  messages['DeadLetter'] = {
    name: 'DeadLetter',
    title: 'Dead letter',
    summary: 'A message a consumer could not process, with its original bytes.',
    headers: {
      type: 'object',
      description: 'The original headers plus the error, consumer group and attempt count.',
      additionalProperties: { type: 'string' },
    },
    payload: { description: 'The original value, unchanged (any bytes).' },
  };

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Handoff platform public events',
      version: options.version ?? '1.0.0',
      description:
        'Public facts of the handoff platform as CloudEvents 1.0 in Kafka binary content mode: ' +
        'attributes in ce_* headers, data as JSON in the value, key = ce_subject (the ticket id for ' +
        'ticket facts). A changed event is a new versioned type, never an edit.',
      license: { name: 'Apache-2.0', url: 'https://www.apache.org/licenses/LICENSE-2.0' },
    },
    defaultContentType: CONTENT_TYPE_JSON,
    servers: Object.fromEntries(
      Object.entries(
        options.servers ?? { local: { host: 'localhost:9092', description: 'Local broker.' } },
      ).map(([id, server]) => [id, { ...server, protocol: 'kafka' }]),
    ),
    channels,
    operations,
    components: { schemas: { CloudEventHeaders: cloudEventHeadersSchema }, messages },
  };
};

const capitalise = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

const describeTopic = (topic: CatalogueTopic): string =>
  `${topic.kind === 'inbound' ? 'Integration input' : `Public facts of ${topic.context}`}; ` +
  `key = ${topic.keyedBy.map((f) => `data.${f}`).join(' or ')} (= ce_subject).`;

/** The document as pretty-printed JSON. */
export const renderAsyncApiDocument = (options: AsyncApiOptions = {}): string =>
  `${JSON.stringify(buildAsyncApiDocument(options), null, 2)}\n`;

/** Writes the document as JSON to `file` (e.g. for a docs site or a schema registry). */
export const writeAsyncApiDocument = async (file: string, options: AsyncApiOptions = {}): Promise<void> =>
  writeFile(file, renderAsyncApiDocument(options), 'utf8');
