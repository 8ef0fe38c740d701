import type { Principal } from '@handoff/platform';
import { correlationIdOf } from '@handoff/platform';
import type { FastifyRequest } from 'fastify';
import type { Caller } from '../application/ownership.commands.service';

/** The actor recorded for a REST command: the strongest role of the key, identified by its key id. */
export function callerOf(principal: Principal, request: FastifyRequest): Caller {
  const kind = principal.roles.includes('supervisor')
    ? 'supervisor'
    : principal.roles.includes('agent')
      ? 'agent'
      : principal.roles.includes('bot')
        ? 'bot'
        : 'integration';
  return {
    tenantId: principal.tenantId,
    actor: { kind, id: principal.keyId },
    correlationId: correlationIdOf(request.raw),
  };
}
