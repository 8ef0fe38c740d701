// TypeORM entities of the read model (schema `escalation`); they never leave projections/.
import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

const bigintNumber = { to: (v: number) => v, from: (v: string | null) => (v === null ? null : Number(v)) };

@Entity({ name: 'handoffs' })
export class HandoffRow {
  @PrimaryColumn({ name: 'handoff_id', type: 'text' }) handoffId!: string;
  @Column({ name: 'tenant_id', type: 'text' }) tenantId!: string;
  @Column({ name: 'ticket_id', type: 'text' }) ticketId!: string;
  @Column({ name: 'handoff_type', type: 'text' }) handoffType!: string;
  @Column({ type: 'text' }) status!: string;
  @Column({ name: 'from_party', type: 'jsonb' }) fromParty!: { kind: string; id: string };
  @Column({ type: 'jsonb' }) target!: { kind: string; id: string };
  @Column({ name: 'reason_code', type: 'text' }) reasonCode!: string;
  @Column({ type: 'text' }) priority!: string;
  @Column({ type: 'text', nullable: true }) channel!: string | null;
  @Column({ name: 'conversation_position', type: 'bigint', transformer: bigintNumber })
  conversationPosition!: number;
  @Column({ name: 'brief_id', type: 'text', nullable: true }) briefId!: string | null;
  @Column({ name: 'brief_version', type: 'integer', nullable: true }) briefVersion!: number | null;
  @Column({ name: 'current_offer_id', type: 'text', nullable: true }) currentOfferId!: string | null;
  @Column({ name: 'current_agent_id', type: 'text', nullable: true }) currentAgentId!: string | null;
  @Column({ name: 'team_id', type: 'text', nullable: true }) teamId!: string | null;
  @Column({ name: 'offer_expires_at', type: 'timestamptz', nullable: true }) offerExpiresAt!: Date | null;
  @Column({ name: 'without_brief', type: 'boolean' }) withoutBrief!: boolean;
  @Column({ type: 'integer' }) attempts!: number;
  @Column({ type: 'integer' }) expiries!: number;
  @Column({ type: 'boolean' }) escalated!: boolean;
  @Column({ name: 'waiting_for_agent', type: 'boolean' }) waitingForAgent!: boolean;
  @Column({ name: 'holds_capacity', type: 'boolean' }) holdsCapacity!: boolean;
  @Column({ name: 'requested_at', type: 'timestamptz' }) requestedAt!: Date;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
  @Column({ name: 'last_position', type: 'bigint', transformer: bigintNumber }) lastPosition!: number;
}

@Entity({ name: 'handoff_offers' })
export class HandoffOfferRow {
  @PrimaryColumn({ name: 'offer_id', type: 'text' }) offerId!: string;
  @Column({ name: 'handoff_id', type: 'text' }) handoffId!: string;
  @Column({ name: 'tenant_id', type: 'text' }) tenantId!: string;
  @Column({ name: 'ticket_id', type: 'text' }) ticketId!: string;
  @Column({ name: 'agent_id', type: 'text' }) agentId!: string;
  @Column({ name: 'team_id', type: 'text', nullable: true }) teamId!: string | null;
  @Column({ type: 'text' }) status!: string;
  @Column({ name: 'brief_id', type: 'text', nullable: true }) briefId!: string | null;
  @Column({ name: 'brief_version', type: 'integer', nullable: true }) briefVersion!: number | null;
  @Column({ name: 'without_brief', type: 'boolean' }) withoutBrief!: boolean;
  @Column({ type: 'integer' }) attempt!: number;
  @Column({ type: 'jsonb' }) routing!: {
    reasons: string[];
    candidatesConsidered: number;
    previousAgentPreferred: boolean;
  };
  @Column({ name: 'offered_at', type: 'timestamptz' }) offeredAt!: Date;
  @Column({ name: 'expires_at', type: 'timestamptz' }) expiresAt!: Date;
  @Column({ name: 'answered_at', type: 'timestamptz', nullable: true }) answeredAt!: Date | null;
  @Column({ name: 'answer_reason', type: 'text', nullable: true }) answerReason!: string | null;
}

@Entity({ name: 'agents' })
export class AgentRow {
  @PrimaryColumn({ name: 'tenant_id', type: 'text' }) tenantId!: string;
  @PrimaryColumn({ name: 'agent_id', type: 'text' }) agentId!: string;
  @Column({ name: 'display_name', type: 'text', nullable: true }) displayName!: string | null;
  @Column({ type: 'text' }) presence!: string;
  @Column({ type: 'boolean' }) supervisor!: boolean;
  @Column({ type: 'jsonb' }) skills!: Record<string, number>;
  @Column({ type: 'jsonb' }) languages!: string[];
  @Column({ type: 'jsonb' }) tiers!: string[];
  @Column({ type: 'jsonb' }) teams!: string[];
  @Column({ type: 'jsonb' }) capacity!: Record<string, number>;
  @Column({ type: 'integer' }) offers!: number;
  @Column({ type: 'integer' }) accepts!: number;
  @Column({ type: 'integer' }) declines!: number;
  @Column({ type: 'integer' }) expiries!: number;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

@Entity({ name: 'deadlines' })
export class DeadlineRow {
  @PrimaryGeneratedColumn({ name: 'deadline_id', type: 'bigint' }) deadlineId!: string;
  @Column({ name: 'tenant_id', type: 'text' }) tenantId!: string;
  @Column({ name: 'handoff_id', type: 'text', nullable: true }) handoffId!: string | null;
  @Column({ type: 'text' }) kind!: string;
  @Column({ type: 'text' }) ref!: string;
  @Column({ name: 'due_at', type: 'timestamptz' }) dueAt!: Date;
  @Column({ type: 'jsonb', nullable: true }) payload!: unknown;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'fired_at', type: 'timestamptz', nullable: true }) firedAt!: Date | null;
  @Column({ type: 'integer' }) attempts!: number;
  @Column({ name: 'last_error', type: 'text', nullable: true }) lastError!: string | null;
}

@Entity({ name: 'acceptance_policies' })
export class AcceptancePolicyRow {
  @PrimaryColumn({ name: 'tenant_id', type: 'text' }) tenantId!: string;
  @PrimaryColumn({ name: 'team_id', type: 'text' }) teamId!: string;
  @PrimaryColumn({ name: 'handoff_type', type: 'text' }) handoffType!: string;
  @Column({ name: 'timeout_seconds', type: 'integer' }) timeoutSeconds!: number;
  @Column({ name: 'max_expiries', type: 'integer' }) maxExpiries!: number;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

@Entity({ name: 'tickets' })
export class TicketRow {
  @PrimaryColumn({ name: 'tenant_id', type: 'text' }) tenantId!: string;
  @PrimaryColumn({ name: 'ticket_id', type: 'text' }) ticketId!: string;
  @Column({ name: 'customer_id', type: 'text', nullable: true }) customerId!: string | null;
  @Column({ type: 'text' }) status!: string;
  @Column({ type: 'text', nullable: true }) channel!: string | null;
  @Column({ name: 'last_sequence', type: 'bigint', transformer: bigintNumber }) lastSequence!: number;
  @Column({ name: 'owner_kind', type: 'text', nullable: true }) ownerKind!: string | null;
  @Column({ name: 'owner_id', type: 'text', nullable: true }) ownerId!: string | null;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

@Entity({ name: 'briefs' })
export class BriefRow {
  @PrimaryColumn({ name: 'tenant_id', type: 'text' }) tenantId!: string;
  @PrimaryColumn({ name: 'brief_id', type: 'text' }) briefId!: string;
  @PrimaryColumn({ type: 'integer' }) version!: number;
  @Column({ name: 'ticket_id', type: 'text' }) ticketId!: string;
  @Column({ name: 'covers_position', type: 'bigint', transformer: bigintNumber }) coversPosition!: number;
  @Column({ name: 'handoff_id', type: 'text', nullable: true }) handoffId!: string | null;
  @Column({ type: 'text', nullable: true }) language!: string | null;
  @Column({ name: 'prepared_at', type: 'timestamptz' }) preparedAt!: Date;
}

@Entity({ name: 'owner_history' })
export class OwnerHistoryRow {
  @PrimaryColumn({ name: 'event_id', type: 'text' }) eventId!: string;
  @Column({ name: 'tenant_id', type: 'text' }) tenantId!: string;
  @Column({ name: 'ticket_id', type: 'text' }) ticketId!: string;
  @Column({ name: 'agent_id', type: 'text' }) agentId!: string;
  @Column({ type: 'timestamptz' }) since!: Date;
}

export const ESCALATION_ENTITIES = [
  HandoffRow,
  HandoffOfferRow,
  AgentRow,
  DeadlineRow,
  AcceptancePolicyRow,
  TicketRow,
  BriefRow,
  OwnerHistoryRow,
];
