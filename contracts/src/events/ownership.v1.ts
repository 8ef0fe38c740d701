import { Type, type Static } from '@sinclair/typebox';
import {
  ActorRef,
  AgentRef,
  BriefRef,
  IsoDateTime,
  KeyId,
  OwnerRef,
  StringEnum,
  Strict,
  Text,
  defineEventV1,
  ticketFact,
} from './shared.v1';

/** A ticket got a named accountable owner (it had none). */
export const OwnerAssignedV1 = ticketFact({
  owner: OwnerRef,
  how: StringEnum(['assigned', 'claimed', 'routed', 'team_lead_rule', 'reopened']),
  assignedBy: ActorRef,
  reason: Type.Optional(Text(1000)),
  handoffId: Type.Optional(
    KeyId('The accepted handoff that gave an unowned ticket its owner (how = routed).'),
  ),
  brief: Type.Optional(BriefRef),
});
export type OwnerAssignedV1 = Static<typeof OwnerAssignedV1>;

/** The accountable owner changed from one named owner to another. */
export const OwnershipTransferredV1 = ticketFact({
  from: OwnerRef,
  to: OwnerRef,
  transferredBy: ActorRef,
  reason: Text(1000),
  handoffId: Type.Optional(KeyId('The accepted handoff this transfer records.')),
  brief: Type.Optional(BriefRef),
  shiftHandoverId: Type.Optional(KeyId()),
});
export type OwnershipTransferredV1 = Static<typeof OwnershipTransferredV1>;

/** The owner released the ticket; it is unowned until the next assignment (see OwnershipLapsed). */
export const OwnershipReleasedV1 = ticketFact({
  previousOwner: OwnerRef,
  releasedBy: ActorRef,
  reason: Text(1000),
});
export type OwnershipReleasedV1 = Static<typeof OwnershipReleasedV1>;

/** An open ticket has no named owner: a measured, alerted state. */
export const OwnershipLapsedV1 = ticketFact({
  previousOwner: Type.Optional(OwnerRef),
  lapsedSince: IsoDateTime(),
  cause: StringEnum(['released', 'owner_deactivated', 'reopened_owner_offline', 'handover_unacknowledged']),
});
export type OwnershipLapsedV1 = Static<typeof OwnershipLapsedV1>;

/** Handover note every shift handover must carry. */
export const HandoverNote = Strict({
  status: Text(5000),
  nextSteps: Type.Array(Text(2000), { minItems: 1, maxItems: 50 }),
  promisesMade: Type.Array(Text(2000), { maxItems: 50 }),
});
export type HandoverNote = Static<typeof HandoverNote>;

/** An agent going off shift hands this ticket over; the receiver must acknowledge. */
export const ShiftHandoverRequestedV1 = ticketFact({
  handoverId: KeyId(),
  fromAgent: AgentRef,
  toAgent: AgentRef,
  note: HandoverNote,
  acknowledgeBy: IsoDateTime('After this the handover escalates to the supervisor.'),
});
export type ShiftHandoverRequestedV1 = Static<typeof ShiftHandoverRequestedV1>;

/** The receiver acknowledged the handover (ownership moves with an OwnershipTransferred). */
export const ShiftHandoverAcknowledgedV1 = ticketFact({
  handoverId: KeyId(),
  acknowledgedBy: AgentRef,
});
export type ShiftHandoverAcknowledgedV1 = Static<typeof ShiftHandoverAcknowledgedV1>;

/** A handover was not acknowledged in time and went to the supervisor. */
export const ShiftHandoverEscalatedV1 = ticketFact({
  handoverId: KeyId(),
  toAgent: AgentRef,
  supervisor: Type.Optional(AgentRef),
  overdueSince: IsoDateTime(),
});
export type ShiftHandoverEscalatedV1 = Static<typeof ShiftHandoverEscalatedV1>;

/** Ownership ended because the ticket closed: the last owner segment is complete. */
export const OwnershipTicketClosedV1 = ticketFact({
  finalOwner: Type.Optional(OwnerRef),
  closedBy: ActorRef,
});
export type OwnershipTicketClosedV1 = Static<typeof OwnershipTicketClosedV1>;

/** The reopened ticket went to its last owner (online) or to routing. */
export const OwnershipTicketReopenedV1 = ticketFact({
  previousOwner: Type.Optional(OwnerRef),
  routedTo: StringEnum(['previous_owner', 'routing']),
  reopenedBy: ActorRef,
});
export type OwnershipTicketReopenedV1 = Static<typeof OwnershipTicketReopenedV1>;

/** Owners bounced within a window (A→B→A, team bounce, or too many changes). */
export const OwnershipLoopDetectedV1 = ticketFact({
  pattern: StringEnum(['returned_to_previous_owner', 'team_bounce', 'frequent_changes']),
  ownerChanges: Type.Integer({ minimum: 1 }),
  windowSeconds: Type.Integer({ minimum: 1 }),
  owners: Type.Array(OwnerRef, { minItems: 1, maxItems: 100 }),
});
export type OwnershipLoopDetectedV1 = Static<typeof OwnershipLoopDetectedV1>;

/** Public event types of the ownership context (topic `handoff.ownership.events.v1`). */
export const ownershipEventsV1 = [
  defineEventV1('ownership', 'OwnerAssigned', OwnerAssignedV1, 'A ticket got a named owner.'),
  defineEventV1('ownership', 'OwnershipTransferred', OwnershipTransferredV1, 'A ticket changed owner.'),
  defineEventV1('ownership', 'OwnershipReleased', OwnershipReleasedV1, 'An owner released a ticket.'),
  defineEventV1('ownership', 'OwnershipLapsed', OwnershipLapsedV1, 'An open ticket has no named owner.'),
  defineEventV1(
    'ownership',
    'ShiftHandoverRequested',
    ShiftHandoverRequestedV1,
    'A ticket is handed over at shift end.',
  ),
  defineEventV1(
    'ownership',
    'ShiftHandoverAcknowledged',
    ShiftHandoverAcknowledgedV1,
    'A shift handover was acknowledged.',
  ),
  defineEventV1(
    'ownership',
    'ShiftHandoverEscalated',
    ShiftHandoverEscalatedV1,
    'An unacknowledged handover went to the supervisor.',
  ),
  defineEventV1(
    'ownership',
    'TicketClosed',
    OwnershipTicketClosedV1,
    'Ownership ended with the ticket closed.',
  ),
  defineEventV1('ownership', 'TicketReopened', OwnershipTicketReopenedV1, 'Ownership resumed on reopen.'),
  defineEventV1(
    'ownership',
    'OwnershipLoopDetected',
    OwnershipLoopDetectedV1,
    'Ownership bounced within a window.',
  ),
] as const;
