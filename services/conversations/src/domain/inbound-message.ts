import { ConversationsError, MessageTooLong, MissingSender } from './conversations.errors';
import { CHANNEL_KINDS, type ChannelKind, type Identity, normaliseIdentity } from './identity';
import type { Attachment, SenderKind } from './ticket.decider';

const SENDER_KINDS: readonly SenderKind[] = ['customer', 'bot', 'agent', 'system'];

/** A message to ingest, from REST or the inbound topic, before validation. */
export interface IncomingMessage {
  tenantId: string;
  channel: string;
  channelMessageId: string;
  channelThreadId?: string;
  sender?: { kind?: string; identity?: Identity; id?: string; displayName?: string };
  text: string;
  attachments: Attachment[];
  sentAt: string;
  ticketId?: string;
}

/** A message that passed every check, identity normalised. */
export interface ValidMessage {
  tenantId: string;
  channel: ChannelKind;
  channelMessageId: string;
  channelThreadId?: string;
  sender: { kind: SenderKind; identity?: Identity; id?: string; displayName?: string };
  text: string;
  attachments: Attachment[];
  sentAt: string;
  ticketId?: string;
}

export class UnknownChannel extends ConversationsError {
  constructor(channel: string) {
    super(
      'unknown-channel',
      'invalid',
      `channel "${channel}" is not one of ${CHANNEL_KINDS.join(', ')}`,
      'channel',
    );
  }
}

/**
 * The checks of every ingestion path, before anything is written, so a bad message leaves no trace:
 * a known channel, a sender (with an identity when it is the customer), text within `maxChars`,
 * well-formed identities.
 */
export function validateMessage(message: IncomingMessage, maxChars: number): ValidMessage {
  if (!(CHANNEL_KINDS as readonly string[]).includes(message.channel))
    throw new UnknownChannel(message.channel);
  const sender = message.sender;
  if (!sender?.kind) throw new MissingSender('sender', 'the sender (kind and identity) is required');
  if (!(SENDER_KINDS as readonly string[]).includes(sender.kind))
    throw new MissingSender('sender.kind', `sender kind must be one of ${SENDER_KINDS.join(', ')}`);
  const kind = sender.kind as SenderKind;
  if (kind === 'customer' && !sender.identity)
    throw new MissingSender('sender.identity', 'a customer message needs the identity of its sender');
  // The limit counts code points; a text of at most `maxChars` UTF-16 units has no more than that.
  if (message.text.length > maxChars) {
    const length = [...message.text].length;
    if (length > maxChars) throw new MessageTooLong(length, maxChars);
  }
  if (Number.isNaN(Date.parse(message.sentAt)))
    throw new ConversationsError(
      'invalid-sent-at',
      'invalid',
      'sentAt is not an RFC 3339 date-time',
      'sentAt',
    );
  const identity = sender.identity ? normaliseIdentity(sender.identity, 'sender.identity') : undefined;
  return {
    tenantId: message.tenantId,
    channel: message.channel as ChannelKind,
    channelMessageId: message.channelMessageId,
    ...(message.channelThreadId === undefined ? {} : { channelThreadId: message.channelThreadId }),
    sender: {
      kind,
      ...(identity ? { identity } : {}),
      ...(sender.id === undefined ? {} : { id: sender.id }),
      ...(sender.displayName === undefined ? {} : { displayName: sender.displayName }),
    },
    text: message.text,
    attachments: message.attachments,
    sentAt: new Date(message.sentAt).toISOString(),
    ...(message.ticketId === undefined ? {} : { ticketId: message.ticketId }),
  };
}
