import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** The header carrying the id that ties together everything done for one user action, across services. */
export const CORRELATION_ID_HEADER = 'x-correlation-id';
/** The header carrying this service's id of one request. */
export const REQUEST_ID_HEADER = 'x-request-id';

// Only ids that cannot forge log lines or headers are taken over from the client.
const ACCEPTABLE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The correlation id of a request: the client's `x-correlation-id` when acceptable, otherwise a new
 * UUID. The result is written back into the request's headers so every later reader (logger, hooks,
 * handlers, Kafka metadata) sees the same id.
 */
export function correlationIdOf(request: Pick<IncomingMessage, 'headers'>): string {
  const header = request.headers[CORRELATION_ID_HEADER];
  const given = Array.isArray(header) ? header[0] : header;
  if (given !== undefined && ACCEPTABLE_ID.test(given)) return given;
  const generated = randomUUID();
  request.headers[CORRELATION_ID_HEADER] = generated;
  return generated;
}
