import { correlationIdOf, type Principal } from '@handoff/platform';
import type { FastifyRequest } from 'fastify';
import type { CommandContext } from '../application/conversations.ports';
import type { ActorRef } from '../domain/customer.decider';
import { TicketNotFound, CustomerNotFound } from '../domain/conversations.errors';
import { KEY_ID } from './conversations.dto';

/** The actor a key acts as: its most accountable role, and the key's non-secret id. */
export function actorOf(principal: Principal): ActorRef {
  const roles = principal.roles;
  const kind = roles.includes('supervisor')
    ? 'supervisor'
    : roles.includes('agent')
      ? 'agent'
      : roles.includes('bot')
        ? 'bot'
        : 'integration';
  return { kind, id: principal.keyId };
}

export function commandContext(principal: Principal, request: FastifyRequest): CommandContext {
  return {
    tenantId: principal.tenantId,
    actor: actorOf(principal),
    correlationId: correlationIdOf(request.raw),
    causationId: request.id,
  };
}

/** A path id that cannot name a ticket is a 404 like any unknown one (never a 500 from a stream name). */
export function ticketIdParam(ticketId: string): string {
  if (!KEY_ID.test(ticketId)) throw new TicketNotFound(ticketId.slice(0, 130));
  return ticketId;
}

export function customerIdParam(customerId: string): string {
  if (!KEY_ID.test(customerId)) throw new CustomerNotFound(customerId.slice(0, 130));
  return customerId;
}
