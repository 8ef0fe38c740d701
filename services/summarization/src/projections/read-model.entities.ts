import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** One message of a ticket's transcript (from conversations' MessageReceived). */
@Entity({ name: 'transcript_messages' })
@Index('transcript_by_sequence', ['tenantId', 'ticketId', 'sequence'])
export class TranscriptMessageRow {
  @PrimaryColumn({ name: 'tenant_id', type: 'text' }) tenantId!: string;
  @PrimaryColumn({ name: 'ticket_id', type: 'text' }) ticketId!: string;
  @PrimaryColumn({ name: 'message_id', type: 'text' }) messageId!: string;
  @Column({ type: 'integer' }) sequence!: number;
  @Column({ name: 'sender_kind', type: 'text' }) senderKind!: string;
  @Column({ name: 'sender_id', type: 'text' }) senderId!: string;
  @Column({ type: 'text' }) channel!: string;
  @Column({ type: 'text' }) text!: string;
  @Column({ name: 'sent_at', type: 'timestamptz' }) sentAt!: Date;
  @Column({ type: 'text', nullable: true }) language!: string | null;
}

/** A tenant's intent taxonomy (configuration, replaced as a whole by PUT). */
@Entity({ name: 'intent_taxonomies' })
export class IntentTaxonomyRow {
  @PrimaryColumn({ name: 'tenant_id', type: 'text' }) tenantId!: string;
  @Column({ type: 'jsonb' }) document!: unknown;
  @Column({ type: 'integer' }) revision!: number;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

/** A handoff the service prepares a brief for and then watches for repeats. */
@Entity({ name: 'handoff_watches' })
export class HandoffWatchRow {
  @PrimaryColumn({ name: 'tenant_id', type: 'text' }) tenantId!: string;
  @PrimaryColumn({ name: 'handoff_id', type: 'text' }) handoffId!: string;
  @Column({ name: 'ticket_id', type: 'text' }) ticketId!: string;
  @Column({ name: 'requested_position', type: 'integer' }) requestedPosition!: number;
  /** awaiting_transcript → briefed → accepted. */
  @Column({ type: 'text' }) status!: string;
  @Column({ name: 'covers_position', type: 'integer', nullable: true }) coversPosition!: number | null;
  @Column({ type: 'jsonb', nullable: true }) knowledge!: unknown;
  @Column({ name: 'accepted', type: 'boolean', default: false }) accepted!: boolean;
}
