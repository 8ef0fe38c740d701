import { Catch } from '@nestjs/common';
import { type ProblemDetails, ProblemDetailsFilter } from '@handoff/platform';
import { ConversationsError } from '../domain/conversations.errors';

const TITLES = { 413: 'Content Too Large', 422: 'Unprocessable Content' } as const;

/**
 * The platform's problem+json mapping, plus the two statuses its error kinds do not express: 413 for
 * a text over the configured limit and 422 for well-formed input that names something impossible
 * (a malformed identity, an unknown ticket reference, a merge into itself).
 */
@Catch()
export class ConversationsProblemFilter extends ProblemDetailsFilter {
  override toProblem(exception: unknown, instance: string): ProblemDetails {
    const problem = super.toProblem(exception, instance);
    if (exception instanceof ConversationsError && exception.status !== undefined)
      return { ...problem, status: exception.status, title: TITLES[exception.status] };
    return problem;
  }
}
