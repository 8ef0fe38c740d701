import { deriveTicketInsight } from './ticket-insight';
import type { Owner, TicketFact } from './ticket-fact';

const MIN = 60_000;
const DAY = 24 * 60 * MIN;
let ids = 0;
const fact = <F extends Omit<TicketFact, 'eventId'>>(f: F): TicketFact =>
  ({ eventId: `e-${String(++ids).padStart(4, '0')}`, ...f }) as unknown as TicketFact;

const bot: Owner = { kind: 'bot', id: 'bot' };
const maya: Owner = { kind: 'agent', id: 'maya', teamId: 'tier1' };
const omar: Owner = { kind: 'agent', id: 'omar', teamId: 'tier2' };
const msg = (
  at: number,
  senderKind: 'customer' | 'agent',
  senderId: string,
  words: number,
  sequence: number,
) =>
  fact({
    kind: 'message',
    at,
    messageId: `m${sequence}`,
    sequence,
    channel: 'web_chat',
    senderKind,
    senderId,
    words,
  });

/** Bot → Tier 1 (maya) → Tier 2 (omar); a repeat after the first handoff; closed, CSAT 2, reopened. */
const escalatedTicket = (): TicketFact[] => [
  fact({ kind: 'ticket-opened', at: 0, channel: 'web_chat', customerId: 'c1' }),
  fact({ kind: 'owner-assigned', at: 0, owner: bot }),
  msg(1 * MIN, 'customer', 'c1', 12, 1),
  fact({ kind: 'brief', at: 2 * MIN, briefId: 'b1', version: 1, intent: 'refund', handoffId: 'h1' }),
  fact({
    kind: 'handoff-requested',
    at: 2 * MIN,
    handoffId: 'h1',
    handoffType: 'ai_to_human',
    from: { kind: 'bot', id: 'bot' },
    to: { kind: 'tier', id: 'tier1' },
  }),
  fact({
    kind: 'handoff-offered',
    at: 3 * MIN,
    handoffId: 'h1',
    agentId: 'maya',
    teamId: 'tier1',
    withoutBrief: false,
  }),
  fact({
    kind: 'handoff-accepted',
    at: 4 * MIN,
    handoffId: 'h1',
    handoffType: 'ai_to_human',
    from: { kind: 'bot', id: 'bot' },
    agentId: 'maya',
    teamId: 'tier1',
    withBrief: true,
  }),
  fact({ kind: 'ownership-transferred', at: 4 * MIN, from: bot, to: maya, handoffId: 'h1' }),
  msg(5 * MIN, 'agent', 'maya', 1, 2),
  msg(8 * MIN, 'agent', 'maya', 10, 3),
  fact({
    kind: 'repeat',
    at: 9 * MIN,
    detectionId: 'd1',
    handoffId: 'h1',
    messageId: 'm4',
    repeatKind: 'restated_value',
    factKinds: ['order_number'],
    evidence: ['m1'],
  }),
  fact({
    kind: 'handoff-requested',
    at: 20 * MIN,
    handoffId: 'h2',
    handoffType: 'tier_escalation',
    from: { kind: 'agent', id: 'maya' },
    to: { kind: 'tier', id: 'tier2' },
  }),
  fact({ kind: 'handoff-declined', at: 22 * MIN, handoffId: 'h2', agentId: 'zoe' }),
  fact({
    kind: 'handoff-accepted',
    at: 25 * MIN,
    handoffId: 'h2',
    handoffType: 'tier_escalation',
    from: { kind: 'agent', id: 'maya' },
    agentId: 'omar',
    teamId: 'tier2',
    withBrief: true,
  }),
  fact({ kind: 'ownership-transferred', at: 25 * MIN, from: maya, to: omar, handoffId: 'h2' }),
  msg(40 * MIN, 'agent', 'omar', 5, 5),
  fact({ kind: 'ticket-closed', at: 60 * MIN, resolution: 'resolved' }),
  fact({
    kind: 'csat',
    at: 70 * MIN,
    responseId: 'r1',
    score: 2,
    channel: 'web_chat',
    owner: omar,
    precedingHandoffIds: ['h1', 'h2'],
  }),
  fact({ kind: 'ticket-reopened', at: 2 * DAY }),
  fact({ kind: 'ticket-closed', at: 2 * DAY + 10 * MIN, resolution: 'resolved' }),
];

describe('deriveTicketInsight', () => {
  it('derives the handoffs of an escalated ticket with every quality component', () => {
    const insight = deriveTicketInsight(escalatedTicket());
    const [h1, h2] = insight.handoffs;
    expect(h1).toMatchObject({
      handoffId: 'h1',
      edge: 'bot→tier1',
      senderId: 'bot',
      receiverId: 'maya',
      receiverTeam: 'tier1',
      channel: 'web_chat',
      intent: 'refund',
      timeToAcceptMs: 2 * MIN,
      firstReplyAt: 5 * MIN,
      timeToFirstMeaningfulReplyMs: 4 * MIN,
      idleMs: 1 * MIN,
      noReply: false,
      repeats: 1,
      bounced: false,
      reopened: true,
      csatAfter: 2,
      acceptToResolutionMs: 56 * MIN,
    });
    // 20 + 20 + 0 (repeat) + 15 + 0 (reopened) + 3.75 (CSAT 2) = 58.75
    expect(h1?.quality?.score).toBe(58.8);
    expect(h2).toMatchObject({
      edge: 'tier1→tier2',
      senderId: 'maya',
      receiverId: 'omar',
      declines: 1,
      timeToAcceptMs: 5 * MIN,
      timeToFirstMeaningfulReplyMs: 15 * MIN,
      idleMs: 15 * MIN,
      repeats: 0,
      acceptToResolutionMs: 35 * MIN,
    });
    // 20 × 25/28 + 20 × 45/55 + 20 + 15 + 0 + 3.75 = 72.97
    expect(h2?.quality?.score).toBe(73);
  });

  it('derives the ticket, its owner chain, closures and CSAT attribution', () => {
    const insight = deriveTicketInsight(escalatedTicket());
    expect(insight.ticket).toEqual({
      openedAt: 0,
      channel: 'web_chat',
      customerId: 'c1',
      intent: 'refund',
      firstResolvedAt: 60 * MIN,
      resolutionMs: 60 * MIN,
      closedAt: 2 * DAY + 10 * MIN,
      reopenCount: 1,
      ownerChanges: 2,
      lastOwner: omar,
      acceptedHandoffs: 2,
      edges: ['bot→tier1', 'tier1→tier2'],
      loops: 0,
      lapses: 0,
    });
    expect(insight.segments.map((s) => [s.owner.id, s.startedAt, s.endedAt, s.replied])).toEqual([
      ['bot', 0, 4 * MIN, false],
      ['maya', 4 * MIN, 25 * MIN, true],
      ['omar', 25 * MIN, 60 * MIN, true],
    ]);
    expect(insight.transfers.map((t) => t.senderReplied)).toEqual([null, true]);
    expect(insight.closures).toEqual([
      { closedAt: 60 * MIN, resolution: 'resolved', reopenedAt: 2 * DAY },
      { closedAt: 2 * DAY + 10 * MIN, resolution: 'resolved', reopenedAt: null },
    ]);
    expect(insight.csat).toEqual([
      {
        responseId: 'r1',
        score: 2,
        channel: 'web_chat',
        respondedAt: 70 * MIN,
        escalated: true,
        owner: omar,
      },
    ]);
    expect(insight.attributions.map((a) => [a.segmentLabel, a.owner.id, a.weight])).toEqual([
      ['bot', 'bot', 1 / 3],
      ['human_1', 'maya', 1 / 3],
      ['human_2', 'omar', 1 / 3],
    ]);
  });

  it('yields the same insight whatever order the facts arrive in, and counts a redelivery once', () => {
    const facts = escalatedTicket();
    const expected = deriveTicketInsight(facts);
    const reversed = [...facts].reverse();
    const interleaved = [...facts.filter((_, i) => i % 2 === 1), ...facts.filter((_, i) => i % 2 === 0)];
    expect(deriveTicketInsight(reversed)).toEqual(expected);
    expect(deriveTicketInsight(interleaved)).toEqual(expected);
    expect(deriveTicketInsight([...facts, ...facts.slice(0, 5)])).toEqual(expected);
  });

  it('measures lapses, loops, bounces and tickets passed on without a reply', () => {
    const facts: TicketFact[] = [
      fact({ kind: 'ticket-opened', at: 0, channel: 'email', customerId: 'c2' }),
      fact({ kind: 'owner-assigned', at: 0, owner: maya }),
      fact({ kind: 'ownership-transferred', at: 10 * MIN, from: maya, to: omar, handoffId: 'h9' }),
      fact({
        kind: 'handoff-accepted',
        at: 10 * MIN,
        handoffId: 'h9',
        handoffType: 'agent_to_agent',
        from: { kind: 'agent', id: 'maya' },
        agentId: 'omar',
        teamId: 'tier2',
        withBrief: false,
      }),
      fact({ kind: 'ownership-transferred', at: 30 * MIN, from: omar, to: maya }),
      fact({
        kind: 'loop-detected',
        at: 30 * MIN,
        pattern: 'returned_to_previous_owner',
        ownerChanges: 2,
        windowSeconds: 3600,
        owners: [maya, omar, maya],
      }),
      fact({ kind: 'ownership-released', at: 40 * MIN, previousOwner: maya }),
      fact({ kind: 'ownership-lapsed', at: 41 * MIN, lapsedSince: 40 * MIN, cause: 'released' }),
      fact({ kind: 'owner-assigned', at: 55 * MIN, owner: omar }),
    ];
    const insight = deriveTicketInsight(facts);
    expect(insight.ticket.ownerChanges).toBe(3);
    expect(insight.lapses).toEqual([{ startedAt: 40 * MIN, endedAt: 55 * MIN, cause: 'released' }]);
    expect(insight.loops).toHaveLength(1);
    expect(insight.transfers.map((t) => t.senderReplied)).toEqual([false, false]);
    expect(insight.handoffs[0]).toMatchObject({
      edge: 'tier1→tier2',
      bounced: true,
      noReply: true,
      idleMs: 20 * MIN,
      withoutBrief: true,
    });
  });

  it('does not count a channel switch alone as an escalation, and names its edge by channel', () => {
    const insight = deriveTicketInsight([
      fact({ kind: 'ticket-opened', at: 0, channel: 'web_chat', customerId: 'c3' }),
      fact({ kind: 'channel-switched', at: MIN, fromChannel: 'web_chat', toChannel: 'email' }),
      fact({
        kind: 'handoff-requested',
        at: MIN,
        handoffId: 'hs',
        handoffType: 'channel_switch',
        from: { kind: 'system', id: 'conversations' },
        to: { kind: 'team', id: 'email-desk' },
        channel: 'email',
      }),
      fact({
        kind: 'csat',
        at: 5 * MIN,
        responseId: 'r3',
        score: 5,
        channel: 'email',
        precedingHandoffIds: ['hs'],
      }),
    ]);
    expect(insight.handoffs[0]?.edge).toBe('web_chat→email');
    expect(insight.csat[0]?.escalated).toBe(false);
  });
});
