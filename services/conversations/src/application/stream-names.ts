import { hash } from 'node:crypto';
import type { Identity } from '../domain/identity';

export const CUSTOMER_CATEGORY = 'customer';
export const TICKET_CATEGORY = 'ticket';
/** Uniqueness guards: one stream per channel identity, one per channel message (never relayed). */
export const IDENTITY_CATEGORY = 'identity';
export const INBOUND_CATEGORY = 'inbound';

export const customerStream = (customerId: string) => `${CUSTOMER_CATEGORY}-${customerId}`;
export const ticketStream = (ticketId: string) => `${TICKET_CATEGORY}-${ticketId}`;

// Hashing keeps arbitrary values (email addresses, channel ids with any character) out of stream
// names and keys the tenant in, so two tenants' identical identifiers never share a stream.
const digest = (...parts: string[]) => hash('sha256', parts.join('\u0000'), 'hex').slice(0, 40);

export const identityStream = (tenantId: string, identity: Pick<Identity, 'kind' | 'value'>) =>
  `${IDENTITY_CATEGORY}-${digest(tenantId, identity.kind, identity.value)}`;

export const inboundStream = (tenantId: string, channel: string, channelMessageId: string) =>
  `${INBOUND_CATEGORY}-${digest(tenantId, channel, channelMessageId)}`;
