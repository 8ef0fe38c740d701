import { listPublicEventTypes } from './event-registry';
import {
  DEFAULT_PARTITIONS,
  deadLetterTopic,
  eventsTopic,
  inboundTopic,
  topicCatalogue,
  topicOfContext,
} from './topics';

describe('topic names', () => {
  it('names a context topic with its version', () => {
    expect(eventsTopic('ownership')).toBe('handoff.ownership.events.v1');
    expect(eventsTopic('escalation', 2)).toBe('handoff.escalation.events.v2');
  });

  it('names inbound and dead-letter topics', () => {
    expect(inboundTopic('messages')).toBe('handoff.inbound.messages.v1');
    expect(deadLetterTopic(inboundTopic('messages'))).toBe('handoff.inbound.messages.v1.dlq');
    expect(topicOfContext('inbound')).toBe('handoff.inbound.messages.v1');
  });

  it('rejects an inbound name that would break the topic grammar', () => {
    expect(() => inboundTopic('Messages.v2')).toThrow(RangeError);
  });
});

describe('topic catalogue', () => {
  it('has an events topic per context, the inbound topic, and a dead-letter topic for each', () => {
    const catalogue = topicCatalogue();
    expect(catalogue.map((t) => [t.name, t.dlq.name])).toEqual([
      ['handoff.conversations.events.v1', 'handoff.conversations.events.v1.dlq'],
      ['handoff.summarization.events.v1', 'handoff.summarization.events.v1.dlq'],
      ['handoff.escalation.events.v1', 'handoff.escalation.events.v1.dlq'],
      ['handoff.ownership.events.v1', 'handoff.ownership.events.v1.dlq'],
      ['handoff.inbound.messages.v1', 'handoff.inbound.messages.v1.dlq'],
    ]);
    for (const topic of catalogue) {
      expect(topic.partitions).toBe(DEFAULT_PARTITIONS);
      expect(topic.dlq.partitions).toBe(DEFAULT_PARTITIONS);
      expect(topic.configs['cleanup.policy']).toBe('delete');
    }
  });

  it('covers every registered type exactly once, on the topic the registry names', () => {
    const placed = topicCatalogue().flatMap((t) => t.ceTypes.map((type) => [type, t.name]));
    const registered = listPublicEventTypes().map((i) => [i.type, i.topic]);
    expect(placed.sort()).toEqual(registered.sort());
    expect(new Set(placed.map(([type]) => type)).size).toBe(placed.length);
  });

  it('keys public facts by ticket id (customer and agent facts by their own id)', () => {
    const keys = Object.fromEntries(topicCatalogue().map((t) => [t.context, t.keyedBy]));
    expect(keys).toEqual({
      conversations: ['ticketId', 'customerId'],
      summarization: ['ticketId'],
      escalation: ['ticketId', 'agentId'],
      ownership: ['ticketId'],
      inbound: ['channelThreadId'],
    });
  });

  it('takes partition counts for all topics or per topic, and the replication factor', () => {
    expect(topicCatalogue({ partitions: 3 }).every((t) => t.partitions === 3 && t.dlq.partitions === 3)).toBe(
      true,
    );
    const custom = topicCatalogue({
      partitions: { 'handoff.ownership.events.v1': 24, 'handoff.ownership.events.v1.dlq': 1 },
      replicationFactor: 3,
    });
    const ownership = custom.find((t) => t.context === 'ownership');
    expect(ownership).toMatchObject({
      partitions: 24,
      replicationFactor: 3,
      dlq: { partitions: 1, replicationFactor: 3 },
    });
    expect(ownership?.configs['min.insync.replicas']).toBe('2');
    expect(custom.find((t) => t.context === 'escalation')?.partitions).toBe(DEFAULT_PARTITIONS);
  });

  it('refuses counts for unknown topics and counts that are not positive integers', () => {
    expect(() => topicCatalogue({ partitions: { 'handoff.ownershp.events.v1': 3 } })).toThrow(
      /unknown topics/,
    );
    expect(() => topicCatalogue({ partitions: 0 })).toThrow(RangeError);
    expect(() => topicCatalogue({ partitions: { 'handoff.ownership.events.v1': 1.5 } })).toThrow(RangeError);
    expect(() => topicCatalogue({ replicationFactor: 0 })).toThrow(RangeError);
  });
});
