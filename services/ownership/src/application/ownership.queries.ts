import { StreamNotFound, type EventStore, type RecordedEvent } from '@handoff/event-store';
import type { Pool } from 'pg';
import type { OwnershipDecider } from '../domain/ownership.decider';
import { TicketNotFound } from '../domain/ownership.errors';
import type { OwnershipEvent } from '../domain/ownership.events';
import type { OwnershipState } from '../domain/ownership.state';
import type { OwnerRef } from '../domain/ownership.types';
import { streamOf } from './ownership-command.bus';
import type { Clock } from './ownership.ports';

interface TicketRow {
  ticket_id: string;
  status: 'owned' | 'lapsed' | 'closed';
  opened_at: Date;
  closed_at: Date | null;
  owner_kind: 'agent' | 'bot' | null;
  owner_id: string | null;
  owner_team_id: string | null;
  owner_name: string | null;
  owner_since: Date | null;
  lapsed_since: Date | null;
  lapse_cause: string | null;
  revision: string;
  first_position: string;
}

interface SegmentRow {
  ticket_id: string;
  revision: string;
  status: 'owned' | 'lapsed' | 'closed';
  owner_kind: 'agent' | 'bot' | null;
  owner_id: string | null;
  owner_team_id: string | null;
  owner_name: string | null;
  started_at: Date;
  ended_at: Date | null;
  changed_by: { kind: string; id: string };
  reason: string | null;
  handoff_id: string | null;
}

const ownerOf = (row: {
  owner_kind: 'agent' | 'bot' | null;
  owner_id: string | null;
  owner_team_id: string | null;
  owner_name: string | null;
}): OwnerRef | null =>
  row.owner_kind && row.owner_id
    ? {
        kind: row.owner_kind,
        id: row.owner_id,
        ...(row.owner_team_id ? { teamId: row.owner_team_id } : {}),
        ...(row.owner_name ? { displayName: row.owner_name } : {}),
      }
    : null;

/** One line of a ticket's ownership history. */
export interface HistoryEntry {
  revision: number;
  eventId: string;
  at: string;
  type: string;
  by: { kind: string; id: string };
  from?: OwnerRef | null;
  to?: OwnerRef | null;
  why?: string;
  how?: string;
  handoffId?: string | null;
  brief?: { briefId: string; version: number } | null;
  shiftHandoverId?: string | null;
  lapsedSince?: string;
  details?: unknown;
}

export interface Segment {
  status: 'owned' | 'lapsed' | 'closed';
  owner: OwnerRef | null;
  from: string;
  to: string | null;
  /** Time spent in the segment; an open segment counts up to now. */
  durationSeconds: number;
  changedBy: { kind: string; id: string };
  reason: string | null;
  handoffId: string | null;
  revision: number;
}

export type AsOfAnswer =
  | { ticketId: string; at: string; state: 'not_yet_opened'; openedAt: string; explanation: string }
  | { ticketId: string; at: string; state: 'in_future'; now: string; explanation: string }
  | {
      ticketId: string;
      at: string;
      state: 'owned' | 'lapsed' | 'closed';
      owner: OwnerRef | null;
      teamId: string | null;
      since: string;
      until: string | null;
      reason: string | null;
    };

export interface ReplayStep {
  ticketId: string;
  revision: number;
  globalPosition: string;
  eventId: string;
  type: string;
  occurredAt: string;
  actor: { kind: string; id: string };
  data: unknown;
  hash: string;
  stateAfter: ReplayState;
}

export interface ReplayState {
  status: OwnershipState['status'];
  owner: OwnerRef | null;
  since: string | null;
  pendingHandovers: string[];
}

export const replayStateOf = (state: OwnershipState): ReplayState => ({
  status: state.status,
  owner: state.status === 'owned' ? state.owner : null,
  since:
    state.status === 'owned' || state.status === 'lapsed'
      ? state.since
      : state.status === 'closed'
        ? state.closedAt
        : null,
  pendingHandovers:
    state.status === 'unknown'
      ? []
      : Object.values(state.ticket.handovers)
          .filter((h) => h.status === 'pending')
          .map((h) => h.handoverId),
});

/** The read side: current owner, as-of, history, segments, agent tickets, audit replay and verify. */
export class OwnershipQueries {
  constructor(
    private readonly pool: Pool,
    private readonly store: EventStore,
    private readonly decider: OwnershipDecider,
    private readonly clock: Clock,
  ) {}

  private async ticket(tenantId: string, ticketId: string): Promise<TicketRow> {
    const { rows } = await this.pool.query<TicketRow>({
      // Named: each connection parses and plans the most frequent read once.
      name: 'ownership_ticket',
      text: `SELECT ticket_id, status, opened_at, closed_at, owner_kind, owner_id, owner_team_id, owner_name,
                    owner_since, lapsed_since, lapse_cause, revision, first_position
               FROM ownership.tickets WHERE tenant_id = $1 AND ticket_id = $2`,
      values: [tenantId, ticketId],
    });
    const row = rows[0];
    if (!row) throw new TicketNotFound(ticketId);
    return row;
  }

  async currentOwner(tenantId: string, ticketId: string) {
    const row = await this.ticket(tenantId, ticketId);
    return {
      ticketId,
      status: row.status,
      owner: ownerOf(row),
      teamId: row.owner_team_id,
      since:
        (row.status === 'owned'
          ? row.owner_since
          : row.status === 'lapsed'
            ? row.lapsed_since
            : row.closed_at
        )?.toISOString() ?? null,
      lapse:
        row.status === 'lapsed'
          ? { since: row.lapsed_since?.toISOString() ?? null, cause: row.lapse_cause }
          : null,
      openedAt: row.opened_at.toISOString(),
      revision: Number(row.revision),
    };
  }

  /** Owner and team at an instant, lapses included; a clear answer before the ticket existed or in the future. */
  async ownerAsOf(tenantId: string, ticketId: string, at: Date): Promise<AsOfAnswer> {
    const ticket = await this.ticket(tenantId, ticketId);
    const iso = at.toISOString();
    const now = this.clock.now();
    if (at.getTime() > now.getTime()) {
      return {
        ticketId,
        at: iso,
        state: 'in_future',
        now: now.toISOString(),
        explanation: 'The instant is in the future: ownership then is not known yet (see the current owner).',
      };
    }
    const { rows } = await this.pool.query<SegmentRow>(
      `SELECT ticket_id, revision, status, owner_kind, owner_id, owner_team_id, owner_name, started_at, ended_at,
              changed_by, reason, handoff_id
         FROM ownership.ownership_segments
        WHERE tenant_id = $1 AND ticket_id = $2 AND started_at <= $3
        ORDER BY started_at DESC, revision DESC LIMIT 1`,
      [tenantId, ticketId, iso],
    );
    const segment = rows[0];
    if (!segment || at.getTime() < ticket.opened_at.getTime()) {
      return {
        ticketId,
        at: iso,
        state: 'not_yet_opened',
        openedAt: ticket.opened_at.toISOString(),
        explanation: 'The ticket did not exist yet at that instant.',
      };
    }
    return {
      ticketId,
      at: iso,
      state: segment.status,
      owner: ownerOf(segment),
      teamId: segment.owner_team_id,
      since: segment.started_at.toISOString(),
      until: segment.ended_at?.toISOString() ?? null,
      reason: segment.reason,
    };
  }

  async segments(
    tenantId: string,
    ticketId: string,
  ): Promise<{ ticketId: string; segments: Segment[]; timeByOwner: { owner: OwnerRef; seconds: number }[] }> {
    await this.ticket(tenantId, ticketId);
    const { rows } = await this.pool.query<SegmentRow>(
      `SELECT ticket_id, revision, status, owner_kind, owner_id, owner_team_id, owner_name, started_at, ended_at,
              changed_by, reason, handoff_id
         FROM ownership.ownership_segments WHERE tenant_id = $1 AND ticket_id = $2 ORDER BY revision`,
      [tenantId, ticketId],
    );
    const segments = rows.map((row) => this.segmentOf(row));
    const totals = new Map<string, { owner: OwnerRef; seconds: number }>();
    for (const segment of segments) {
      if (!segment.owner) continue;
      const key = `${segment.owner.kind}:${segment.owner.id}`;
      const total = totals.get(key) ?? { owner: segment.owner, seconds: 0 };
      total.seconds += segment.durationSeconds;
      totals.set(key, total);
    }
    return { ticketId, segments, timeByOwner: [...totals.values()] };
  }

  private segmentOf(row: SegmentRow): Segment {
    const end = row.ended_at ?? this.clock.now();
    return {
      status: row.status,
      owner: ownerOf(row),
      from: row.started_at.toISOString(),
      to: row.ended_at?.toISOString() ?? null,
      durationSeconds: Math.max(0, (end.getTime() - row.started_at.getTime()) / 1000),
      changedBy: row.changed_by,
      reason: row.reason,
      handoffId: row.handoff_id,
      revision: Number(row.revision),
    };
  }

  /** Open tickets without a named owner now: the measured, alerted state, longest first. */
  async lapsedTickets(tenantId: string) {
    const { rows } = await this.pool.query<{
      ticket_id: string;
      lapsed_since: Date;
      lapse_cause: string;
      last_owner_id: string | null;
    }>(
      `SELECT ticket_id, lapsed_since, lapse_cause, last_owner_id FROM ownership.tickets
        WHERE tenant_id = $1 AND status = 'lapsed' ORDER BY lapsed_since LIMIT 1000`,
      [tenantId],
    );
    const now = this.clock.now().getTime();
    return {
      tickets: rows.map((row) => ({
        ticketId: row.ticket_id,
        lapsedSince: row.lapsed_since.toISOString(),
        lapsedSeconds: Math.max(0, (now - row.lapsed_since.getTime()) / 1000),
        cause: row.lapse_cause,
        lastOwnerId: row.last_owner_id,
      })),
    };
  }

  /** Owner segments of an agent overlapping [from, to). */
  async ticketsOfAgent(tenantId: string, agentId: string, from: Date, to: Date) {
    const { rows } = await this.pool.query<SegmentRow>(
      `SELECT ticket_id, revision, status, owner_kind, owner_id, owner_team_id, owner_name, started_at, ended_at,
              changed_by, reason, handoff_id
         FROM ownership.ownership_segments
        WHERE tenant_id = $1 AND owner_id = $2 AND started_at < $4 AND (ended_at IS NULL OR ended_at > $3)
        ORDER BY started_at, ticket_id`,
      [tenantId, agentId, from.toISOString(), to.toISOString()],
    );
    return {
      agentId,
      from: from.toISOString(),
      to: to.toISOString(),
      segments: rows.map((row) => ({ ticketId: row.ticket_id, ...this.segmentOf(row) })),
      tickets: [...new Set(rows.map((row) => row.ticket_id))],
    };
  }

  /** The ticket's events from the store, after the tenant check (another tenant's ticket is a 404). */
  private async events(tenantId: string, ticketId: string): Promise<RecordedEvent[]> {
    let events: RecordedEvent[];
    try {
      events = await this.store.readStream(streamOf(ticketId));
    } catch (error) {
      if (error instanceof StreamNotFound) throw new TicketNotFound(ticketId);
      throw error;
    }
    if (events[0]?.metadata.tenantId !== tenantId) throw new TicketNotFound(ticketId);
    return events;
  }

  /** Who → whom, by whom, why, handoff id, when: every change of the ticket's ownership. */
  async history(tenantId: string, ticketId: string) {
    const events = await this.events(tenantId, ticketId);
    const entries = events.flatMap((recorded): HistoryEntry[] => {
      const event = { type: recorded.type, data: recorded.data } as OwnershipEvent;
      const common = {
        revision: Number(recorded.revision),
        eventId: recorded.eventId,
        at: event.data.at,
        type: event.type,
      };
      switch (event.type) {
        case 'OwnerAssigned':
          return [
            {
              ...common,
              from: null,
              to: event.data.owner,
              by: event.data.assignedBy,
              why: event.data.reason ?? event.data.how,
              how: event.data.how,
              handoffId: event.data.handoffId ?? null,
              brief: event.data.brief ?? null,
            },
          ];
        case 'OwnershipTransferred':
          return [
            {
              ...common,
              from: event.data.from,
              to: event.data.to,
              by: event.data.transferredBy,
              why: event.data.reason,
              handoffId: event.data.handoffId ?? null,
              brief: event.data.brief ?? null,
              shiftHandoverId: event.data.shiftHandoverId ?? null,
            },
          ];
        case 'OwnershipReleased':
          return [
            {
              ...common,
              from: event.data.previousOwner,
              to: null,
              by: event.data.releasedBy,
              why: event.data.reason,
              handoffId: null,
            },
          ];
        case 'OwnershipLapsed':
          return [
            {
              ...common,
              from: event.data.previousOwner ?? null,
              to: null,
              by: recorded.metadata.actor,
              why: event.data.cause,
              lapsedSince: event.data.lapsedSince,
              handoffId: null,
            },
          ];
        case 'TicketClosed':
          return [
            {
              ...common,
              from: event.data.finalOwner ?? null,
              to: null,
              by: event.data.closedBy,
              why: 'ticket closed',
              handoffId: null,
            },
          ];
        case 'TicketReopened':
          return [
            {
              ...common,
              from: null,
              to: null,
              by: event.data.reopenedBy,
              why: `ticket reopened (${event.data.routedTo})`,
              handoffId: null,
            },
          ];
        case 'ShiftHandoverRequested':
        case 'ShiftHandoverAcknowledged':
        case 'ShiftHandoverEscalated':
        case 'OwnershipLoopDetected':
          return [{ ...common, by: recorded.metadata.actor, details: event.data }];
        case 'OwnershipOpened':
          return [];
      }
    });
    return { ticketId, entries };
  }

  /** Step-by-step replay from the event store with the state after each event. */
  async replayTicket(tenantId: string, ticketId: string): Promise<{ ticketId: string; steps: ReplayStep[] }> {
    const events = await this.events(tenantId, ticketId);
    let state = this.decider.initialState();
    const steps = events.map((recorded) => {
      state = this.decider.evolve(state, { type: recorded.type, data: recorded.data } as OwnershipEvent);
      return stepOf(recorded, state);
    });
    return { ticketId, steps };
  }

  /**
   * Replay across the tenant's tickets active in [from, to], streamed: reads the store in global
   * order from the first event of the earliest such ticket, folds each stream, and yields every
   * event of the tenant occurring in the range with the state after it.
   */
  async *replayRange(tenantId: string, from: Date, to: Date, pageSize = 1000): AsyncGenerator<ReplayStep> {
    const { rows } = await this.pool.query<{ start: string | null }>(
      `SELECT min(first_position)::text AS start FROM ownership.tickets
        WHERE tenant_id = $1 AND opened_at <= $3 AND last_event_at >= $2`,
      [tenantId, from.toISOString(), to.toISOString()],
    );
    const start = rows[0]?.start;
    if (start === null || start === undefined) return;
    yield* replayEvents(this.store, this.decider, BigInt(start) - 1n, pageSize, (event) => {
      if (event.metadata.tenantId !== tenantId) return 'skip';
      const at = Date.parse((event.data as { at: string }).at);
      return at >= from.getTime() && at <= to.getTime() ? 'emit' : 'fold';
    });
  }

  async verify(tenantId: string, ticketId: string) {
    await this.events(tenantId, ticketId);
    const result = await this.store.verifyStream(streamOf(ticketId));
    return result.ok
      ? {
          ticketId,
          stream: streamOf(ticketId),
          ok: true as const,
          events: result.events,
          lastHash: result.lastHash,
        }
      : {
          ticketId,
          stream: streamOf(ticketId),
          ok: false as const,
          firstBrokenRevision: Number(result.brokenAt),
          reason: result.reason,
          detail: result.detail,
        };
  }
}

export const stepOf = (recorded: RecordedEvent, state: OwnershipState): ReplayStep => ({
  ticketId: recorded.metadata.ticketId ?? recorded.streamName.slice('ownership-'.length),
  revision: Number(recorded.revision),
  globalPosition: recorded.globalPosition.toString(),
  eventId: recorded.eventId,
  type: recorded.type,
  occurredAt: recorded.metadata.occurredAt,
  actor: recorded.metadata.actor,
  data: recorded.data,
  hash: recorded.hash,
  stateAfter: replayStateOf(state),
});

/**
 * The replay engine shared by the REST stream and the benchmark: pages of `readAll`, one folded
 * state per stream, a step for each event the filter emits.
 */
export async function* replayEvents(
  store: EventStore,
  decider: OwnershipDecider,
  afterPosition: bigint,
  pageSize: number,
  filter: (event: RecordedEvent) => 'emit' | 'fold' | 'skip',
): AsyncGenerator<ReplayStep> {
  const states = new Map<string, OwnershipState>();
  const read = (after: bigint) =>
    store.readAll({ ...(after >= 0n ? { fromPosition: after } : {}), maxCount: pageSize });
  // The next page is read while this one is folded and serialised: the database and the fold overlap.
  let pending: Promise<RecordedEvent[]> | undefined = read(afterPosition);
  try {
    while (pending) {
      const page: RecordedEvent[] = await pending;
      const last = page[page.length - 1];
      pending = page.length === pageSize && last ? read(last.globalPosition) : undefined;
      for (const event of page) {
        if (!event.streamName.startsWith('ownership-')) continue;
        const verdict = filter(event);
        if (verdict === 'skip') continue;
        const state = decider.evolve(states.get(event.streamName) ?? decider.initialState(), {
          type: event.type,
          data: event.data,
        } as OwnershipEvent);
        states.set(event.streamName, state);
        if (verdict === 'emit') yield stepOf(event, state);
      }
    }
  } finally {
    // A reader that stops early leaves a prefetch behind; its failure must not go unhandled.
    void pending?.catch(() => undefined);
  }
}
