import {
  AgentDeactivated,
  AgentNotFound,
  AlreadyOwner,
  HandoverNoteMissing,
  HandoverNotForAgent,
  HandoverNotPending,
  InvalidHandoverTarget,
  OwnershipConflict,
  TeamNotFound,
  TeamWithoutLead,
  TicketClosed,
  TicketNotFound,
  TicketNotOwned,
} from './ownership.errors';
import type { AgentLookup, CommandOf, OwnershipCommand } from './ownership.commands';
import type { EventOf, OwnershipEvent } from './ownership.events';
import { DEFAULT_LOOP_POLICY, detectLoops, type LoopPolicy } from './loop-detection';
import {
  recentOwnerChanges,
  type HandoverState,
  type KnownOwnershipState,
  type OwnershipState,
  type TicketRecord,
} from './ownership.state';
import {
  agentOwner,
  agentRefOf,
  sameOwner,
  type AgentSnapshot,
  type HandoverNote,
  type OwnerRef,
} from './ownership.types';

export interface OwnershipDecider {
  decide: (command: OwnershipCommand, state: OwnershipState) => OwnershipEvent[];
  evolve: (state: OwnershipState, event: OwnershipEvent) => OwnershipState;
  initialState: () => OwnershipState;
}

const assertNever = (value: never): never => {
  throw new Error(`unhandled ${JSON.stringify(value)}`);
};

const initialState = (): OwnershipState => ({ status: 'unknown' });

/** The ownership decider with the given loop policy (a setting, so it is passed in, not read). */
export function createOwnershipDecider(policy: LoopPolicy = DEFAULT_LOOP_POLICY): OwnershipDecider {
  const decide = (command: OwnershipCommand, state: OwnershipState): OwnershipEvent[] => {
    switch (command.type) {
      case 'OpenOwnership':
        return open(command, state);
      case 'AssignOwner':
        return withLoops(assign(command, known(command, state)), state, policy);
      case 'ClaimTicket':
        return withLoops(claim(command, known(command, state)), state, policy);
      case 'ReleaseOwnership':
        return release(command, known(command, state));
      case 'TransferOwnership':
        return withLoops(transfer(command, known(command, state)), state, policy);
      case 'RecordAcceptedHandoff':
        return withLoops(recordHandoff(command, state), state, policy);
      case 'CloseTicket':
        return close(command, state);
      case 'ReopenTicket':
        return withLoops(reopen(command, state), state, policy);
      case 'LapseOwnership':
        return lapse(command, state);
      case 'RequestShiftHandover':
        return requestHandover(command, known(command, state));
      case 'AcknowledgeShiftHandover':
        return withLoops(acknowledge(command, known(command, state)), state, policy);
      case 'EscalateShiftHandover':
        return withLoops(escalate(command, state), state, policy);
      default:
        return assertNever(command);
    }
  };
  return { decide, evolve, initialState };
}

/** The default decider (default loop policy), for code that does not configure one. */
export const ownershipDecider = createOwnershipDecider();

// ---------------------------------------------------------------- helpers

const fact = (command: OwnershipCommand) => ({
  tenantId: command.tenantId,
  ticketId: command.ticketId,
  at: command.at,
});

/** A ticket of another tenant is reported exactly like a missing one. */
function known(command: OwnershipCommand, state: OwnershipState): KnownOwnershipState {
  if (state.status === 'unknown' || state.ticket.tenantId !== command.tenantId) {
    throw new TicketNotFound(command.ticketId);
  }
  return state;
}

function openForChanges(command: OwnershipCommand, state: KnownOwnershipState) {
  if (state.status === 'closed') throw new TicketClosed(command.ticketId);
  return state;
}

/** The agent a command names, if the directory knows it and it is active. */
function eligibleAgent(lookup: AgentLookup): AgentSnapshot {
  if (!lookup.agent) throw new AgentNotFound(lookup.agentId);
  if (!lookup.agent.active) throw new AgentDeactivated(lookup.agentId);
  return lookup.agent;
}

function expectOwner(state: KnownOwnershipState, expectedOwnerId: string | undefined): void {
  if (expectedOwnerId === undefined) return;
  const current = state.status === 'owned' ? state.owner : undefined;
  if (current?.id !== expectedOwnerId) {
    throw new OwnershipConflict(
      current
        ? `The ticket is owned by ${current.id}, not ${expectedOwnerId}`
        : `The ticket has no owner, not ${expectedOwnerId}`,
      current ?? null,
    );
  }
}

/** Owner-change events, plus the loops they complete. */
function withLoops(events: OwnershipEvent[], state: OwnershipState, policy: LoopPolicy): OwnershipEvent[] {
  let head = state.status === 'unknown' ? undefined : state.ticket.owners;
  const loops: OwnershipEvent[] = [];
  for (const event of events) {
    const owner = newOwnerOf(event);
    if (!owner) continue;
    head = { owner, at: event.data.at, index: (head?.index ?? 0) + 1, previous: head };
    const windowStart = Date.parse(event.data.at) - policy.windowSeconds * 1000;
    const history = recentOwnerChanges(head, (change) => Date.parse(change.at) >= windowStart);
    for (const loop of detectLoops(history, policy)) {
      loops.push({
        type: 'OwnershipLoopDetected',
        data: { tenantId: event.data.tenantId, ticketId: event.data.ticketId, at: event.data.at, ...loop },
      });
    }
  }
  return [...events, ...loops];
}

const newOwnerOf = (event: OwnershipEvent): OwnerRef | undefined =>
  event.type === 'OwnerAssigned'
    ? event.data.owner
    : event.type === 'OwnershipTransferred'
      ? event.data.to
      : undefined;

/** Owner change to `to`: an assignment when nobody owns the ticket, else a transfer. */
function changeOwner(
  command: OwnershipCommand,
  state: Exclude<KnownOwnershipState, { status: 'closed' }>,
  to: OwnerRef,
  details: {
    how: EventOf<'OwnerAssigned'>['data']['how'];
    reason?: string;
    handoffId?: string;
    brief?: EventOf<'OwnerAssigned'>['data']['brief'];
    shiftHandoverId?: string;
  },
): OwnershipEvent[] {
  const optional = {
    ...(details.handoffId === undefined ? {} : { handoffId: details.handoffId }),
    ...(details.brief === undefined ? {} : { brief: details.brief }),
  };
  if (state.status === 'owned') {
    if (sameOwner(state.owner, to)) throw new AlreadyOwner(state.owner);
    return [
      {
        type: 'OwnershipTransferred',
        data: {
          ...fact(command),
          from: state.owner,
          to,
          transferredBy: command.actor,
          reason: details.reason ?? details.how,
          ...optional,
          ...(details.shiftHandoverId === undefined ? {} : { shiftHandoverId: details.shiftHandoverId }),
        },
      },
    ];
  }
  return [
    {
      type: 'OwnerAssigned',
      data: {
        ...fact(command),
        owner: to,
        how: details.how,
        assignedBy: command.actor,
        ...(details.reason === undefined ? {} : { reason: details.reason }),
        ...optional,
      },
    },
  ];
}

function noteProblem(note: HandoverNote | undefined): string | undefined {
  if (note === undefined) return 'no note was given';
  if (note.status.trim() === '') return 'the status is empty';
  if (note.nextSteps.filter((step) => step.trim() !== '').length === 0) return 'no agreed next step';
  return undefined;
}

// ---------------------------------------------------------------- decisions

function open(command: CommandOf<'OpenOwnership'>, state: OwnershipState): OwnershipEvent[] {
  // A redelivered TicketOpened, or one arriving after a handoff already opened the record.
  if (state.status !== 'unknown') return [];
  return [
    { type: 'OwnershipOpened', data: { ...fact(command), openedBy: command.actor } },
    {
      type: 'OwnerAssigned',
      data: {
        ...fact(command),
        owner: command.firstOwner,
        how: command.firstOwner.kind === 'bot' ? 'routed' : 'assigned',
        assignedBy: command.actor,
        reason: 'ticket opened',
      },
    },
  ];
}

function assign(command: CommandOf<'AssignOwner'>, state: KnownOwnershipState): OwnershipEvent[] {
  const open = openForChanges(command, state);
  expectOwner(open, command.expectedOwnerId);
  const target = command.target;
  if (target.kind === 'agent') {
    const agent = eligibleAgent(target);
    return changeOwner(command, open, agentOwner(agent), {
      how: 'assigned',
      ...(command.reason === undefined ? {} : { reason: command.reason }),
    });
  }
  if (!target.team) throw new TeamNotFound(target.teamId);
  // Accountability: a team is never the owner; its lead rule must name the person.
  if (!target.team.hasLeadRule || !target.team.lead) throw new TeamWithoutLead(target.teamId);
  const lead = eligibleAgent({ agentId: target.team.lead.agentId, agent: target.team.lead });
  return changeOwner(
    command,
    open,
    { ...agentOwner(lead), teamId: target.teamId },
    { how: 'team_lead_rule', reason: command.reason ?? `assigned to team ${target.teamId} (lead rule)` },
  );
}

function claim(command: CommandOf<'ClaimTicket'>, state: KnownOwnershipState): OwnershipEvent[] {
  const open = openForChanges(command, state);
  const agent = eligibleAgent(command.claimer);
  if (open.status === 'owned') {
    if (open.owner.id === agent.agentId) throw new AlreadyOwner(open.owner);
    throw new OwnershipConflict(`The ticket is already owned by ${open.owner.id}`, open.owner);
  }
  return changeOwner(command, open, agentOwner(agent), {
    how: 'claimed',
    ...(command.reason === undefined ? {} : { reason: command.reason }),
  });
}

function release(command: CommandOf<'ReleaseOwnership'>, state: KnownOwnershipState): OwnershipEvent[] {
  const open = openForChanges(command, state);
  expectOwner(open, command.expectedOwnerId);
  if (open.status !== 'owned') throw new TicketNotOwned(command.ticketId);
  return [
    {
      type: 'OwnershipReleased',
      data: {
        ...fact(command),
        previousOwner: open.owner,
        releasedBy: command.actor,
        reason: command.reason,
      },
    },
    {
      type: 'OwnershipLapsed',
      data: { ...fact(command), previousOwner: open.owner, lapsedSince: command.at, cause: 'released' },
    },
  ];
}

function transfer(command: CommandOf<'TransferOwnership'>, state: KnownOwnershipState): OwnershipEvent[] {
  const open = openForChanges(command, state);
  if (open.status !== 'owned') throw new TicketNotOwned(command.ticketId);
  expectOwner(open, command.expectedOwnerId);
  const agent = eligibleAgent(command.to);
  return changeOwner(command, open, agentOwner(agent), { how: 'assigned', reason: command.reason });
}

function recordHandoff(command: CommandOf<'RecordAcceptedHandoff'>, state: OwnershipState): OwnershipEvent[] {
  const to: OwnerRef = {
    kind: 'agent',
    id: command.agent.agentId,
    ...(command.teamId === undefined ? {} : { teamId: command.teamId }),
    ...(command.agent.displayName === undefined ? {} : { displayName: command.agent.displayName }),
  };
  // The directory learns agents from presence facts on other partitions, so an agent it does not
  // know yet is taken from the fact; one it knows as deactivated cannot become accountable.
  const refuseDeactivated = () => {
    if (command.directoryAgent?.active === false) throw new AgentDeactivated(command.agent.agentId);
  };
  const details = {
    how: 'routed' as const,
    reason: `handoff accepted (${command.reasonCode})`,
    handoffId: command.handoffId,
    ...(command.brief === undefined ? {} : { brief: command.brief }),
  };
  if (state.status === 'unknown') {
    // The accepted handoff overtook TicketOpened (they travel on different topics): the ticket is
    // known from this fact, and the late TicketOpened then changes nothing.
    refuseDeactivated();
    return [
      { type: 'OwnershipOpened', data: { ...fact(command), openedBy: command.actor } },
      ...changeOwner(
        command,
        { status: 'lapsed', ticket: emptyRecord(command), since: command.at, cause: 'released' },
        to,
        details,
      ),
    ];
  }
  if (state.ticket.tenantId !== command.tenantId) throw new TicketNotFound(command.ticketId);
  if (state.ticket.handoffIds.includes(command.handoffId)) return [];
  // A handoff accepted for a closed ticket, or by the agent who already owns it, changes no owner.
  if (state.status === 'closed') return [];
  if (state.status === 'owned' && sameOwner(state.owner, to)) return [];
  refuseDeactivated();
  return changeOwner(command, state, to, details);
}

function close(command: CommandOf<'CloseTicket'>, state: OwnershipState): OwnershipEvent[] {
  if (state.status === 'closed') return [];
  if (state.status !== 'unknown' && state.ticket.tenantId !== command.tenantId) {
    throw new TicketNotFound(command.ticketId);
  }
  const closed: OwnershipEvent = {
    type: 'TicketClosed',
    data: {
      ...fact(command),
      ...(state.status === 'owned' ? { finalOwner: state.owner } : {}),
      closedBy: command.actor,
    },
  };
  // A close that overtook TicketOpened still records the ticket, so the late open changes nothing.
  if (state.status === 'unknown') {
    return [{ type: 'OwnershipOpened', data: { ...fact(command), openedBy: command.actor } }, closed];
  }
  return [closed];
}

function reopen(command: CommandOf<'ReopenTicket'>, state: OwnershipState): OwnershipEvent[] {
  if (state.status === 'unknown') throw new TicketNotFound(command.ticketId);
  if (state.ticket.tenantId !== command.tenantId) throw new TicketNotFound(command.ticketId);
  if (state.status !== 'closed') return [];
  const previous = state.ticket.lastOwner;
  // The bot identity is always available; a person only when online and still active.
  const available =
    previous !== undefined &&
    (previous.kind === 'bot' ||
      (command.lastOwner !== undefined &&
        command.lastOwner.agentId === previous.id &&
        command.lastOwner.active &&
        command.lastOwner.presence === 'online'));
  const reopened: OwnershipEvent = {
    type: 'TicketReopened',
    data: {
      ...fact(command),
      ...(previous === undefined ? {} : { previousOwner: previous }),
      routedTo: available ? 'previous_owner' : 'routing',
      reopenedBy: command.actor,
    },
  };
  if (available) {
    return [
      reopened,
      {
        type: 'OwnerAssigned',
        data: {
          ...fact(command),
          owner: previous,
          how: 'reopened',
          assignedBy: command.actor,
          reason: 'ticket reopened',
        },
      },
    ];
  }
  return [
    reopened,
    {
      type: 'OwnershipLapsed',
      data: {
        ...fact(command),
        ...(previous === undefined ? {} : { previousOwner: previous }),
        lapsedSince: command.at,
        cause: 'reopened_owner_offline',
      },
    },
  ];
}

function lapse(command: CommandOf<'LapseOwnership'>, state: OwnershipState): OwnershipEvent[] {
  if (state.status === 'unknown' || state.ticket.tenantId !== command.tenantId) {
    throw new TicketNotFound(command.ticketId);
  }
  // Only the owner the lapse is about: if the ticket moved on meanwhile, there is nothing to lapse.
  if (state.status !== 'owned' || state.owner.id !== command.expectedOwnerId) return [];
  return [
    {
      type: 'OwnershipLapsed',
      data: { ...fact(command), previousOwner: state.owner, lapsedSince: command.at, cause: command.cause },
    },
  ];
}

function requestHandover(
  command: CommandOf<'RequestShiftHandover'>,
  state: KnownOwnershipState,
): OwnershipEvent[] {
  const open = openForChanges(command, state);
  const note = command.note;
  const problem = noteProblem(note);
  if (problem !== undefined || note === undefined)
    throw new HandoverNoteMissing(command.ticketId, problem ?? 'no note was given');
  if (open.status !== 'owned' || open.owner.kind !== 'agent' || open.owner.id !== command.fromAgentId) {
    throw new OwnershipConflict(
      `Agent ${command.fromAgentId} does not own ticket ${command.ticketId}`,
      open.status === 'owned' ? open.owner : null,
    );
  }
  if (command.to.agentId === command.fromAgentId) throw new InvalidHandoverTarget(command.fromAgentId);
  const receiver = eligibleAgent(command.to);
  const superseded = Object.values(open.ticket.handovers).filter((h) => h.status === 'pending');
  if (superseded.some((h) => h.to.agentId === receiver.agentId && h.from.agentId === command.fromAgentId)) {
    // The same handover asked for again (a retried request): nothing new.
    return [];
  }
  return [
    {
      type: 'ShiftHandoverRequested',
      data: {
        ...fact(command),
        handoverId: command.handoverId,
        fromAgent: {
          agentId: open.owner.id,
          ...(open.owner.displayName === undefined ? {} : { displayName: open.owner.displayName }),
        },
        toAgent: agentRefOf(receiver),
        ...(receiver.teamId === undefined ? {} : { toTeamId: receiver.teamId }),
        note,
        acknowledgeBy: command.acknowledgeBy,
        ...(command.supervisorId === undefined ? {} : { supervisorId: command.supervisorId }),
        requestedBy: command.actor,
      },
    },
  ];
}

function acknowledge(
  command: CommandOf<'AcknowledgeShiftHandover'>,
  state: KnownOwnershipState,
): OwnershipEvent[] {
  const handover = state.ticket.handovers[command.handoverId];
  if (!handover) throw new HandoverNotPending(command.handoverId);
  if (handover.to.agentId !== command.agentId)
    throw new HandoverNotForAgent(command.handoverId, command.agentId);
  // Acknowledging twice (a retried request) changes nothing.
  if (handover.status === 'acknowledged') return [];
  if (handover.status !== 'pending') throw new HandoverNotPending(command.handoverId);
  const open = openForChanges(command, state);
  const to: OwnerRef = {
    kind: 'agent',
    id: handover.to.agentId,
    ...(handover.toTeamId === undefined ? {} : { teamId: handover.toTeamId }),
    ...(handover.to.displayName === undefined ? {} : { displayName: handover.to.displayName }),
  };
  return [
    {
      type: 'ShiftHandoverAcknowledged',
      data: { ...fact(command), handoverId: handover.handoverId, acknowledgedBy: handover.to },
    },
    ...changeOwner(command, open, to, {
      how: 'assigned',
      reason: 'shift handover acknowledged',
      shiftHandoverId: handover.handoverId,
    }),
  ];
}

function escalate(command: CommandOf<'EscalateShiftHandover'>, state: OwnershipState): OwnershipEvent[] {
  if (state.status === 'unknown' || state.ticket.tenantId !== command.tenantId) {
    throw new TicketNotFound(command.ticketId);
  }
  const handover = state.ticket.handovers[command.handoverId];
  // Fire once: acknowledged, superseded or already escalated handovers need nothing.
  if (!handover || handover.status !== 'pending') return [];
  if (Date.parse(command.at) < Date.parse(handover.acknowledgeBy)) return [];
  const supervisor = command.supervisor?.active ? command.supervisor : undefined;
  const escalated: OwnershipEvent = {
    type: 'ShiftHandoverEscalated',
    data: {
      ...fact(command),
      handoverId: handover.handoverId,
      toAgent: handover.to,
      ...(supervisor ? { supervisor: agentRefOf(supervisor) } : {}),
      overdueSince: handover.acknowledgeBy,
    },
  };
  if (state.status === 'closed') return [escalated];
  // The supervisor becomes accountable; without one the ticket lapses, measured and alerted.
  if (supervisor) {
    if (state.status === 'owned' && state.owner.id === supervisor.agentId) return [escalated];
    return [
      escalated,
      ...changeOwner(command, state, agentOwner(supervisor), {
        how: 'assigned',
        reason: 'shift handover not acknowledged in time',
        shiftHandoverId: handover.handoverId,
      }),
    ];
  }
  if (state.status !== 'owned') return [escalated];
  return [
    escalated,
    {
      type: 'OwnershipLapsed',
      data: {
        ...fact(command),
        previousOwner: state.owner,
        lapsedSince: command.at,
        cause: 'handover_unacknowledged',
      },
    },
  ];
}

// ---------------------------------------------------------------- evolve

const emptyRecord = (c: { tenantId: string; ticketId: string; at: string }): TicketRecord => ({
  tenantId: c.tenantId,
  ticketId: c.ticketId,
  openedAt: c.at,
  owners: undefined,
  handovers: {},
  handoffIds: [],
});

/** Pending handovers end whenever the owner changes or the ticket closes. */
const supersedePending = (handovers: Record<string, HandoverState>): Record<string, HandoverState> =>
  // Most owner changes happen with no handover pending: keep the same object then.
  !Object.values(handovers).some((h) => h.status === 'pending')
    ? handovers
    : Object.fromEntries(
        Object.entries(handovers).map(([id, h]) => [
          id,
          h.status === 'pending' ? { ...h, status: 'superseded' as const } : h,
        ]),
      );

function withOwner(
  ticket: TicketRecord,
  owner: OwnerRef,
  at: string,
  handoffId: string | undefined,
  handoverId: string | undefined,
): TicketRecord {
  const handovers = supersedePending(ticket.handovers);
  if (handoverId !== undefined && ticket.handovers[handoverId]) {
    // The handover that moved the owner keeps its own outcome (acknowledged or escalated).
    handovers[handoverId] = ticket.handovers[handoverId];
  }
  return {
    ...ticket,
    lastOwner: owner,
    owners: { owner, at, index: (ticket.owners?.index ?? 0) + 1, previous: ticket.owners },
    handovers,
    handoffIds: handoffId === undefined ? ticket.handoffIds : [...ticket.handoffIds, handoffId],
  };
}

function evolve(state: OwnershipState, event: OwnershipEvent): OwnershipState {
  const ticket = state.status === 'unknown' ? emptyRecord(event.data) : state.ticket;
  switch (event.type) {
    case 'OwnershipOpened':
      // Until an owner is assigned (same batch) the ticket counts as lapsed since it opened.
      return { status: 'lapsed', ticket: emptyRecord(event.data), since: event.data.at, cause: 'released' };
    case 'OwnerAssigned':
      return {
        status: 'owned',
        ticket: withOwner(ticket, event.data.owner, event.data.at, event.data.handoffId, undefined),
        owner: event.data.owner,
        since: event.data.at,
      };
    case 'OwnershipTransferred':
      return {
        status: 'owned',
        ticket: withOwner(
          ticket,
          event.data.to,
          event.data.at,
          event.data.handoffId,
          event.data.shiftHandoverId,
        ),
        owner: event.data.to,
        since: event.data.at,
      };
    case 'OwnershipReleased':
      return state;
    case 'OwnershipLapsed':
      return {
        status: 'lapsed',
        ticket: { ...ticket, handovers: supersedePending(ticket.handovers) },
        ...(event.data.previousOwner === undefined ? {} : { previousOwner: event.data.previousOwner }),
        since: event.data.lapsedSince,
        cause: event.data.cause,
      };
    case 'ShiftHandoverRequested':
      return withTicket(state, {
        ...ticket,
        handovers: {
          ...ticket.handovers,
          [event.data.handoverId]: {
            handoverId: event.data.handoverId,
            from: event.data.fromAgent,
            to: event.data.toAgent,
            ...(event.data.toTeamId === undefined ? {} : { toTeamId: event.data.toTeamId }),
            acknowledgeBy: event.data.acknowledgeBy,
            ...(event.data.supervisorId === undefined ? {} : { supervisorId: event.data.supervisorId }),
            status: 'pending',
          },
        },
      });
    case 'ShiftHandoverAcknowledged':
      return updateHandover(state, ticket, event.data.handoverId, 'acknowledged');
    case 'ShiftHandoverEscalated':
      return updateHandover(state, ticket, event.data.handoverId, 'escalated');
    case 'TicketClosed':
      return {
        status: 'closed',
        ticket: { ...ticket, handovers: supersedePending(ticket.handovers) },
        ...(event.data.finalOwner === undefined ? {} : { finalOwner: event.data.finalOwner }),
        closedAt: event.data.at,
      };
    case 'TicketReopened':
      // The next event of the same batch says where it went (owner or lapse).
      return { status: 'lapsed', ticket, since: event.data.at, cause: 'reopened_owner_offline' };
    case 'OwnershipLoopDetected':
      return state;
    default:
      return assertNever(event);
  }
}

function withTicket(state: OwnershipState, ticket: TicketRecord): OwnershipState {
  return state.status === 'unknown'
    ? { status: 'lapsed', ticket, since: ticket.openedAt, cause: 'released' }
    : { ...state, ticket };
}

function updateHandover(
  state: OwnershipState,
  ticket: TicketRecord,
  handoverId: string,
  status: HandoverState['status'],
): OwnershipState {
  const handover = ticket.handovers[handoverId];
  if (!handover) return state;
  return withTicket(state, {
    ...ticket,
    handovers: { ...ticket.handovers, [handoverId]: { ...handover, status } },
  });
}
