// Internal brief-stream events → public summarization v1 contract events. Whitelisting: every
// public field is set here explicitly, so an internal field never leaks.

import {
  sourceOf,
  type BriefPreparedV1,
  type PublicEventEnvelope,
  type RepeatedInformationDetectedV1,
} from '@handoff/contracts';
import type { RecordedEvent } from '@handoff/event-store';
import type { BriefVersionRecordedData, RepeatDetectedData } from '../domain/brief-stream.decider';

export const BRIEF_PREPARED = 'dev.handoff.summarization.BriefPrepared.v1';
export const REPEATED_INFORMATION_DETECTED = 'dev.handoff.summarization.RepeatedInformationDetected.v1';

/** The public BriefPrepared data of a recorded brief version. */
export function briefPreparedData(
  tenantId: string,
  ticketId: string,
  data: BriefVersionRecordedData,
  messagesSinceCovered = data.messagesSinceCovered,
): BriefPreparedV1 {
  const c = data.content;
  const out: BriefPreparedV1 = {
    tenantId,
    ticketId,
    briefId: data.briefId,
    version: data.version,
    coversPosition: String(c.coversPosition),
    messagesSinceCovered,
    trigger: data.trigger,
    language: c.language.slice(0, 35) || 'und',
    intent: {
      label: c.intent.label,
      confidence: c.intent.confidence,
      statement: c.intent.statement,
      evidence: [...c.intent.evidence],
    },
    keyFacts: c.keyFacts.map((f) => ({
      kind: f.kind,
      value: f.value,
      ...(f.normalized !== undefined && f.normalized.length > 0
        ? { normalized: f.normalized.slice(0, 1000) }
        : {}),
      evidence: [...f.evidence],
    })),
    actionsTaken: c.actionsTaken.map((a) => ({
      description: a.description,
      by: a.by,
      ...(a.actorId !== undefined ? { actorId: a.actorId } : {}),
      at: a.at,
      outcome: a.outcome,
      evidence: [...a.evidence],
    })),
    objective: {
      statement: c.objective.statement,
      blocker: c.objective.blocker,
      evidence: [...c.objective.evidence],
    },
    openQuestions: c.openQuestions.map((q) => ({ question: q.question, evidence: [...q.evidence] })),
    sentiment: { ...c.sentiment },
    effort: { ...c.effort },
    summary: c.summary,
    engine: { name: data.engine.name, version: data.engine.version },
    redacted: data.redacted,
  };
  if (c.coversMessageId !== undefined) out.coversMessageId = c.coversMessageId;
  if (data.handoffId !== undefined) out.handoffId = data.handoffId;
  if (c.suggestedNextStep !== undefined) out.suggestedNextStep = c.suggestedNextStep;
  return out;
}

export function repeatedInformationData(
  tenantId: string,
  ticketId: string,
  data: RepeatDetectedData,
): RepeatedInformationDetectedV1 {
  const out: RepeatedInformationDetectedV1 = {
    tenantId,
    ticketId,
    detectionId: data.detectionId,
    handoffId: data.handoffId,
    messageId: data.messageId,
    repeatKind: data.repeatKind,
    repeatedFacts: data.repeatedFacts
      .slice(0, 100)
      .map((f) => ({ kind: f.kind, value: f.value, firstSeenIn: [...f.firstSeenIn] })),
    evidence: [...data.evidence],
  };
  if (data.similarity !== undefined) out.similarity = data.similarity;
  if (data.brief !== undefined) out.brief = { ...data.brief };
  return out;
}

/** The relay's mapper: one public event per internal event. */
export function toPublicEvents(event: RecordedEvent): PublicEventEnvelope[] {
  const { tenantId, ticketId, correlationId, causationId, occurredAt } = event.metadata;
  if (ticketId === undefined) return [];
  const common = {
    id: event.eventId,
    source: sourceOf('summarization'),
    subject: ticketId,
    time: occurredAt,
    tenantId,
    correlationId,
    ...(causationId !== undefined ? { causationId } : {}),
  };
  switch (event.type) {
    case 'BriefVersionRecorded':
      return [
        {
          ...common,
          type: BRIEF_PREPARED,
          data: briefPreparedData(tenantId, ticketId, event.data as BriefVersionRecordedData),
        },
      ];
    case 'RepeatDetected':
      return [
        {
          ...common,
          type: REPEATED_INFORMATION_DETECTED,
          data: repeatedInformationData(tenantId, ticketId, event.data as RepeatDetectedData),
        },
      ];
    default:
      return [];
  }
}
