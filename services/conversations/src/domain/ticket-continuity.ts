/** What the read model knows of a ticket when a message arrives. */
export interface TicketCandidate {
  ticketId: string;
  status: 'open' | 'closed';
  lastActivityAt: string;
}

export interface ContinuityInput {
  /** The ticket the message names explicitly (already checked to exist for the tenant). */
  referenced?: TicketCandidate;
  /** The ticket that already holds the message's channel thread. */
  thread?: TicketCandidate;
  /** The customer's open tickets. */
  openTickets: readonly TicketCandidate[];
}

export type ContinuityDecision =
  | { rule: 'ticket-reference'; ticketId: string; reopen: boolean }
  | { rule: 'channel-thread'; ticketId: string }
  | { rule: 'single-open-ticket'; ticketId: string }
  | { rule: 'most-recent-open-ticket'; ticketId: string; otherTicketIds: string[] }
  | { rule: 'new-ticket' };

/**
 * Which ticket a message joins: an explicit ticket reference (reopening it when closed), else the
 * open ticket that already holds the channel thread, else the customer's single open ticket, else a
 * new one. With several open tickets the most recently active one wins and is flagged for review,
 * since the choice is a guess a person should check.
 */
export function chooseTicket(input: ContinuityInput): ContinuityDecision {
  if (input.referenced)
    return {
      rule: 'ticket-reference',
      ticketId: input.referenced.ticketId,
      reopen: input.referenced.status === 'closed',
    };
  // A thread whose ticket was closed is a new issue on an old thread: it falls through.
  if (input.thread?.status === 'open') return { rule: 'channel-thread', ticketId: input.thread.ticketId };
  const open = input.openTickets.filter((t) => t.status === 'open');
  const [only, ...rest] = open;
  if (!only) return { rule: 'new-ticket' };
  if (rest.length === 0) return { rule: 'single-open-ticket', ticketId: only.ticketId };
  const sorted = [...open].sort(
    (a, b) =>
      Date.parse(b.lastActivityAt) - Date.parse(a.lastActivityAt) || b.ticketId.localeCompare(a.ticketId),
  );
  const [latest, ...others] = sorted as [TicketCandidate, ...TicketCandidate[]];
  return {
    rule: 'most-recent-open-ticket',
    ticketId: latest.ticketId,
    otherTicketIds: others.map((t) => t.ticketId),
  };
}
