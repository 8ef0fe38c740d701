import { AsyncLocalStorage } from 'node:async_hooks';
import type { LoggerService } from '@nestjs/common';
import pino, { type DestinationStream, type Level, type Logger as Pino } from 'pino';
import { correlationIdOf } from './request-context';

/** Paths pino removes from every log line: credentials must never reach a log. */
export const REDACTED_LOG_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers["x-api-key"]',
];

/** What the log lines written while handling one request carry. */
interface RequestLogContext {
  readonly reqId: string;
  readonly correlationId: string;
  /** Read when a line is written: route parameters exist only once the route matched. */
  readonly params: () => unknown;
}

/**
 * The request a log call runs for, if any: set for the whole handling of each HTTP request when
 * request context is on ({@link installRequestLogging}), never entered otherwise, so its promise
 * hooks stay off.
 */
const requestContext = new AsyncLocalStorage<RequestLogContext>();

/** The fields that tie a line to its request: request id, correlation id and the ticket id if routed. */
function requestBindings(context: RequestLogContext): Record<string, unknown> {
  const params = context.params() as Record<string, unknown> | undefined;
  const ticketId = params?.['ticketId'];
  return typeof ticketId === 'string'
    ? { reqId: context.reqId, correlationId: context.correlationId, ticketId }
    : { reqId: context.reqId, correlationId: context.correlationId };
}

/**
 * The fields that tie a line to `request` (request id, correlation id, the ticket id of routes with
 * `:ticketId`), for a line logged about it with the request at hand: the request's own line, the
 * error line of a failed one.
 */
export function requestLogFields(request: HookRequest): Record<string, unknown> {
  return requestBindings({
    reqId: request.id,
    correlationId: correlationIdOf(request.raw),
    params: () => request.params,
  });
}

/**
 * The service's root logger: JSON lines with the service name, credentials redacted. Without a
 * destination it writes to stdout asynchronously (lines written while a write is pending are sent
 * together, and pending lines are flushed at exit), so a burst of requests costs few system calls.
 */
export function createRootLogger(
  service: string,
  level: Level | 'silent',
  destination: DestinationStream = pino.destination({ dest: 1, sync: false }),
): Pino {
  return pino(
    {
      level,
      // Service instead of pid/hostname: lines from several services are told apart in one stream.
      base: { service },
      redact: { paths: REDACTED_LOG_PATHS, censor: '[redacted]' },
    },
    destination,
  );
}

/** Minimal view of a Fastify request and reply, as the hooks below use them. */
export interface HookRequest {
  id: string;
  method: string;
  url: string;
  params: unknown;
  raw: { headers: Record<string, string | string[] | undefined> };
}
interface HookReply {
  statusCode: number;
  elapsedTime: number;
}
interface HookHost {
  addHook(
    name: 'onRequest',
    hook: (request: HookRequest, reply: HookReply, done: (error?: Error) => void) => void,
  ): unknown;
  addHook(
    name: 'onResponse',
    hook: (request: HookRequest, reply: HookReply, done: (error?: Error) => void) => void,
  ): unknown;
}

/** Options of {@link installRequestLogging}. */
export interface RequestLoggingOptions {
  /**
   * Put the request's ids on every line logged while it is handled, wherever in the service
   * (`LOG_REQUEST_CONTEXT`): the rest of the handling then runs inside an AsyncLocalStorage, whose
   * promise hooks, once entered, tax every promise of the process. Default false.
   */
  context?: boolean;
}

/**
 * One JSON line per request ("request completed": request id, method, URL, status, response time,
 * correlation id and the ticket id of routes with `:ticketId`), from Fastify hooks instead of a
 * logging middleware and a child logger per request: the same line at a fraction of the cost. With
 * `context`, the request's ids on every line logged while it is handled as well.
 */
export function installRequestLogging(
  fastify: HookHost,
  logger: Pino,
  options: RequestLoggingOptions = {},
): void {
  if (options.context) {
    fastify.addHook('onRequest', (request, _reply, done) => {
      const context: RequestLogContext = {
        reqId: request.id,
        correlationId: correlationIdOf(request.raw),
        params: () => request.params,
      };
      // The rest of the request's handling (hooks, guards, handler) runs inside this context.
      requestContext.run(context, done);
    });
  }
  fastify.addHook('onResponse', (request, reply, done) => {
    const status = reply.statusCode;
    const level: Level = status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
    if (logger.isLevelEnabled(level)) {
      // Onto the fields' fresh object, not `{ ...requestLogFields(request), req, … }`: properties a
      // literal adds after a leading spread take a slow path in Node 20 (V8 11.3), a new hidden
      // class every time, on every request.
      logger[level](
        Object.assign(requestLogFields(request), {
          req: { id: request.id, method: request.method, url: request.url },
          res: { statusCode: status },
          responseTime: Math.round(reply.elapsedTime * 1000) / 1000,
        }),
        'request completed',
      );
    }
    done();
  });
}

type NestLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/**
 * Nest's `LoggerService` over the root logger, so `new Logger('Context').warn(...)` anywhere in a
 * service writes JSON lines: the last extra argument is the context, an object message is merged into
 * the line, an Error becomes `err`; inside a request, with request context on, the line carries the
 * request's ids.
 */
export class PlatformLogger implements LoggerService {
  constructor(private readonly logger: Pino) {}

  verbose(message: unknown, ...optional: unknown[]): void {
    this.call('trace', message, optional);
  }
  debug(message: unknown, ...optional: unknown[]): void {
    this.call('debug', message, optional);
  }
  log(message: unknown, ...optional: unknown[]): void {
    this.call('info', message, optional);
  }
  warn(message: unknown, ...optional: unknown[]): void {
    this.call('warn', message, optional);
  }
  error(message: unknown, ...optional: unknown[]): void {
    this.call('error', message, optional);
  }
  fatal(message: unknown, ...optional: unknown[]): void {
    this.call('fatal', message, optional);
  }

  private call(level: NestLevel, message: unknown, optional: unknown[]): void {
    if (!this.logger.isLevelEnabled(level)) return;
    const request = requestContext.getStore();
    const line: Record<string, unknown> = request ? requestBindings(request) : {};
    // Nest passes the context (the Logger's name) last.
    let params = optional;
    if (optional.length > 0) {
      line['context'] = optional[optional.length - 1];
      params = optional.slice(0, -1);
    }
    if (message instanceof Error) {
      line['err'] = message;
      this.logger[level](line, ...(params as []));
    } else if (typeof message === 'object' && message !== null) {
      Object.assign(line, message);
      this.logger[level](line, ...(params as []));
    } else if (
      // Nest's exception handlers call error(message, stack, context).
      level === 'error' &&
      typeof message === 'string' &&
      params.length === 1 &&
      typeof params[0] === 'string' &&
      /\n\s*at /.test(params[0])
    ) {
      const err = new Error(message);
      err.stack = params[0];
      line['err'] = err;
      this.logger[level](line);
    } else {
      this.logger[level](line, String(message), ...(params as []));
    }
  }
}
