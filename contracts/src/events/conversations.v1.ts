import { Type, type Static, type TProperties } from '@sinclair/typebox';
import {
  ActorRef,
  AttachmentMeta,
  ChannelIdentity,
  ChannelKind,
  CustomerId,
  Id,
  IsoDateTime,
  KeyId,
  OwnerRef,
  SenderKind,
  StringEnum,
  Strict,
  TenantId,
  Text,
  TicketId,
  defineEventV1,
  ticketFact,
} from './shared.v1';

// Customer-level facts are keyed by customer id (customer-<id> stream order); `ticketId` says which
// ticket's message or command caused them, when one did.
const customerFact = <P extends TProperties>(properties: P, description?: string) =>
  Strict(
    { tenantId: TenantId, customerId: CustomerId, ticketId: Type.Optional(TicketId), ...properties },
    description,
  );

/** A message from any channel joined a ticket's timeline. */
export const MessageReceivedV1 = ticketFact({
  messageId: Id('Platform message id.'),
  sequence: Type.Integer({
    minimum: 1,
    description:
      "1-based position of the message in its ticket's timeline: the conversation position that " +
      'handoff requests (`conversationPosition`) and briefs (`coversPosition`) refer to.',
  }),
  customerId: CustomerId,
  channel: ChannelKind,
  channelMessageId: Id("The channel's own message id (idempotency key per channel)."),
  channelThreadId: Type.Optional(Id("The channel's own thread/conversation id.")),
  sender: Strict({ kind: SenderKind, id: Id(), displayName: Type.Optional(Text(200)) }),
  text: Type.String({ maxLength: 100_000 }),
  attachments: Type.Array(AttachmentMeta, { maxItems: 50 }),
  sentAt: IsoDateTime('When the sender sent it (channel clock).'),
  language: Type.Optional(Text(35, 'BCP 47 tag when known.')),
});
export type MessageReceivedV1 = Static<typeof MessageReceivedV1>;

/** A channel identity resolved to a customer (new or existing). */
export const CustomerIdentifiedV1 = customerFact({
  identity: ChannelIdentity,
  newCustomer: Type.Boolean(),
});
export type CustomerIdentifiedV1 = Static<typeof CustomerIdentifiedV1>;

/** An identity was linked to a customer explicitly, with provenance. */
export const IdentityLinkedV1 = customerFact({
  identity: ChannelIdentity,
  linkedBy: ActorRef,
  reason: Text(1000),
});
export type IdentityLinkedV1 = Static<typeof IdentityLinkedV1>;

/** `mergedCustomerId` was merged into `customerId` (the survivor). */
export const CustomersMergedV1 = customerFact({
  mergeId: Id(),
  mergedCustomerId: CustomerId,
  movedIdentities: Type.Array(ChannelIdentity, { maxItems: 500 }),
  movedTicketIds: Type.Array(TicketId, { maxItems: 10_000 }),
  mergedBy: ActorRef,
  reason: Text(1000),
});
export type CustomersMergedV1 = Static<typeof CustomersMergedV1>;

/** A merge was undone: `restoredCustomerId` exists again with the identities and tickets it had. */
export const CustomerMergeUndoneV1 = customerFact({
  mergeId: Id(),
  restoredCustomerId: CustomerId,
  restoredIdentities: Type.Array(ChannelIdentity, { maxItems: 500 }),
  restoredTicketIds: Type.Array(TicketId, { maxItems: 10_000 }),
  undoneBy: ActorRef,
  reason: Text(1000),
});
export type CustomerMergeUndoneV1 = Static<typeof CustomerMergeUndoneV1>;

/** A new ticket started for a customer. */
export const TicketOpenedV1 = ticketFact({
  customerId: CustomerId,
  channel: ChannelKind,
  openedBy: ActorRef,
  firstMessageId: Type.Optional(Id()),
  subject: Type.Optional(Text(500)),
});
export type TicketOpenedV1 = Static<typeof TicketOpenedV1>;

/** The customer continued the same ticket on another channel: a channel-to-channel handoff. */
export const ChannelSwitchedV1 = ticketFact({
  customerId: CustomerId,
  fromChannel: ChannelKind,
  toChannel: ChannelKind,
  messageId: Id('The first message on the new channel.'),
  channelThreadId: Type.Optional(Id()),
});
export type ChannelSwitchedV1 = Static<typeof ChannelSwitchedV1>;

/** A message was attached to one of several open tickets; a person should check the choice. */
export const TicketFlaggedForReviewV1 = ticketFact({
  customerId: CustomerId,
  reason: StringEnum(['several_open_tickets', 'ambiguous_identity']),
  messageId: Type.Optional(Id()),
  otherTicketIds: Type.Array(TicketId, { maxItems: 100 }),
});
export type TicketFlaggedForReviewV1 = Static<typeof TicketFlaggedForReviewV1>;

/** `mergedTicketId` was merged into `ticketId`; both timelines are kept. */
export const TicketMergedV1 = ticketFact({
  mergedTicketId: TicketId,
  mergedBy: ActorRef,
  reason: Type.Optional(Text(1000)),
});
export type TicketMergedV1 = Static<typeof TicketMergedV1>;

/** A closed ticket is open again (a customer came back or an agent reopened it). */
export const TicketReopenedV1 = ticketFact({
  reopenedBy: ActorRef,
  messageId: Type.Optional(Id()),
  reason: Type.Optional(Text(1000)),
});
export type TicketReopenedV1 = Static<typeof TicketReopenedV1>;

/** A ticket was closed. */
export const TicketClosedV1 = ticketFact({
  closedBy: ActorRef,
  resolution: StringEnum(['resolved', 'unresolved', 'duplicate', 'spam', 'merged']),
  note: Type.Optional(Text(2000)),
});
export type TicketClosedV1 = Static<typeof TicketClosedV1>;

/** A satisfaction survey response, with the owner segment and the handoffs before it. */
export const CsatRecordedV1 = ticketFact({
  responseId: Id(),
  customerId: CustomerId,
  score: Type.Integer({ minimum: 1, maximum: 5 }),
  comment: Type.Optional(Text(5000)),
  channel: ChannelKind,
  respondedAt: IsoDateTime(),
  owner: Type.Optional(OwnerRef),
  precedingHandoffIds: Type.Array(KeyId(), { maxItems: 1000 }),
});
export type CsatRecordedV1 = Static<typeof CsatRecordedV1>;

/** Public event types of the conversations context (topic `handoff.conversations.events.v1`). */
export const conversationsEventsV1 = [
  defineEventV1('conversations', 'MessageReceived', MessageReceivedV1, 'A message joined a ticket timeline.'),
  defineEventV1(
    'conversations',
    'CustomerIdentified',
    CustomerIdentifiedV1,
    'A channel identity resolved to a customer.',
    'customerId',
  ),
  defineEventV1(
    'conversations',
    'IdentityLinked',
    IdentityLinkedV1,
    'An identity was linked to a customer explicitly.',
    'customerId',
  ),
  defineEventV1(
    'conversations',
    'CustomersMerged',
    CustomersMergedV1,
    'Two customers were merged.',
    'customerId',
  ),
  defineEventV1(
    'conversations',
    'CustomerMergeUndone',
    CustomerMergeUndoneV1,
    'A customer merge was undone.',
    'customerId',
  ),
  defineEventV1('conversations', 'TicketOpened', TicketOpenedV1, 'A ticket was opened.'),
  defineEventV1(
    'conversations',
    'ChannelSwitched',
    ChannelSwitchedV1,
    'A ticket continued on another channel.',
  ),
  defineEventV1(
    'conversations',
    'TicketFlaggedForReview',
    TicketFlaggedForReviewV1,
    'A ticket choice needs a person to check it.',
  ),
  defineEventV1('conversations', 'TicketMerged', TicketMergedV1, 'Another ticket was merged into this one.'),
  defineEventV1('conversations', 'TicketReopened', TicketReopenedV1, 'A closed ticket was reopened.'),
  defineEventV1('conversations', 'TicketClosed', TicketClosedV1, 'A ticket was closed.'),
  defineEventV1('conversations', 'CsatRecorded', CsatRecordedV1, 'A CSAT response was recorded.'),
] as const;
