// Read-model queries: what command handlers look up (tickets, briefs, agents with their load,
// previous owners, acceptance policies) and what the REST API lists. Plain objects leave this file,
// never entities.
import { poolOf } from '@handoff/platform';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import type { TicketFacts } from '../domain/handoff.decider';
import type { RoutingCandidate } from '../domain/routing';
import { releaseHolds, reserveSlot, type SlotRequest } from './capacity-holds';
import { HandoffOfferRow, HandoffRow } from './escalation.entities';

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

/** What a handoff request needs to know in one round trip: its ticket, a brief, the previous agent. */
export interface RequestContext {
  ticket: TicketView | undefined;
  /** The newest brief covering the requested position (or the ticket's last message). */
  brief: BriefView | undefined;
  /** The agent who last owned the ticket (else another ticket of the customer), not excluded. */
  previousAgentId: string | undefined;
}

/** Routing's inputs of a tenant in one round trip: every agent with its held slots, and the policies. */
export interface RoutingContext {
  candidates: RoutingCandidate[];
  policies: readonly PolicyRow[];
}

interface PolicyRow {
  team_id: string;
  handoff_type: string;
  timeout_seconds: number;
  max_expiries: number;
}

interface TicketRow {
  ticket_id: string;
  customer_id: string | null;
  status: string;
  channel: string | null;
  last_sequence: string;
  owner_kind: string | null;
  owner_id: string | null;
}

interface AgentRowWithLoad {
  agent_id: string;
  display_name: string | null;
  presence: string;
  supervisor: boolean;
  skills: Record<string, number>;
  languages: string[];
  tiers: string[];
  teams: string[];
  capacity: Record<string, number>;
  offers: number;
  accepts: number;
  declines: number;
  expiries: number;
  load: Record<string, number>;
}

/** Agents of a tenant (or one of them) with their held slots per channel, by agent id. */
const AGENTS_WITH_LOAD_SQL = (oneAgent: boolean) =>
  `SELECT a.agent_id, a.display_name, a.presence, a.supervisor, a.skills, a.languages, a.tiers, a.teams,
          a.capacity, a.offers, a.accepts, a.declines, a.expiries,
          COALESCE((SELECT jsonb_object_agg(l.channel, l.held) FROM escalation.agent_load l
                     WHERE l.tenant_id = a.tenant_id AND l.agent_id = a.agent_id AND l.held > 0), '{}') AS load
     FROM escalation.agents a
    WHERE a.tenant_id = $1 ${oneAgent ? 'AND a.agent_id = $2' : ''}
    ORDER BY a.agent_id`;

function ticketView(row: TicketRow | undefined): TicketView | undefined {
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

export class EscalationQueries {
  /** The pool behind `dataSource` (initialised): the hot paths query it without TypeORM's query runner. */
  private readonly pool: Pool;

  constructor(
    private readonly dataSource: DataSource,
    private readonly defaults: { acceptanceTimeoutSeconds: number; maxExpiries: number },
  ) {
    this.pool = poolOf(dataSource);
  }

  private async rows<Row>(sql: string, params: unknown[]): Promise<Row[]> {
    const result = await this.pool.query<Row & object>(sql, params);
    return result.rows;
  }

  async ticket(tenantId: string, ticketId: string): Promise<TicketView | undefined> {
    const rows = await this.rows<TicketRow>(
      `SELECT ticket_id, customer_id, status, channel, last_sequence, owner_kind, owner_id
         FROM escalation.tickets WHERE tenant_id = $1 AND ticket_id = $2`,
      [tenantId, ticketId],
    );
    return ticketView(rows[0]);
  }

  /**
   * The ticket, the newest brief covering `position` (default: the ticket's last message) and the
   * previous agent, in one statement.
   */
  async requestContext(
    tenantId: string,
    ticketId: string,
    position: string | undefined,
    except: readonly string[],
  ): Promise<RequestContext> {
    const rows = await this.rows<
      TicketRow & {
        brief: { brief_id: string; version: number; covers_position: string; language: string | null } | null;
        previous_agent_id: string | null;
      }
    >(
      `SELECT t.ticket_id, t.customer_id, t.status, t.channel, t.last_sequence, t.owner_kind, t.owner_id,
              (SELECT jsonb_build_object('brief_id', b.brief_id, 'version', b.version,
                        'covers_position', b.covers_position::text, 'language', b.language)
                 FROM escalation.briefs b
                WHERE b.tenant_id = $1 AND b.ticket_id = $2 AND b.covers_position >= COALESCE($3::bigint, t.last_sequence)
                ORDER BY b.covers_position DESC, b.version DESC, b.prepared_at DESC LIMIT 1) AS brief,
              (SELECT o.agent_id FROM escalation.owner_history o
                 LEFT JOIN escalation.tickets ot ON ot.tenant_id = o.tenant_id AND ot.ticket_id = o.ticket_id
                WHERE o.tenant_id = $1
                  AND (o.ticket_id = $2 OR (t.customer_id IS NOT NULL AND ot.customer_id = t.customer_id))
                  AND NOT (o.agent_id = ANY($4::text[]))
                ORDER BY (o.ticket_id = $2) DESC, o.since DESC LIMIT 1) AS previous_agent_id
         FROM escalation.tickets t WHERE t.tenant_id = $1 AND t.ticket_id = $2`,
      [tenantId, ticketId, position ?? null, [...except]],
    );
    const row = rows[0];
    const ticket = ticketView(row);
    const brief = row?.brief ?? null;
    return {
      ticket,
      brief:
        ticket === undefined || brief === null
          ? undefined
          : {
              briefId: brief.brief_id,
              version: brief.version,
              coversPosition: brief.covers_position,
              language: brief.language,
            },
      previousAgentId: row?.previous_agent_id ?? undefined,
    };
  }

  /** Every agent of the tenant with its held slots, and the tenant's acceptance policies: one statement. */
  async routingContext(tenantId: string): Promise<RoutingContext> {
    const [result] = await this.rows<{ agents: AgentRowWithLoad[] | null; policies: PolicyRow[] | null }>(
      `SELECT (SELECT jsonb_agg(x ORDER BY x.agent_id) FROM (${AGENTS_WITH_LOAD_SQL(false)}) x) AS agents,
              (SELECT jsonb_agg(p) FROM (SELECT team_id, handoff_type, timeout_seconds, max_expiries
                                           FROM escalation.acceptance_policies WHERE tenant_id = $1) p) AS policies`,
      [tenantId],
    );
    return {
      candidates: (result?.agents ?? []).map(candidateOf),
      policies: result?.policies ?? [],
    };
  }

  /** The policy of `teamId` and `handoffType` among `policies` (see {@link acceptancePolicy}). */
  policyAmong(
    policies: readonly PolicyRow[],
    teamId: string | undefined,
    handoffType: string,
  ): AcceptancePolicy {
    const team = teamId ?? '*';
    const rank = (p: PolicyRow) => (p.team_id !== '*' ? 2 : 0) + (p.handoff_type !== '*' ? 1 : 0);
    const row = policies
      .filter(
        (p) =>
          (p.team_id === team || p.team_id === '*') &&
          (p.handoff_type === handoffType || p.handoff_type === '*'),
      )
      .sort((a, b) => rank(b) - rank(a))[0];
    return this.policyOf(row);
  }

  /** Takes a slot of the agent on the channel for an offer; false when none is left (see capacity-holds.ts). */
  async reserveCapacity(slot: SlotRequest): Promise<boolean> {
    return reserveSlot(this.pool, slot);
  }

  /** Gives back the slot of an offer that was not made after all. */
  async releaseCapacity(offerId: string, at: Date): Promise<void> {
    await releaseHolds(this.pool, { offerId }, at);
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

  /** Every agent of the tenant with the slots it holds per channel (offered or accepted, ticket open). */
  async routingCandidates(tenantId: string): Promise<RoutingCandidate[]> {
    return (await this.routingContext(tenantId)).candidates;
  }

  async agents(tenantId: string, agentId?: string): Promise<AgentView[]> {
    const rows = await this.rows<AgentRowWithLoad>(
      AGENTS_WITH_LOAD_SQL(agentId !== undefined),
      agentId === undefined ? [tenantId] : [tenantId, agentId],
    );
    return rows.map((r) => ({
      agentId: r.agent_id,
      displayName: r.display_name,
      presence: r.presence,
      supervisor: r.supervisor,
      skills: r.skills,
      languages: r.languages,
      tiers: r.tiers,
      teams: r.teams,
      capacity: r.capacity,
      load: r.load,
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
    // The candidates (this team or '*', this type or '*'); policyAmong picks the most specific.
    const rows = await this.rows<PolicyRow>(
      `SELECT team_id, handoff_type, timeout_seconds, max_expiries FROM escalation.acceptance_policies
        WHERE tenant_id = $1 AND team_id IN ($2, '*') AND handoff_type IN ($3, '*')`,
      [tenantId, teamId ?? '*', handoffType],
    );
    return this.policyAmong(rows, teamId, handoffType);
  }

  private policyOf(row: PolicyRow | undefined): AcceptancePolicy {
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

function candidateOf(a: AgentRowWithLoad): RoutingCandidate {
  return {
    agentId: a.agent_id,
    ...(a.display_name === null ? {} : { displayName: a.display_name }),
    presence: a.presence as RoutingCandidate['presence'],
    active: true,
    supervisor: a.supervisor,
    tiers: a.tiers,
    teams: a.teams,
    skills: a.skills,
    languages: a.languages,
    capacity: a.capacity,
    load: a.load,
  };
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
