import { Type, type Static } from '@sinclair/typebox';
import {
  AttachmentMeta,
  ChannelIdentity,
  ChannelKind,
  Id,
  IsoDateTime,
  SenderKind,
  Strict,
  TenantId,
  Text,
  TicketId,
  defineEventV1,
} from './shared.v1';

/**
 * A channel connector hands a message to the platform (topic `handoff.inbound.messages.v1`). The
 * connector does not know the ticket, so the key is the channel thread id: one thread stays in order.
 */
export const ChannelMessageV1 = Strict({
  tenantId: TenantId,
  channel: ChannelKind,
  channelMessageId: Id("The channel's own message id: re-sending it is idempotent."),
  channelThreadId: Id("The channel's own thread id: Kafka key and CloudEvents subject."),
  sender: Strict({
    kind: SenderKind,
    identity: Type.Optional(ChannelIdentity),
    displayName: Type.Optional(Text(200)),
  }),
  text: Type.String({ maxLength: 100_000 }),
  attachments: Type.Array(AttachmentMeta, { maxItems: 50 }),
  sentAt: IsoDateTime(),
  ticketId: Type.Optional(TicketId),
});
export type ChannelMessageV1 = Static<typeof ChannelMessageV1>;

/** Inbound message types (integration input, consumed by conversations). */
export const inboundMessagesV1 = [
  defineEventV1(
    'inbound',
    'ChannelMessage',
    ChannelMessageV1,
    'A channel connector delivers a message for ingestion.',
    'channelThreadId',
  ),
] as const;
