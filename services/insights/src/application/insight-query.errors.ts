import { DomainError } from '@handoff/platform';

/** A query parameter of a figure is not acceptable (bad window, unknown dimension, bad number). */
export class InvalidInsightQuery extends DomainError {
  constructor(code: string, detail: string, parameter: string) {
    super(code, 'invalid', detail, { extensions: { parameter } });
  }
}

/** A ticket insights has no fact of (or of another tenant: the same answer). */
export class TicketNotFound extends DomainError {
  constructor(ticketId: string) {
    super('ticket-not-found', 'not-found', `Ticket ${ticketId} was not found`);
  }
}
