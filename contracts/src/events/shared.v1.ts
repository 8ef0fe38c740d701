import {
  FormatRegistry,
  Type,
  type Static,
  type TLiteral,
  type TObject,
  type TProperties,
  type TUnion,
} from '@sinclair/typebox';

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/i;

/** True for an RFC 3339 date-time with an explicit offset, e.g. `2025-03-04T14:02:00.000Z`. */
export const isIsoDateTime = (value: string): boolean =>
  ISO_DATE_TIME.test(value) && !Number.isNaN(Date.parse(value));

// TypeBox refuses unknown formats; registering is idempotent so a consumer that registered its own
// `date-time` first keeps it.
if (!FormatRegistry.Has('date-time')) FormatRegistry.Set('date-time', isIsoDateTime);

/** Ids that become stream names and Kafka keys: no spaces, no slashes, at most 128 characters. */
const KEY_ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$';

/** An RFC 3339 date-time string. */
export const IsoDateTime = (description?: string) =>
  Type.String({ format: 'date-time', ...(description ? { description } : {}) });

/** A free-form identifier (1–200 characters). */
export const Id = (description?: string) =>
  Type.String({ minLength: 1, maxLength: 200, ...(description ? { description } : {}) });

/** An identifier safe as a stream name suffix and a Kafka key. */
export const KeyId = (description?: string) =>
  Type.String({ pattern: KEY_ID_PATTERN, ...(description ? { description } : {}) });

/** A short human text (reason, note, label). */
export const Text = (maxLength: number, description?: string) =>
  Type.String({ minLength: 1, maxLength, ...(description ? { description } : {}) });

/** A closed set of string values (JSON Schema `anyOf` of `const`s). */
export const StringEnum = <const T extends readonly string[]>(
  values: T,
  description?: string,
): TUnion<TLiteral<T[number]>[]> =>
  Type.Union(
    values.map((v: T[number]) => Type.Literal(v)),
    description ? { description } : {},
  );

/** A strict object: unknown properties are a schema violation. */
export const Strict = <P extends TProperties>(properties: P, description?: string) =>
  Type.Object(properties, { additionalProperties: false, ...(description ? { description } : {}) });

export const TenantId = KeyId('The tenant the fact belongs to.');
export const TicketId = KeyId('The ticket: Kafka key and CloudEvents subject of ticket facts.');
export const CustomerId = KeyId('A unified customer (all channel identities resolve to one).');
export const AgentId = KeyId('A named agent.');

/** Who did something. */
export const ActorKind = StringEnum(['customer', 'bot', 'agent', 'supervisor', 'system', 'integration']);
export type ActorKind = Static<typeof ActorKind>;
export const ActorRef = Strict({ kind: ActorKind, id: Id() }, 'Who caused the fact.');
export type ActorRef = Static<typeof ActorRef>;

/** The channels a conversation can happen on. */
export const ChannelKind = StringEnum([
  'web_chat',
  'email',
  'whatsapp',
  'instagram',
  'facebook_messenger',
  'sms',
  'voice',
  'bot',
  'api',
]);
export type ChannelKind = Static<typeof ChannelKind>;

/** Who wrote a message. */
export const SenderKind = StringEnum(['customer', 'bot', 'agent', 'system']);
export type SenderKind = Static<typeof SenderKind>;

/** How a customer is known on a channel. */
export const IdentityKind = StringEnum(['email', 'phone', 'social_handle', 'chat_visitor_id', 'crm_id']);
export type IdentityKind = Static<typeof IdentityKind>;
export const ChannelIdentity = Strict({
  kind: IdentityKind,
  value: Text(320, 'Normalised: lower-case email, E.164 phone, handle without @.'),
  channel: Type.Optional(ChannelKind),
  verified: Type.Boolean(),
});
export type ChannelIdentity = Static<typeof ChannelIdentity>;

export const AgentRef = Strict({ agentId: AgentId, displayName: Type.Optional(Text(200)) });
export type AgentRef = Static<typeof AgentRef>;

/** The accountable owner of a ticket: a named agent, or the bot identity while a bot handles it. */
export const OwnerRef = Strict({
  kind: StringEnum(['agent', 'bot']),
  id: KeyId(),
  teamId: Type.Optional(KeyId()),
  displayName: Type.Optional(Text(200)),
});
export type OwnerRef = Static<typeof OwnerRef>;

/** A version of a handoff brief. */
export const BriefRef = Strict({ briefId: Id(), version: Type.Integer({ minimum: 1 }) });
export type BriefRef = Static<typeof BriefRef>;

export const AttachmentMeta = Strict({
  fileName: Text(500),
  contentType: Text(200),
  sizeBytes: Type.Integer({ minimum: 0 }),
  url: Type.Optional(Text(2000)),
});
export type AttachmentMeta = Static<typeof AttachmentMeta>;

/** Message ids a derived item was taken from. */
export const Evidence = Type.Array(Id(), { maxItems: 200, description: 'Message ids this item comes from.' });

/** The field of `data` that is the CloudEvents subject and the Kafka key. */
export type SubjectField = 'ticketId' | 'customerId' | 'agentId' | 'channelThreadId';

/** Facts about one ticket: `tenantId` and `ticketId` first, then the event's own fields. */
export const ticketFact = <P extends TProperties>(properties: P, description?: string) =>
  Strict({ tenantId: TenantId, ticketId: TicketId, ...properties }, description);

/** One versioned public event type. */
export interface EventDefinition<C extends string, N extends string, S extends TObject> {
  /** CloudEvents `type`, e.g. `dev.handoff.ownership.OwnershipTransferred.v1`. */
  readonly type: `dev.handoff.${C}.${N}.v${number}`;
  readonly context: C;
  readonly name: N;
  readonly version: number;
  /** TypeBox schema of `data`: also plain JSON Schema. */
  readonly schema: S;
  /** Which `data` field is the CloudEvents subject and the Kafka key. */
  readonly subject: SubjectField;
  readonly description: string;
}

/** Declares a v1 public event type. */
export const defineEventV1 = <const C extends string, const N extends string, S extends TObject>(
  context: C,
  name: N,
  schema: S,
  description: string,
  subject: SubjectField = 'ticketId',
): EventDefinition<C, N, S> & { readonly type: `dev.handoff.${C}.${N}.v1`; readonly version: 1 } => ({
  type: `dev.handoff.${context}.${name}.v1` as const,
  context,
  name,
  version: 1,
  schema,
  subject,
  description,
});
