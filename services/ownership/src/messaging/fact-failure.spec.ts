import { isTransientError, PoisonMessageError, TransientError } from '@handoff/messaging';
import {
  AgentDeactivated,
  ConcurrentOwnershipChange,
  OwnershipConflict,
  TicketNotFound,
} from '../domain/ownership.errors';
import { factFailure } from './fact-failure';

describe('failures applying a consumed fact', () => {
  it.each([
    [new TicketNotFound('t-1'), 'ticket-not-found'],
    [new AgentDeactivated('a-1'), 'agent-deactivated'],
    [new OwnershipConflict('owned by a2', null), 'ownership-conflict'],
  ])('dead-letters a refusal by the rules (%p) with its code as the reason', (refusal, reason) => {
    const failure = factFailure(refusal);
    expect(failure).toBeInstanceOf(PoisonMessageError);
    expect((failure as PoisonMessageError).reason).toBe(reason);
    expect(isTransientError(failure)).toBe(false);
  });

  it('retries a command that kept losing the race at the expected revision', () => {
    const failure = factFailure(new ConcurrentOwnershipChange('changed concurrently', null));
    expect(failure).toBeInstanceOf(TransientError);
    expect(isTransientError(failure)).toBe(true);
  });

  it('leaves infrastructure errors to the runtime', () => {
    const lockTimeout = Object.assign(new Error('lock timeout'), { code: '55P03' });
    expect(factFailure(lockTimeout)).toBe(lockTimeout);
  });
});
