import { type TSchema } from '@sinclair/typebox';
import {
  isPublicEventType,
  listPublicEventTypes,
  publicEventTypes,
  validatePublicEvent,
  type PublicEventType,
} from './event-registry';
import { publicEventExamples } from './events/public-event-examples.v1';

const types = Object.keys(publicEventTypes) as PublicEventType[];
const example = (type: PublicEventType): Record<string, unknown> =>
  structuredClone(publicEventExamples[type]);

/** Every object node of a JSON Schema, with its path. */
const objectNodes = (schema: unknown, path = '#'): [string, Record<string, unknown>][] => {
  if (typeof schema !== 'object' || schema === null) return [];
  const node = schema as Record<string, unknown>;
  const own: [string, Record<string, unknown>][] = node['type'] === 'object' ? [[path, node]] : [];
  return own.concat(
    Object.entries(node).flatMap(([key, child]) =>
      Array.isArray(child)
        ? child.flatMap((c, i) => objectNodes(c, `${path}/${key}/${i}`))
        : objectNodes(child, `${path}/${key}`),
    ),
  );
};

describe('public event registry', () => {
  it('registers versioned CloudEvents types named after their context', () => {
    const perContext = listPublicEventTypes().reduce<Record<string, number>>(
      (counts, i) => ({ ...counts, [i.context]: (counts[i.context] ?? 0) + 1 }),
      {},
    );
    expect(perContext).toEqual({
      conversations: 12,
      summarization: 2,
      escalation: 11,
      ownership: 10,
      inbound: 1,
    });
    for (const type of types) {
      const info = publicEventTypes[type];
      expect(type).toBe(`dev.handoff.${info.context}.${info.name}.v${info.version}`);
      expect(info.type).toBe(type);
      expect(isPublicEventType(type)).toBe(true);
    }
    expect(listPublicEventTypes().map((i) => i.type)).toEqual(types);
  });

  it('requires tenantId and the subject field in every data schema, ticketId for ticket facts', () => {
    for (const info of listPublicEventTypes()) {
      expect(info.schema.required).toEqual(expect.arrayContaining(['tenantId', info.subject]));
    }
    const notTicketKeyed = listPublicEventTypes()
      .filter((i) => i.subject !== 'ticketId')
      .map((i) => i.type)
      .sort();
    expect(notTicketKeyed).toEqual([
      'dev.handoff.conversations.CustomerIdentified.v1',
      'dev.handoff.conversations.CustomerMergeUndone.v1',
      'dev.handoff.conversations.CustomersMerged.v1',
      'dev.handoff.conversations.IdentityLinked.v1',
      'dev.handoff.escalation.AgentPresenceChanged.v1',
      'dev.handoff.inbound.ChannelMessage.v1',
    ]);
  });

  it('closes every object of every schema (additionalProperties: false, records aside)', () => {
    const open = listPublicEventTypes().flatMap((info) =>
      objectNodes(JSON.parse(JSON.stringify(info.schema)) as TSchema, info.type)
        .filter(
          ([, node]) => node['additionalProperties'] !== false && node['patternProperties'] === undefined,
        )
        .map(([path]) => path),
    );
    expect(open).toEqual([]);
  });

  describe.each(types)('%s', (type) => {
    it('accepts a realistic example', () => {
      const result = validatePublicEvent(type, example(type));
      expect(result).toEqual({ ok: true, data: publicEventExamples[type] });
    });

    it('rejects an unknown property', () => {
      const result = validatePublicEvent(type, { ...example(type), surprise: true });
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.errors.join('\n')).toMatch(/\/surprise/);
    });

    it('rejects data without tenantId or with a numeric subject', () => {
      const { tenantId: _dropped, ...withoutTenant } = example(type);
      expect(validatePublicEvent(type, withoutTenant).ok).toBe(false);
      const subject = publicEventTypes[type].subject;
      const result = validatePublicEvent(type, { ...example(type), [subject]: 42 });
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.errors.join('\n')).toContain(`/${subject}`);
    });

    it('rejects a value that is not an object', () => {
      expect(validatePublicEvent(type, [example(type)]).ok).toBe(false);
      expect(validatePublicEvent(type, null).ok).toBe(false);
    });
  });

  it('rejects a wrong shape in a nested field with its path', () => {
    const data = {
      ...example('dev.handoff.ownership.OwnershipTransferred.v1'),
      to: { kind: 'team', id: 't1' },
    };
    const result = validatePublicEvent('dev.handoff.ownership.OwnershipTransferred.v1', data);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.some((e) => e.startsWith('/to/kind'))).toBe(true);
  });

  it('rejects date-times without an offset or that are not dates', () => {
    const type = 'dev.handoff.conversations.MessageReceived.v1';
    for (const sentAt of [
      '2025-03-04 14:01:57',
      '2025-03-04T14:01:57',
      'yesterday',
      '2025-13-45T99:00:00Z',
    ]) {
      expect(validatePublicEvent(type, { ...example(type), sentAt }).ok).toBe(false);
    }
    expect(validatePublicEvent(type, { ...example(type), sentAt: '2025-03-04T15:01:57+01:00' }).ok).toBe(
      true,
    );
  });

  it('rejects ids that cannot be a Kafka key or a stream name', () => {
    const type = 'dev.handoff.ownership.OwnerAssigned.v1';
    for (const ticketId of ['', 'has space', 'a/b', 'x'.repeat(129)]) {
      expect(validatePublicEvent(type, { ...example(type), ticketId }).ok).toBe(false);
    }
  });

  it('rejects an unknown type or version with a clear error, never a throw', () => {
    expect(validatePublicEvent('dev.handoff.ownership.OwnershipTransferred.v2', {})).toEqual({
      ok: false,
      errors: [
        'unknown version of ownership.OwnershipTransferred in "dev.handoff.ownership.OwnershipTransferred.v2": known v1',
      ],
    });
    expect(validatePublicEvent('dev.handoff.ownership.Nope.v1', {})).toEqual({
      ok: false,
      errors: ['unknown event type "dev.handoff.ownership.Nope.v1"'],
    });
    const garbage = validatePublicEvent('OwnershipTransferred', {});
    expect(garbage.ok).toBe(false);
    if (!garbage.ok)
      expect(garbage.errors[0]).toMatch(/expected dev\.handoff\.<context>\.<Name>\.v<version>/);
  });
});
