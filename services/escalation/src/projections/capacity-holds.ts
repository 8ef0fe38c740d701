// Agent capacity as reservable rows. A slot is taken by a conditional upsert on the agent's
// `agent_load` row (PostgreSQL re-checks `held < capacity` on the locked row, so two concurrent
// reservations can never both take the last slot) together with the `capacity_holds` row of the
// offer, in one statement. Releases mark holds released and give their slots back, idempotently.
// The projection of HandoffOffered takes the hold of an offer it does not know yet (a rebuilt read
// model) in its own statement (escalation.projection.ts).
import type { Pool, PoolClient } from 'pg';

type Db = Pool | PoolClient;

export interface SlotRequest {
  tenantId: string;
  agentId: string;
  channel: string;
  /** The agent's capacity on the channel. */
  capacity: number;
  offerId: string;
  handoffId: string;
  ticketId: string;
  at: Date | string;
}

/** Takes one of the agent's slots on the channel for `offerId`; false when none is left. */
export async function reserveSlot(db: Db, slot: SlotRequest): Promise<boolean> {
  const { rowCount } = await db.query(
    `WITH slot AS (
       INSERT INTO escalation.agent_load AS l (tenant_id, agent_id, channel, held)
       SELECT $1, $2, $3, 1 WHERE $4::int > 0
       ON CONFLICT (tenant_id, agent_id, channel) DO UPDATE SET held = l.held + 1 WHERE l.held < $4::int
       RETURNING 1
     )
     INSERT INTO escalation.capacity_holds (offer_id, tenant_id, agent_id, channel, handoff_id, ticket_id, reserved_at)
     SELECT $5, $1, $2, $3, $6, $7, $8 FROM slot
     RETURNING 1`,
    [
      slot.tenantId,
      slot.agentId,
      slot.channel,
      slot.capacity,
      slot.offerId,
      slot.handoffId,
      slot.ticketId,
      slot.at,
    ],
  );
  return (rowCount ?? 0) > 0;
}

/** Which holds a release gives back. */
export type HoldSelector =
  { offerId: string } | { handoffIds: readonly string[] } | { tenantId: string; ticketId: string };

/** Gives back the slots of the selected holds still held (a second release changes nothing). */
export async function releaseHolds(db: Db, selector: HoldSelector, at: Date | string): Promise<void> {
  let where: string;
  let params: unknown[];
  if ('offerId' in selector) {
    where = 'offer_id = $2';
    params = [selector.offerId];
  } else if ('handoffIds' in selector) {
    if (selector.handoffIds.length === 0) return;
    where = 'handoff_id = ANY($2::text[])';
    params = [[...selector.handoffIds]];
  } else {
    where = 'tenant_id = $2 AND ticket_id = $3';
    params = [selector.tenantId, selector.ticketId];
  }
  await db.query(
    `WITH released AS (
       UPDATE escalation.capacity_holds SET released_at = $1 WHERE ${where} AND released_at IS NULL
       RETURNING tenant_id, agent_id, channel
     ), n AS (
       SELECT tenant_id, agent_id, channel, count(*)::int AS n FROM released GROUP BY 1, 2, 3
     )
     UPDATE escalation.agent_load l SET held = GREATEST(0, l.held - n.n) FROM n
      WHERE l.tenant_id = n.tenant_id AND l.agent_id = n.agent_id AND l.channel = n.channel`,
    [at, ...params],
  );
}
