import type { RecordedEvent } from '@handoff/event-store';
import type { PoolClient } from 'pg';
import type { OwnershipEvent } from '../domain/ownership.events';
import type { ActorRef, OwnerRef } from '../domain/ownership.types';

/** The ownership event of a recorded one (the store holds only this service's own events). */
export const ownershipEventOf = (event: RecordedEvent): OwnershipEvent =>
  ({ type: event.type, data: event.data }) as OwnershipEvent;

/**
 * Applies one ownership event to the read models inside the projection runner's transaction.
 * Idempotent: segment rows are keyed by the revision that started them, ticket rows only move
 * forwards by revision, handover rows by id, so applying an event twice changes nothing.
 */
export async function projectOwnershipEvent(recorded: RecordedEvent, tx: PoolClient): Promise<void> {
  const event = ownershipEventOf(recorded);
  const { tenantId, ticketId, at } = event.data;
  const revision = recorded.revision.toString();
  const touch = async (fields: Record<string, unknown>) => {
    const names = Object.keys(fields);
    const sets = names.map((name, i) => `${name} = $${i + 5}`);
    await tx.query(
      `UPDATE ownership.tickets SET revision = $3, last_event_at = $4${sets.length ? ', ' + sets.join(', ') : ''}
        WHERE tenant_id = $1 AND ticket_id = $2 AND revision < $3`,
      [tenantId, ticketId, revision, at, ...names.map((n) => fields[n])],
    );
  };
  const startSegment = async (
    status: 'owned' | 'lapsed' | 'closed',
    startedAt: string,
    changedBy: ActorRef,
    owner?: OwnerRef,
    reason?: string,
    handoffId?: string,
  ) => {
    await tx.query(
      `UPDATE ownership.ownership_segments SET ended_at = $4
        WHERE tenant_id = $1 AND ticket_id = $2 AND revision < $3 AND ended_at IS NULL`,
      [tenantId, ticketId, revision, startedAt],
    );
    await tx.query(
      `INSERT INTO ownership.ownership_segments
         (tenant_id, ticket_id, revision, status, owner_kind, owner_id, owner_team_id, owner_name,
          started_at, changed_by, reason, handoff_id, event_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
       ON CONFLICT (tenant_id, ticket_id, revision) DO NOTHING`,
      [
        tenantId,
        ticketId,
        revision,
        status,
        owner?.kind ?? null,
        owner?.id ?? null,
        owner?.teamId ?? null,
        owner?.displayName ?? null,
        startedAt,
        JSON.stringify(changedBy),
        reason ?? null,
        handoffId ?? null,
        recorded.eventId,
      ],
    );
  };
  const owned = async (
    owner: OwnerRef,
    changedBy: ActorRef,
    reason?: string,
    handoffId?: string,
    shiftHandoverId?: string,
  ) => {
    await startSegment('owned', at, changedBy, owner, reason, handoffId);
    await touch({
      status: 'owned',
      owner_kind: owner.kind,
      owner_id: owner.id,
      owner_team_id: owner.teamId ?? null,
      owner_name: owner.displayName ?? null,
      owner_since: at,
      lapsed_since: null,
      lapse_cause: null,
      last_owner_id: owner.id,
      closed_at: null,
    });
    // Any handover still waiting on this ticket ended with the change of owner.
    await tx.query(
      `UPDATE ownership.handovers SET status = 'superseded', resolved_at = $3
        WHERE tenant_id = $1 AND ticket_id = $2 AND status = 'pending' AND handover_id <> $4`,
      [tenantId, ticketId, at, shiftHandoverId ?? ''],
    );
  };

  switch (event.type) {
    case 'OwnershipOpened':
      await tx.query(
        `INSERT INTO ownership.tickets (tenant_id, ticket_id, status, opened_at, revision, first_position, last_event_at)
         VALUES ($1, $2, 'lapsed', $3, $4, $5, $3)
         ON CONFLICT (tenant_id, ticket_id) DO NOTHING`,
        [tenantId, ticketId, at, revision, recorded.globalPosition.toString()],
      );
      return;
    case 'OwnerAssigned':
      return owned(
        event.data.owner,
        event.data.assignedBy,
        event.data.reason ?? event.data.how,
        event.data.handoffId,
      );
    case 'OwnershipTransferred':
      return owned(
        event.data.to,
        event.data.transferredBy,
        event.data.reason,
        event.data.handoffId,
        event.data.shiftHandoverId,
      );
    case 'OwnershipReleased':
      return touch({});
    case 'OwnershipLapsed':
      await startSegment(
        'lapsed',
        event.data.lapsedSince,
        recorded.metadata.actor,
        undefined,
        event.data.cause,
      );
      await tx.query(
        `UPDATE ownership.handovers SET status = 'superseded', resolved_at = $3
          WHERE tenant_id = $1 AND ticket_id = $2 AND status = 'pending'`,
        [tenantId, ticketId, at],
      );
      return touch({
        status: 'lapsed',
        owner_kind: null,
        owner_id: null,
        owner_team_id: null,
        owner_name: null,
        owner_since: null,
        lapsed_since: event.data.lapsedSince,
        lapse_cause: event.data.cause,
      });
    case 'TicketClosed':
      await startSegment('closed', at, event.data.closedBy);
      await tx.query(
        `UPDATE ownership.handovers SET status = 'superseded', resolved_at = $3
          WHERE tenant_id = $1 AND ticket_id = $2 AND status = 'pending'`,
        [tenantId, ticketId, at],
      );
      return touch({
        status: 'closed',
        closed_at: at,
        owner_kind: null,
        owner_id: null,
        owner_team_id: null,
        owner_name: null,
        owner_since: null,
        lapsed_since: null,
        lapse_cause: null,
      });
    case 'TicketReopened':
      return touch({ closed_at: null });
    case 'ShiftHandoverRequested':
      await tx.query(
        `INSERT INTO ownership.handovers
           (tenant_id, handover_id, ticket_id, from_agent_id, to_agent_id, note, supervisor_id,
            requested_at, acknowledge_by, status)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending')
         ON CONFLICT (tenant_id, handover_id) DO NOTHING`,
        [
          tenantId,
          event.data.handoverId,
          ticketId,
          event.data.fromAgent.agentId,
          event.data.toAgent.agentId,
          JSON.stringify(event.data.note),
          event.data.supervisorId ?? null,
          at,
          event.data.acknowledgeBy,
        ],
      );
      return touch({});
    case 'ShiftHandoverAcknowledged':
    case 'ShiftHandoverEscalated':
      await tx.query(
        `UPDATE ownership.handovers SET status = $3, resolved_at = $4
          WHERE tenant_id = $1 AND handover_id = $2 AND status = 'pending'`,
        [
          tenantId,
          event.data.handoverId,
          event.type === 'ShiftHandoverAcknowledged' ? 'acknowledged' : 'escalated',
          at,
        ],
      );
      return touch({});
    case 'OwnershipLoopDetected':
      return touch({});
  }
}
