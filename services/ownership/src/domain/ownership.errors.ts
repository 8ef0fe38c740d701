import type { OwnerRef } from './ownership.types';

/**
 * How a rule violation is reported; each transport maps it once (HTTP: 400/404/409/422/403; Kafka:
 * a fact the rules refuse is dead-lettered with the code as its reason, except a
 * {@link ConcurrentOwnershipChange}, which is retried).
 */
export type OwnershipErrorKind = 'not-found' | 'conflict' | 'unprocessable' | 'forbidden';

/** Base of the ownership rules' errors: a stable kebab-case code, a kind, and safe details. */
export abstract class OwnershipError extends Error {
  abstract readonly code: string;
  abstract readonly kind: OwnershipErrorKind;
  readonly details: Record<string, unknown>;

  protected constructor(message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = new.target.name;
    this.details = details;
  }
}

export class TicketNotFound extends OwnershipError {
  readonly code = 'ticket-not-found';
  readonly kind = 'not-found';
  constructor(ticketId: string) {
    super(`Ticket ${ticketId} was not found`, { ticketId });
  }
}

export class AgentNotFound extends OwnershipError {
  readonly code = 'agent-not-found';
  readonly kind = 'not-found';
  constructor(agentId: string) {
    super(`Agent ${agentId} is not in the agent directory`, { agentId });
  }
}

export class AgentDeactivated extends OwnershipError {
  readonly code = 'agent-deactivated';
  readonly kind = 'unprocessable';
  constructor(agentId: string) {
    super(`Agent ${agentId} is deactivated and cannot own tickets`, { agentId });
  }
}

export class AlreadyOwner extends OwnershipError {
  readonly code = 'already-owner';
  readonly kind = 'unprocessable';
  constructor(owner: OwnerRef) {
    super(`${owner.id} already owns the ticket`, { currentOwner: owner });
  }
}

/** The owner is not who the caller expected (a concurrent change won), or the ticket has an owner. */
export class OwnershipConflict extends OwnershipError {
  readonly code = 'ownership-conflict';
  readonly kind = 'conflict';
  constructor(message: string, currentOwner: OwnerRef | null) {
    super(message, { currentOwner });
  }
}

/**
 * The ticket kept changing while a command was being decided (every retry lost the race at the
 * expected revision): not a refusal by the rules, so trying again later may succeed.
 */
export class ConcurrentOwnershipChange extends OwnershipConflict {
  constructor(message: string, currentOwner: OwnerRef | null) {
    super(message, currentOwner);
  }
}

export class TicketClosed extends OwnershipError {
  readonly code = 'ticket-closed';
  readonly kind = 'conflict';
  constructor(ticketId: string) {
    super(`Ticket ${ticketId} is closed`, { ticketId });
  }
}

export class TicketNotOwned extends OwnershipError {
  readonly code = 'ticket-not-owned';
  readonly kind = 'conflict';
  constructor(ticketId: string) {
    super(`Ticket ${ticketId} has no owner: assign or claim it instead`, { ticketId, currentOwner: null });
  }
}

export class TeamWithoutLead extends OwnershipError {
  readonly code = 'team-without-lead';
  readonly kind = 'unprocessable';
  constructor(teamId: string) {
    super(`Team ${teamId} has no lead rule naming a person: a ticket needs one named accountable owner`, {
      teamId,
    });
  }
}

export class TeamNotFound extends OwnershipError {
  readonly code = 'team-not-found';
  readonly kind = 'not-found';
  constructor(teamId: string) {
    super(`Team ${teamId} was not found`, { teamId });
  }
}

export class HandoverNoteMissing extends OwnershipError {
  readonly code = 'handover-note-missing';
  readonly kind = 'unprocessable';
  constructor(ticketId: string, missing: string) {
    super(`The handover of ticket ${ticketId} needs a note: ${missing}`, { ticketId });
  }
}

export class HandoverIncomplete extends OwnershipError {
  readonly code = 'handover-incomplete';
  readonly kind = 'unprocessable';
  constructor(agentId: string, missingTicketIds: string[]) {
    super(`Agent ${agentId} still owns open tickets the handover does not cover`, { missingTicketIds });
  }
}

export class HandoverNotPending extends OwnershipError {
  readonly code = 'handover-not-pending';
  readonly kind = 'conflict';
  constructor(handoverId: string) {
    super(`Handover ${handoverId} is not waiting for an acknowledgement`, { handoverId });
  }
}

export class HandoverNotForAgent extends OwnershipError {
  readonly code = 'handover-not-for-agent';
  readonly kind = 'forbidden';
  constructor(handoverId: string, agentId: string) {
    super(`Handover ${handoverId} was not handed to ${agentId}`, { handoverId });
  }
}

export class InvalidHandoverTarget extends OwnershipError {
  readonly code = 'invalid-handover-target';
  readonly kind = 'unprocessable';
  constructor(agentId: string) {
    super(`Agent ${agentId} cannot hand a ticket over to themselves`, { agentId });
  }
}

export class DuplicateHandoverTicket extends OwnershipError {
  readonly code = 'duplicate-handover-ticket';
  readonly kind = 'unprocessable';
  constructor(ticketIds: string[]) {
    super('A shift handover names each ticket once', { ticketIds });
  }
}

/** One ticket of a shift handover that the rules refused, as reported to the caller. */
export interface RefusedHandoverTicket {
  ticketId: string;
  code: string;
  kind: OwnershipErrorKind;
  message: string;
}

/**
 * A shift handover refused as a whole: nothing was appended. 409 when every refusal is a conflict
 * (the tickets changed under the caller), 422 otherwise.
 */
export class ShiftHandoverRefused extends OwnershipError {
  readonly code = 'shift-handover-refused';
  readonly kind: OwnershipErrorKind;
  constructor(readonly refused: readonly RefusedHandoverTicket[]) {
    super(
      `The shift handover changed nothing: ${refused.length} ticket(s) refused (${refused
        .map((r) => `${r.ticketId}: ${r.code}`)
        .join(', ')})`,
      { refusedTickets: refused },
    );
    this.kind = refused.every((r) => r.kind === 'conflict') ? 'conflict' : 'unprocessable';
  }
}

/**
 * A shift handover validated as a whole whose ticket changed concurrently between the validation
 * and its append, so that the rules then refused it: the tickets appended before it stay handed
 * over (pending acknowledgement), the refused one and the rest were not.
 */
export class ShiftHandoverInterrupted extends OwnershipError {
  readonly code = 'shift-handover-interrupted';
  readonly kind = 'conflict';
  constructor(
    handedOverTicketIds: readonly string[],
    refused: RefusedHandoverTicket,
    notAttemptedTicketIds: readonly string[],
  ) {
    super(
      `Ticket ${refused.ticketId} changed while the shift handover was being recorded (${refused.code}); ` +
        `${handedOverTicketIds.length} ticket(s) were handed over before it`,
      { handedOverTicketIds, refusedTickets: [refused], notAttemptedTicketIds },
    );
  }
}

/** The refusal of one ticket, for {@link ShiftHandoverRefused} and {@link ShiftHandoverInterrupted}. */
export const refusalOf = (ticketId: string, error: OwnershipError): RefusedHandoverTicket => ({
  ticketId,
  code: error.code,
  kind: error.kind,
  message: error.message,
});
