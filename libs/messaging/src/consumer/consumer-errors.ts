import { KafkaRetriableException } from '@nestjs/microservices';

/**
 * An error a handler throws when trying again later may succeed (a lock timeout, a service that is
 * briefly unavailable). The runtime retries it with a bounded exponential backoff; it mirrors Nest's
 * `KafkaRetriableException`, which the runtime treats the same way.
 */
export class TransientError extends Error {
  override readonly name = 'TransientError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * An error a handler throws when the message can never be applied (e.g. it refers to something that
 * cannot exist): the runtime parks it in the dead-letter topic at once, with `reason` as `dlq_reason`.
 */
export class PoisonMessageError extends Error {
  override readonly name = 'PoisonMessageError';
  constructor(
    readonly reason: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Thrown out of the handler when parking a message in the dead-letter topic failed: the offset is
 * then not committed and Kafka redelivers the message, so nothing is dropped silently.
 */
export class DeadLetterFailedError extends Error {
  override readonly name = 'DeadLetterFailedError';
  constructor(
    readonly topic: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`could not park a message of ${topic} in its dead-letter topic (reason ${reason})`, options);
  }
}

/**
 * Thrown out of the handler when the database stayed unreachable through every attempt: such a
 * message is not poison, so it is redelivered (offset not committed) rather than dead-lettered.
 */
export class DatabaseUnavailableError extends Error {
  override readonly name = 'DatabaseUnavailableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

const NODE_CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
]);

/** SQLSTATEs that say the connection or the server, not the statement, failed. */
const isConnectionSqlState = (code: string): boolean =>
  code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || code === '53300';

function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}

/** Whether `error` means the database could not be reached (as opposed to a failing statement). */
export function isConnectionError(error: unknown): boolean {
  const code = codeOf(error);
  if (code !== undefined && (NODE_CONNECTION_CODES.has(code) || isConnectionSqlState(code))) return true;
  return (
    error instanceof Error &&
    /Connection terminated|connection timeout|Client has encountered a connection error/i.test(error.message)
  );
}

/**
 * Whether retrying may help: {@link TransientError}, Nest's `KafkaRetriableException`, PostgreSQL
 * serialization failures and deadlocks (40001, 40P01), lock timeouts (55P03) and connection errors.
 */
export function isTransientError(error: unknown): boolean {
  if (error instanceof TransientError || error instanceof KafkaRetriableException) return true;
  const code = codeOf(error);
  if (code === '40001' || code === '40P01' || code === '55P03') return true;
  return isConnectionError(error);
}
