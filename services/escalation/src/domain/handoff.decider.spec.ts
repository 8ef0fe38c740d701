import { deciderSpec } from '@handoff/testing';
import { handoffDecider, type HandoffCommand, type RequestFields } from './handoff.decider';
import {
  DeclineReasonRequired,
  HandoffNotFound,
  HandoffNotCancellable,
  OfferNotOpen,
  OfferNotYours,
  TicketClosed,
  TicketNotFound,
} from './handoff.errors';
import type { HandoffEvent, HandoffRequested } from './handoff.events';
import type { RoutingOutcome } from './routing';

const spec = deciderSpec(handoffDecider);
const T0 = new Date('2026-01-01T10:00:00.000Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
const H = 'h-1';
const TENANT = 'tenant-a';

const fields: RequestFields = {
  handoffId: H,
  tenantId: TENANT,
  ticketId: 't-1',
  handoffType: 'ai_to_human',
  from: { kind: 'bot', id: 'bot-1' },
  to: { kind: 'team', id: 'billing' },
  reasonCode: 'customer_asked_for_human',
  priority: 'normal',
  requestedBy: { kind: 'bot', id: 'bot-1' },
  requiredSkills: [],
};

const requested: HandoffRequested = {
  type: 'HandoffRequested',
  data: {
    ...fields,
    conversationPosition: '7',
    requestedAt: T0.toISOString(),
    briefDeadline: at(30).toISOString(),
  },
};
const briefAttached = (covers = '7'): HandoffEvent => ({
  type: 'BriefAttached',
  data: {
    handoffId: H,
    brief: { briefId: 'b-1', version: 2 },
    coversPosition: covers,
    attachedAt: at(1).toISOString(),
  },
});
const routing = (reasons = ['picked a-1']) => ({
  reasons,
  candidatesConsidered: 3,
  previousAgentPreferred: false,
});
const offered = (agentId = 'a-1', offerId = 'o-1', attempt = 1, brief = true): HandoffEvent => ({
  type: 'HandoffOffered',
  data: {
    handoffId: H,
    offerId,
    agent: { agentId },
    teamId: 'billing',
    ...(brief ? { brief: { briefId: 'b-1', version: 2 } } : {}),
    withoutBrief: !brief,
    offeredAt: at(2).toISOString(),
    expiresAt: at(62).toISOString(),
    attempt,
    routing: routing(),
  },
});
const acceptedData = (when: Date) => ({
  handoffId: H,
  offerId: 'o-1',
  agent: { agentId: 'a-1' },
  acceptedAt: when.toISOString(),
  handoffType: fields.handoffType,
  from: fields.from,
  reasonCode: fields.reasonCode,
  brief: { briefId: 'b-1', version: 2 },
});
const chosen = (agentId = 'a-1'): RoutingOutcome => ({
  kind: 'chosen',
  agent: { agentId },
  teamId: 'billing',
  ...routing(),
});
const route = (now: Date, outcome: RoutingOutcome = chosen(), offerId = 'o-1'): HandoffCommand => ({
  type: 'RouteHandoff',
  handoffId: H,
  tenantId: TENANT,
  offerId,
  routing: outcome,
  acceptanceTimeoutMs: 60_000,
  now,
});
const accept = (agentId: string, now = at(10), tenantId = TENANT): HandoffCommand => ({
  type: 'AcceptOffer',
  handoffId: H,
  tenantId,
  agentId,
  now,
});
const expire = (offerId = 'o-1', now = at(62), maxExpiries = 3): HandoffCommand => ({
  type: 'ExpireOffer',
  handoffId: H,
  tenantId: TENANT,
  offerId,
  maxExpiries,
  now,
});
const expired = (agentId: string, offerId: string, expiries: number): HandoffEvent => ({
  type: 'OfferExpired',
  data: {
    handoffId: H,
    offerId,
    agent: { agentId },
    deadline: at(62).toISOString(),
    expiries,
    at: at(62).toISOString(),
  },
});

describe('handoff decider', () => {
  describe('request', () => {
    const requestCommand = (
      ticket: { status: 'open' | 'closed'; lastSequence: number } | undefined,
    ): HandoffCommand => ({
      type: 'RequestHandoff',
      request: fields,
      ticket,
      now: T0,
      briefTimeoutMs: 30_000,
    });

    it('records the last seen message sequence as the conversation position', () =>
      spec
        .given([])
        .when(requestCommand({ status: 'open', lastSequence: 7 }))
        .then([requested]));

    it('keeps an explicit conversation position', () =>
      spec
        .given([])
        .when({
          ...requestCommand({ status: 'open', lastSequence: 9 }),
          request: { ...fields, conversationPosition: '7' },
        } as HandoffCommand)
        .then([requested]));

    it('refuses an unknown ticket', () =>
      spec.given([]).when(requestCommand(undefined)).thenThrows(TicketNotFound));

    it('refuses a closed ticket', () =>
      spec
        .given([])
        .when(requestCommand({ status: 'closed', lastSequence: 3 }))
        .thenThrows(TicketClosed));

    it('is idempotent for the same request', () =>
      spec
        .given([requested])
        .when(requestCommand({ status: 'open', lastSequence: 7 }))
        .thenNothingHappens());

    it('keeps the tier-escalation diagnostics verbatim', () => {
      const diagnostics = {
        logs: ['ERR 500 at /checkout'],
        stepsTried: ['cleared cache', 'reinstalled app'],
        environment: { os: 'iOS 18', app: '4.2.1' },
        attachments: [{ fileName: 'har.json', contentType: 'application/json', sizeBytes: 2048 }],
      };
      const tier = {
        ...fields,
        handoffType: 'tier_escalation' as const,
        to: { kind: 'tier' as const, id: '2' },
        diagnostics,
      };
      const events = handoffDecider.decide(
        {
          type: 'RequestHandoff',
          request: tier,
          ticket: { status: 'open', lastSequence: 4 },
          now: T0,
          briefTimeoutMs: 1000,
        },
        handoffDecider.initialState(),
      );
      expect(events[0]?.type === 'HandoffRequested' && events[0].data.diagnostics).toEqual(diagnostics);
    });
  });

  describe('brief before the human (invariant)', () => {
    it('does not offer before a brief exists while the brief timeout has not passed', () =>
      spec
        .given([requested])
        .when(route(at(29)))
        .thenNothingHappens());

    it('ignores a brief older than the request position', () =>
      spec
        .given([requested])
        .when({
          type: 'AttachBrief',
          handoffId: H,
          tenantId: TENANT,
          brief: { briefId: 'b-1', version: 1 },
          coversPosition: '6',
          now: at(1),
        })
        .thenNothingHappens());

    it('does not offer after an older brief arrived', () =>
      spec
        .given([requested])
        .when(route(at(5)))
        .thenNothingHappens());

    it('attaches a brief covering the request position', () =>
      spec
        .given([requested])
        .when({
          type: 'AttachBrief',
          handoffId: H,
          tenantId: TENANT,
          brief: { briefId: 'b-1', version: 2 },
          coversPosition: '7',
          now: at(1),
        })
        .then([briefAttached('7')]));

    it('offers with the brief once it is attached', () =>
      spec
        .given([requested, briefAttached()])
        .when(route(at(2)))
        .then([offered()]));

    it('offers with the raw-context flag once the brief timeout passed', () =>
      spec
        .given([requested])
        .when(route(at(30)))
        .then([
          {
            ...offered('a-1', 'o-1', 1, false),
            data: {
              ...(offered('a-1', 'o-1', 1, false).data as object),
              offeredAt: at(30).toISOString(),
              expiresAt: at(90).toISOString(),
            },
          } as HandoffEvent,
        ]));

    it('holds for every instant and brief position (property)', () => {
      for (let second = 0; second <= 40; second += 1) {
        for (const covers of [undefined, '5', '7', '12']) {
          const history: HandoffEvent[] = [requested];
          if (covers !== undefined) {
            history.push(
              ...handoffDecider.decide(
                {
                  type: 'AttachBrief',
                  handoffId: H,
                  tenantId: TENANT,
                  brief: { briefId: 'b', version: 1 },
                  coversPosition: covers,
                  now: at(0),
                },
                history.reduce(handoffDecider.evolve, handoffDecider.initialState()),
              ),
            );
          }
          const state = history.reduce(handoffDecider.evolve, handoffDecider.initialState());
          const events = handoffDecider.decide(route(at(second)), state);
          const offer = events.find((e) => e.type === 'HandoffOffered');
          const briefOk = covers !== undefined && BigInt(covers) >= 7n;
          if (offer?.type === 'HandoffOffered') {
            expect(briefOk || second >= 30).toBe(true);
            expect(offer.data.withoutBrief).toBe(!briefOk);
            if (briefOk) expect(offer.data.brief).toBeDefined();
          } else {
            expect(briefOk || second >= 30).toBe(false);
          }
        }
      }
    });
  });

  describe('one-step request (brief already known)', () => {
    const base = {
      type: 'RequestHandoff' as const,
      request: fields,
      ticket: { status: 'open' as const, lastSequence: 7 },
      now: T0,
      briefTimeoutMs: 30_000,
    };
    const atRequest = { offerId: 'o-1', routing: chosen(), acceptanceTimeoutMs: 60_000 };

    it('requests, attaches the brief and offers in one decision', () => {
      const events = handoffDecider.decide(
        {
          ...base,
          briefAtRequest: { brief: { briefId: 'b-1', version: 2 }, coversPosition: '7' },
          routingAtRequest: atRequest,
        },
        handoffDecider.initialState(),
      );
      expect(events.map((e) => e.type)).toEqual(['HandoffRequested', 'BriefAttached', 'HandoffOffered']);
      expect(events[2]).toMatchObject({
        data: { withoutBrief: false, brief: { briefId: 'b-1', version: 2 }, attempt: 1 },
      });
    });

    it('does not offer in the same decision when the known brief is older than the request', () => {
      const events = handoffDecider.decide(
        {
          ...base,
          briefAtRequest: { brief: { briefId: 'b-1', version: 1 }, coversPosition: '6' },
          routingAtRequest: atRequest,
        },
        handoffDecider.initialState(),
      );
      expect(events.map((e) => e.type)).toEqual(['HandoffRequested']);
    });
  });

  describe('routing outcome', () => {
    const none: RoutingOutcome = { kind: 'none', reasons: ['tier 2: 0 of 4 left'], candidatesConsidered: 4 };

    it('reports no eligible agent once and stays requested', () =>
      spec
        .given([requested, briefAttached()])
        .when(route(at(2), none))
        .then([
          {
            type: 'NoEligibleAgentFound',
            data: {
              handoffId: H,
              to: fields.to,
              reasons: none.reasons,
              candidatesConsidered: 4,
              at: at(2).toISOString(),
            },
          },
        ]));

    it('stays quiet on a retry that still finds nobody', () => {
      const alerted: HandoffEvent = {
        type: 'NoEligibleAgentFound',
        data: {
          handoffId: H,
          to: fields.to,
          reasons: none.reasons,
          candidatesConsidered: 4,
          at: at(2).toISOString(),
        },
      };
      spec
        .given([requested, briefAttached(), alerted])
        .when(route(at(20), none))
        .thenNothingHappens();
    });

    it('offers on the retry once an agent is available', () => {
      const alerted: HandoffEvent = {
        type: 'NoEligibleAgentFound',
        data: {
          handoffId: H,
          to: fields.to,
          reasons: none.reasons,
          candidatesConsidered: 4,
          at: at(2).toISOString(),
        },
      };
      spec
        .given([requested, briefAttached(), alerted])
        .when(route(at(2)))
        .then([offered()]);
    });

    it('does not offer twice', () =>
      spec
        .given([requested, briefAttached(), offered()])
        .when(route(at(3)))
        .thenNothingHappens());
  });

  describe('accept', () => {
    const given = [requested, briefAttached(), offered('a-1')];

    it('accepts the offer made to the agent', () =>
      spec
        .given(given)
        .when(accept('a-1'))
        .then([
          {
            type: 'HandoffAccepted',
            data: { ...acceptedData(at(10)), teamId: 'billing' },
          },
        ]));

    it('refuses another agent (403)', () => spec.given(given).when(accept('a-2')).thenThrows(OfferNotYours));

    it('is idempotent when accepted twice', () =>
      spec
        .given([...given, { type: 'HandoffAccepted', data: acceptedData(at(10)) }])
        .when(accept('a-1', at(11)))
        .thenNothingHappens());

    it('refuses after the expiry was recorded (409 with the state)', () =>
      spec
        .given([...given, expired('a-1', 'o-1', 1)])
        .when(accept('a-1', at(63)))
        .thenThrows(OfferNotOpen, (e) => expect(e.extensions).toMatchObject({ status: 'requested' })));

    it('refuses once the deadline passed even before the expiry is processed', () =>
      spec
        .given(given)
        .when(accept('a-1', at(62)))
        .thenThrows(OfferNotOpen));

    it('hides another tenant handoff as not found', () =>
      spec
        .given(given)
        .when(accept('a-1', at(10), 'tenant-b'))
        .thenThrows(HandoffNotFound));
  });

  describe('decline', () => {
    const given = [requested, briefAttached(), offered('a-1')];
    const decline = (reasonCode: string | undefined, agentId = 'a-1'): HandoffCommand => ({
      type: 'DeclineOffer',
      handoffId: H,
      tenantId: TENANT,
      agentId,
      reasonCode,
      now: at(5),
    });

    it('needs a reason', () => spec.given(given).when(decline('  ')).thenThrows(DeclineReasonRequired));

    it('records the reason and reopens routing without the agent', () => {
      spec
        .given(given)
        .when(decline('at_capacity'))
        .then([
          {
            type: 'HandoffDeclined',
            data: {
              handoffId: H,
              offerId: 'o-1',
              agent: { agentId: 'a-1' },
              reasonCode: 'at_capacity',
              at: at(5).toISOString(),
            },
          },
        ]);
      const state = [
        ...given,
        ...handoffDecider.decide(
          decline('at_capacity'),
          given.reduce(handoffDecider.evolve, handoffDecider.initialState()),
        ),
      ].reduce(handoffDecider.evolve, handoffDecider.initialState());
      expect(state.status).toBe('requested');
      expect(state.status !== 'none' && state.pastOfferAgents).toEqual(['a-1']);
    });

    it('refuses a decline by another agent', () =>
      spec.given(given).when(decline('busy', 'a-2')).thenThrows(OfferNotYours));
  });

  describe('expiry', () => {
    const given = [requested, briefAttached(), offered('a-1')];

    it('expires at the deadline', () =>
      spec
        .given(given)
        .when(expire())
        .then([expired('a-1', 'o-1', 1)]));

    it('does nothing before the deadline', () =>
      spec
        .given(given)
        .when(expire('o-1', at(61)))
        .thenNothingHappens());

    it('fires once: a second firing changes nothing', () =>
      spec
        .given([...given, expired('a-1', 'o-1', 1)])
        .when(expire())
        .thenNothingHappens());

    it('ignores the deadline of an answered offer', () =>
      spec
        .given([...given, { type: 'HandoffAccepted', data: acceptedData(at(3)) }])
        .when(expire())
        .thenNothingHappens());

    it('escalates to a supervisor after N expiries', () =>
      spec
        .given([...given, expired('a-1', 'o-1', 1), offered('a-2', 'o-2', 2)])
        .when(expire('o-2', at(62), 2))
        .then([
          expired('a-2', 'o-2', 2),
          {
            type: 'HandoffEscalatedToSupervisor',
            data: { handoffId: H, reason: 'offers_expired', expiries: 2, at: at(62).toISOString() },
          },
        ]));
  });

  describe('cancel and hand back', () => {
    it('cancels an open handoff', () =>
      spec
        .given([requested])
        .when({
          type: 'CancelHandoff',
          handoffId: H,
          tenantId: TENANT,
          cancelledBy: { kind: 'agent', id: 'a-9' },
          reason: 'solved',
          now: at(3),
        })
        .then([
          {
            type: 'HandoffCancelled',
            data: {
              handoffId: H,
              cancelledBy: { kind: 'agent', id: 'a-9' },
              reason: 'solved',
              at: at(3).toISOString(),
            },
          },
        ]));

    it('cannot cancel an accepted handoff', () =>
      spec
        .given([
          requested,
          briefAttached(),
          offered(),
          { type: 'HandoffAccepted', data: acceptedData(at(3)) },
        ])
        .when({
          type: 'CancelHandoff',
          handoffId: H,
          tenantId: TENANT,
          cancelledBy: { kind: 'agent', id: 'a-9' },
          reason: 'x',
          now: at(4),
        })
        .thenThrows(HandoffNotCancellable));

    it('hands an accepted handoff back to the bot', () =>
      spec
        .given([
          requested,
          briefAttached(),
          offered(),
          { type: 'HandoffAccepted', data: acceptedData(at(3)) },
        ])
        .when({
          type: 'HandBackToBot',
          handoffId: H,
          tenantId: TENANT,
          botId: 'bot-1',
          handedBackBy: { kind: 'agent', id: 'a-1' },
          now: at(9),
        })
        .then([
          {
            type: 'HandedBackToBot',
            data: {
              handoffId: H,
              botId: 'bot-1',
              handedBackBy: { kind: 'agent', id: 'a-1' },
              at: at(9).toISOString(),
            },
          },
        ]));
  });

  describe('channel switch', () => {
    const switchFields: RequestFields = {
      ...fields,
      handoffType: 'channel_switch',
      from: { kind: 'system', id: 'conversations' },
      to: { kind: 'agent', id: 'a-1' },
      reasonCode: 'channel_switched',
      channel: 'whatsapp',
    };
    const command = (stayingOwner: { kind: 'agent' | 'bot'; id: string } | undefined): HandoffCommand => ({
      type: 'RecordChannelSwitch',
      request: switchFields,
      fromChannel: 'web_chat',
      toChannel: 'whatsapp',
      messageId: 'm-8',
      stayingOwner,
      ticket: { status: 'open', lastSequence: 8 },
      now: T0,
      briefTimeoutMs: 30_000,
    });
    const switchRequested: HandoffEvent = {
      type: 'HandoffRequested',
      data: {
        ...switchFields,
        conversationPosition: '8',
        requestedAt: T0.toISOString(),
        briefDeadline: at(30).toISOString(),
      },
    };

    it('is recorded without acceptance when the owner stays', () =>
      spec
        .given([])
        .when(command({ kind: 'agent', id: 'a-1' }))
        .then([
          switchRequested,
          {
            type: 'ChannelSwitchRecorded',
            data: {
              handoffId: H,
              fromChannel: 'web_chat',
              toChannel: 'whatsapp',
              messageId: 'm-8',
              owner: { kind: 'agent', id: 'a-1' },
              at: T0.toISOString(),
            },
          },
        ]));

    it('goes through routing when the owner cannot stay', () =>
      spec.given([]).when(command(undefined)).then([switchRequested]));
  });
});
