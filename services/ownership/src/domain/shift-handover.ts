import type { OwnershipCommand } from './ownership.commands';
import {
  OwnershipError,
  refusalOf,
  ShiftHandoverRefused,
  type RefusedHandoverTicket,
} from './ownership.errors';
import type { OwnershipEvent } from './ownership.events';
import type { OwnershipState } from './ownership.state';

/** One ticket of a shift handover: its state as read and the command built for it. */
export interface ShiftHandoverCandidate {
  ticketId: string;
  state: OwnershipState;
  command: OwnershipCommand;
}

/** What the handover appends to one ticket's stream (nothing when the same handover is pending). */
export interface ShiftHandoverDecision<C extends ShiftHandoverCandidate> {
  candidate: C;
  events: OwnershipEvent[];
}

/**
 * All or none: decides every ticket of a shift handover before anything is appended. When the rules
 * refuse any ticket, the whole handover is refused with {@link ShiftHandoverRefused} naming every
 * refused ticket (not only the first), so the caller can fix them all in one go.
 */
export function decideShiftHandover<C extends ShiftHandoverCandidate>(
  decide: (command: OwnershipCommand, state: OwnershipState) => OwnershipEvent[],
  candidates: readonly C[],
): ShiftHandoverDecision<C>[] {
  const decisions: ShiftHandoverDecision<C>[] = [];
  const refused: RefusedHandoverTicket[] = [];
  for (const candidate of candidates) {
    try {
      decisions.push({ candidate, events: decide(candidate.command, candidate.state) });
    } catch (error) {
      if (!(error instanceof OwnershipError)) throw error;
      refused.push(refusalOf(candidate.ticketId, error));
    }
  }
  if (refused.length > 0) throw new ShiftHandoverRefused(refused);
  return decisions;
}
