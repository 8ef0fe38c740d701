import {
  Inject,
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import type { FastifyRequest } from 'fastify';
import type { Observable } from 'rxjs';

/**
 * Adds `ticketId` to the request's log lines when the matched route has a `:ticketId` parameter: the
 * ticket id is the key that joins logs across services (ARCHITECTURE.md §3). Route parameters only
 * exist after routing, hence an interceptor rather than a logger option.
 */
@Injectable()
export class TicketIdLogInterceptor implements NestInterceptor {
  constructor(@Inject(PinoLogger) private readonly logger: PinoLogger) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() === 'http') {
      const params = context.switchToHttp().getRequest<FastifyRequest>().params as
        Record<string, unknown> | undefined;
      const ticketId = params?.['ticketId'];
      if (typeof ticketId === 'string') {
        try {
          this.logger.assign({ ticketId });
        } catch {
          // No request log context (route excluded from logging): nothing to enrich.
        }
      }
    }
    return next.handle();
  }
}
