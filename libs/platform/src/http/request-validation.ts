import {
  type ArgumentMetadata,
  ValidationPipe,
  type ValidationError,
  type ValidationPipeOptions,
} from '@nestjs/common';
import { CompiledDtoValidation } from './compiled-dto-validation';
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
 * Nest's pipe, with the valid request body's fast path ({@link CompiledDtoValidation}): a body it
 * accepts is the DTO instance class-transformer and class-validator would have built; anything
 * else (an invalid body, a query, a parameter) goes through Nest's pipe and the libraries. On
 * `POST /v1/messages` the libraries took about a tenth of the service's CPU per request.
 */
class RequestValidationPipe extends ValidationPipe {
  private readonly compiled = new CompiledDtoValidation();

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    // The whole body, of a class (a `@Body('field')` or a primitive type is Nest's to handle).
    if (metadata.type === 'body' && metadata.data === undefined && metadata.metatype) {
      const accepted = this.compiled.accept(metadata.metatype, value);
      if (accepted !== undefined) return accepted;
    }
    return super.transform(value, metadata);
  }
}

/**
 * The global pipe: unknown properties are rejected (not silently dropped, so a client's typo is
 * visible), payloads are transformed into DTO instances, and failures become one
 * {@link RequestValidationFailed} listing every field.
 */
export function createValidationPipe(): ValidationPipe {
  return new RequestValidationPipe(validationPipeOptions());
}

/** The options of the global pipe (without its fast path, Nest's pipe with these is the same pipe). */
export function validationPipeOptions(): ValidationPipeOptions {
  return {
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    // Error messages would otherwise include the rejected value, which may be a secret.
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new RequestValidationFailed(toFieldErrors(errors)),
  };
}
