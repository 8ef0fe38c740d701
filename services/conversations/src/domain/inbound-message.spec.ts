import { InvalidIdentity, MessageTooLong, MissingSender } from './conversations.errors';
import { normaliseIdentity, verifiedConflicts } from './identity';
import { type IncomingMessage, UnknownChannel, validateMessage } from './inbound-message';

const message = (overrides: Partial<IncomingMessage> = {}): IncomingMessage => ({
  tenantId: 'tenant-a',
  channel: 'whatsapp',
  channelMessageId: 'wamid.1',
  channelThreadId: '+4915112345678',
  sender: { kind: 'customer', identity: { kind: 'phone', value: '+49 151 1234-5678', verified: true } },
  text: 'hello',
  attachments: [],
  sentAt: '2026-11-29T10:00:00Z',
  ...overrides,
});

const fieldOf = (run: () => unknown): string | undefined => {
  try {
    run();
  } catch (error) {
    return (error as { field?: string }).field;
  }
  return undefined;
};

describe('message validation', () => {
  it('normalises the identity and the sent time', () => {
    const valid = validateMessage(message(), 100);
    expect(valid.sender.identity).toEqual({ kind: 'phone', value: '+4915112345678', verified: true });
    expect(valid.sentAt).toBe('2026-11-29T10:00:00.000Z');
  });

  it('rejects an unknown channel naming the field', () => {
    expect(() => validateMessage(message({ channel: 'pigeon' }), 100)).toThrow(UnknownChannel);
    expect(fieldOf(() => validateMessage(message({ channel: 'pigeon' }), 100))).toBe('channel');
  });

  it('rejects a missing sender, and a customer message without identity', () => {
    expect(fieldOf(() => validateMessage(message({ sender: undefined }), 100))).toBe('sender');
    expect(() => validateMessage(message({ sender: { kind: 'customer' } }), 100)).toThrow(MissingSender);
    expect(fieldOf(() => validateMessage(message({ sender: { kind: 'customer' } }), 100))).toBe(
      'sender.identity',
    );
  });

  it('accepts an agent message without identity', () =>
    expect(validateMessage(message({ sender: { kind: 'agent', id: 'agent-7' } }), 100).sender).toEqual({
      kind: 'agent',
      id: 'agent-7',
    }));

  it('rejects text over the configured limit (counted in characters, not bytes)', () => {
    expect(() => validateMessage(message({ text: 'x'.repeat(101) }), 100)).toThrow(MessageTooLong);
    expect(validateMessage(message({ text: '😀'.repeat(100) }), 100).text).toHaveLength(200);
    expect(() => validateMessage(message({ text: '😀'.repeat(101) }), 100)).toThrow(MessageTooLong);
  });

  it('rejects malformed email and phone identities naming the field', () => {
    const bad = (kind: 'email' | 'phone', value: string) =>
      message({ sender: { kind: 'customer', identity: { kind, value, verified: false } } });
    expect(() => validateMessage(bad('email', 'not-an-email'), 100)).toThrow(InvalidIdentity);
    expect(() => validateMessage(bad('phone', '0151 1234'), 100)).toThrow(InvalidIdentity);
    expect(fieldOf(() => validateMessage(bad('phone', '12'), 100))).toBe('sender.identity.value');
  });
});

describe('identities', () => {
  it('normalises email case, handle "@" and phone separators', () => {
    expect(
      normaliseIdentity({ kind: 'email', value: ' Jane@Example.COM ', verified: false }, 'i').value,
    ).toBe('jane@example.com');
    expect(normaliseIdentity({ kind: 'social_handle', value: '@Jane.Doe', verified: false }, 'i').value).toBe(
      'jane.doe',
    );
    expect(normaliseIdentity({ kind: 'phone', value: '+1 (415) 555-0100', verified: false }, 'i').value).toBe(
      '+14155550100',
    );
  });

  it('finds verified conflicts only between different verified values of one kind', () => {
    const a = [{ kind: 'email' as const, value: 'a@x.io', verified: true }];
    expect(verifiedConflicts(a, [{ kind: 'email', value: 'b@x.io', verified: true }])).toEqual(['email']);
    expect(verifiedConflicts(a, [{ kind: 'email', value: 'b@x.io', verified: false }])).toEqual([]);
    expect(verifiedConflicts(a, [{ kind: 'email', value: 'a@x.io', verified: true }])).toEqual([]);
    expect(verifiedConflicts(a, [{ kind: 'phone', value: '+14155550100', verified: true }])).toEqual([]);
  });
});
