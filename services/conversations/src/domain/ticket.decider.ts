import {
  AlreadyMerged,
  MergeIntoItself,
  TicketClosedAlready,
  TicketNotClosed,
  TicketNotFound,
  TicketNotOpened,
} from './conversations.errors';
import type { ActorRef } from './customer.decider';
import type { ChannelKind } from './identity';

export type SenderKind = 'customer' | 'bot' | 'agent' | 'system';
export type CloseResolution = 'resolved' | 'unresolved' | 'duplicate' | 'spam' | 'merged';

export interface Attachment {
  fileName: string;
  contentType: string;
  sizeBytes: number;
  url?: string;
}

/** A message as it joins a ticket. */
export interface TicketMessage {
  messageId: string;
  customerId: string;
  channel: ChannelKind;
  channelMessageId: string;
  channelThreadId?: string;
  sender: { kind: SenderKind; id: string; displayName?: string };
  text: string;
  attachments: Attachment[];
  sentAt: string;
}

export interface OwnerRef {
  kind: 'agent' | 'bot';
  id: string;
  teamId?: string;
  displayName?: string;
}

/** Events of a `ticket-<id>` stream. */
export type TicketEvent =
  | {
      type: 'TicketOpened';
      data: {
        ticketId: string;
        tenantId: string;
        customerId: string;
        channel: ChannelKind;
        openedBy: ActorRef;
        firstMessageId?: string;
        subject?: string;
      };
    }
  | { type: 'MessageReceived'; data: TicketMessage & { ticketId: string; sequence: number } }
  | {
      type: 'ChannelSwitched';
      data: {
        ticketId: string;
        customerId: string;
        fromChannel: ChannelKind;
        toChannel: ChannelKind;
        messageId: string;
        channelThreadId?: string;
      };
    }
  | {
      type: 'TicketFlaggedForReview';
      data: {
        ticketId: string;
        customerId: string;
        reason: 'several_open_tickets' | 'ambiguous_identity';
        messageId?: string;
        otherTicketIds: string[];
      };
    }
  | {
      type: 'TicketClosed';
      data: { ticketId: string; closedBy: ActorRef; resolution: CloseResolution; note?: string };
    }
  | {
      type: 'TicketReopened';
      data: { ticketId: string; reopenedBy: ActorRef; messageId?: string; reason?: string };
    }
  | {
      type: 'TicketMerged';
      data: { ticketId: string; mergedTicketId: string; mergedBy: ActorRef; reason?: string };
    }
  | {
      type: 'TicketMergedInto';
      data: { ticketId: string; survivorTicketId: string; mergedBy: ActorRef; reason?: string };
    }
  | {
      type: 'CsatRecorded';
      data: {
        ticketId: string;
        responseId: string;
        customerId: string;
        score: number;
        comment?: string;
        channel: ChannelKind;
        respondedAt: string;
        owner?: OwnerRef;
        precedingHandoffIds: string[];
      };
    };

/**
 * The sequence of each message of a ticket by message id, as of one state of the ticket. The states
 * of a ticket share one map: a message whose state follows the newest one adds its entry in place,
 * and a state sees only the entries up to its own last sequence; following an older state again
 * copies that state's entries first. So a message costs the same on a ticket's ten-thousandth
 * message as on its first (a copy per message made ingesting a long ticket quadratic).
 */
export class MessageSequences {
  private constructor(
    private readonly shared: { entries: Map<string, number>; tip: number },
    /** The highest sequence of this state (0 for none). */
    private readonly last: number,
  ) {}

  static empty(): MessageSequences {
    return new MessageSequences({ entries: new Map(), tip: 0 }, 0);
  }

  /** The message's sequence, if it is part of this state. */
  of(messageId: string): number | undefined {
    const sequence = this.shared.entries.get(messageId);
    return sequence !== undefined && sequence <= this.last ? sequence : undefined;
  }

  /** This state's entries and one more. */
  with(messageId: string, sequence: number): MessageSequences {
    if (this.of(messageId) !== undefined) return this;
    // In place only on top of the newest state, and only for a sequence past it: then no state
    // that exists sees the new entry.
    if (this.shared.tip === this.last && sequence > this.last && !this.shared.entries.has(messageId)) {
      this.shared.entries.set(messageId, sequence);
      this.shared.tip = sequence;
      return new MessageSequences(this.shared, sequence);
    }
    const entries = new Map<string, number>();
    for (const [id, seen] of this.shared.entries) if (seen <= this.last) entries.set(id, seen);
    entries.set(messageId, sequence);
    const last = Math.max(this.last, sequence);
    return new MessageSequences({ entries, tip: last }, last);
  }

  /** Message ids in sequence order (for tests and debugging). */
  toJSON(): Record<string, number> {
    const entries = [...this.shared.entries].filter(([, sequence]) => sequence <= this.last);
    return Object.fromEntries(entries.sort((a, b) => a[1] - b[1]));
  }
}

export type TicketState =
  | { status: 'none' }
  | {
      status: 'open' | 'closed';
      ticketId: string;
      tenantId: string;
      customerId: string;
      /** The channel the customer last wrote on: a customer message elsewhere is a channel switch. */
      customerChannel: ChannelKind;
      lastChannel: ChannelKind;
      /** Sequence of every message by id: re-applying a message is a no-op. */
      sequences: MessageSequences;
      messageCount: number;
      mergedInto?: string;
      merged: string[];
      csatResponses: string[];
    };

export type Open = Exclude<TicketState, { status: 'none' }>;

export type TicketCommand =
  | {
      type: 'ReceiveMessage';
      ticketId: string;
      tenantId: string;
      message: TicketMessage;
      /** Present when the message starts the ticket. */
      open?: { openedBy: ActorRef; subject?: string };
      /** An explicit reference to a closed ticket reopens it. */
      reopenIfClosed: boolean;
      flag?: { reason: 'several_open_tickets' | 'ambiguous_identity'; otherTicketIds: string[] };
    }
  | { type: 'CloseTicket'; closedBy: ActorRef; resolution: CloseResolution; note?: string }
  | { type: 'ReopenTicket'; reopenedBy: ActorRef; reason?: string }
  | {
      type: 'RecordCsat';
      responseId: string;
      score: number;
      comment?: string;
      channel?: ChannelKind;
      respondedAt: string;
      owner?: OwnerRef;
      precedingHandoffIds: string[];
    };

export const initialTicketState = (): TicketState => ({ status: 'none' });

export function evolveTicket(state: TicketState, event: TicketEvent): TicketState {
  if (event.type === 'TicketOpened') {
    return {
      status: 'open',
      ticketId: event.data.ticketId,
      tenantId: event.data.tenantId,
      customerId: event.data.customerId,
      customerChannel: event.data.channel,
      lastChannel: event.data.channel,
      sequences: MessageSequences.empty(),
      messageCount: 0,
      merged: [],
      csatResponses: [],
    };
  }
  if (state.status === 'none') return state;
  switch (event.type) {
    case 'MessageReceived':
      return {
        ...state,
        sequences: state.sequences.with(event.data.messageId, event.data.sequence),
        messageCount: Math.max(state.messageCount, event.data.sequence),
        lastChannel: event.data.channel,
        customerChannel: event.data.sender.kind === 'customer' ? event.data.channel : state.customerChannel,
        customerId: event.data.customerId,
      };
    case 'TicketClosed':
      return { ...state, status: 'closed' };
    case 'TicketReopened':
      return { ...state, status: 'open' };
    case 'TicketMerged':
      return { ...state, merged: [...state.merged, event.data.mergedTicketId] };
    case 'TicketMergedInto':
      return { ...state, mergedInto: event.data.survivorTicketId };
    case 'CsatRecorded':
      return { ...state, csatResponses: [...state.csatResponses, event.data.responseId] };
    case 'ChannelSwitched':
    case 'TicketFlaggedForReview':
      return state;
    default:
      return state;
  }
}

export function decideTicket(command: TicketCommand, state: TicketState): TicketEvent[] {
  switch (command.type) {
    case 'ReceiveMessage':
      return receive(command, state);
    case 'CloseTicket': {
      const open = existing(state);
      if (open.status === 'closed') throw new TicketClosedAlready(open.ticketId);
      return [
        {
          type: 'TicketClosed',
          data: {
            ticketId: open.ticketId,
            closedBy: command.closedBy,
            resolution: command.resolution,
            ...(command.note === undefined ? {} : { note: command.note }),
          },
        },
      ];
    }
    case 'ReopenTicket': {
      const ticket = existing(state);
      if (ticket.mergedInto) throw new AlreadyMerged('ticket', ticket.ticketId, ticket.mergedInto);
      if (ticket.status !== 'closed') throw new TicketNotClosed(ticket.ticketId);
      return [
        {
          type: 'TicketReopened',
          data: {
            ticketId: ticket.ticketId,
            reopenedBy: command.reopenedBy,
            ...(command.reason === undefined ? {} : { reason: command.reason }),
          },
        },
      ];
    }
    case 'RecordCsat': {
      const ticket = existing(state);
      if (ticket.csatResponses.includes(command.responseId)) return [];
      return [
        {
          type: 'CsatRecorded',
          data: {
            ticketId: ticket.ticketId,
            responseId: command.responseId,
            customerId: ticket.customerId,
            score: command.score,
            ...(command.comment === undefined ? {} : { comment: command.comment }),
            channel: command.channel ?? ticket.customerChannel,
            respondedAt: command.respondedAt,
            ...(command.owner === undefined ? {} : { owner: command.owner }),
            precedingHandoffIds: command.precedingHandoffIds,
          },
        },
      ];
    }
    default: {
      const unknown: never = command;
      throw new Error(`unknown command ${JSON.stringify(unknown)}`);
    }
  }
}

function existing(state: TicketState): Open {
  if (state.status === 'none') throw new TicketNotOpened('(unknown)');
  return state;
}

function receive(command: Extract<TicketCommand, { type: 'ReceiveMessage' }>, state: TicketState) {
  const { message } = command;
  const events: TicketEvent[] = [];
  let ticket: Open;
  if (state.status === 'none') {
    if (!command.open) throw new TicketNotFound(command.ticketId);
    events.push({
      type: 'TicketOpened',
      data: {
        ticketId: command.ticketId,
        tenantId: command.tenantId,
        customerId: message.customerId,
        channel: message.channel,
        openedBy: command.open.openedBy,
        firstMessageId: message.messageId,
        ...(command.open.subject === undefined ? {} : { subject: command.open.subject }),
      },
    });
    ticket = evolveTicket(state, events[0] as TicketEvent) as Open;
  } else {
    ticket = state;
    // The same message again (a retried ingestion): already part of the timeline.
    if (ticket.sequences.of(message.messageId) !== undefined) return [];
    if (ticket.mergedInto) throw new AlreadyMerged('ticket', ticket.ticketId, ticket.mergedInto, 'ticketId');
    if (ticket.status === 'closed') {
      if (!command.reopenIfClosed) throw new TicketClosedAlready(ticket.ticketId);
      const reopenedBy: ActorRef = { kind: actorKindOf(message.sender.kind), id: message.sender.id };
      events.push({
        type: 'TicketReopened',
        data: { ticketId: ticket.ticketId, reopenedBy, messageId: message.messageId },
      });
    }
  }
  const sequence = ticket.messageCount + 1;
  // Not `{ ...message, ticketId, sequence }`: properties a literal adds after a leading spread are
  // slow in Node 20 (see the ingestion handler's batch path).
  events.push({
    type: 'MessageReceived',
    data: Object.assign({}, message, { ticketId: command.ticketId, sequence }),
  });
  if (message.sender.kind === 'customer' && message.channel !== ticket.customerChannel) {
    events.push({
      type: 'ChannelSwitched',
      data: {
        ticketId: command.ticketId,
        customerId: message.customerId,
        fromChannel: ticket.customerChannel,
        toChannel: message.channel,
        messageId: message.messageId,
        ...(message.channelThreadId === undefined ? {} : { channelThreadId: message.channelThreadId }),
      },
    });
  }
  if (command.flag) {
    events.push({
      type: 'TicketFlaggedForReview',
      data: {
        ticketId: command.ticketId,
        customerId: message.customerId,
        reason: command.flag.reason,
        messageId: message.messageId,
        otherTicketIds: command.flag.otherTicketIds,
      },
    });
  }
  return events;
}

const actorKindOf = (sender: SenderKind): ActorRef['kind'] => sender;

export const ticketDecider = { decide: decideTicket, evolve: evolveTicket, initialState: initialTicketState };

export interface MergeTickets {
  type: 'MergeTickets';
  survivorTicketId: string;
  mergedTicketId: string;
  by: ActorRef;
  reason?: string;
}

/**
 * Merges two tickets: the merged one is closed as `merged` and points at the survivor; both
 * timelines are kept (the survivor's timeline shows the merged ticket's items too). Idempotent.
 */
export function decideMergeTickets(
  command: MergeTickets,
  survivor: TicketState,
  merged: TicketState,
): { survivor: TicketEvent[]; other: TicketEvent[] } {
  if (command.survivorTicketId === command.mergedTicketId)
    throw new MergeIntoItself('ticket', 'mergedTicketId');
  if (survivor.status === 'none') throw new TicketNotFound(command.survivorTicketId);
  if (merged.status === 'none') throw new TicketNotFound(command.mergedTicketId);
  if (survivor.mergedInto)
    throw new AlreadyMerged('ticket', survivor.ticketId, survivor.mergedInto, 'ticketId');
  if (merged.mergedInto && merged.mergedInto !== command.survivorTicketId)
    throw new AlreadyMerged('ticket', merged.ticketId, merged.mergedInto, 'mergedTicketId');
  const reason = command.reason === undefined ? {} : { reason: command.reason };
  const other: TicketEvent[] = merged.mergedInto
    ? []
    : [
        {
          type: 'TicketMergedInto',
          data: {
            ticketId: command.mergedTicketId,
            survivorTicketId: command.survivorTicketId,
            mergedBy: command.by,
            ...reason,
          },
        },
        ...(merged.status === 'open'
          ? [
              {
                type: 'TicketClosed' as const,
                data: {
                  ticketId: command.mergedTicketId,
                  closedBy: command.by,
                  resolution: 'merged' as const,
                },
              },
            ]
          : []),
      ];
  const survivorEvents: TicketEvent[] = survivor.merged.includes(command.mergedTicketId)
    ? []
    : [
        {
          type: 'TicketMerged',
          data: {
            ticketId: command.survivorTicketId,
            mergedTicketId: command.mergedTicketId,
            mergedBy: command.by,
            ...reason,
          },
        },
      ];
  return { survivor: survivorEvents, other };
}
