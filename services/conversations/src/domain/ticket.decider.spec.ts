import { deciderSpec } from '@handoff/testing';
import {
  AlreadyMerged,
  MergeIntoItself,
  TicketClosedAlready,
  TicketNotClosed,
  TicketNotFound,
} from './conversations.errors';
import {
  decideMergeTickets,
  evolveTicket,
  initialTicketState,
  MessageSequences,
  ticketDecider,
  type TicketCommand,
  type TicketEvent,
  type TicketMessage,
  type TicketState,
} from './ticket.decider';

const spec = deciderSpec(ticketDecider);
const T = 'ticket-1';
const agent = { kind: 'agent' as const, id: 'agent-7' };

const message = (id: string, overrides: Partial<TicketMessage> = {}): TicketMessage => ({
  messageId: id,
  customerId: 'cust-1',
  channel: 'instagram',
  channelMessageId: `ig-${id}`,
  channelThreadId: 'ig-thread',
  sender: { kind: 'customer', id: 'cust-1' },
  text: `text of ${id}`,
  attachments: [],
  sentAt: '2026-11-29T10:00:00.000Z',
  ...overrides,
});

const receive = (
  m: TicketMessage,
  extra: Partial<Extract<TicketCommand, { type: 'ReceiveMessage' }>> = {},
): TicketCommand => ({
  type: 'ReceiveMessage',
  ticketId: T,
  tenantId: 'tenant-a',
  message: m,
  reopenIfClosed: false,
  ...extra,
});

const opened: TicketEvent = {
  type: 'TicketOpened',
  data: {
    ticketId: T,
    tenantId: 'tenant-a',
    customerId: 'cust-1',
    channel: 'instagram',
    openedBy: { kind: 'customer', id: 'cust-1' },
    firstMessageId: 'm1',
  },
};
const received = (m: TicketMessage, sequence: number): TicketEvent => ({
  type: 'MessageReceived',
  data: { ...m, ticketId: T, sequence },
});
const closed: TicketEvent = {
  type: 'TicketClosed',
  data: { ticketId: T, closedBy: agent, resolution: 'resolved' },
};

describe('ticket decider', () => {
  it('opens a ticket with the first message at sequence 1', () =>
    spec
      .given([])
      .when(receive(message('m1'), { open: { openedBy: { kind: 'customer', id: 'cust-1' } } }))
      .then([opened, received(message('m1'), 1)]));

  it('refuses a message for a ticket that was never opened', () =>
    spec
      .given([])
      .when(receive(message('m1')))
      .thenThrows(TicketNotFound));

  it('numbers the messages of a ticket 1, 2, 3 …', () =>
    spec
      .given([opened, received(message('m1'), 1), received(message('m2'), 2)])
      .when(receive(message('m3')))
      .then([received(message('m3'), 3)]));

  it('appends nothing when the same message is received again (idempotent ingestion)', () =>
    spec
      .given([opened, received(message('m1'), 1)])
      .when(receive(message('m1')))
      .thenNothingHappens());

  it('publishes a channel switch when the customer continues on another channel', () => {
    const wa = message('m2', { channel: 'whatsapp', channelThreadId: 'wa-1' });
    spec
      .given([opened, received(message('m1'), 1)])
      .when(receive(wa))
      .then([
        received(wa, 2),
        {
          type: 'ChannelSwitched',
          data: {
            ticketId: T,
            customerId: 'cust-1',
            fromChannel: 'instagram',
            toChannel: 'whatsapp',
            messageId: 'm2',
            channelThreadId: 'wa-1',
          },
        },
      ]);
  });

  it('does not count an agent reply on another channel as a channel switch', () => {
    const reply = message('m2', { channel: 'email', sender: { kind: 'agent', id: 'agent-7' } });
    spec
      .given([opened, received(message('m1'), 1)])
      .when(receive(reply))
      .then([received(reply, 2)]);
  });

  it('switches from the channel the customer last wrote on, not the last reply', () => {
    const reply = message('m2', { channel: 'email', sender: { kind: 'agent', id: 'agent-7' } });
    const back = message('m3', { channel: 'email' });
    spec
      .given([opened, received(message('m1'), 1), received(reply, 2)])
      .when(receive(back))
      .then([
        received(back, 3),
        {
          type: 'ChannelSwitched',
          data: {
            ticketId: T,
            customerId: 'cust-1',
            fromChannel: 'instagram',
            toChannel: 'email',
            messageId: 'm3',
            channelThreadId: 'ig-thread',
          },
        },
      ]);
  });

  it('flags the ticket for review when it was one of several open tickets', () =>
    spec
      .given([opened, received(message('m1'), 1)])
      .when(
        receive(message('m2'), { flag: { reason: 'several_open_tickets', otherTicketIds: ['ticket-0'] } }),
      )
      .then([
        received(message('m2'), 2),
        {
          type: 'TicketFlaggedForReview',
          data: {
            ticketId: T,
            customerId: 'cust-1',
            reason: 'several_open_tickets',
            messageId: 'm2',
            otherTicketIds: ['ticket-0'],
          },
        },
      ]));

  it('refuses a message for a closed ticket unless it references the ticket explicitly', () =>
    spec
      .given([opened, received(message('m1'), 1), closed])
      .when(receive(message('m2')))
      .thenThrows(TicketClosedAlready));

  it('reopens a closed ticket that a message references explicitly', () =>
    spec
      .given([opened, received(message('m1'), 1), closed])
      .when(receive(message('m2'), { reopenIfClosed: true }))
      .then([
        {
          type: 'TicketReopened',
          data: { ticketId: T, reopenedBy: { kind: 'customer', id: 'cust-1' }, messageId: 'm2' },
        },
        received(message('m2'), 2),
      ]));

  it('closes an open ticket and refuses to close it twice', () => {
    spec
      .given([opened])
      .when({ type: 'CloseTicket', closedBy: agent, resolution: 'resolved', note: 'done' })
      .then([
        {
          type: 'TicketClosed',
          data: { ticketId: T, closedBy: agent, resolution: 'resolved', note: 'done' },
        },
      ]);
    spec
      .given([opened, closed])
      .when({ type: 'CloseTicket', closedBy: agent, resolution: 'resolved' })
      .thenThrows(TicketClosedAlready);
  });

  it('reopens only a closed ticket', () => {
    spec
      .given([opened, closed])
      .when({ type: 'ReopenTicket', reopenedBy: agent, reason: 'customer came back' })
      .then([
        { type: 'TicketReopened', data: { ticketId: T, reopenedBy: agent, reason: 'customer came back' } },
      ]);
    spec.given([opened]).when({ type: 'ReopenTicket', reopenedBy: agent }).thenThrows(TicketNotClosed);
  });

  it('refuses to reopen a ticket that was merged into another one', () =>
    spec
      .given([
        opened,
        { type: 'TicketMergedInto', data: { ticketId: T, survivorTicketId: 'ticket-9', mergedBy: agent } },
        { type: 'TicketClosed', data: { ticketId: T, closedBy: agent, resolution: 'merged' } },
      ])
      .when({ type: 'ReopenTicket', reopenedBy: agent })
      .thenThrows(AlreadyMerged));

  it('records a CSAT response with the owner and the preceding handoffs, once per response id', () => {
    const csat: TicketCommand = {
      type: 'RecordCsat',
      responseId: 'r1',
      score: 2,
      respondedAt: '2026-11-29T12:00:00.000Z',
      owner: { kind: 'agent', id: 'agent-7' },
      precedingHandoffIds: ['h1', 'h2'],
    };
    spec
      .given([opened, received(message('m1'), 1)])
      .when(csat)
      .then([
        {
          type: 'CsatRecorded',
          data: {
            ticketId: T,
            responseId: 'r1',
            customerId: 'cust-1',
            score: 2,
            channel: 'instagram',
            respondedAt: '2026-11-29T12:00:00.000Z',
            owner: { kind: 'agent', id: 'agent-7' },
            precedingHandoffIds: ['h1', 'h2'],
          },
        },
      ]);
    spec
      .given([
        opened,
        {
          type: 'CsatRecorded',
          data: {
            ticketId: T,
            responseId: 'r1',
            customerId: 'cust-1',
            score: 2,
            channel: 'instagram',
            respondedAt: '2026-11-29T12:00:00.000Z',
            precedingHandoffIds: [],
          },
        },
      ])
      .when(csat)
      .thenNothingHappens();
  });
});

describe('ticket merge', () => {
  const state = (events: TicketEvent[], id = T): TicketState =>
    events
      .map((e) => ({ ...e, data: { ...e.data, ticketId: id } }) as TicketEvent)
      .reduce(evolveTicket, initialTicketState());
  const merge = {
    type: 'MergeTickets' as const,
    survivorTicketId: 'ticket-9',
    mergedTicketId: T,
    by: agent,
    reason: 'same issue',
  };

  it('closes the merged ticket as merged and records the merge on the survivor', () => {
    expect(decideMergeTickets(merge, state([opened], 'ticket-9'), state([opened]))).toEqual({
      other: [
        {
          type: 'TicketMergedInto',
          data: { ticketId: T, survivorTicketId: 'ticket-9', mergedBy: agent, reason: 'same issue' },
        },
        { type: 'TicketClosed', data: { ticketId: T, closedBy: agent, resolution: 'merged' } },
      ],
      survivor: [
        {
          type: 'TicketMerged',
          data: { ticketId: 'ticket-9', mergedTicketId: T, mergedBy: agent, reason: 'same issue' },
        },
      ],
    });
  });

  it('completes a half-recorded merge and then does nothing', () => {
    const merged = state([
      opened,
      { type: 'TicketMergedInto', data: { ticketId: T, survivorTicketId: 'ticket-9', mergedBy: agent } },
    ]);
    const half = decideMergeTickets(merge, state([opened], 'ticket-9'), merged);
    expect(half.other).toEqual([]);
    expect(half.survivor).toHaveLength(1);
    const survivor = state([opened, ...half.survivor], 'ticket-9');
    expect(decideMergeTickets(merge, survivor, merged)).toEqual({ survivor: [], other: [] });
  });

  it('rejects a merge of a ticket into itself', () =>
    expect(() =>
      decideMergeTickets({ ...merge, survivorTicketId: T }, state([opened]), state([opened])),
    ).toThrow(MergeIntoItself));

  it('rejects a merge into a ticket that was itself merged away', () => {
    const gone = state(
      [
        opened,
        { type: 'TicketMergedInto', data: { ticketId: 'x', survivorTicketId: 'ticket-5', mergedBy: agent } },
      ],
      'ticket-9',
    );
    expect(() => decideMergeTickets(merge, gone, state([opened]))).toThrow(AlreadyMerged);
  });
});

describe('MessageSequences (shared between the states of a ticket)', () => {
  it('shows each state its own messages, also when an older state is followed again', () => {
    const none = MessageSequences.empty();
    const one = none.with('a', 1);
    const two = one.with('b', 2);
    // A decision made again on an older state (its append lost a race): a branch of its own.
    const otherTwo = one.with('c', 2);
    const three = two.with('d', 3);
    expect([none.of('a'), one.of('a'), one.of('b'), one.of('c')]).toEqual([
      undefined,
      1,
      undefined,
      undefined,
    ]);
    expect([two.of('b'), two.of('c'), two.of('d')]).toEqual([2, undefined, undefined]);
    expect([otherTwo.of('a'), otherTwo.of('b'), otherTwo.of('c')]).toEqual([1, undefined, 2]);
    expect(three.toJSON()).toEqual({ a: 1, b: 2, d: 3 });
    expect(otherTwo.with('e', 3).toJSON()).toEqual({ a: 1, c: 2, e: 3 });
    expect(three.toJSON()).toEqual({ a: 1, b: 2, d: 3 });
  });

  it('keeps a known message as it is, and a sequence out of order out of older states', () => {
    const two = MessageSequences.empty().with('a', 1).with('b', 2);
    expect(two.with('a', 7)).toBe(two);
    const late = two.with('x', 1);
    expect(late.of('x')).toBe(1);
    expect(two.of('x')).toBeUndefined();
  });

  it('is what evolveTicket keeps: a message already taken is not taken again, however long the ticket', () => {
    const received = (id: string, sequence: number): TicketEvent => ({
      type: 'MessageReceived',
      data: { ...message(id), ticketId: T, sequence },
    });
    const events = Array.from({ length: 500 }, (_, i) => received(`m${i + 1}`, i + 1));
    const state = [opened, ...events].reduce(evolveTicket, initialTicketState());
    if (state.status === 'none') throw new Error('not opened');
    expect(state.messageCount).toBe(500);
    expect([state.sequences.of('m1'), state.sequences.of('m500'), state.sequences.of('m501')]).toEqual([
      1,
      500,
      undefined,
    ]);
    expect(ticketDecider.decide(receive(message('m7')), state)).toEqual([]);
    expect(ticketDecider.decide(receive(message('m501')), state)).toMatchObject([
      { type: 'MessageReceived', data: { messageId: 'm501', sequence: 501 } },
    ]);
  });
});
