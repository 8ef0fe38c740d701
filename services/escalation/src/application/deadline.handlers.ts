import { deriveEventId } from '@handoff/messaging';
import type { DeadlineHandler, DeadlineRecord } from './deadline.poller';
import type { HandoffCommands } from './handoff.commands';
import type { CommandContext } from './ports';

const contextOf = (deadline: DeadlineRecord): CommandContext => {
  const correlationId =
    typeof deadline.payload['correlationId'] === 'string' ? deadline.payload['correlationId'] : deadline.ref;
  const causationId =
    typeof deadline.payload['causationId'] === 'string' ? deadline.payload['causationId'] : undefined;
  return {
    tenantId: deadline.tenantId,
    correlationId,
    ...(causationId === undefined ? {} : { causationId }),
    actor: { kind: 'system', id: 'escalation' },
  };
};

/** What each kind of deadline does: the process manager's reactions to time and to upstream facts. */
export function deadlineHandler(handoffs: HandoffCommands): DeadlineHandler {
  return async (deadline) => {
    const ctx = contextOf(deadline);
    switch (deadline.kind) {
      case 'acceptance':
        if (deadline.handoffId !== null) await handoffs.expire(deadline.handoffId, deadline.ref, ctx);
        return;
      case 'progress':
      case 'brief_timeout':
      case 'routing_retry':
        if (deadline.handoffId !== null) await handoffs.progress(deadline.handoffId, ctx);
        return;
      case 'channel_switch': {
        const p = deadline.payload as {
          eventId: string;
          ticketId: string;
          fromChannel: string;
          toChannel: string;
          messageId: string;
        };
        // One handoff per ChannelSwitched event: its id is derived from the event id, so a replay
        // lands on the same stream and changes nothing.
        await handoffs.recordChannelSwitch(
          {
            handoffId: deriveEventId(p.eventId, 0),
            ticketId: p.ticketId,
            fromChannel: p.fromChannel,
            toChannel: p.toChannel,
            messageId: p.messageId,
          },
          { ...ctx, causationId: p.eventId },
        );
        return;
      }
      default:
        throw new Error(`unknown deadline kind ${deadline.kind}`);
    }
  };
}
