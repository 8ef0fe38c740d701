// Read-model queries: what command handlers look up (tickets, briefs, agents with their load,
// previous owners, acceptance policies) and what the REST API lists. Plain objects leave this file,
// never entities.
import type { DataSource } from 'typeorm';
import type { TicketFacts } from '../domain/handoff.decider';
import type { RoutingCandidate } from '../domain/routing';
import { AgentRow, HandoffOfferRow, HandoffRow } from './escalation.entities';

export interface TicketView extends TicketFacts {
  ticketId: string;
  customerId: string | null;
  channel: string | null;
  owner: { kind: 'agent' | 'bot'; id: string } | undefined;
}

export interface BriefView {
  briefId: string;
  version: number;
  coversPosition: string;
  language: string | null;
}

export interface AcceptancePolicy {
  timeoutSeconds: number;
  maxExpiries: number;
  source: string;
}

export interface OfferView {
  offerId: string;
  handoffId: string;
  ticketId: string;
  agentId: string;
  teamId: string | null;
  status: string;
  brief: { briefId: string; version: number } | null;
  withoutBrief: boolean;
  attempt: number;
  routing: { reasons: string[]; candidatesConsidered: number; previousAgentPreferred: boolean };
  offeredAt: string;
  expiresAt: string;
  answeredAt: string | null;
  answerReason: string | null;
}

export interface AgentView {
  agentId: string;
  displayName: string | null;
  presence: string;
  supervisor: boolean;
  skills: Record<string, number>;
  languages: string[];
  tiers: string[];
  teams: string[];
  capacity: Record<string, number>;
  load: Record<string, number>;
  counts: { offers: number; accepts: number; declines: number; expiries: number };
}

export interface QueueView {
  target: { kind: string; id: string };
  waiting: number;
  waitingForAgent: number;
  offered: number;
  oldestWaitingSince: string | null;
}

export interface HandoffSummaryView {
  handoffId: string;
  ticketId: string;
  handoffType: string;
  status: string;
  target: { kind: string; id: string };
  priority: string;
  currentAgentId: string | null;
  attempts: number;
  expiries: number;
  escalated: boolean;
  waitingForAgent: boolean;
  requestedAt: string;
}

/** The channel a handoff is counted on: its own, else its ticket's, else web chat. */
const CHANNEL_SQL = `COALESCE(h.channel, t.channel, 'web_chat')`;

export class EscalationQueries {
  constructor(
    private readonly dataSource: DataSource,
    private readonly defaults: { acceptanceTimeoutSeconds: number; maxExpiries: number },
  ) {}

  async ticket(tenantId: string, ticketId: string): Promise<TicketView | undefined> {
    const rows: {
      ticket_id: string;
      customer_id: string | null;
      status: string;
      channel: string | null;
      last_sequence: string;
      owner_kind: string | null;
      owner_id: string | null;
    }[] = await this.dataSource.query(
      `SELECT ticket_id, customer_id, status, channel, last_sequence, owner_kind, owner_id
         FROM escalation.tickets WHERE tenant_id = $1 AND ticket_id = $2`,
      [tenantId, ticketId],
    );
    const row = rows[0];
    // Known only from an owner change (neither TicketOpened nor a message seen): not a ticket yet.
    if (row === undefined || (row.status === 'unknown' && Number(row.last_sequence) === 0)) return undefined;
    return {
      ticketId: row.ticket_id,
      customerId: row.customer_id,
      status: row.status === 'closed' ? 'closed' : 'open',
      lastSequence: Number(row.last_sequence),
      channel: row.channel,
      owner:
        row.owner_id !== null && (row.owner_kind === 'agent' || row.owner_kind === 'bot')
          ? { kind: row.owner_kind, id: row.owner_id }
          : undefined,
    };
  }

  /** The newest brief of the ticket covering at least `position`. */
  async briefCovering(tenantId: string, ticketId: string, position: bigint): Promise<BriefView | undefined> {
    const rows: { brief_id: string; version: number; covers_position: string; language: string | null }[] =
      await this.dataSource.query(
        `SELECT brief_id, version, covers_position::text AS covers_position, language FROM escalation.briefs
          WHERE tenant_id = $1 AND ticket_id = $2 AND covers_position >= $3
          ORDER BY covers_position DESC, version DESC, prepared_at DESC LIMIT 1`,
        [tenantId, ticketId, position.toString()],
      );
    const row = rows[0];
    return row === undefined
      ? undefined
      : {
          briefId: row.brief_id,
          version: row.version,
          coversPosition: row.covers_position,
          language: row.language,
        };
  }

  /** Every agent of the tenant with its current load per channel (offered or accepted, ticket open). */
  async routingCandidates(tenantId: string): Promise<RoutingCandidate[]> {
    const agents = await this.agents(tenantId);
    return agents.map((a) => ({
      agentId: a.agentId,
      ...(a.displayName === null ? {} : { displayName: a.displayName }),
      presence: a.presence as RoutingCandidate['presence'],
      active: true,
      supervisor: a.supervisor,
      tiers: a.tiers,
      teams: a.teams,
      skills: a.skills,
      languages: a.languages,
      capacity: a.capacity,
      load: a.load,
    }));
  }

  async agents(tenantId: string, agentId?: string): Promise<AgentView[]> {
    const rows = await this.dataSource.getRepository(AgentRow).find({
      where: agentId === undefined ? { tenantId } : { tenantId, agentId },
      order: { agentId: 'ASC' },
    });
    const loads: { agent_id: string; channel: string; n: string }[] = await this.dataSource.query(
      `SELECT h.current_agent_id AS agent_id, ${CHANNEL_SQL} AS channel, count(*) AS n
         FROM escalation.handoffs h
         LEFT JOIN escalation.tickets t ON t.tenant_id = h.tenant_id AND t.ticket_id = h.ticket_id
        WHERE h.tenant_id = $1 AND h.holds_capacity ${agentId === undefined ? '' : 'AND h.current_agent_id = $2'}
        GROUP BY 1, 2`,
      agentId === undefined ? [tenantId] : [tenantId, agentId],
    );
    const loadOf = new Map<string, Record<string, number>>();
    for (const l of loads) {
      const load = loadOf.get(l.agent_id) ?? {};
      load[l.channel] = Number(l.n);
      loadOf.set(l.agent_id, load);
    }
    return rows.map((r) => ({
      agentId: r.agentId,
      displayName: r.displayName,
      presence: r.presence,
      supervisor: r.supervisor,
      skills: r.skills,
      languages: r.languages,
      tiers: r.tiers,
      teams: r.teams,
      capacity: r.capacity,
      load: loadOf.get(r.agentId) ?? {},
      counts: { offers: r.offers, accepts: r.accepts, declines: r.declines, expiries: r.expiries },
    }));
  }

  /** The agent who most recently owned this ticket, else another ticket of the same customer. */
  async previousAgent(
    tenantId: string,
    ticketId: string,
    customerId: string | null,
    except: readonly string[],
  ) {
    const rows: { agent_id: string }[] = await this.dataSource.query(
      `SELECT o.agent_id FROM escalation.owner_history o
         LEFT JOIN escalation.tickets t ON t.tenant_id = o.tenant_id AND t.ticket_id = o.ticket_id
        WHERE o.tenant_id = $1 AND (o.ticket_id = $2 OR ($3::text IS NOT NULL AND t.customer_id = $3))
          AND NOT (o.agent_id = ANY($4::text[]))
        ORDER BY (o.ticket_id = $2) DESC, o.since DESC LIMIT 1`,
      [tenantId, ticketId, customerId, [...except]],
    );
    return rows[0]?.agent_id;
  }

  /** The deadline policy of a team and handoff type; the most specific row wins, then the defaults. */
  async acceptancePolicy(
    tenantId: string,
    teamId: string | undefined,
    handoffType: string,
  ): Promise<AcceptancePolicy> {
    const rows: { team_id: string; handoff_type: string; timeout_seconds: number; max_expiries: number }[] =
      await this.dataSource.query(
        `SELECT team_id, handoff_type, timeout_seconds, max_expiries FROM escalation.acceptance_policies
          WHERE tenant_id = $1 AND team_id IN ($2, '*') AND handoff_type IN ($3, '*')
          ORDER BY (team_id <> '*') DESC, (handoff_type <> '*') DESC LIMIT 1`,
        [tenantId, teamId ?? '*', handoffType],
      );
    const row = rows[0];
    if (row === undefined) {
      return {
        timeoutSeconds: this.defaults.acceptanceTimeoutSeconds,
        maxExpiries: this.defaults.maxExpiries,
        source: 'default',
      };
    }
    return {
      timeoutSeconds: row.timeout_seconds,
      maxExpiries: row.max_expiries,
      source: `team ${row.team_id}, type ${row.handoff_type}`,
    };
  }

  async setAcceptancePolicy(
    tenantId: string,
    teamId: string,
    handoffType: string,
    policy: { timeoutSeconds: number; maxExpiries: number },
    now: Date,
  ): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO escalation.acceptance_policies (tenant_id, team_id, handoff_type, timeout_seconds, max_expiries, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (tenant_id, team_id, handoff_type)
       DO UPDATE SET timeout_seconds = $4, max_expiries = $5, updated_at = $6`,
      [tenantId, teamId, handoffType, policy.timeoutSeconds, policy.maxExpiries, now],
    );
  }

  async offersForAgent(tenantId: string, agentId: string, status?: string): Promise<OfferView[]> {
    const rows = await this.dataSource.getRepository(HandoffOfferRow).find({
      where: status === undefined ? { tenantId, agentId } : { tenantId, agentId, status },
      order: { offeredAt: 'DESC' },
      take: 200,
    });
    return rows.map(offerView);
  }

  async offersOfHandoff(tenantId: string, handoffId: string): Promise<OfferView[]> {
    const rows = await this.dataSource.getRepository(HandoffOfferRow).find({
      where: { tenantId, handoffId },
      order: { attempt: 'ASC' },
    });
    return rows.map(offerView);
  }

  async queues(tenantId: string): Promise<QueueView[]> {
    const rows: {
      target: { kind: string; id: string };
      waiting: string;
      waiting_for_agent: string;
      offered: string;
      oldest: Date | null;
    }[] = await this.dataSource.query(
      `SELECT target, count(*) FILTER (WHERE status = 'requested') AS waiting,
              count(*) FILTER (WHERE status = 'requested' AND waiting_for_agent) AS waiting_for_agent,
              count(*) FILTER (WHERE status = 'offered') AS offered,
              min(requested_at) FILTER (WHERE status IN ('requested', 'offered')) AS oldest
         FROM escalation.handoffs WHERE tenant_id = $1 AND status IN ('requested', 'offered')
        GROUP BY target ORDER BY min(requested_at)`,
      [tenantId],
    );
    return rows.map((r) => ({
      target: r.target,
      waiting: Number(r.waiting),
      waitingForAgent: Number(r.waiting_for_agent),
      offered: Number(r.offered),
      oldestWaitingSince: r.oldest === null ? null : new Date(r.oldest).toISOString(),
    }));
  }

  async openHandoffs(tenantId: string, target?: { kind: string; id: string }): Promise<HandoffSummaryView[]> {
    const qb = this.dataSource
      .getRepository(HandoffRow)
      .createQueryBuilder('h')
      .where('h.tenant_id = :tenantId', { tenantId })
      .andWhere(`h.status IN ('requested', 'offered')`)
      .orderBy('h.requested_at', 'ASC')
      .take(500);
    if (target !== undefined) qb.andWhere('h.target = :target::jsonb', { target: JSON.stringify(target) });
    const rows = await qb.getMany();
    return rows.map((h) => ({
      handoffId: h.handoffId,
      ticketId: h.ticketId,
      handoffType: h.handoffType,
      status: h.status,
      target: h.target,
      priority: h.priority,
      currentAgentId: h.currentAgentId,
      attempts: h.attempts,
      expiries: h.expiries,
      escalated: h.escalated,
      waitingForAgent: h.waitingForAgent,
      requestedAt: h.requestedAt.toISOString(),
    }));
  }
}

function offerView(r: HandoffOfferRow): OfferView {
  return {
    offerId: r.offerId,
    handoffId: r.handoffId,
    ticketId: r.ticketId,
    agentId: r.agentId,
    teamId: r.teamId,
    status: r.status,
    brief:
      r.briefId === null || r.briefVersion === null ? null : { briefId: r.briefId, version: r.briefVersion },
    withoutBrief: r.withoutBrief,
    attempt: r.attempt,
    routing: r.routing,
    offeredAt: r.offeredAt.toISOString(),
    expiresAt: r.expiresAt.toISOString(),
    answeredAt: r.answeredAt === null ? null : r.answeredAt.toISOString(),
    answerReason: r.answerReason,
  };
}
