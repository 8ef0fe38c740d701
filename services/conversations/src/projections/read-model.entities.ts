import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { READ_MODEL_SCHEMA } from './read-model.schema';

/** Channel identity → the customer holding it now (the survivor after a merge). */
@Entity({ schema: READ_MODEL_SCHEMA, name: 'customer_identities' })
@Index('customer_identities_by_customer', ['tenantId', 'customerId'])
export class CustomerIdentityEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'text' }) tenantId!: string;
  @PrimaryColumn({ type: 'text' }) kind!: string;
  @PrimaryColumn({ type: 'text' }) value!: string;
  @Column({ name: 'customer_id', type: 'text' }) customerId!: string;
  @Column({ type: 'text', nullable: true }) channel!: string | null;
  @Column({ type: 'boolean' }) verified!: boolean;
  @Column({ type: 'text' }) how!: string;
}

@Entity({ schema: READ_MODEL_SCHEMA, name: 'tickets' })
@Index('tickets_open_by_customer', ['tenantId', 'customerId', 'status'])
export class TicketEntity {
  @PrimaryColumn({ name: 'ticket_id', type: 'text' }) ticketId!: string;
  @Column({ name: 'tenant_id', type: 'text' }) tenantId!: string;
  @Column({ name: 'customer_id', type: 'text' }) customerId!: string;
  @Column({ type: 'text' }) status!: 'open' | 'closed';
  @Column({ type: 'text', array: true }) channels!: string[];
  @Column({ name: 'opened_at', type: 'timestamptz' }) openedAt!: Date;
  @Column({ name: 'last_activity_at', type: 'timestamptz' }) lastActivityAt!: Date;
  @Column({ name: 'message_count', type: 'integer' }) messageCount!: number;
  @Column({ name: 'merged_into', type: 'text', nullable: true }) mergedInto!: string | null;
  @Column({ name: 'flagged_for_review', type: 'boolean' }) flaggedForReview!: boolean;
  @Column({ type: 'text', nullable: true }) resolution!: string | null;
}

/** The ticket that last held a channel's thread (for the continuity rule). */
@Entity({ schema: READ_MODEL_SCHEMA, name: 'ticket_threads' })
export class TicketThreadEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'text' }) tenantId!: string;
  @PrimaryColumn({ type: 'text' }) channel!: string;
  @PrimaryColumn({ name: 'thread_id', type: 'text' }) threadId!: string;
  @Column({ name: 'ticket_id', type: 'text' }) ticketId!: string;
  /**
   * Global position of the message that moved the thread here: an older message applied again (a
   * replay after the row was written in the append's transaction) never moves it back.
   */
  @Column({ type: 'bigint', default: 0 }) position!: string;
}

/**
 * One item of a ticket timeline: a message or a ticket fact of this service, or a handoff/ownership
 * fact consumed from the other services' topics, at the time the platform recorded it (a message's
 * own `sentAt`, on the channel's clock, stays in the payload). Keyset-paginated on
 * (occurred_at, position, item_id).
 */
@Entity({ schema: READ_MODEL_SCHEMA, name: 'timeline_items' })
@Index('timeline_items_page', ['tenantId', 'ticketId', 'occurredAt', 'position', 'itemId'])
export class TimelineItemEntity {
  @PrimaryColumn({ name: 'item_id', type: 'text' }) itemId!: string;
  @Column({ name: 'tenant_id', type: 'text' }) tenantId!: string;
  @Column({ name: 'ticket_id', type: 'text' }) ticketId!: string;
  @Column({ name: 'occurred_at', type: 'timestamptz' }) occurredAt!: Date;
  @Column({ type: 'text' }) source!: string;
  @Column({ type: 'text' }) kind!: string;
  @Column({ type: 'text', nullable: true }) channel!: string | null;
  @Column({ name: 'actor_kind', type: 'text' }) actorKind!: string;
  @Column({ name: 'actor_id', type: 'text' }) actorId!: string;
  @Column({ type: 'integer', nullable: true }) sequence!: number | null;
  @Column({ type: 'jsonb' }) payload!: Record<string, unknown>;
  /** Orders items of one instant: the global position of own events (0 for consumed facts). */
  @Column({ type: 'bigint' }) position!: string;
}

/** The current owner of a ticket, from the ownership topic (for CSAT attribution). */
@Entity({ schema: READ_MODEL_SCHEMA, name: 'ticket_owners' })
export class TicketOwnerEntity {
  @PrimaryColumn({ name: 'ticket_id', type: 'text' }) ticketId!: string;
  @Column({ name: 'tenant_id', type: 'text' }) tenantId!: string;
  @Column({ type: 'jsonb', nullable: true }) owner!: Record<string, unknown> | null;
  @Column({ name: 'changed_at', type: 'timestamptz' }) changedAt!: Date;
}

/** Handoffs requested for a ticket, from the escalation topic (for CSAT attribution). */
@Entity({ schema: READ_MODEL_SCHEMA, name: 'ticket_handoffs' })
export class TicketHandoffEntity {
  @PrimaryColumn({ name: 'ticket_id', type: 'text' }) ticketId!: string;
  @PrimaryColumn({ name: 'handoff_id', type: 'text' }) handoffId!: string;
  @Column({ name: 'tenant_id', type: 'text' }) tenantId!: string;
  @Column({ name: 'requested_at', type: 'timestamptz' }) requestedAt!: Date;
}

export const READ_MODEL_ENTITIES = [
  CustomerIdentityEntity,
  TicketEntity,
  TicketThreadEntity,
  TimelineItemEntity,
  TicketOwnerEntity,
  TicketHandoffEntity,
];
