import { type Static, type TObject } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { conversationsEventsV1 } from './events/conversations.v1';
import { escalationEventsV1 } from './events/escalation.v1';
import { inboundMessagesV1 } from './events/inbound-messages.v1';
import { ownershipEventsV1 } from './events/ownership.v1';
import type { SubjectField } from './events/shared.v1';
import { summarizationEventsV1 } from './events/summarization.v1';
import { type EventContext, topicOfContext } from './topics';

const DEFINITIONS = [
  ...conversationsEventsV1,
  ...summarizationEventsV1,
  ...escalationEventsV1,
  ...ownershipEventsV1,
  ...inboundMessagesV1,
] as const;

type Definition = (typeof DEFINITIONS)[number];

/** Every registered CloudEvents type, e.g. `dev.handoff.ownership.OwnershipTransferred.v1`. */
export type PublicEventType = Definition['type'];

/** The `data` of one CloudEvents type. */
export type PublicEventDataOf<T extends PublicEventType> = Static<Extract<Definition, { type: T }>['schema']>;

/** The `data` of any registered type. */
export type PublicEventData = { [T in PublicEventType]: PublicEventDataOf<T> }[PublicEventType];

/** What the registry knows about one CloudEvents type. */
export interface PublicEventTypeInfo<S extends TObject = TObject> {
  readonly type: string;
  readonly context: EventContext;
  readonly name: string;
  readonly version: number;
  /** TypeBox schema of `data`; it is JSON Schema (serialise with JSON.stringify). */
  readonly schema: S;
  /** The `data` field that is `ce_subject` and the Kafka key. */
  readonly subject: SubjectField;
  readonly topic: string;
  readonly description: string;
}

/** The registry: CloudEvents type → context, name, version, schema, subject field and topic. */
export const publicEventTypes: {
  readonly [T in PublicEventType]: PublicEventTypeInfo<Extract<Definition, { type: T }>['schema']> & {
    readonly type: T;
  };
} = Object.freeze(
  Object.fromEntries(
    DEFINITIONS.map((d) => [d.type, Object.freeze({ ...d, topic: topicOfContext(d.context) })]),
  ),
) as never;

/** True when `type` is a registered CloudEvents type (any context, any version). */
export const isPublicEventType = (type: string): type is PublicEventType =>
  Object.hasOwn(publicEventTypes, type);

/** All registered types, in catalogue order. */
export const listPublicEventTypes = (): PublicEventTypeInfo[] => Object.values(publicEventTypes);

/** The outcome of {@link validatePublicEvent}. */
export type PublicEventValidation<D> = { ok: true; data: D } | { ok: false; errors: string[] };

const MAX_REPORTED_ERRORS = 20;
const TYPE_GRAMMAR = /^dev\.handoff\.([a-z-]+)\.([A-Za-z]+)\.v(\d+)$/;
const validators = new Map<string, TypeCheck<TObject>>();

const validatorOf = (info: PublicEventTypeInfo): TypeCheck<TObject> => {
  let check = validators.get(info.type);
  if (!check) {
    check = TypeCompiler.Compile(info.schema);
    validators.set(info.type, check);
  }
  return check;
};

/** Explains why `type` is not registered: wrong grammar, unknown version, or unknown name. */
export const describeUnknownType = (type: string): string => {
  const match = TYPE_GRAMMAR.exec(type);
  if (!match) return `unknown event type "${type}": expected dev.handoff.<context>.<Name>.v<version>`;
  const [, context, name] = match;
  const versions = listPublicEventTypes()
    .filter((i) => i.context === context && i.name === name)
    .map((i) => `v${i.version}`);
  return versions.length > 0
    ? `unknown version of ${context}.${name} in "${type}": known ${versions.join(', ')}`
    : `unknown event type "${type}"`;
};

/**
 * Validates `data` against the schema of `ceType` (compiled once, then cached).
 * An unknown type or version is `ok: false` with an error saying so, never an exception.
 */
export function validatePublicEvent<T extends PublicEventType>(
  ceType: T,
  data: unknown,
): PublicEventValidation<PublicEventDataOf<T>>;
export function validatePublicEvent(ceType: string, data: unknown): PublicEventValidation<PublicEventData>;
export function validatePublicEvent(ceType: string, data: unknown): PublicEventValidation<PublicEventData> {
  if (!isPublicEventType(ceType)) return { ok: false, errors: [describeUnknownType(ceType)] };
  const check = validatorOf(publicEventTypes[ceType]);
  if (check.Check(data)) return { ok: true, data: data as PublicEventData };
  const errors: string[] = [];
  for (const error of check.Errors(data)) {
    const line = `${error.path || '/'}: ${error.message}`;
    if (!errors.includes(line)) errors.push(line);
    if (errors.length >= MAX_REPORTED_ERRORS) break;
  }
  return { ok: false, errors };
}
