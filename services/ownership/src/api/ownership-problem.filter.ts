import { Catch } from '@nestjs/common';
import { DomainError, ProblemDetailsFilter, type ProblemDetails } from '@handoff/platform';
import { OwnershipError, type OwnershipErrorKind } from '../domain/ownership.errors';

const KIND: Record<OwnershipErrorKind, DomainError['kind']> = {
  'not-found': 'not-found',
  conflict: 'conflict',
  forbidden: 'forbidden',
  unprocessable: 'invalid',
};

/**
 * The platform's problem+json filter, plus the ownership rules: their details become problem
 * members (e.g. `currentOwner` on a 409), and rule violations on a well-formed request answer 422
 * — the platform's error kinds have no 422, so it is set here (reported as a library gap).
 */
@Catch()
export class OwnershipProblemFilter extends ProblemDetailsFilter {
  override toProblem(exception: unknown, instance: string): ProblemDetails {
    if (!(exception instanceof OwnershipError)) return super.toProblem(exception, instance);
    const problem = super.toProblem(
      new DomainError(exception.code, KIND[exception.kind], exception.message, {
        extensions: exception.details,
      }),
      instance,
    );
    return exception.kind === 'unprocessable'
      ? { ...problem, status: 422, title: 'Unprocessable Content' }
      : problem;
  }
}
