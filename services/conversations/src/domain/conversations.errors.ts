import { DomainError } from '@handoff/platform';

/**
 * Coded failures of the conversations context. `field` names the input at fault (a JSON path of the
 * request or of the inbound message) so a client or the dead-letter reader sees what to fix.
 */
export class ConversationsError extends DomainError {
  constructor(
    code: string,
    kind: 'invalid' | 'not-found' | 'conflict' | 'unprocessable' | 'too-large',
    message: string,
    readonly field?: string,
    extensions: Record<string, unknown> = {},
  ) {
    super(code, kind, message, {
      extensions: {
        ...(field === undefined
          ? {}
          : {
              field,
              reason: message,
              // The same shape as the platform's validation errors, so clients read both alike.
              errors: [
                { field, pointer: `/${field.split('.').join('/')}`, detail: message, constraints: [code] },
              ],
            }),
        ...extensions,
      },
    });
  }
}

/** Text longer than the configured limit (413). */
export class MessageTooLong extends ConversationsError {
  constructor(length: number, limit: number) {
    super(
      'message-too-long',
      'too-large',
      `text has ${length} characters; at most ${limit} are accepted`,
      'text',
      { limit },
    );
  }
}

/** An identity value that is not a well-formed email address, phone number, … (422). */
export class InvalidIdentity extends ConversationsError {
  constructor(field: string, reason: string) {
    super('invalid-identity', 'unprocessable', reason, field);
  }
}

/** A customer message without a sender identity (400). */
export class MissingSender extends ConversationsError {
  constructor(field: string, reason: string) {
    super('missing-sender', 'invalid', reason, field);
  }
}

/** A ticket reference that does not exist for this tenant (another tenant's ticket looks the same). */
export class UnknownTicketReference extends ConversationsError {
  constructor(ticketId: string, field = 'ticketId') {
    super('unknown-ticket-reference', 'unprocessable', `ticket ${ticketId} does not exist`, field);
  }
}

/** A message that names no customer identity and joins no known ticket or thread. */
export class TicketUnresolvable extends ConversationsError {
  constructor() {
    super(
      'ticket-unresolvable',
      'unprocessable',
      'a message without a customer identity needs a ticketId or a known channel thread',
      'ticketId',
    );
  }
}

export class TicketNotFound extends ConversationsError {
  constructor(ticketId: string) {
    super('ticket-not-found', 'not-found', `Ticket ${ticketId} was not found`);
  }
}

export class CustomerNotFound extends ConversationsError {
  constructor(customerId: string, field?: string) {
    super('customer-not-found', 'not-found', `Customer ${customerId} was not found`, field);
  }
}

/** A merge of a customer or ticket into itself (422). */
export class MergeIntoItself extends ConversationsError {
  constructor(what: 'customer' | 'ticket', field: string) {
    super('merge-into-itself', 'unprocessable', `a ${what} cannot be merged into itself`, field);
  }
}

/** The customer (or ticket) was merged into another one: commands go to the survivor. */
export class AlreadyMerged extends ConversationsError {
  constructor(what: 'customer' | 'ticket', id: string, into: string, field?: string) {
    super('already-merged', 'conflict', `${what} ${id} was merged into ${into}`, field, {
      mergedInto: into,
    });
  }
}

/**
 * Two different verified identifiers of the same kind would end up on one customer: never without an
 * explicit acknowledgement (helpdesks that merge on a weak signal mix up two real people).
 */
export class VerifiedIdentityConflict extends ConversationsError {
  constructor(kinds: readonly string[], field: string) {
    super(
      'verified-identity-conflict',
      'conflict',
      `both customers have different verified ${kinds.join(', ')} identifiers; acknowledge explicitly to merge`,
      field,
      { kinds },
    );
  }
}

/** The identity already belongs to another customer: linking would move it (use a merge). */
export class IdentityTaken extends ConversationsError {
  constructor(customerId: string) {
    super(
      'identity-taken',
      'conflict',
      `the identity belongs to customer ${customerId}; merge the customers instead`,
      'identity',
      { customerId },
    );
  }
}

export class MergeNotFound extends ConversationsError {
  constructor(mergeId: string) {
    super('merge-not-found', 'not-found', `Merge ${mergeId} was not found on this customer`, 'mergeId');
  }
}

export class TicketClosedAlready extends ConversationsError {
  constructor(ticketId: string) {
    super('ticket-closed', 'conflict', `ticket ${ticketId} is closed`);
  }
}

export class TicketNotClosed extends ConversationsError {
  constructor(ticketId: string) {
    super('ticket-not-closed', 'conflict', `ticket ${ticketId} is not closed`);
  }
}

/** The ticket stream was never opened (internal invariant: commands other than open need one). */
export class TicketNotOpened extends ConversationsError {
  constructor(ticketId: string) {
    super('ticket-not-found', 'not-found', `Ticket ${ticketId} was not found`);
  }
}
