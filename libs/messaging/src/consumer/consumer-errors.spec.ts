import { KafkaRetriableException } from '@nestjs/microservices';
import { isConnectionError, isTransientError, PoisonMessageError, TransientError } from './consumer-errors';

const pgError = (code: string) => Object.assign(new Error(`pg ${code}`), { code });

describe('isTransientError', () => {
  it.each([
    ['TransientError', new TransientError('lock busy')],
    ['KafkaRetriableException', new KafkaRetriableException('later')],
    ['serialization failure', pgError('40001')],
    ['deadlock', pgError('40P01')],
    ['refused connection', pgError('ECONNREFUSED')],
    ['admin shutdown', pgError('57P01')],
    ['terminated connection', new Error('Connection terminated unexpectedly')],
  ])('retries a %s', (_, error) => expect(isTransientError(error)).toBe(true));

  it.each([
    ['unique violation', pgError('23505')],
    ['poison', new PoisonMessageError('unknown-ticket', 'no such ticket')],
    ['plain error', new Error('bug')],
    ['non-error', 'boom'],
  ])('does not call a %s transient', (_, error) => expect(isTransientError(error)).toBe(false));
});

describe('isConnectionError', () => {
  it('tells an unreachable database from a failing statement', () => {
    expect(isConnectionError(pgError('08006'))).toBe(true);
    expect(isConnectionError(pgError('40001'))).toBe(false);
  });
});
