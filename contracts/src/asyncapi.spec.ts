import { Parser } from '@asyncapi/parser';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildAsyncApiDocument, writeAsyncApiDocument, type JsonObject } from './asyncapi';
import { listPublicEventTypes } from './event-registry';
import { topicCatalogue } from './topics';

// Spectral's DiagnosticSeverity: 0 error, 1 warning, 2 information, 3 hint.
const ERROR = 0;
const WARNING = 1;

const at = (doc: JsonObject, ...path: string[]): JsonObject =>
  path.reduce<JsonObject>((node, key) => node[key] as JsonObject, doc);

describe('AsyncAPI document', () => {
  it('is valid AsyncAPI 3.0 for the official parser', async () => {
    const doc = buildAsyncApiDocument({ partitions: 12, replicationFactor: 3 });
    const diagnostics = await new Parser().validate(structuredClone(doc));
    const errors = diagnostics.filter((d) => Number(d.severity) === ERROR);
    const others = diagnostics.filter((d) => Number(d.severity) !== ERROR);
    console.info(
      `AsyncAPI: ${errors.length} errors, ${others.filter((d) => Number(d.severity) === WARNING).length} warnings, ` +
        `${others.length} diagnostics below error` +
        others.map((d) => `\n  [${d.severity}] ${d.code}: ${d.message}`).join(''),
    );
    expect(errors.map((e) => `${e.code}: ${e.message} at ${e.path.join('.')}`)).toEqual([]);
  });

  it('is checked for real: the parser reports a broken Kafka binding as an error', async () => {
    const doc = buildAsyncApiDocument();
    at(doc, 'channels', 'ownershipEventsV1', 'bindings', 'kafka')['partitions'] = 0;
    const diagnostics = await new Parser().validate(doc);
    expect(diagnostics.filter((d) => Number(d.severity) === ERROR).map((d) => d.path.join('.'))).toContain(
      'channels.ownershipEventsV1.bindings.kafka.partitions',
    );
  });

  it('parses into a model with every topic and every message type', async () => {
    const { document, diagnostics } = await new Parser().parse(structuredClone(buildAsyncApiDocument()));
    expect(diagnostics.filter((d) => Number(d.severity) === ERROR)).toEqual([]);
    expect(document).toBeDefined();
    const addresses = document!
      .channels()
      .all()
      .map((c) => c.address());
    const topics = topicCatalogue().flatMap((t) => [t.name, t.dlq.name]);
    expect(addresses.sort()).toEqual(topics.sort());
    const names = document!
      .messages()
      .all()
      .map((m) => m.name());
    expect(names).toEqual(expect.arrayContaining(listPublicEventTypes().map((t) => t.type)));
  });

  it('carries the catalogue partitions, the key and the TypeBox payload schema', () => {
    const doc = buildAsyncApiDocument({ partitions: { 'handoff.ownership.events.v1': 24 } });
    const channel = at(doc, 'channels', 'ownershipEventsV1');
    expect(channel['address']).toBe('handoff.ownership.events.v1');
    expect(at(channel, 'bindings', 'kafka')).toMatchObject({
      topic: 'handoff.ownership.events.v1',
      partitions: 24,
    });
    const message = at(doc, 'components', 'messages', 'dev.handoff.ownership.OwnershipTransferred.v1');
    expect(at(message, 'bindings', 'kafka', 'key')).toEqual({ type: 'string', description: 'data.ticketId' });
    expect(at(message, 'payload')).toMatchObject({ type: 'object', additionalProperties: false });
    expect(at(message, 'payload', 'required')).toEqual(expect.arrayContaining(['tenantId', 'ticketId']));
    expect(at(doc, 'operations', 'sendOwnershipEventsV1')['action']).toBe('send');
    expect(at(doc, 'operations', 'receiveInboundMessagesV1')['action']).toBe('receive');
  });

  it('can be written to a file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'asyncapi-'));
    try {
      const file = join(dir, 'asyncapi.json');
      await writeAsyncApiDocument(file);
      expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(buildAsyncApiDocument());
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
