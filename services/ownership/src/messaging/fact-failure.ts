import { PoisonMessageError, TransientError } from '@handoff/messaging';
import { ConcurrentOwnershipChange, OwnershipError } from '../domain/ownership.errors';

/**
 * What the consumer runtime should make of an error applying another service's fact:
 * - the ticket kept changing under the command (every retry at the expected revision lost): a
 *   {@link TransientError}, retried with backoff;
 * - the ownership rules refused the fact (a ticket of another tenant, a reopen of a ticket never
 *   seen, a handoff accepted by a deactivated agent…): it will be refused on every redelivery, so it
 *   is a {@link PoisonMessageError} with the rule's code as `dlq_reason`, parked in `<topic>.dlq` and
 *   the partition moves on;
 * - anything else (the database, the event store) is returned as is: the runtime retries what is
 *   transient and parks what still fails after every attempt.
 */
export function factFailure(error: unknown): unknown {
  if (error instanceof ConcurrentOwnershipChange)
    return new TransientError(`concurrent change: ${error.message}`, { cause: error });
  if (error instanceof OwnershipError)
    return new PoisonMessageError(error.code, `refused by the ownership rules: ${error.message}`, {
      cause: error,
    });
  return error;
}
