import { WrongExpectedVersion } from '@handoff/event-store';
import type { ActorRef, AgentSnapshot, HandoverNote, OwnerRef } from '../domain/ownership.types';
import {
  DuplicateHandoverTicket,
  HandoverIncomplete,
  OwnershipError,
  refusalOf,
  ShiftHandoverInterrupted,
} from '../domain/ownership.errors';
import type { OwnershipCommand } from '../domain/ownership.commands';
import type { OwnershipDecider } from '../domain/ownership.decider';
import type { OwnershipState } from '../domain/ownership.state';
import { decideShiftHandover } from '../domain/shift-handover';
import type { AgentDirectory } from './agent-directory';
import type {
  CommandContext,
  ExecuteOptions,
  ExecuteResult,
  OwnershipCommandBus,
} from './ownership-command.bus';
import type { Clock, LapseAlertSink, OwnershipSettings, ProjectionWaiter } from './ownership.ports';

/** Who asks, on behalf of which tenant, and the request's correlation id. */
export interface Caller {
  tenantId: string;
  actor: ActorRef;
  correlationId: string;
  causationId?: string;
}

export interface ShiftHandoverItem {
  ticketId: string;
  toAgentId: string;
  /** Undefined when the caller gave none: the handover is then refused as a whole. */
  note: HandoverNote | undefined;
}

/** One ticket of an accepted shift handover. */
export interface ShiftHandoverReceipt {
  ticketId: string;
  handoverId: string;
  toAgentId: string;
  acknowledgeBy: string;
}

/** The ownership use cases: build a command (with its lookups), run it on the ticket's stream. */
export class OwnershipCommands {
  constructor(
    private readonly bus: OwnershipCommandBus,
    private readonly directory: AgentDirectory,
    private readonly clock: Clock,
    private readonly projection: ProjectionWaiter,
    private readonly settings: OwnershipSettings,
    private readonly newId: () => string,
    private readonly decider: Pick<OwnershipDecider, 'decide'>,
    private readonly alerts: LapseAlertSink,
  ) {}

  private base(caller: Caller, ticketId: string) {
    return { tenantId: caller.tenantId, ticketId, at: this.clock.now().toISOString(), actor: caller.actor };
  }

  private context(caller: Caller): CommandContext {
    return {
      correlationId: caller.correlationId,
      ...(caller.causationId === undefined ? {} : { causationId: caller.causationId }),
      actor: caller.actor,
    };
  }

  private async run(
    caller: Caller,
    ticketId: string,
    build: (state: OwnershipState) => OwnershipCommand | Promise<OwnershipCommand>,
    options: ExecuteOptions & { readYourWrites?: boolean } = {},
  ): Promise<ExecuteResult> {
    const result = await this.bus.execute(ticketId, build, this.context(caller), options);
    if (result.position !== undefined) this.alerts.lapsesBegan(result.events);
    if (options.readYourWrites !== false && result.position !== undefined) {
      // The command is committed either way; a slow projection only delays the answer.
      await this.projection.waitFor(result.position).catch(() => undefined);
    }
    return result;
  }

  private lookup = async (tenantId: string, agentId: string) => ({
    agentId,
    agent: await this.directory.agent(tenantId, agentId),
  });

  // ------------------------------------------------------------ from Kafka facts

  ticketOpened(caller: Caller, ticketId: string, openedBy: ActorRef, at: string) {
    return this.run(
      caller,
      ticketId,
      async () => {
        const agent =
          openedBy.kind === 'agent' ? await this.directory.agent(caller.tenantId, openedBy.id) : undefined;
        const firstOwner: OwnerRef =
          openedBy.kind === 'agent'
            ? {
                kind: 'agent',
                id: openedBy.id,
                ...(agent?.teamId === undefined ? {} : { teamId: agent.teamId }),
                ...(agent?.displayName === undefined ? {} : { displayName: agent.displayName }),
              }
            : { kind: 'bot', id: this.settings.botOwnerId };
        return { type: 'OpenOwnership', ...this.base(caller, ticketId), at, firstOwner };
      },
      { readYourWrites: false },
    );
  }

  ticketClosed(caller: Caller, ticketId: string, at: string) {
    return this.run(caller, ticketId, () => ({ type: 'CloseTicket', ...this.base(caller, ticketId), at }), {
      readYourWrites: false,
    });
  }

  ticketReopened(caller: Caller, ticketId: string, at: string) {
    return this.run(
      caller,
      ticketId,
      async (state) => {
        const last = state.status === 'unknown' ? undefined : state.ticket.lastOwner;
        const lastOwner: AgentSnapshot | undefined =
          last?.kind === 'agent' ? await this.directory.agent(caller.tenantId, last.id) : undefined;
        return { type: 'ReopenTicket', ...this.base(caller, ticketId), at, lastOwner };
      },
      { readYourWrites: false },
    );
  }

  handoffAccepted(
    caller: Caller,
    ticketId: string,
    fact: {
      handoffId: string;
      agent: { agentId: string; displayName?: string };
      teamId?: string;
      brief?: { briefId: string; version: number };
      reasonCode: string;
      at: string;
    },
  ) {
    return this.run(
      caller,
      ticketId,
      async () => ({
        type: 'RecordAcceptedHandoff',
        ...this.base(caller, ticketId),
        at: fact.at,
        handoffId: fact.handoffId,
        agent: fact.agent,
        directoryAgent: await this.directory.agent(caller.tenantId, fact.agent.agentId),
        ...(fact.teamId === undefined ? {} : { teamId: fact.teamId }),
        ...(fact.brief === undefined ? {} : { brief: fact.brief }),
        reasonCode: fact.reasonCode,
      }),
      { readYourWrites: false },
    );
  }

  // ------------------------------------------------------------ REST commands

  assignToAgent(
    caller: Caller,
    ticketId: string,
    agentId: string,
    reason?: string,
    expectedOwnerId?: string,
  ) {
    return this.run(caller, ticketId, async () => ({
      type: 'AssignOwner',
      ...this.base(caller, ticketId),
      target: { kind: 'agent', ...(await this.lookup(caller.tenantId, agentId)) },
      ...(reason === undefined ? {} : { reason }),
      ...(expectedOwnerId === undefined ? {} : { expectedOwnerId }),
    }));
  }

  assignToTeam(caller: Caller, ticketId: string, teamId: string, reason?: string, expectedOwnerId?: string) {
    return this.run(caller, ticketId, async () => ({
      type: 'AssignOwner',
      ...this.base(caller, ticketId),
      target: { kind: 'team', teamId, team: await this.directory.teamSnapshot(caller.tenantId, teamId) },
      ...(reason === undefined ? {} : { reason }),
      ...(expectedOwnerId === undefined ? {} : { expectedOwnerId }),
    }));
  }

  claim(caller: Caller, ticketId: string, agentId: string, reason?: string) {
    return this.run(caller, ticketId, async () => ({
      type: 'ClaimTicket',
      ...this.base(caller, ticketId),
      claimer: await this.lookup(caller.tenantId, agentId),
      ...(reason === undefined ? {} : { reason }),
    }));
  }

  release(caller: Caller, ticketId: string, reason: string, expectedOwnerId?: string) {
    return this.run(caller, ticketId, () => ({
      type: 'ReleaseOwnership',
      ...this.base(caller, ticketId),
      reason,
      ...(expectedOwnerId === undefined ? {} : { expectedOwnerId }),
    }));
  }

  /**
   * A transfer acts on the owner the caller saw: with `expectedOwnerId` that owner is checked, and
   * without it the owner read here is; a concurrent change is then a 409, never a silent overwrite.
   */
  transfer(caller: Caller, ticketId: string, toAgentId: string, reason: string, expectedOwnerId?: string) {
    return this.run(
      caller,
      ticketId,
      async () => ({
        type: 'TransferOwnership',
        ...this.base(caller, ticketId),
        to: await this.lookup(caller.tenantId, toAgentId),
        reason,
        ...(expectedOwnerId === undefined ? {} : { expectedOwnerId }),
      }),
      { onConcurrentChange: expectedOwnerId === undefined ? 'fail' : 'retry' },
    );
  }

  /**
   * An agent going off shift hands over every open ticket in one command, each with its note and
   * receiver; every ticket the agent owns must be covered, and each gets its own handover id and
   * acknowledgement deadline. All or none: every ticket is read and decided before anything is
   * appended, and any refusal refuses the whole handover naming every refused ticket. The event
   * store appends one stream per transaction, so the tickets are then appended one by one, each at
   * the revision it was validated at; see {@link ShiftHandoverInterrupted} for the one window left.
   * Asking again for the same handover changes nothing and answers the same handover ids.
   */
  async shiftHandover(
    caller: Caller,
    fromAgentId: string,
    items: ShiftHandoverItem[],
    supervisorId?: string,
  ): Promise<{ fromAgentId: string; acknowledgeBy: string; handovers: ShiftHandoverReceipt[] }> {
    const duplicates = items.map((i) => i.ticketId).filter((id, index, all) => all.indexOf(id) !== index);
    if (duplicates.length > 0) throw new DuplicateHandoverTicket([...new Set(duplicates)]);
    const open = await this.directory.openTicketsOf(caller.tenantId, fromAgentId);
    const covered = new Set(items.map((item) => item.ticketId));
    const missing = open.filter((ticketId) => !covered.has(ticketId));
    if (missing.length > 0) throw new HandoverIncomplete(fromAgentId, missing);
    const supervisor = supervisorId ?? (await this.directory.supervisorOf(caller.tenantId, fromAgentId));
    const acknowledgeBy = new Date(
      this.clock.now().getTime() + this.settings.handoverAcknowledgeSeconds * 1000,
    ).toISOString();
    // Each receiver is looked up once for the whole handover, however many tickets it takes.
    const receivers = new Map<string, ReturnType<typeof this.lookup>>();
    const receiver = (agentId: string) => {
      const known = receivers.get(agentId);
      if (known) return known;
      const lookup = this.lookup(caller.tenantId, agentId);
      receivers.set(agentId, lookup);
      return lookup;
    };
    const build = (item: ShiftHandoverItem) => async (): Promise<OwnershipCommand> => ({
      type: 'RequestShiftHandover',
      ...this.base(caller, item.ticketId),
      handoverId: this.newId(),
      fromAgentId,
      to: await receiver(item.toAgentId),
      note: item.note,
      acknowledgeBy,
      ...(supervisor === undefined ? {} : { supervisorId: supervisor }),
    });

    // 1. Read and decide every ticket; a refusal of any refuses all, before anything is written.
    const prepared = await Promise.all(
      items.map(async (item) => ({ ...(await this.bus.prepare(item.ticketId, build(item))), item })),
    );
    const decisions = decideShiftHandover(this.decider.decide, prepared);

    // 2. Append each ticket at the revision it was decided on.
    const context = this.context(caller);
    const receipts: ShiftHandoverReceipt[] = [];
    let lastPosition: bigint | undefined;
    for (const [index, { candidate, events }] of decisions.entries()) {
      let result: ExecuteResult;
      try {
        result = await this.bus.commit(candidate, events, context);
      } catch (error) {
        if (!(error instanceof WrongExpectedVersion)) throw error;
        // The ticket changed since it was validated: decide again on its fresh state.
        try {
          result = await this.bus.execute(candidate.ticketId, build(candidate.item), context);
        } catch (refusal) {
          if (!(refusal instanceof OwnershipError)) throw refusal;
          throw new ShiftHandoverInterrupted(
            receipts.map((r) => r.ticketId),
            refusalOf(candidate.ticketId, refusal),
            decisions.slice(index + 1).map((d) => d.candidate.ticketId),
          );
        }
      }
      if (result.position !== undefined) lastPosition = result.position;
      receipts.push(receiptOf(result.state, fromAgentId, candidate.item));
    }
    if (lastPosition !== undefined) await this.projection.waitFor(lastPosition).catch(() => undefined);
    return { fromAgentId, acknowledgeBy, handovers: receipts };
  }

  acknowledge(caller: Caller, ticketId: string, handoverId: string, agentId: string) {
    return this.run(caller, ticketId, () => ({
      type: 'AcknowledgeShiftHandover',
      ...this.base(caller, ticketId),
      handoverId,
      agentId,
    }));
  }

  /** Fired by the deadline poller: escalates to the supervisor named at request time, if any. */
  escalateHandover(caller: Caller, ticketId: string, handoverId: string) {
    return this.run(
      caller,
      ticketId,
      async (state) => {
        const supervisorId =
          state.status === 'unknown' ? undefined : state.ticket.handovers[handoverId]?.supervisorId;
        const supervisor =
          supervisorId === undefined ? undefined : await this.directory.agent(caller.tenantId, supervisorId);
        return { type: 'EscalateShiftHandover', ...this.base(caller, ticketId), handoverId, supervisor };
      },
      { readYourWrites: false },
    );
  }

  /** A deactivated agent's open tickets lapse (measured, alerted) until someone is assigned. */
  async ownerDeactivated(caller: Caller, agentId: string): Promise<string[]> {
    const tickets = await this.directory.openTicketsOf(caller.tenantId, agentId);
    for (const ticketId of tickets) {
      await this.run(caller, ticketId, () => ({
        type: 'LapseOwnership',
        ...this.base(caller, ticketId),
        cause: 'owner_deactivated',
        expectedOwnerId: agentId,
      }));
    }
    return tickets;
  }
}

/** The handover pending on the ticket from the giver to the receiver: the new one, or the same one asked before. */
function receiptOf(
  state: OwnershipState,
  fromAgentId: string,
  item: ShiftHandoverItem,
): ShiftHandoverReceipt {
  const handover =
    state.status === 'unknown'
      ? undefined
      : Object.values(state.ticket.handovers).find(
          (h) => h.status === 'pending' && h.from.agentId === fromAgentId && h.to.agentId === item.toAgentId,
        );
  // The decider either requested it or found the same one pending: there is one, or a bug.
  if (!handover) throw new Error(`no pending handover of ticket ${item.ticketId} after the handover`);
  return {
    ticketId: item.ticketId,
    handoverId: handover.handoverId,
    toAgentId: item.toAgentId,
    acknowledgeBy: handover.acknowledgeBy,
  };
}
