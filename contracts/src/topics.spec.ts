import { deadLetterTopic, eventsTopic, inboundTopic } from './topics';

describe('topic names', () => {
  it('names a context topic with its version', () => {
    expect(eventsTopic('ownership')).toBe('handoff.ownership.events.v1');
    expect(eventsTopic('escalation', 2)).toBe('handoff.escalation.events.v2');
  });

  it('names inbound and dead-letter topics', () => {
    expect(inboundTopic('messages')).toBe('handoff.inbound.messages.v1');
    expect(deadLetterTopic(inboundTopic('messages'))).toBe('handoff.inbound.messages.v1.dlq');
  });

  it('rejects an inbound name that would break the topic grammar', () => {
    expect(() => inboundTopic('Messages.v2')).toThrow(RangeError);
  });
});
