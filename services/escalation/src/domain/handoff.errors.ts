import { DomainError } from '@handoff/platform';

/** Coded failures of the escalation context. */
export class EscalationError extends DomainError {
  constructor(
    code: string,
    kind: 'invalid' | 'forbidden' | 'not-found' | 'conflict' | 'unprocessable',
    message: string,
    extensions: Record<string, unknown> = {},
  ) {
    super(code, kind, message, { extensions });
  }
}

export class HandoffNotFound extends EscalationError {
  constructor(handoffId: string) {
    super('handoff-not-found', 'not-found', `Handoff ${handoffId} was not found`);
  }
}

export class TicketNotFound extends EscalationError {
  constructor(ticketId: string) {
    super('ticket-not-found', 'not-found', `Ticket ${ticketId} was not found`);
  }
}

export class TicketClosed extends EscalationError {
  constructor(ticketId: string) {
    super('ticket-closed', 'conflict', `Ticket ${ticketId} is closed; reopen it before handing it off`, {
      ticketId,
    });
  }
}

/** The handoff id is taken by a different request (same id, other content). */
export class HandoffAlreadyExists extends EscalationError {
  constructor(handoffId: string) {
    super('handoff-already-exists', 'conflict', `Handoff ${handoffId} already exists with other content`);
  }
}

/** Someone other than the agent the handoff is offered to tried to answer the offer. */
export class OfferNotYours extends EscalationError {
  constructor(handoffId: string, agentId: string) {
    super('offer-not-yours', 'forbidden', `Handoff ${handoffId} is not offered to agent ${agentId}`);
  }
}

/** The offer can no longer be answered (expired, declined, cancelled…): 409 with the current state. */
export class OfferNotOpen extends EscalationError {
  constructor(handoffId: string, status: string, currentAgentId?: string) {
    super(
      'offer-not-open',
      'conflict',
      `Handoff ${handoffId} has no open offer to answer (it is ${status})`,
      {
        handoffId,
        status,
        ...(currentAgentId === undefined ? {} : { currentAgentId }),
      },
    );
  }
}

export class DeclineReasonRequired extends EscalationError {
  constructor() {
    super('decline-reason-required', 'unprocessable', 'Declining an offer needs a reason code', {
      field: 'reasonCode',
    });
  }
}

export class HandoffNotCancellable extends EscalationError {
  constructor(handoffId: string, status: string) {
    super(
      'handoff-not-cancellable',
      'conflict',
      `Handoff ${handoffId} cannot be cancelled (it is ${status})`,
      {
        handoffId,
        status,
      },
    );
  }
}

export class HandBackNotAllowed extends EscalationError {
  constructor(handoffId: string, status: string) {
    super(
      'hand-back-not-allowed',
      'conflict',
      `Handoff ${handoffId} cannot go back to the bot (it is ${status})`,
      {
        handoffId,
        status,
      },
    );
  }
}

export class AgentNotFound extends EscalationError {
  constructor(agentId: string) {
    super('agent-not-found', 'not-found', `Agent ${agentId} was not found`);
  }
}

export class AgentAlreadyExists extends EscalationError {
  constructor(agentId: string) {
    super('agent-already-exists', 'conflict', `Agent ${agentId} already exists`);
  }
}
