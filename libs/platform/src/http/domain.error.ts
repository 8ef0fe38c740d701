/**
 * What kind of failure a {@link DomainError} is; each transport maps a kind once (HTTP status here,
 * retry or dead-letter on Kafka) so domain code never speaks HTTP.
 */
export type DomainErrorKind =
  | 'invalid'
  | 'forbidden'
  | 'not-found'
  | 'conflict'
  | 'unauthorized'
  | 'unavailable'
  /** Well-formed input that names something impossible (a merge into itself, a missing reason). */
  | 'unprocessable'
  /** Content over a configured size limit. */
  | 'too-large';

/** HTTP status per kind. */
export const HTTP_STATUS_BY_KIND: Readonly<Record<DomainErrorKind, number>> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  'too-large': 413,
  unprocessable: 422,
  unavailable: 503,
};

/** Construction options of a {@link DomainError}. */
export interface DomainErrorOptions {
  /** Extra problem-details members (RFC 9457 §3.2), e.g. `{ currentRevision: 4 }`. Never put secrets here. */
  extensions?: Record<string, unknown>;
  cause?: unknown;
}

/**
 * Base of every expected failure: a stable, kebab-case `code` (clients switch on it; it becomes the
 * problem `type`) and a `kind`. The message is shown to clients as the problem `detail`, so it must
 * not contain secrets or internals.
 *
 * ```ts
 * export class TicketNotFound extends DomainError {
 *   constructor(ticketId: string) { super('ticket-not-found', 'not-found', `Ticket ${ticketId} was not found`); }
 * }
 * ```
 */
export class DomainError extends Error {
  readonly extensions: Readonly<Record<string, unknown>>;

  constructor(
    readonly code: string,
    readonly kind: DomainErrorKind,
    message: string,
    options: DomainErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.extensions = options.extensions ?? {};
  }
}

/** A request without valid credentials. */
export class AuthenticationRequired extends DomainError {
  constructor(message = 'A valid API key is required (x-api-key header or "Authorization: ApiKey <key>")') {
    super('authentication-required', 'unauthorized', message);
  }
}

/** An authenticated principal lacking the role an operation needs. */
export class AccessDenied extends DomainError {
  constructor(message = 'Your role does not allow this operation') {
    super('access-denied', 'forbidden', message);
  }
}

/** A resource that does not exist, or exists for another tenant (the two are indistinguishable). */
export class ResourceNotFound extends DomainError {
  constructor(resource: string, id: string) {
    super(`${resource}-not-found`, 'not-found', `${capitalise(resource)} ${id} was not found`);
  }
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
