import { Column, Entity, PrimaryColumn } from 'typeorm';

// The read models of insights (schema `insights`). `ticket_facts` holds the normalised facts of every
// topic; the other ticket tables are derived from them, ticket by ticket, by the pure
// `deriveTicketInsight` (projections/ticket-insight.deriver.ts). Times are timestamptz, durations
// milliseconds as bigint (strings through the driver, converted where they are read).

const bigint = { type: 'bigint' as const, nullable: true };
const time = { type: 'timestamptz' as const, nullable: true };

@Entity({ name: 'ticket_facts' })
export class TicketFactEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'text' }) tenantId!: string;
  @PrimaryColumn({ name: 'ticket_id', type: 'text' }) ticketId!: string;
  @PrimaryColumn({ name: 'event_id', type: 'text' }) eventId!: string;
  @Column({ type: 'text' }) kind!: string;
  @Column({ type: 'timestamptz' }) at!: Date;
  @Column({ type: 'jsonb' }) fact!: unknown;
}

@Entity({ name: 'pending_derivations' })
export class PendingDerivationEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'text' }) tenantId!: string;
  @PrimaryColumn({ name: 'ticket_id', type: 'text' }) ticketId!: string;
  @PrimaryColumn({ name: 'event_id', type: 'text' }) eventId!: string;
}

@Entity({ name: 'agent_presence' })
export class AgentPresenceEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'text' }) tenantId!: string;
  @PrimaryColumn({ name: 'event_id', type: 'text' }) eventId!: string;
  @Column({ name: 'agent_id', type: 'text' }) agentId!: string;
  @Column({ type: 'text' }) presence!: string;
  @Column({ type: 'timestamptz' }) at!: Date;
}

@Entity({ name: 'tickets' })
export class TicketEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'text' }) tenantId!: string;
  @PrimaryColumn({ name: 'ticket_id', type: 'text' }) ticketId!: string;
  @Column({ name: 'opened_at', type: 'timestamptz' }) openedAt!: Date;
  @Column({ type: 'text', nullable: true }) channel!: string | null;
  @Column({ name: 'customer_id', type: 'text', nullable: true }) customerId!: string | null;
  @Column({ type: 'text', nullable: true }) intent!: string | null;
  @Column({ name: 'first_resolved_at', ...time }) firstResolvedAt!: Date | null;
  @Column({ name: 'resolution_ms', ...bigint }) resolutionMs!: string | null;
  @Column({ name: 'closed_at', ...time }) closedAt!: Date | null;
  @Column({ name: 'reopen_count', type: 'integer' }) reopenCount!: number;
  @Column({ name: 'owner_changes', type: 'integer' }) ownerChanges!: number;
  @Column({ name: 'last_owner_kind', type: 'text', nullable: true }) lastOwnerKind!: string | null;
  @Column({ name: 'last_owner_id', type: 'text', nullable: true }) lastOwnerId!: string | null;
  @Column({ name: 'last_owner_team', type: 'text', nullable: true }) lastOwnerTeam!: string | null;
  @Column({ name: 'accepted_handoffs', type: 'integer' }) acceptedHandoffs!: number;
  @Column({ type: 'jsonb' }) edges!: string[];
  @Column({ type: 'integer' }) loops!: number;
  @Column({ type: 'integer' }) lapses!: number;
}

@Entity({ name: 'handoffs' })
export class HandoffEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'text' }) tenantId!: string;
  @PrimaryColumn({ name: 'ticket_id', type: 'text' }) ticketId!: string;
  @PrimaryColumn({ name: 'handoff_id', type: 'text' }) handoffId!: string;
  @Column({ name: 'handoff_type', type: 'text', nullable: true }) handoffType!: string | null;
  @Column({ type: 'text' }) edge!: string;
  @Column({ name: 'sender_id', type: 'text', nullable: true }) senderId!: string | null;
  @Column({ name: 'sender_kind', type: 'text', nullable: true }) senderKind!: string | null;
  @Column({ name: 'receiver_id', type: 'text', nullable: true }) receiverId!: string | null;
  @Column({ name: 'receiver_team', type: 'text', nullable: true }) receiverTeam!: string | null;
  @Column({ type: 'text', nullable: true }) channel!: string | null;
  @Column({ type: 'text', nullable: true }) intent!: string | null;
  @Column({ name: 'requested_at', ...time }) requestedAt!: Date | null;
  @Column({ name: 'accepted_at', ...time }) acceptedAt!: Date | null;
  @Column({ type: 'integer' }) declines!: number;
  @Column({ type: 'integer' }) expiries!: number;
  @Column({ name: 'without_brief', type: 'boolean' }) withoutBrief!: boolean;
  @Column({ type: 'boolean' }) cancelled!: boolean;
  @Column({ name: 'time_to_accept_ms', ...bigint }) timeToAcceptMs!: string | null;
  @Column({ name: 'first_reply_at', ...time }) firstReplyAt!: Date | null;
  @Column({ name: 'time_to_first_meaningful_reply_ms', ...bigint }) timeToFirstMeaningfulReplyMs!:
    string | null;
  @Column({ name: 'idle_ms', ...bigint }) idleMs!: string | null;
  @Column({ name: 'no_reply', type: 'boolean' }) noReply!: boolean;
  @Column({ type: 'integer' }) repeats!: number;
  @Column({ type: 'boolean' }) bounced!: boolean;
  @Column({ type: 'boolean' }) reopened!: boolean;
  @Column({ name: 'csat_after', type: 'integer', nullable: true }) csatAfter!: number | null;
  @Column({ name: 'resolved_at', ...time }) resolvedAt!: Date | null;
  @Column({ name: 'accept_to_resolution_ms', ...bigint }) acceptToResolutionMs!: string | null;
  /** The ticket's own resolution time (open → first resolved close), for the same-intent comparison. */
  @Column({ name: 'ticket_resolution_ms', ...bigint }) ticketResolutionMs!: string | null;
  @Column({ type: 'double precision', nullable: true }) score!: number | null;
  @Column({ type: 'jsonb', nullable: true }) components!: unknown;
  // The points of each component again as columns: the roll-ups average them without parsing jsonb.
  @Column({ name: 'points_accept', type: 'double precision', nullable: true }) pointsAccept!: number | null;
  @Column({ name: 'points_first_reply', type: 'double precision', nullable: true }) pointsFirstReply!:
    number | null;
  @Column({ name: 'points_no_repeat', type: 'double precision', nullable: true }) pointsNoRepeat!:
    number | null;
  @Column({ name: 'points_not_bounced', type: 'double precision', nullable: true }) pointsNotBounced!:
    number | null;
  @Column({ name: 'points_not_reopened', type: 'double precision', nullable: true }) pointsNotReopened!:
    number | null;
  @Column({ name: 'points_csat', type: 'double precision', nullable: true }) pointsCsat!: number | null;
}

@Entity({ name: 'owner_segments' })
export class OwnerSegmentEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'text' }) tenantId!: string;
  @PrimaryColumn({ name: 'ticket_id', type: 'text' }) ticketId!: string;
  @PrimaryColumn({ type: 'integer' }) seq!: number;
  @Column({ name: 'owner_kind', type: 'text' }) ownerKind!: string;
  @Column({ name: 'owner_id', type: 'text' }) ownerId!: string;
  @Column({ name: 'team_id', type: 'text', nullable: true }) teamId!: string | null;
  @Column({ name: 'started_at', type: 'timestamptz' }) startedAt!: Date;
  @Column({ name: 'ended_at', ...time }) endedAt!: Date | null;
  @Column({ type: 'boolean' }) replied!: boolean;
}

@Entity({ name: 'transfers' })
export class TransferEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'text' }) tenantId!: string;
  @PrimaryColumn({ name: 'ticket_id', type: 'text' }) ticketId!: string;
  @PrimaryColumn({ name: 'event_id', type: 'text' }) eventId!: string;
  @Column({ type: 'timestamptz' }) at!: Date;
  @Column({ name: 'from_kind', type: 'text' }) fromKind!: string;
  @Column({ name: 'from_id', type: 'text' }) fromId!: string;
  @Column({ name: 'from_team', type: 'text', nullable: true }) fromTeam!: string | null;
  @Column({ name: 'to_kind', type: 'text' }) toKind!: string;
  @Column({ name: 'to_id', type: 'text' }) toId!: string;
  @Column({ name: 'to_team', type: 'text', nullable: true }) toTeam!: string | null;
  @Column({ name: 'handoff_id', type: 'text', nullable: true }) handoffId!: string | null;
  @Column({ name: 'shift_handover_id', type: 'text', nullable: true }) shiftHandoverId!: string | null;
  @Column({ name: 'sender_replied', type: 'boolean', nullable: true }) senderReplied!: boolean | null;
}

@Entity({ name: 'ownership_lapses' })
export class LapseEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'text' }) tenantId!: string;
  @PrimaryColumn({ name: 'ticket_id', type: 'text' }) ticketId!: string;
  @PrimaryColumn({ type: 'integer' }) seq!: number;
  @Column({ name: 'started_at', type: 'timestamptz' }) startedAt!: Date;
  @Column({ name: 'ended_at', ...time }) endedAt!: Date | null;
  @Column({ type: 'text' }) cause!: string;
}

@Entity({ name: 'ownership_loops' })
export class LoopEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'text' }) tenantId!: string;
  @PrimaryColumn({ name: 'ticket_id', type: 'text' }) ticketId!: string;
  @PrimaryColumn({ name: 'event_id', type: 'text' }) eventId!: string;
  @Column({ type: 'timestamptz' }) at!: Date;
  @Column({ type: 'text' }) pattern!: string;
  @Column({ name: 'owner_changes', type: 'integer' }) ownerChanges!: number;
  @Column({ name: 'window_seconds', type: 'integer' }) windowSeconds!: number;
  @Column({ type: 'jsonb' }) owners!: unknown;
}

@Entity({ name: 'closures' })
export class ClosureEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'text' }) tenantId!: string;
  @PrimaryColumn({ name: 'ticket_id', type: 'text' }) ticketId!: string;
  @PrimaryColumn({ type: 'integer' }) seq!: number;
  @Column({ name: 'closed_at', type: 'timestamptz' }) closedAt!: Date;
  @Column({ type: 'text' }) resolution!: string;
  @Column({ name: 'reopened_at', ...time }) reopenedAt!: Date | null;
}

@Entity({ name: 'repeats' })
export class RepeatEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'text' }) tenantId!: string;
  @PrimaryColumn({ name: 'ticket_id', type: 'text' }) ticketId!: string;
  @PrimaryColumn({ name: 'detection_id', type: 'text' }) detectionId!: string;
  @Column({ name: 'handoff_id', type: 'text' }) handoffId!: string;
  @Column({ name: 'message_id', type: 'text' }) messageId!: string;
  @Column({ type: 'timestamptz' }) at!: Date;
  @Column({ name: 'repeat_kind', type: 'text' }) repeatKind!: string;
  @Column({ name: 'fact_kinds', type: 'jsonb' }) factKinds!: string[];
  @Column({ type: 'jsonb' }) evidence!: string[];
}

@Entity({ name: 'csat_responses' })
export class CsatResponseEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'text' }) tenantId!: string;
  @PrimaryColumn({ name: 'ticket_id', type: 'text' }) ticketId!: string;
  @PrimaryColumn({ name: 'response_id', type: 'text' }) responseId!: string;
  @Column({ type: 'integer' }) score!: number;
  @Column({ type: 'text' }) channel!: string;
  @Column({ name: 'responded_at', type: 'timestamptz' }) respondedAt!: Date;
  @Column({ type: 'boolean' }) escalated!: boolean;
  @Column({ name: 'owner_kind', type: 'text', nullable: true }) ownerKind!: string | null;
  @Column({ name: 'owner_id', type: 'text', nullable: true }) ownerId!: string | null;
  @Column({ name: 'owner_team', type: 'text', nullable: true }) ownerTeam!: string | null;
}

@Entity({ name: 'csat_attributions' })
export class CsatAttributionEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'text' }) tenantId!: string;
  @PrimaryColumn({ name: 'ticket_id', type: 'text' }) ticketId!: string;
  @PrimaryColumn({ name: 'response_id', type: 'text' }) responseId!: string;
  @PrimaryColumn({ name: 'segment_seq', type: 'integer' }) segmentSeq!: number;
  @Column({ name: 'segment_label', type: 'text' }) segmentLabel!: string;
  @Column({ name: 'owner_kind', type: 'text' }) ownerKind!: string;
  @Column({ name: 'owner_id', type: 'text' }) ownerId!: string;
  @Column({ name: 'team_id', type: 'text', nullable: true }) teamId!: string | null;
  @Column({ type: 'double precision' }) weight!: number;
  @Column({ type: 'integer' }) score!: number;
  @Column({ type: 'text' }) channel!: string;
  @Column({ name: 'responded_at', type: 'timestamptz' }) respondedAt!: Date;
}

/**
 * Daily roll-up of the accepted handoffs (daily-rollups.ts lists every measure column, all additive
 * sums as double precision; the figures read it with SQL).
 */
@Entity({ name: 'handoff_daily' })
export class HandoffDailyEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'text' }) tenantId!: string;
  /** `all`, `edge`, `team`, `agent` (the receiving agent), `sender` or `channel`. */
  @PrimaryColumn({ type: 'text' }) dimension!: string;
  @PrimaryColumn({ type: 'date' }) day!: string;
  @PrimaryColumn({ type: 'text' }) value!: string;
  @PrimaryColumn({ type: 'text' }) intent!: string;
  @Column({ type: 'double precision' }) handoffs!: number;
}

/** Daily roll-up of resolved tickets by intent and edge (`*` all, `(no handoff)`, each edge crossed). */
@Entity({ name: 'ticket_intent_daily' })
export class TicketIntentDailyEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'text' }) tenantId!: string;
  @PrimaryColumn({ type: 'date' }) day!: string;
  @PrimaryColumn({ type: 'text' }) intent!: string;
  @PrimaryColumn({ type: 'text' }) edge!: string;
  @Column({ type: 'double precision' }) n!: number;
  @Column({ name: 'resolution_sum', type: 'double precision' }) resolutionSum!: number;
}

/** Tickets whose derivation failed (parked so the others go on; a new fact of theirs retries). */
@Entity({ name: 'derivation_failures' })
export class DerivationFailureEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'text' }) tenantId!: string;
  @PrimaryColumn({ name: 'ticket_id', type: 'text' }) ticketId!: string;
  @Column({ type: 'text' }) error!: string;
  @Column({ name: 'failed_at', type: 'timestamptz' }) failedAt!: Date;
}

export const INSIGHTS_ENTITIES = [
  DerivationFailureEntity,
  HandoffDailyEntity,
  TicketIntentDailyEntity,
  TicketFactEntity,
  PendingDerivationEntity,
  AgentPresenceEntity,
  TicketEntity,
  HandoffEntity,
  OwnerSegmentEntity,
  TransferEntity,
  LapseEntity,
  LoopEntity,
  ClosureEntity,
  RepeatEntity,
  CsatResponseEntity,
  CsatAttributionEntity,
];
