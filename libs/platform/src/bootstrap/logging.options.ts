import type { IncomingMessage, ServerResponse } from 'node:http';
import { RequestMethod } from '@nestjs/common';
import type { Params } from 'nestjs-pino';
import type { DestinationStream, Level } from 'pino';
import { correlationIdOf } from './request-context';

/** Paths pino removes from every log line: credentials must never reach a log. */
export const REDACTED_LOG_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
];

/**
 * nestjs-pino settings: one JSON line per request with request id, correlation id (and the ticket id
 * once a route with `:ticketId` matched, see TicketIdLogInterceptor), credentials redacted.
 */
export function loggingOptions(
  service: string,
  level: Level | 'silent',
  destination?: DestinationStream,
): Params {
  return {
    // `assign()` of the ticket id must also reach the "request completed" line.
    assignResponse: true,
    forRoutes: [{ path: '{*path}', method: RequestMethod.ALL }],
    pinoHttp: [
      {
        level,
        // Service instead of pid/hostname: lines from several services are told apart in one stream.
        base: { service },
        // Fastify assigns the request id (a UUID, see createServiceApp) before this logger runs;
        // pino-http takes it over, so the log and the x-request-id header agree.
        customProps: (req: IncomingMessage) => ({ correlationId: correlationIdOf(req) }),
        customLogLevel: (_req: IncomingMessage, res: ServerResponse, error?: Error) =>
          error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
        redact: { paths: REDACTED_LOG_PATHS, censor: '[redacted]' },
      },
      ...(destination ? [destination] : []),
    ] as Params['pinoHttp'],
  };
}
