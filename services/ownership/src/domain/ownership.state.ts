import type { AgentRef, LapseCause, OwnerRef } from './ownership.types';

/** One assignment of an owner, kept for loop detection. */
export interface OwnerChange {
  owner: OwnerRef;
  at: string;
  /** 1 for the ticket's first assignment (not a change of owner), then 2, 3, … */
  index: number;
}

/**
 * The owner assignments as an immutable list, newest first: adding one is O(1), so folding a long
 * stream (audit replay) never copies the history per event.
 */
export interface OwnerChangeNode extends OwnerChange {
  previous: OwnerChangeNode | undefined;
}

/** The newest assignments (oldest first): at least `minimum`, then while `keep` holds, at most `limit`. */
export function recentOwnerChanges(
  head: OwnerChangeNode | undefined,
  keep: (change: OwnerChange) => boolean,
  minimum = 3,
  limit = OWNER_HISTORY_LIMIT,
): OwnerChange[] {
  const changes: OwnerChange[] = [];
  for (let node = head; node && changes.length < limit; node = node.previous) {
    if (changes.length >= minimum && !keep(node)) break;
    changes.push({ owner: node.owner, at: node.at, index: node.index });
  }
  return changes.reverse();
}

export interface HandoverState {
  handoverId: string;
  from: AgentRef;
  to: AgentRef;
  toTeamId?: string;
  acknowledgeBy: string;
  supervisorId?: string;
  status: 'pending' | 'acknowledged' | 'escalated' | 'superseded';
}

/** What every known ticket carries whatever its status. */
export interface TicketRecord {
  tenantId: string;
  ticketId: string;
  openedAt: string;
  /** The most recent named owner (survives release, lapse and close): the candidate on reopen. */
  lastOwner?: OwnerRef;
  /** Owner assignments, newest first (see {@link recentOwnerChanges}). */
  owners: OwnerChangeNode | undefined;
  handovers: Record<string, HandoverState>;
  /** Accepted handoffs already recorded: a redelivered HandoffAccepted changes nothing. */
  handoffIds: string[];
}

export const OWNER_HISTORY_LIMIT = 200;

/** The ownership of one ticket: a discriminated union on `status`. */
export type OwnershipState =
  | { status: 'unknown' }
  | { status: 'owned'; ticket: TicketRecord; owner: OwnerRef; since: string }
  | { status: 'lapsed'; ticket: TicketRecord; previousOwner?: OwnerRef; since: string; cause: LapseCause }
  | { status: 'closed'; ticket: TicketRecord; finalOwner?: OwnerRef; closedAt: string };

export type KnownOwnershipState = Exclude<OwnershipState, { status: 'unknown' }>;

export const currentOwnerOf = (state: OwnershipState): OwnerRef | undefined =>
  state.status === 'owned' ? state.owner : undefined;

export const pendingHandovers = (state: OwnershipState): HandoverState[] =>
  state.status === 'unknown'
    ? []
    : Object.values(state.ticket.handovers).filter((h) => h.status === 'pending');
