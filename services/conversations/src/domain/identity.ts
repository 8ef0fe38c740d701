import { InvalidIdentity } from './conversations.errors';

export type IdentityKind = 'email' | 'phone' | 'social_handle' | 'chat_visitor_id' | 'crm_id';
export const IDENTITY_KINDS: readonly IdentityKind[] = [
  'email',
  'phone',
  'social_handle',
  'chat_visitor_id',
  'crm_id',
];

export type ChannelKind =
  'web_chat' | 'email' | 'whatsapp' | 'instagram' | 'facebook_messenger' | 'sms' | 'voice' | 'bot' | 'api';
export const CHANNEL_KINDS: readonly ChannelKind[] = [
  'web_chat',
  'email',
  'whatsapp',
  'instagram',
  'facebook_messenger',
  'sms',
  'voice',
  'bot',
  'api',
];

/** How a customer is known on a channel, normalised (see {@link normaliseIdentity}). */
export interface Identity {
  kind: IdentityKind;
  value: string;
  channel?: ChannelKind;
  verified: boolean;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const E164 = /^\+[1-9][0-9]{6,14}$/;
const HANDLE = /^[a-z0-9._-]{1,100}$/;
const OPAQUE_ID = /^\S{1,200}$/;

/**
 * Normalises an identity so that one person's address compares equal across channels (lower-case
 * email, E.164 phone without separators, handle without "@"), and rejects malformed values: a
 * malformed identifier would otherwise create a customer nobody can ever match again.
 * @throws InvalidIdentity naming `field`.value
 */
export function normaliseIdentity(identity: Identity, field: string): Identity {
  const raw = identity.value.trim();
  const value = normaliseValue(identity.kind, raw, `${field}.value`);
  return {
    kind: identity.kind,
    value,
    ...(identity.channel === undefined ? {} : { channel: identity.channel }),
    verified: identity.verified,
  };
}

function normaliseValue(kind: IdentityKind, raw: string, field: string): string {
  switch (kind) {
    case 'email': {
      const value = raw.toLowerCase();
      if (value.length > 320 || !EMAIL.test(value))
        throw new InvalidIdentity(field, `"email" identity is not a valid email address`);
      return value;
    }
    case 'phone': {
      const value = raw.replace(/[\s().-]/g, '');
      if (!E164.test(value))
        throw new InvalidIdentity(
          field,
          '"phone" identity is not an E.164 number (a "+", the country code, 7 to 15 digits)',
        );
      return value;
    }
    case 'social_handle': {
      const value = raw.replace(/^@/, '').toLowerCase();
      if (!HANDLE.test(value))
        throw new InvalidIdentity(
          field,
          '"social_handle" identity must be 1-100 letters, digits, ".", "_" or "-"',
        );
      return value;
    }
    case 'chat_visitor_id':
    case 'crm_id':
      if (!OPAQUE_ID.test(raw))
        throw new InvalidIdentity(field, `"${kind}" identity must be 1-200 characters without spaces`);
      return raw;
    default: {
      const unknown: never = kind;
      throw new InvalidIdentity(field, `unknown identity kind ${String(unknown)}`);
    }
  }
}

/** The key an identity is unique by within a tenant: kind and normalised value (not the channel). */
export const identityKey = (identity: Pick<Identity, 'kind' | 'value'>): string =>
  `${identity.kind}:${identity.value}`;

export const sameIdentity = (a: Pick<Identity, 'kind' | 'value'>, b: Pick<Identity, 'kind' | 'value'>) =>
  a.kind === b.kind && a.value === b.value;

/**
 * The kinds on which two identity sets hold different verified values: the signal that they are two
 * different people, which no automatic rule may override.
 */
export function verifiedConflicts(a: readonly Identity[], b: readonly Identity[]): IdentityKind[] {
  const kinds = new Set<IdentityKind>();
  for (const x of a) {
    if (!x.verified) continue;
    for (const y of b) {
      if (y.verified && y.kind === x.kind && y.value !== x.value) kinds.add(x.kind);
    }
  }
  return IDENTITY_KINDS.filter((kind) => kinds.has(kind));
}
