import { Type, type Static } from '@sinclair/typebox';
import {
  BriefRef,
  Evidence,
  Id,
  IsoDateTime,
  KeyId,
  StringEnum,
  Strict,
  Text,
  defineEventV1,
  ticketFact,
} from './shared.v1';

/** The kinds of normalised facts a brief extracts. */
export const FactKind = StringEnum([
  'order_number',
  'account_number',
  'ticket_number',
  'product',
  'amount',
  'date',
  'email',
  'phone',
  'other',
]);
export type FactKind = Static<typeof FactKind>;

export const KeyFact = Strict({
  kind: FactKind,
  value: Text(1000, 'As the customer wrote it.'),
  normalized: Type.Optional(Text(1000, 'E.g. ISO date, E.164 phone, amount as "12.50 EUR".')),
  evidence: Evidence,
});
export type KeyFact = Static<typeof KeyFact>;

export const ActionTaken = Strict({
  description: Text(2000),
  by: StringEnum(['bot', 'agent', 'customer', 'system']),
  actorId: Type.Optional(Id()),
  at: IsoDateTime(),
  outcome: StringEnum(['worked', 'failed', 'pending']),
  evidence: Evidence,
});
export type ActionTaken = Static<typeof ActionTaken>;

/** A version of a ticket's handoff brief is ready. */
export const BriefPreparedV1 = ticketFact({
  briefId: Id(),
  version: Type.Integer({ minimum: 1 }),
  coversPosition: Type.String({
    pattern: '^[0-9]{1,20}$',
    description:
      'Conversation position covered: the `sequence` of the last ticket message the brief read (decimal, compare numerically).',
  }),
  coversMessageId: Type.Optional(Id()),
  messagesSinceCovered: Type.Integer({ minimum: 0 }),
  trigger: StringEnum(['handoff_requested', 'on_demand', 'incremental']),
  handoffId: Type.Optional(KeyId('The handoff request that triggered it.')),
  language: Text(35, 'BCP 47 tag of the conversation, "und" when unknown.'),
  intent: Strict({
    label: Text(200),
    confidence: Type.Number({ minimum: 0, maximum: 1 }),
    statement: Text(1000, "One sentence in the customer's terms."),
    evidence: Evidence,
  }),
  keyFacts: Type.Array(KeyFact, { maxItems: 200 }),
  actionsTaken: Type.Array(ActionTaken, { maxItems: 200 }),
  objective: Strict({ statement: Text(1000), blocker: Type.Boolean(), evidence: Evidence }),
  openQuestions: Type.Array(Strict({ question: Text(1000), evidence: Evidence }), { maxItems: 50 }),
  sentiment: Strict({
    current: StringEnum(['positive', 'neutral', 'negative']),
    trend: StringEnum(['improving', 'stable', 'worsening']),
  }),
  effort: Strict({
    repeatContacts: Type.Integer({ minimum: 0 }),
    channelSwitches: Type.Integer({ minimum: 0 }),
    waitingSeconds: Type.Integer({ minimum: 0 }),
  }),
  suggestedNextStep: Type.Optional(Text(1000)),
  summary: Text(5000, 'One-paragraph rendering for agent desktops.'),
  engine: Strict({ name: Text(100), version: Text(50) }),
  redacted: Type.Boolean({ description: 'PII was redacted before an external provider saw the transcript.' }),
});
export type BriefPreparedV1 = Static<typeof BriefPreparedV1>;

/** After a handoff, the customer repeated something the brief already held. */
export const RepeatedInformationDetectedV1 = ticketFact({
  detectionId: Id(),
  handoffId: KeyId('The handoff the repeat follows.'),
  messageId: Id('The customer message that repeats.'),
  repeatKind: StringEnum(['verbatim', 'restated_value', 'paraphrase', 'explicit_cue']),
  repeatedFacts: Type.Array(Strict({ kind: FactKind, value: Text(1000), firstSeenIn: Evidence }), {
    maxItems: 100,
  }),
  similarity: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  brief: Type.Optional(BriefRef),
  evidence: Evidence,
});
export type RepeatedInformationDetectedV1 = Static<typeof RepeatedInformationDetectedV1>;

/** Public event types of the summarization context (topic `handoff.summarization.events.v1`). */
export const summarizationEventsV1 = [
  defineEventV1('summarization', 'BriefPrepared', BriefPreparedV1, 'A handoff brief version is ready.'),
  defineEventV1(
    'summarization',
    'RepeatedInformationDetected',
    RepeatedInformationDetectedV1,
    'A customer repeated known information after a handoff.',
  ),
] as const;
