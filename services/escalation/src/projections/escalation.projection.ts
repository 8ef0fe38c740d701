// Projects the service's own streams (handoff-*, agent-*) into the read model, and schedules the
// durable deadlines the poller fires: every deadline is derived from an event in the same
// transaction as the projection checkpoint, so none is lost on a crash and none is created twice.
import type { RecordedEvent } from '@handoff/event-store';
import type { PoolClient } from 'pg';
import type { AgentEvent } from '../domain/agent.decider';
import type { HandoffEvent } from '../domain/handoff.events';
import { releaseHolds } from './capacity-holds';

/** Kinds of deadline rows; each is handled by the deadline poller. */
export type DeadlineKind = 'progress' | 'brief_timeout' | 'acceptance' | 'routing_retry' | 'channel_switch';

export interface ProjectionSettings {
  /** How long after a NoEligibleAgent alert routing is tried again. */
  routingRetryMs: number;
  /**
   * Delay of the recovery `progress` deadlines. The process that appended an event continues the
   * workflow at once itself; these rows only matter when it crashed in between, so they wait a little
   * instead of making every step run twice.
   */
  recoveryDelayMs: number;
}

interface DeadlinePayload {
  correlationId: string;
  causationId: string;
}

export async function scheduleDeadline(
  tx: PoolClient,
  row: {
    tenantId: string;
    handoffId: string | null;
    kind: DeadlineKind;
    ref: string;
    dueAt: Date | string;
    payload: DeadlinePayload | Record<string, unknown>;
  },
): Promise<void> {
  await tx.query(
    `INSERT INTO escalation.deadlines (tenant_id, handoff_id, kind, ref, due_at, payload)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (kind, ref) DO NOTHING`,
    [row.tenantId, row.handoffId, row.kind, row.ref, row.dueAt, JSON.stringify(row.payload)],
  );
}

export function escalationProjection(settings: ProjectionSettings) {
  return async (recorded: RecordedEvent, tx: PoolClient): Promise<void> => {
    if (recorded.streamName.startsWith('agent-')) {
      await projectAgent(recorded, { type: recorded.type, data: recorded.data } as AgentEvent, tx);
    } else if (recorded.streamName.startsWith('handoff-')) {
      await projectHandoff(
        recorded,
        { type: recorded.type, data: recorded.data } as HandoffEvent,
        tx,
        settings,
      );
    }
  };
}

const payloadOf = (recorded: RecordedEvent): DeadlinePayload => ({
  correlationId: recorded.metadata.correlationId,
  causationId: recorded.eventId,
});

async function projectHandoff(
  recorded: RecordedEvent,
  event: HandoffEvent,
  tx: PoolClient,
  settings: ProjectionSettings,
): Promise<void> {
  const pos = recorded.globalPosition.toString();
  const at = recorded.metadata.occurredAt;
  const tenantId = recorded.metadata.tenantId;
  const handoffId = event.data.handoffId;
  // Replaying an event already applied changes nothing (guard on the handoff's last position).
  const update = async (sets: string, params: unknown[]): Promise<boolean> => {
    const result = await tx.query(
      `UPDATE escalation.handoffs SET ${sets}, updated_at = $2, last_position = $3
        WHERE handoff_id = $1 AND last_position < $3`,
      [handoffId, at, pos, ...params],
    );
    return (result.rowCount ?? 0) > 0;
  };
  const progressSoon = () =>
    scheduleDeadline(tx, {
      tenantId,
      handoffId,
      kind: 'progress',
      ref: recorded.eventId,
      dueAt: new Date(Date.parse(at) + settings.recoveryDelayMs),
      payload: payloadOf(recorded),
    });
  const closeDeadlines = () =>
    tx.query(
      `UPDATE escalation.deadlines SET fired_at = now() WHERE handoff_id = $1 AND fired_at IS NULL
         AND kind IN ('acceptance', 'brief_timeout', 'routing_retry', 'progress')`,
      [handoffId],
    );

  switch (event.type) {
    case 'HandoffRequested': {
      // One statement (the runner's transaction holds back the relay's global reads while it runs):
      // the row, then its recovery `progress` and `brief_timeout` deadlines unless it existed.
      const d = event.data;
      await tx.query(
        `WITH h AS (
           INSERT INTO escalation.handoffs (handoff_id, tenant_id, ticket_id, handoff_type, status, from_party, target,
             reason_code, priority, channel, conversation_position, requested_at, updated_at, last_position)
           VALUES ($1, $2, $3, $4, 'requested', $5, $6, $7, $8, $9, $10, $11, $11, $12)
           ON CONFLICT (handoff_id) DO NOTHING
           RETURNING handoff_id
         )
         INSERT INTO escalation.deadlines (tenant_id, handoff_id, kind, ref, due_at, payload)
         SELECT $2, h.handoff_id, k.kind, k.ref, k.due_at, $15::jsonb
           FROM h, (VALUES ('progress', $13, $14::timestamptz), ('brief_timeout', $1, $16::timestamptz))
                     AS k(kind, ref, due_at)
         ON CONFLICT (kind, ref) DO NOTHING`,
        [
          handoffId,
          d.tenantId,
          d.ticketId,
          d.handoffType,
          JSON.stringify(d.from),
          JSON.stringify(d.to),
          d.reasonCode,
          d.priority,
          d.channel ?? null,
          d.conversationPosition,
          d.requestedAt,
          pos,
          recorded.eventId,
          new Date(Date.parse(at) + settings.recoveryDelayMs),
          JSON.stringify(payloadOf(recorded)),
          d.briefDeadline,
        ],
      );
      return;
    }
    case 'BriefAttached':
      if (
        await update('brief_id = $4, brief_version = $5', [
          event.data.brief.briefId,
          event.data.brief.version,
        ])
      ) {
        await progressSoon();
      }
      return;
    case 'HandoffOffered': {
      // One statement: the handoff row (guarded on its position: a replay changes nothing), the offer,
      // the capacity hold (already reserved by the command that made the offer, else taken now: the
      // offer was made; none on a closed ticket), the agent's counter, the waiting deadlines closed
      // and the acceptance deadline scheduled.
      const d = event.data;
      await tx.query(
        `WITH u AS (
           UPDATE escalation.handoffs SET status = 'offered', current_offer_id = $4, current_agent_id = $5, team_id = $6,
                  offer_expires_at = $7, without_brief = $8, attempts = $9, waiting_for_agent = false,
                  holds_capacity = true, updated_at = $2, last_position = $3
            WHERE handoff_id = $1 AND last_position < $3
           RETURNING tenant_id, ticket_id, channel
         ), offer AS (
           INSERT INTO escalation.handoff_offers (offer_id, handoff_id, tenant_id, ticket_id, agent_id, team_id, status,
             brief_id, brief_version, without_brief, attempt, routing, offered_at, expires_at)
           SELECT $4, $1, u.tenant_id, u.ticket_id, $5, $6, 'offered', $10, $11, $8, $9, $12, $13, $7 FROM u
           ON CONFLICT (offer_id) DO NOTHING
         ), hold AS (
           INSERT INTO escalation.capacity_holds (offer_id, tenant_id, agent_id, channel, handoff_id, ticket_id, reserved_at)
           SELECT $4, u.tenant_id, $5, COALESCE(u.channel, t.channel, 'web_chat'), $1, u.ticket_id, $13
             FROM u LEFT JOIN escalation.tickets t ON t.tenant_id = u.tenant_id AND t.ticket_id = u.ticket_id
            WHERE t.status IS DISTINCT FROM 'closed'
           ON CONFLICT (offer_id) DO NOTHING
           RETURNING tenant_id, agent_id, channel
         ), slot AS (
           INSERT INTO escalation.agent_load AS l (tenant_id, agent_id, channel, held)
           SELECT tenant_id, agent_id, channel, 1 FROM hold
           ON CONFLICT (tenant_id, agent_id, channel) DO UPDATE SET held = l.held + 1
         ), counter AS (
           UPDATE escalation.agents SET offers = offers + 1
            WHERE tenant_id = $14 AND agent_id = $5 AND EXISTS (SELECT 1 FROM u)
         ), waiting AS (
           UPDATE escalation.deadlines SET fired_at = now()
            WHERE handoff_id = $1 AND fired_at IS NULL AND kind IN ('brief_timeout', 'routing_retry', 'progress')
              AND EXISTS (SELECT 1 FROM u)
         )
         INSERT INTO escalation.deadlines (tenant_id, handoff_id, kind, ref, due_at, payload)
         SELECT $14, $1, 'acceptance', $4, $7, $15::jsonb FROM u
         ON CONFLICT (kind, ref) DO NOTHING`,
        [
          handoffId,
          at,
          pos,
          d.offerId,
          d.agent.agentId,
          d.teamId ?? null,
          d.expiresAt,
          d.withoutBrief,
          d.attempt,
          d.brief?.briefId ?? null,
          d.brief?.version ?? null,
          JSON.stringify(d.routing),
          d.offeredAt,
          tenantId,
          JSON.stringify(payloadOf(recorded)),
        ],
      );
      return;
    }
    case 'NoEligibleAgentFound':
      if (await update('waiting_for_agent = true', [])) {
        await scheduleDeadline(tx, {
          tenantId,
          handoffId,
          kind: 'routing_retry',
          ref: recorded.eventId,
          dueAt: new Date(Date.parse(at) + settings.routingRetryMs),
          payload: payloadOf(recorded),
        });
      }
      return;
    case 'HandoffAccepted': {
      const d = event.data;
      if (
        !(await update(`status = 'accepted', current_agent_id = $4, holds_capacity = true`, [
          d.agent.agentId,
        ]))
      )
        return;
      await answerOffer(tx, d.offerId, 'accepted', at, null);
      await bumpAgent(tx, tenantId, d.agent.agentId, 'accepts');
      // The ticket moved to this agent: earlier accepted handoffs of the ticket stop counting as load.
      const earlier = await tx.query<{ handoff_id: string }>(
        `UPDATE escalation.handoffs SET holds_capacity = false
          WHERE tenant_id = $1 AND ticket_id = (SELECT ticket_id FROM escalation.handoffs WHERE handoff_id = $2)
            AND handoff_id <> $2 AND status = 'accepted' AND holds_capacity
          RETURNING handoff_id`,
        [tenantId, handoffId],
      );
      await releaseHolds(tx, { handoffIds: earlier.rows.map((r) => r.handoff_id) }, at);
      await closeDeadlines();
      return;
    }
    case 'HandoffDeclined':
    case 'OfferExpired': {
      const d = event.data;
      const expired = event.type === 'OfferExpired';
      if (
        !(await update(
          `status = 'requested', current_offer_id = NULL, current_agent_id = NULL, offer_expires_at = NULL,
           holds_capacity = false${expired ? ', expiries = $4' : ''}`,
          expired ? [event.data.expiries] : [],
        ))
      )
        return;
      await answerOffer(
        tx,
        d.offerId,
        expired ? 'expired' : 'declined',
        at,
        expired ? null : event.data.reasonCode,
      );
      await releaseHolds(tx, { offerId: d.offerId }, at);
      await bumpAgent(tx, tenantId, d.agent.agentId, expired ? 'expiries' : 'declines');
      await progressSoon();
      return;
    }
    case 'HandoffEscalatedToSupervisor':
      if (await update('escalated = true, waiting_for_agent = false', [])) await progressSoon();
      return;
    case 'HandoffCancelled':
    case 'HandedBackToBot': {
      const status = event.type === 'HandoffCancelled' ? 'cancelled' : 'handed_back';
      if (!(await update(`status = $4, holds_capacity = false, waiting_for_agent = false`, [status]))) return;
      await releaseHolds(tx, { handoffIds: [handoffId] }, at);
      await tx.query(
        `UPDATE escalation.handoff_offers SET status = 'withdrawn', answered_at = $2
          WHERE handoff_id = $1 AND status = 'offered'`,
        [handoffId, at],
      );
      await closeDeadlines();
      return;
    }
    case 'ChannelSwitchRecorded':
      if (
        await update(`status = 'recorded', current_agent_id = $4`, [
          event.data.owner.kind === 'agent' ? event.data.owner.id : null,
        ])
      ) {
        await closeDeadlines();
      }
      return;
  }
}

async function answerOffer(
  tx: PoolClient,
  offerId: string,
  status: string,
  at: string,
  reason: string | null,
): Promise<void> {
  await tx.query(
    `UPDATE escalation.handoff_offers SET status = $2, answered_at = $3, answer_reason = $4
      WHERE offer_id = $1 AND status = 'offered'`,
    [offerId, status, at, reason],
  );
}

async function bumpAgent(
  tx: PoolClient,
  tenantId: string,
  agentId: string,
  counter: 'offers' | 'accepts' | 'declines' | 'expiries',
): Promise<void> {
  await tx.query(
    `UPDATE escalation.agents SET ${counter} = ${counter} + 1 WHERE tenant_id = $1 AND agent_id = $2`,
    [tenantId, agentId],
  );
}

async function projectAgent(recorded: RecordedEvent, event: AgentEvent, tx: PoolClient): Promise<void> {
  const at = recorded.metadata.occurredAt;
  switch (event.type) {
    case 'AgentRegistered':
    case 'AgentProfileUpdated': {
      const { tenantId, agentId, profile } = event.data;
      await tx.query(
        `INSERT INTO escalation.agents (tenant_id, agent_id, display_name, presence, supervisor, skills, languages, tiers,
           teams, capacity, updated_at)
         VALUES ($1, $2, $3, 'offline', $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (tenant_id, agent_id) DO UPDATE SET display_name = $3, supervisor = $4, skills = $5,
           languages = $6, tiers = $7, teams = $8, capacity = $9, updated_at = $10`,
        [
          tenantId,
          agentId,
          profile.displayName ?? null,
          profile.supervisor,
          JSON.stringify(profile.skills),
          JSON.stringify(profile.languages),
          JSON.stringify(profile.tiers),
          JSON.stringify(profile.teams),
          JSON.stringify(profile.capacity),
          at,
        ],
      );
      if (event.type === 'AgentProfileUpdated') await wakeWaitingHandoffs(recorded, tx, tenantId, agentId);
      return;
    }
    case 'AgentPresenceChanged': {
      const { tenantId, agentId, presence } = event.data;
      await tx.query(
        `UPDATE escalation.agents SET presence = $3, updated_at = $4 WHERE tenant_id = $1 AND agent_id = $2`,
        [tenantId, agentId, presence, at],
      );
      if (presence === 'online') await wakeWaitingHandoffs(recorded, tx, tenantId, agentId);
      return;
    }
  }
}

/** An agent became available: every handoff of the tenant waiting for one is routed again now. */
async function wakeWaitingHandoffs(
  recorded: RecordedEvent,
  tx: PoolClient,
  tenantId: string,
  agentId: string,
): Promise<void> {
  await tx.query(
    `INSERT INTO escalation.deadlines (tenant_id, handoff_id, kind, ref, due_at, payload)
     SELECT tenant_id, handoff_id, 'progress', $2 || ':' || handoff_id, $3, $4
       FROM escalation.handoffs WHERE tenant_id = $1 AND status = 'requested' AND waiting_for_agent
     ON CONFLICT (kind, ref) DO NOTHING`,
    [
      tenantId,
      recorded.eventId,
      recorded.metadata.occurredAt,
      JSON.stringify({
        correlationId: recorded.metadata.correlationId,
        causationId: recorded.eventId,
        agentId,
      }),
    ],
  );
}
