import type { PoolClient } from 'pg';
import type { InsightFact } from '../messaging/public-event-to-fact.mapper';

// One statement per fact, inside the consumer runtime's transaction: the fact, and the mark that the
// ticket's derived rows must be recomputed. The derivation itself runs beside the consumer
// (ticket-insight.deriver.ts), batched over many tickets, so the per-event cost stays one round trip.
const RECORD_TICKET_FACT = `
  WITH fact AS (
    INSERT INTO insights.ticket_facts (tenant_id, ticket_id, event_id, kind, at, fact)
    VALUES ($1, $2, $3, $4, to_timestamp($5::double precision / 1000), $6::jsonb)
    ON CONFLICT DO NOTHING
    RETURNING tenant_id, ticket_id, event_id)
  INSERT INTO insights.pending_derivations (tenant_id, ticket_id, event_id)
  SELECT tenant_id, ticket_id, event_id FROM fact
  ON CONFLICT DO NOTHING`;

const RECORD_PRESENCE = `
  INSERT INTO insights.agent_presence (tenant_id, event_id, agent_id, presence, at)
  VALUES ($1, $2, $3, $4, to_timestamp($5::double precision / 1000))
  ON CONFLICT DO NOTHING`;

/** Stores one fact in the transaction `tx` (a replayed event id changes nothing). */
export async function recordFact(tx: PoolClient, fact: InsightFact): Promise<void> {
  if (fact.target === 'presence') {
    await tx.query(RECORD_PRESENCE, [fact.tenantId, fact.eventId, fact.agentId, fact.presence, fact.at]);
    return;
  }
  await tx.query(RECORD_TICKET_FACT, [
    fact.tenantId,
    fact.ticketId,
    fact.fact.eventId,
    fact.fact.kind,
    fact.fact.at,
    JSON.stringify(fact.fact),
  ]);
}
