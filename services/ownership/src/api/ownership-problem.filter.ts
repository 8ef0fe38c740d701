import { Catch } from '@nestjs/common';
import { DomainError, ProblemDetailsFilter, type ProblemDetails } from '@handoff/platform';
import { OwnershipError, type OwnershipErrorKind } from '../domain/ownership.errors';

const KIND: Record<OwnershipErrorKind, DomainError['kind']> = {
  'not-found': 'not-found',
  conflict: 'conflict',
  forbidden: 'forbidden',
  unprocessable: 'unprocessable',
};

/**
 * The platform's problem+json filter, plus the ownership rules: their details become problem
 * members (e.g. `currentOwner` on a 409), and rule violations on a well-formed request answer 422.
 */
@Catch()
export class OwnershipProblemFilter extends ProblemDetailsFilter {
  override toProblem(exception: unknown, instance: string): ProblemDetails {
    if (!(exception instanceof OwnershipError)) return super.toProblem(exception, instance);
    return super.toProblem(
      new DomainError(exception.code, KIND[exception.kind], exception.message, {
        extensions: exception.details,
      }),
      instance,
    );
  }
}
