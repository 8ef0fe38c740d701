import { Column, Entity, PrimaryColumn } from 'typeorm';

// Entities describe the read-model tables for TypeORM queries; they never leave projections/.

@Entity({ name: 'tickets' })
export class TicketOwnerEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'text' }) tenantId!: string;
  @PrimaryColumn({ name: 'ticket_id', type: 'text' }) ticketId!: string;
  @Column({ type: 'text' }) status!: 'owned' | 'lapsed' | 'closed';
  @Column({ name: 'opened_at', type: 'timestamptz' }) openedAt!: Date;
  @Column({ name: 'closed_at', type: 'timestamptz', nullable: true }) closedAt!: Date | null;
  @Column({ name: 'owner_kind', type: 'text', nullable: true }) ownerKind!: 'agent' | 'bot' | null;
  @Column({ name: 'owner_id', type: 'text', nullable: true }) ownerId!: string | null;
  @Column({ name: 'owner_team_id', type: 'text', nullable: true }) ownerTeamId!: string | null;
  @Column({ name: 'owner_name', type: 'text', nullable: true }) ownerName!: string | null;
  @Column({ name: 'owner_since', type: 'timestamptz', nullable: true }) ownerSince!: Date | null;
  @Column({ name: 'lapsed_since', type: 'timestamptz', nullable: true }) lapsedSince!: Date | null;
  @Column({ name: 'lapse_cause', type: 'text', nullable: true }) lapseCause!: string | null;
  @Column({ name: 'last_owner_id', type: 'text', nullable: true }) lastOwnerId!: string | null;
  @Column({ type: 'bigint' }) revision!: string;
  @Column({ name: 'first_position', type: 'bigint' }) firstPosition!: string;
  @Column({ name: 'last_event_at', type: 'timestamptz' }) lastEventAt!: Date;
}

@Entity({ name: 'ownership_segments' })
export class OwnershipSegmentEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'text' }) tenantId!: string;
  @PrimaryColumn({ name: 'ticket_id', type: 'text' }) ticketId!: string;
  @PrimaryColumn({ type: 'bigint' }) revision!: string;
  @Column({ type: 'text' }) status!: 'owned' | 'lapsed' | 'closed';
  @Column({ name: 'owner_kind', type: 'text', nullable: true }) ownerKind!: 'agent' | 'bot' | null;
  @Column({ name: 'owner_id', type: 'text', nullable: true }) ownerId!: string | null;
  @Column({ name: 'owner_team_id', type: 'text', nullable: true }) ownerTeamId!: string | null;
  @Column({ name: 'owner_name', type: 'text', nullable: true }) ownerName!: string | null;
  @Column({ name: 'started_at', type: 'timestamptz' }) startedAt!: Date;
  @Column({ name: 'ended_at', type: 'timestamptz', nullable: true }) endedAt!: Date | null;
  @Column({ name: 'changed_by', type: 'jsonb' }) changedBy!: { kind: string; id: string };
  @Column({ type: 'text', nullable: true }) reason!: string | null;
  @Column({ name: 'handoff_id', type: 'text', nullable: true }) handoffId!: string | null;
  @Column({ name: 'event_id', type: 'uuid' }) eventId!: string;
}

@Entity({ name: 'agents' })
export class AgentEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'text' }) tenantId!: string;
  @PrimaryColumn({ name: 'agent_id', type: 'text' }) agentId!: string;
  @Column({ name: 'display_name', type: 'text', nullable: true }) displayName!: string | null;
  @Column({ name: 'team_id', type: 'text', nullable: true }) teamId!: string | null;
  @Column({ type: 'boolean' }) active!: boolean;
  @Column({ type: 'text' }) presence!: 'online' | 'away' | 'offline';
  @Column({ name: 'presence_changed_at', type: 'timestamptz', nullable: true })
  presenceChangedAt!: Date | null;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

@Entity({ name: 'teams' })
export class TeamEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'text' }) tenantId!: string;
  @PrimaryColumn({ name: 'team_id', type: 'text' }) teamId!: string;
  @Column({ type: 'text' }) name!: string;
  @Column({ name: 'lead_rule', type: 'jsonb', nullable: true }) leadRule!:
    { type: 'named_lead'; agentId: string } | { type: 'least_loaded_online' } | null;
  @Column({ name: 'supervisor_id', type: 'text', nullable: true }) supervisorId!: string | null;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

@Entity({ name: 'handovers' })
export class HandoverEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'text' }) tenantId!: string;
  @PrimaryColumn({ name: 'handover_id', type: 'text' }) handoverId!: string;
  @Column({ name: 'ticket_id', type: 'text' }) ticketId!: string;
  @Column({ name: 'from_agent_id', type: 'text' }) fromAgentId!: string;
  @Column({ name: 'to_agent_id', type: 'text' }) toAgentId!: string;
  @Column({ type: 'jsonb' }) note!: { status: string; nextSteps: string[]; promisesMade: string[] };
  @Column({ name: 'supervisor_id', type: 'text', nullable: true }) supervisorId!: string | null;
  @Column({ name: 'requested_at', type: 'timestamptz' }) requestedAt!: Date;
  @Column({ name: 'acknowledge_by', type: 'timestamptz' }) acknowledgeBy!: Date;
  @Column({ type: 'text' }) status!: 'pending' | 'acknowledged' | 'escalated' | 'superseded';
  @Column({ name: 'resolved_at', type: 'timestamptz', nullable: true }) resolvedAt!: Date | null;
  @Column({ name: 'deadline_fired_at', type: 'timestamptz', nullable: true }) deadlineFiredAt!: Date | null;
}

export const OWNERSHIP_ENTITIES = [
  TicketOwnerEntity,
  OwnershipSegmentEntity,
  AgentEntity,
  TeamEntity,
  HandoverEntity,
];
