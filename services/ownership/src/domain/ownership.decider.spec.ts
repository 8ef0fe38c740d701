import { deciderSpec } from '@handoff/testing';
import { createOwnershipDecider } from './ownership.decider';
import type { OwnershipCommand } from './ownership.commands';
import type { OwnershipEvent } from './ownership.events';
import {
  AgentDeactivated,
  AgentNotFound,
  AlreadyOwner,
  HandoverNoteMissing,
  HandoverNotForAgent,
  HandoverNotPending,
  OwnershipConflict,
  TeamNotFound,
  TeamWithoutLead,
  TicketClosed,
  TicketNotFound,
  TicketNotOwned,
} from './ownership.errors';
import type { AgentSnapshot, OwnerRef } from './ownership.types';

const decider = createOwnershipDecider({ windowSeconds: 3600, maxChangesInWindow: 5 });
const spec = deciderSpec(decider);

const T = 'tenant-a';
const TICKET = 'ticket-1';
const at = (minute: number) => new Date(Date.UTC(2026, 0, 5, 14, minute)).toISOString();
const base = (minute = 0) => ({ tenantId: T, ticketId: TICKET, at: at(minute) });
const supervisor = { kind: 'supervisor' as const, id: 'sup-1' };
const agent = (id: string, overrides: Partial<AgentSnapshot> = {}): AgentSnapshot => ({
  agentId: id,
  active: true,
  presence: 'online',
  ...overrides,
});
const owner = (id: string, teamId?: string): OwnerRef => ({
  kind: 'agent',
  id,
  ...(teamId ? { teamId } : {}),
});
const bot: OwnerRef = { kind: 'bot', id: 'bot' };

const opened = (first: OwnerRef = bot): OwnershipEvent[] => [
  { type: 'OwnershipOpened', data: { ...base(), openedBy: { kind: 'system', id: 'conversations' } } },
  {
    type: 'OwnerAssigned',
    data: {
      ...base(),
      owner: first,
      how: first.kind === 'bot' ? 'routed' : 'assigned',
      assignedBy: { kind: 'system', id: 'conversations' },
      reason: 'ticket opened',
    },
  },
];
const transferred = (from: OwnerRef, to: OwnerRef, minute: number): OwnershipEvent => ({
  type: 'OwnershipTransferred',
  data: { ...base(minute), from, to, transferredBy: supervisor, reason: 'r' },
});
const closed = (finalOwner: OwnerRef, minute = 30): OwnershipEvent => ({
  type: 'TicketClosed',
  data: { ...base(minute), finalOwner, closedBy: supervisor },
});
const transfer = (to: string, minute = 1, extra: Partial<OwnershipCommand> = {}): OwnershipCommand =>
  ({
    type: 'TransferOwnership',
    ...base(minute),
    actor: supervisor,
    to: { agentId: to, agent: agent(to) },
    reason: 'needs billing',
    ...extra,
  }) as OwnershipCommand;
const note = {
  status: 'waiting for refund',
  nextSteps: ['call back at 9'],
  promisesMade: ['refund by Friday'],
};

describe('ownership decider', () => {
  describe('opening', () => {
    it('records the ticket and its first owner (the bot identity)', () =>
      spec
        .given([])
        .when({
          type: 'OpenOwnership',
          ...base(),
          actor: { kind: 'system', id: 'conversations' },
          firstOwner: bot,
        })
        .then(opened()));

    it('ignores a redelivered TicketOpened', () =>
      spec
        .given(opened())
        .when({ type: 'OpenOwnership', ...base(), actor: supervisor, firstOwner: bot })
        .thenNothingHappens());
  });

  describe('transfer', () => {
    it('moves the owner to a named active agent', () =>
      spec
        .given(opened(owner('a1')))
        .when(transfer('a2'))
        .then([
          {
            type: 'OwnershipTransferred',
            data: {
              ...base(1),
              from: owner('a1'),
              to: owner('a2'),
              transferredBy: supervisor,
              reason: 'needs billing',
            },
          },
        ]));

    it('rejects a transfer to the current owner', () =>
      spec
        .given(opened(owner('a1')))
        .when(transfer('a1'))
        .thenThrows(AlreadyOwner));

    it('rejects an unknown agent', () =>
      spec
        .given(opened(owner('a1')))
        .when(transfer('ghost', 1, { to: { agentId: 'ghost', agent: undefined } }))
        .thenThrows(AgentNotFound));

    it('rejects a deactivated agent', () =>
      spec
        .given(opened(owner('a1')))
        .when(
          transfer('a2', 1, {
            to: { agentId: 'a2', agent: agent('a2', { active: false }) },
          }),
        )
        .thenThrows(AgentDeactivated));

    it('answers a conflict with the current owner when the expected owner changed', () =>
      spec
        .given([...opened(owner('a1')), transferred(owner('a1'), owner('a3'), 1)])
        .when(transfer('a2', 2, { expectedOwnerId: 'a1' }))
        .thenThrows(OwnershipConflict, (error) =>
          expect(error.details['currentOwner']).toEqual(owner('a3')),
        ));

    it('refuses to transfer a closed ticket', () =>
      spec
        .given([...opened(owner('a1')), closed(owner('a1'))])
        .when(transfer('a2'))
        .thenThrows(TicketClosed));

    it('refuses to transfer an unowned ticket', () =>
      spec
        .given([
          ...opened(owner('a1')),
          {
            type: 'OwnershipLapsed',
            data: { ...base(1), lapsedSince: at(1), cause: 'released', previousOwner: owner('a1') },
          },
        ])
        .when(transfer('a2', 2))
        .thenThrows(TicketNotOwned));

    it('hides a ticket of another tenant', () =>
      spec
        .given(opened(owner('a1')))
        .when({ ...transfer('a2'), tenantId: 'tenant-b' })
        .thenThrows(TicketNotFound));

    it('rejects any command on a ticket it never heard of', () =>
      spec.given([]).when(transfer('a2')).thenThrows(TicketNotFound));
  });

  describe('assign, claim, release', () => {
    it('assigns to a team only through its lead rule, naming the lead', () =>
      spec
        .given(opened())
        .when({
          type: 'AssignOwner',
          ...base(1),
          actor: supervisor,
          target: {
            kind: 'team',
            teamId: 'billing',
            team: { teamId: 'billing', hasLeadRule: true, lead: agent('lead') },
          },
        })
        .then([
          {
            type: 'OwnershipTransferred',
            data: {
              ...base(1),
              from: bot,
              to: owner('lead', 'billing'),
              transferredBy: supervisor,
              reason: 'assigned to team billing (lead rule)',
            },
          },
        ]));

    it('rejects a team without a lead rule', () =>
      spec
        .given(opened())
        .when({
          type: 'AssignOwner',
          ...base(1),
          actor: supervisor,
          target: {
            kind: 'team',
            teamId: 'queue',
            team: { teamId: 'queue', hasLeadRule: false, lead: undefined },
          },
        })
        .thenThrows(TeamWithoutLead));

    it('rejects an unknown team', () =>
      spec
        .given(opened())
        .when({
          type: 'AssignOwner',
          ...base(1),
          actor: supervisor,
          target: { kind: 'team', teamId: 'x', team: undefined },
        })
        .thenThrows(TeamNotFound));

    it('releases into a measured lapse', () =>
      spec
        .given(opened(owner('a1')))
        .when({
          type: 'ReleaseOwnership',
          ...base(5),
          actor: { kind: 'agent', id: 'a1' },
          reason: 'going home',
        })
        .then([
          {
            type: 'OwnershipReleased',
            data: {
              ...base(5),
              previousOwner: owner('a1'),
              releasedBy: { kind: 'agent', id: 'a1' },
              reason: 'going home',
            },
          },
          {
            type: 'OwnershipLapsed',
            data: { ...base(5), previousOwner: owner('a1'), lapsedSince: at(5), cause: 'released' },
          },
        ]));

    it('lets an agent claim a lapsed ticket', () =>
      spec
        .given([
          ...opened(owner('a1')),
          { type: 'OwnershipLapsed', data: { ...base(5), lapsedSince: at(5), cause: 'released' } },
        ])
        .when({
          type: 'ClaimTicket',
          ...base(6),
          actor: { kind: 'agent', id: 'a2' },
          claimer: { agentId: 'a2', agent: agent('a2') },
        })
        .then([
          {
            type: 'OwnerAssigned',
            data: { ...base(6), owner: owner('a2'), how: 'claimed', assignedBy: { kind: 'agent', id: 'a2' } },
          },
        ]));

    it('refuses a claim of an owned ticket with the current owner', () =>
      spec
        .given(opened(owner('a1')))
        .when({
          type: 'ClaimTicket',
          ...base(6),
          actor: { kind: 'agent', id: 'a2' },
          claimer: { agentId: 'a2', agent: agent('a2') },
        })
        .thenThrows(OwnershipConflict, (e) => expect(e.details['currentOwner']).toEqual(owner('a1'))));

    it('lapses when the owner is deactivated, and not when the ticket moved on', () => {
      spec
        .given(opened(owner('a1')))
        .when({
          type: 'LapseOwnership',
          ...base(3),
          actor: supervisor,
          cause: 'owner_deactivated',
          expectedOwnerId: 'a1',
        })
        .then([
          {
            type: 'OwnershipLapsed',
            data: { ...base(3), previousOwner: owner('a1'), lapsedSince: at(3), cause: 'owner_deactivated' },
          },
        ]);
      spec
        .given(opened(owner('a2')))
        .when({
          type: 'LapseOwnership',
          ...base(3),
          actor: supervisor,
          cause: 'owner_deactivated',
          expectedOwnerId: 'a1',
        })
        .thenNothingHappens();
    });
  });

  describe('accepted handoffs', () => {
    const accepted = (handoffId: string, to: string): OwnershipCommand => ({
      type: 'RecordAcceptedHandoff',
      ...base(2),
      actor: { kind: 'integration', id: 'escalation' },
      handoffId,
      agent: { agentId: to },
      teamId: 'tier2',
      brief: { briefId: 'brief-1', version: 3 },
      reasonCode: 'billing',
    });

    it('transfers with the handoff id and brief', () =>
      spec
        .given(opened())
        .when(accepted('h1', 'a2'))
        .then([
          {
            type: 'OwnershipTransferred',
            data: {
              ...base(2),
              from: bot,
              to: owner('a2', 'tier2'),
              transferredBy: { kind: 'integration', id: 'escalation' },
              reason: 'handoff accepted (billing)',
              handoffId: 'h1',
              brief: { briefId: 'brief-1', version: 3 },
            },
          },
        ]));

    it('gives a lapsed ticket to the agent who accepted, with the handoff id and brief', () =>
      spec
        .given([
          ...opened(owner('a1')),
          {
            type: 'OwnershipLapsed',
            data: { ...base(1), lapsedSince: at(1), cause: 'released', previousOwner: owner('a1') },
          },
        ])
        .when(accepted('h2', 'a2'))
        .then([
          {
            type: 'OwnerAssigned',
            data: {
              ...base(2),
              owner: owner('a2', 'tier2'),
              how: 'routed',
              assignedBy: { kind: 'integration', id: 'escalation' },
              reason: 'handoff accepted (billing)',
              handoffId: 'h2',
              brief: { briefId: 'brief-1', version: 3 },
            },
          },
        ]));

    it('refuses a handoff accepted by an agent the directory knows as deactivated', () =>
      spec
        .given(opened())
        .when({ ...accepted('h4', 'a2'), directoryAgent: agent('a2', { active: false }) } as OwnershipCommand)
        .thenThrows(AgentDeactivated, (error) => expect(error.code).toBe('agent-deactivated')));

    it('takes an agent the directory does not know yet from the accepted handoff', () => {
      const events = decider.decide(
        accepted('h5', 'a9'),
        opened().reduce(decider.evolve, decider.initialState()),
      );
      expect(events.map((e) => e.type)).toEqual(['OwnershipTransferred']);
    });

    it('ignores a handoff accepted for a closed ticket', () =>
      spec
        .given([...opened(owner('a1')), closed(owner('a1'))])
        .when(accepted('h3', 'a2'))
        .thenNothingHappens());

    it('records a redelivered handoff once', () => {
      const events = decider.decide(
        accepted('h1', 'a2'),
        opened().reduce(decider.evolve, decider.initialState()),
      );
      spec
        .given([...opened(), ...events])
        .when(accepted('h1', 'a2'))
        .thenNothingHappens();
    });

    it('opens the record when the handoff overtook TicketOpened', () => {
      const events = decider.decide(accepted('h1', 'a2'), decider.initialState());
      expect(events.map((e) => e.type)).toEqual(['OwnershipOpened', 'OwnerAssigned']);
      spec
        .given(events)
        .when({ type: 'OpenOwnership', ...base(), actor: supervisor, firstOwner: bot })
        .thenNothingHappens();
    });
  });

  describe('close and reopen', () => {
    it('closes with the final owner, once', () => {
      spec
        .given(opened(owner('a1')))
        .when({ type: 'CloseTicket', ...base(30), actor: supervisor })
        .then([closed(owner('a1'))]);
      spec
        .given([...opened(owner('a1')), closed(owner('a1'))])
        .when({ type: 'CloseTicket', ...base(31), actor: supervisor })
        .thenNothingHappens();
    });

    it('reopens to the last owner when online', () =>
      spec
        .given([...opened(owner('a1')), closed(owner('a1'))])
        .when({ type: 'ReopenTicket', ...base(40), actor: supervisor, lastOwner: agent('a1') })
        .then([
          {
            type: 'TicketReopened',
            data: {
              ...base(40),
              previousOwner: owner('a1'),
              routedTo: 'previous_owner',
              reopenedBy: supervisor,
            },
          },
          {
            type: 'OwnerAssigned',
            data: {
              ...base(40),
              owner: owner('a1'),
              how: 'reopened',
              assignedBy: supervisor,
              reason: 'ticket reopened',
            },
          },
        ]));

    it('reopens to routing (a measured lapse) when the last owner went home', () =>
      spec
        .given([...opened(owner('a1')), closed(owner('a1'))])
        .when({
          type: 'ReopenTicket',
          ...base(40),
          actor: supervisor,
          lastOwner: agent('a1', { presence: 'offline' }),
        })
        .then([
          {
            type: 'TicketReopened',
            data: { ...base(40), previousOwner: owner('a1'), routedTo: 'routing', reopenedBy: supervisor },
          },
          {
            type: 'OwnershipLapsed',
            data: {
              ...base(40),
              previousOwner: owner('a1'),
              lapsedSince: at(40),
              cause: 'reopened_owner_offline',
            },
          },
        ]));
  });

  describe('shift handover', () => {
    const request = (overrides: Partial<OwnershipCommand> = {}): OwnershipCommand =>
      ({
        type: 'RequestShiftHandover',
        ...base(10),
        actor: { kind: 'agent', id: 'a1' },
        handoverId: 'ho-1',
        fromAgentId: 'a1',
        to: { agentId: 'a2', agent: agent('a2', { teamId: 'day' }) },
        note,
        acknowledgeBy: at(25),
        supervisorId: 'sup-1',
        ...overrides,
      }) as OwnershipCommand;
    const requested: OwnershipEvent = {
      type: 'ShiftHandoverRequested',
      data: {
        ...base(10),
        handoverId: 'ho-1',
        fromAgent: { agentId: 'a1' },
        toAgent: { agentId: 'a2' },
        toTeamId: 'day',
        note,
        acknowledgeBy: at(25),
        supervisorId: 'sup-1',
        requestedBy: { kind: 'agent', id: 'a1' },
      },
    };

    it('requests a handover with its note', () =>
      spec
        .given(opened(owner('a1')))
        .when(request())
        .then([requested]));

    it('rejects a handover without a note', () =>
      spec
        .given(opened(owner('a1')))
        .when(request({ note: { status: ' ', nextSteps: [], promisesMade: [] } }))
        .thenThrows(HandoverNoteMissing));

    it('rejects a handover with no note at all', () =>
      spec
        .given(opened(owner('a1')))
        .when(request({ note: undefined }))
        .thenThrows(HandoverNoteMissing, (error) => expect(error.message).toContain('no note was given')));

    it('rejects a handover of a ticket the agent does not own', () =>
      spec
        .given(opened(owner('a3')))
        .when(request())
        .thenThrows(OwnershipConflict));

    it('moves the owner on acknowledgement', () =>
      spec
        .given([...opened(owner('a1')), requested])
        .when({
          type: 'AcknowledgeShiftHandover',
          ...base(12),
          actor: { kind: 'agent', id: 'a2' },
          handoverId: 'ho-1',
          agentId: 'a2',
        })
        .then([
          {
            type: 'ShiftHandoverAcknowledged',
            data: { ...base(12), handoverId: 'ho-1', acknowledgedBy: { agentId: 'a2' } },
          },
          {
            type: 'OwnershipTransferred',
            data: {
              ...base(12),
              from: owner('a1'),
              to: owner('a2', 'day'),
              transferredBy: { kind: 'agent', id: 'a2' },
              reason: 'shift handover acknowledged',
              shiftHandoverId: 'ho-1',
            },
          },
        ]));

    it('refuses an acknowledgement by someone else', () =>
      spec
        .given([...opened(owner('a1')), requested])
        .when({
          type: 'AcknowledgeShiftHandover',
          ...base(12),
          actor: supervisor,
          handoverId: 'ho-1',
          agentId: 'a9',
        })
        .thenThrows(HandoverNotForAgent));

    it('escalates to the supervisor after the deadline, once', () => {
      const escalate: OwnershipCommand = {
        type: 'EscalateShiftHandover',
        ...base(26),
        actor: { kind: 'system', id: 'handover-deadlines' },
        handoverId: 'ho-1',
        supervisor: agent('sup-1'),
      };
      const events = decider.decide(
        escalate,
        [...opened(owner('a1')), requested].reduce(decider.evolve, decider.initialState()),
      );
      expect(events).toEqual([
        {
          type: 'ShiftHandoverEscalated',
          data: {
            ...base(26),
            handoverId: 'ho-1',
            toAgent: { agentId: 'a2' },
            supervisor: { agentId: 'sup-1' },
            overdueSince: at(25),
          },
        },
        {
          type: 'OwnershipTransferred',
          data: {
            ...base(26),
            from: owner('a1'),
            to: owner('sup-1'),
            transferredBy: { kind: 'system', id: 'handover-deadlines' },
            reason: 'shift handover not acknowledged in time',
            shiftHandoverId: 'ho-1',
          },
        },
      ]);
      spec
        .given([...opened(owner('a1')), requested, ...events])
        .when(escalate)
        .thenNothingHappens();
      spec
        .given([...opened(owner('a1')), requested, ...events])
        .when({
          type: 'AcknowledgeShiftHandover',
          ...base(27),
          actor: supervisor,
          handoverId: 'ho-1',
          agentId: 'a2',
        })
        .thenThrows(HandoverNotPending);
    });

    it('does not escalate before the deadline', () =>
      spec
        .given([...opened(owner('a1')), requested])
        .when({
          type: 'EscalateShiftHandover',
          ...base(20),
          actor: supervisor,
          handoverId: 'ho-1',
          supervisor: agent('sup-1'),
        })
        .thenNothingHappens());

    it('lapses the ticket when no supervisor is known', () =>
      spec
        .given([...opened(owner('a1')), requested])
        .when({
          type: 'EscalateShiftHandover',
          ...base(26),
          actor: supervisor,
          handoverId: 'ho-1',
          supervisor: undefined,
        })
        .then([
          {
            type: 'ShiftHandoverEscalated',
            data: { ...base(26), handoverId: 'ho-1', toAgent: { agentId: 'a2' }, overdueSince: at(25) },
          },
          {
            type: 'OwnershipLapsed',
            data: {
              ...base(26),
              previousOwner: owner('a1'),
              lapsedSince: at(26),
              cause: 'handover_unacknowledged',
            },
          },
        ]));
  });

  describe('loops', () => {
    it('detects A→B→A within the window', () =>
      spec
        .given([...opened(owner('a1')), transferred(owner('a1'), owner('a2'), 5)])
        .when(transfer('a1', 10))
        .then([
          {
            type: 'OwnershipTransferred',
            data: {
              ...base(10),
              from: owner('a2'),
              to: owner('a1'),
              transferredBy: supervisor,
              reason: 'needs billing',
            },
          },
          {
            type: 'OwnershipLoopDetected',
            data: {
              ...base(10),
              pattern: 'returned_to_previous_owner',
              ownerChanges: 2,
              windowSeconds: 3600,
              owners: [owner('a1'), owner('a2'), owner('a1')],
            },
          },
        ]));

    it('does not call a return after the window a loop', () => {
      const late = createOwnershipDecider({ windowSeconds: 60, maxChangesInWindow: 5 });
      const state = [...opened(owner('a1')), transferred(owner('a1'), owner('a2'), 5)].reduce(
        late.evolve,
        late.initialState(),
      );
      expect(late.decide(transfer('a1', 10), state).map((e) => e.type)).toEqual(['OwnershipTransferred']);
    });

    it('detects a team bounce', () => {
      const to = (id: string, team: string) => ({ agentId: id, agent: agent(id, { teamId: team }) });
      const events = [...opened(owner('a1', 't1')), transferred(owner('a1', 't1'), owner('b1', 't2'), 5)];
      const result = decider.decide(
        { ...transfer('a9', 10), to: to('a9', 't1') } as OwnershipCommand,
        events.reduce(decider.evolve, decider.initialState()),
      );
      expect(result.map((e) => (e.type === 'OwnershipLoopDetected' ? e.data.pattern : e.type))).toEqual([
        'OwnershipTransferred',
        'team_bounce',
      ]);
    });

    it('detects frequent changes at the threshold', () => {
      const events = [
        ...opened(owner('a0')),
        transferred(owner('a0'), owner('a1'), 1),
        transferred(owner('a1'), owner('a2'), 2),
        transferred(owner('a2'), owner('a3'), 3),
        transferred(owner('a3'), owner('a4'), 4),
      ];
      const result = decider.decide(transfer('a5', 5), events.reduce(decider.evolve, decider.initialState()));
      expect(result[1]).toMatchObject({
        type: 'OwnershipLoopDetected',
        data: { pattern: 'frequent_changes', ownerChanges: 5 },
      });
    });
  });
});
