// Internal → public v1 events of the escalation context. A whitelisting mapper: every public field is
// named here, so internal fields (routing requirements, instants of the workflow) never leak.
import { sourceOf, type PublicEventEnvelope } from '@handoff/contracts';
import type { RecordedEvent } from '@handoff/event-store';
import type { AgentEvent } from '../domain/agent.decider';
import type { HandoffEvent } from '../domain/handoff.events';

const SOURCE = sourceOf('escalation');

const opt = <K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } =>
  (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };

export function mapEscalationEvent(recorded: RecordedEvent): PublicEventEnvelope[] {
  const meta = recorded.metadata;
  const envelope = <T extends PublicEventEnvelope['type']>(type: T, subject: string, data: unknown) =>
    ({
      id: recorded.eventId,
      source: SOURCE,
      type,
      subject,
      time: meta.occurredAt,
      tenantId: meta.tenantId,
      data,
      correlationId: meta.correlationId,
      ...opt('causationId', meta.causationId),
    }) as PublicEventEnvelope;

  if (recorded.streamName.startsWith('agent-')) {
    const event = { type: recorded.type, data: recorded.data } as AgentEvent;
    if (event.type !== 'AgentPresenceChanged') return [];
    const d = event.data;
    return [
      envelope('dev.handoff.escalation.AgentPresenceChanged.v1', d.agentId, {
        tenantId: d.tenantId,
        agentId: d.agentId,
        presence: d.presence,
        ...opt('previousPresence', d.previousPresence),
        changedBy: d.changedBy,
      }),
    ];
  }
  if (!recorded.streamName.startsWith('handoff-')) return [];
  const ticketId = meta.ticketId;
  if (ticketId === undefined) return [];
  const event = { type: recorded.type, data: recorded.data } as HandoffEvent;
  const base = { tenantId: meta.tenantId, ticketId, handoffId: event.data.handoffId };
  switch (event.type) {
    case 'HandoffRequested': {
      const d = event.data;
      return [
        envelope('dev.handoff.escalation.HandoffRequested.v1', ticketId, {
          ...base,
          handoffType: d.handoffType,
          from: d.from,
          to: d.to,
          reasonCode: d.reasonCode,
          ...opt('note', d.note),
          priority: d.priority,
          requestedBy: d.requestedBy,
          conversationPosition: d.conversationPosition,
          ...opt('channel', d.channel),
          ...opt(
            'diagnostics',
            d.diagnostics === undefined
              ? undefined
              : {
                  logs: d.diagnostics.logs,
                  stepsTried: d.diagnostics.stepsTried,
                  environment: d.diagnostics.environment,
                  attachments: d.diagnostics.attachments.map((a) => ({
                    fileName: a.fileName,
                    contentType: a.contentType,
                    sizeBytes: a.sizeBytes,
                    ...opt('url', a.url),
                  })),
                },
          ),
        }),
      ];
    }
    case 'BriefAttached':
      return [
        envelope('dev.handoff.escalation.BriefAttached.v1', ticketId, {
          ...base,
          brief: event.data.brief,
          coversPosition: event.data.coversPosition,
        }),
      ];
    case 'HandoffOffered': {
      const d = event.data;
      return [
        envelope('dev.handoff.escalation.HandoffOffered.v1', ticketId, {
          ...base,
          offerId: d.offerId,
          agent: d.agent,
          ...opt('teamId', d.teamId),
          ...opt('brief', d.brief),
          withoutBrief: d.withoutBrief,
          expiresAt: d.expiresAt,
          attempt: d.attempt,
          routing: {
            reasons: d.routing.reasons.slice(0, 50),
            candidatesConsidered: d.routing.candidatesConsidered,
            previousAgentPreferred: d.routing.previousAgentPreferred,
          },
        }),
      ];
    }
    case 'HandoffAccepted': {
      const d = event.data;
      return [
        envelope('dev.handoff.escalation.HandoffAccepted.v1', ticketId, {
          ...base,
          offerId: d.offerId,
          handoffType: d.handoffType,
          from: d.from,
          agent: d.agent,
          ...opt('teamId', d.teamId),
          ...opt('brief', d.brief),
          reasonCode: d.reasonCode,
        }),
      ];
    }
    case 'HandoffDeclined':
      return [
        envelope('dev.handoff.escalation.HandoffDeclined.v1', ticketId, {
          ...base,
          offerId: event.data.offerId,
          agent: event.data.agent,
          reasonCode: event.data.reasonCode,
          ...opt('note', event.data.note),
        }),
      ];
    case 'OfferExpired':
      return [
        envelope('dev.handoff.escalation.OfferExpired.v1', ticketId, {
          ...base,
          offerId: event.data.offerId,
          agent: event.data.agent,
          deadline: event.data.deadline,
          expiries: event.data.expiries,
        }),
      ];
    case 'NoEligibleAgentFound':
      return [
        envelope('dev.handoff.escalation.NoEligibleAgent.v1', ticketId, {
          ...base,
          to: event.data.to,
          reasons: event.data.reasons.slice(0, 50),
        }),
      ];
    case 'HandoffEscalatedToSupervisor':
      return [
        envelope('dev.handoff.escalation.HandoffEscalatedToSupervisor.v1', ticketId, {
          ...base,
          reason: event.data.reason,
          expiries: event.data.expiries,
        }),
      ];
    case 'HandoffCancelled':
      return [
        envelope('dev.handoff.escalation.HandoffCancelled.v1', ticketId, {
          ...base,
          cancelledBy: event.data.cancelledBy,
          reason: event.data.reason,
        }),
      ];
    case 'HandedBackToBot':
      return [
        envelope('dev.handoff.escalation.HandedBackToBot.v1', ticketId, {
          ...base,
          botId: event.data.botId,
          handedBackBy: event.data.handedBackBy,
          ...opt('reason', event.data.reason),
        }),
      ];
    case 'ChannelSwitchRecorded':
      // The public HandoffRequested (type channel_switch, `to` = the staying owner) already tells
      // the switch; v1 has no event for "recorded without acceptance" (see the service README).
      return [];
  }
}
