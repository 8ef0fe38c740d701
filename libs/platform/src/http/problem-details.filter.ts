import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { requestLogFields } from '../bootstrap/request-logging';
import { DomainError, HTTP_STATUS_BY_KIND } from './domain.error';
import {
  DEFAULT_PROBLEM_TYPE_BASE,
  PROBLEM_CONTENT_TYPE,
  problemType,
  statusCode,
  statusTitle,
  type ProblemDetails,
} from './problem-details';

/** Options of the {@link ProblemDetailsFilter}. */
export interface ProblemDetailsFilterOptions {
  /** Prefix of problem `type` URIs. */
  problemTypeBase?: string;
  /** Realm announced in `WWW-Authenticate` on 401. */
  authRealm?: string;
}

/** Fastify's own request errors (parsing, limits) that clients can cause, by Fastify error code. */
const FASTIFY_ERRORS: Readonly<Record<string, { status: number; code: string; detail: string }>> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    code: 'unsupported-media-type',
    detail: 'The request body must be application/json',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    status: 400,
    code: 'invalid-content-length',
    detail: 'The Content-Length header does not match the body',
  },
  FST_ERR_CTP_BODY_TOO_LARGE: {
    status: 413,
    code: 'content-too-large',
    detail: 'The request body is larger than this service accepts',
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    status: 400,
    code: 'malformed-json',
    detail: 'The request body is empty but its content type is application/json',
  },
  FST_ERR_CTP_INVALID_JSON_BODY: {
    status: 400,
    code: 'malformed-json',
    detail: 'The request body is not valid JSON',
  },
  FST_ERR_CTP_INVALID_TYPE: {
    status: 400,
    code: 'invalid-content-type',
    detail: 'The Content-Type header is invalid',
  },
  FST_ERR_BAD_URL: { status: 400, code: 'bad-url', detail: 'The request URL is malformed' },
};

interface ErrorWithCode {
  code?: unknown;
  statusCode?: unknown;
}

/**
 * The one place where every failure of an HTTP request becomes an RFC 9457 problem: domain errors by
 * kind, Nest HTTP exceptions (including validation), Fastify parsing/limit errors, unknown routes, and
 * anything unexpected as a bare 500. Only what a client may see is copied into the problem; internals
 * and stacks go to the log, for 5xx only.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemDetails');
  private readonly typeBase: string;
  private readonly realm: string;

  constructor(options: ProblemDetailsFilterOptions = {}) {
    this.typeBase = options.problemTypeBase ?? DEFAULT_PROBLEM_TYPE_BASE;
    this.realm = options.authRealm ?? 'handoff';
  }

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const problem = this.toProblem(exception, instanceOf(request));
    if (problem.status >= 500 && problem.status !== 503) {
      // The request's ids are put on the line here: request context (LOG_REQUEST_CONTEXT) may be off.
      const fields = request ? requestLogFields(request) : {};
      if (exception instanceof Error) this.logger.error({ ...fields, err: exception });
      else this.logger.error(fields, String(exception));
    }
    if (problem.status === 401) reply.header('www-authenticate', `ApiKey realm="${this.realm}"`);
    void reply
      .status(problem.status)
      .header('content-type', `${PROBLEM_CONTENT_TYPE}; charset=utf-8`)
      .send(JSON.stringify(problem));
  }

  /** Maps any thrown value to the problem a client sees. */
  toProblem(exception: unknown, instance: string): ProblemDetails {
    if (exception instanceof DomainError) {
      const status = HTTP_STATUS_BY_KIND[exception.kind];
      return this.problem(status, exception.code, exception.message, instance, exception.extensions);
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      if (status >= 500) return this.problem(status, statusCode(status), statusTitle(status), instance);
      return this.problem(status, statusCode(status), httpExceptionDetail(exception), instance);
    }
    const fastify = fastifyError(exception);
    if (fastify) return this.problem(fastify.status, fastify.code, fastify.detail, instance);
    return this.problem(500, 'internal-error', 'An unexpected error occurred; it has been logged', instance);
  }

  private problem(
    status: number,
    code: string,
    detail: string,
    instance: string,
    extensions: Readonly<Record<string, unknown>> = {},
  ): ProblemDetails {
    return {
      ...extensions,
      type: problemType(code, this.typeBase),
      title: statusTitle(status),
      status,
      detail,
      instance,
      code,
    };
  }
}

/** The request path without its query string (which may carry tokens). */
function instanceOf(request: FastifyRequest | undefined): string {
  const url = request?.url ?? '/';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

function httpExceptionDetail(exception: HttpException): string {
  const response = exception.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (typeof message === 'string') return message;
  if (Array.isArray(message)) return message.filter((m) => typeof m === 'string').join('; ');
  return exception.message;
}

function fastifyError(exception: unknown): { status: number; code: string; detail: string } | undefined {
  if (typeof exception !== 'object' || exception === null) return undefined;
  const { code, statusCode: status } = exception as ErrorWithCode;
  if (typeof code === 'string' && code in FASTIFY_ERRORS) return FASTIFY_ERRORS[code];
  // Any other Fastify client error: keep its status, not its message (it may describe internals).
  if (
    typeof code === 'string' &&
    code.startsWith('FST_') &&
    typeof status === 'number' &&
    status >= 400 &&
    status < 500
  ) {
    return { status, code: statusCode(status), detail: statusTitle(status) };
  }
  return undefined;
}
