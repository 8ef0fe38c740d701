import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { DomainError } from './domain.error';
import type { FieldError } from './problem-details';

/** A request whose body, query or parameters break their DTO's rules; `errors` lists each field. */
export class RequestValidationFailed extends DomainError {
  constructor(readonly errors: FieldError[]) {
    super(
      'validation-failed',
      'invalid',
      `The request has ${errors.length} invalid field${errors.length === 1 ? '' : 's'}: ${errors.map((e) => e.field).join(', ')}`,
      { extensions: { errors } },
    );
  }
}

/** Flattens class-validator's tree of errors into one entry per invalid field. Values are never echoed. */
export function toFieldErrors(
  errors: readonly ValidationError[],
  parents: readonly string[] = [],
): FieldError[] {
  return errors.flatMap((error) => {
    const path = [...parents, error.property];
    const own: FieldError[] = error.constraints
      ? [
          {
            field: path.join('.'),
            pointer: `/${path.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`,
            detail: Object.values(error.constraints).join('; '),
            constraints: Object.keys(error.constraints),
          },
        ]
      : [];
    return [...own, ...toFieldErrors(error.children ?? [], path)];
  });
}

/**
 * The global pipe: unknown properties are rejected (not silently dropped, so a client's typo is
 * visible), payloads are transformed into DTO instances, and failures become one
 * {@link RequestValidationFailed} listing every field.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    // Error messages would otherwise include the rejected value, which may be a secret.
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new RequestValidationFailed(toFieldErrors(errors)),
  });
}
