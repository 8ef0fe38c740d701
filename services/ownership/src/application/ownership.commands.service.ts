import type { ActorRef, AgentSnapshot, HandoverNote, OwnerRef } from '../domain/ownership.types';
import { DuplicateHandoverTicket, HandoverIncomplete } from '../domain/ownership.errors';
import type { OwnershipCommand } from '../domain/ownership.commands';
import type { OwnershipState } from '../domain/ownership.state';
import type { AgentDirectory } from './agent-directory';
import type {
  CommandContext,
  ExecuteOptions,
  ExecuteResult,
  OwnershipCommandBus,
} from './ownership-command.bus';
import type { Clock, OwnershipSettings, ProjectionWaiter } from './ownership.ports';

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
  note: HandoverNote;
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
      () => ({
        type: 'RecordAcceptedHandoff',
        ...this.base(caller, ticketId),
        at: fact.at,
        handoffId: fact.handoffId,
        agent: fact.agent,
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
   * receiver. Every ticket the agent owns must be covered; each gets its own handover id and
   * acknowledgement deadline.
   */
  async shiftHandover(
    caller: Caller,
    fromAgentId: string,
    items: ShiftHandoverItem[],
    supervisorId?: string,
  ) {
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
    const results: { ticketId: string; handoverId: string; toAgentId: string; acknowledgeBy: string }[] = [];
    for (const item of items) {
      const handoverId = this.newId();
      const result = await this.run(caller, item.ticketId, async () => ({
        type: 'RequestShiftHandover',
        ...this.base(caller, item.ticketId),
        handoverId,
        fromAgentId,
        to: await this.lookup(caller.tenantId, item.toAgentId),
        note: item.note,
        acknowledgeBy,
        ...(supervisor === undefined ? {} : { supervisorId: supervisor }),
      }));
      const requested = result.events.find((e) => e.type === 'ShiftHandoverRequested');
      results.push({
        ticketId: item.ticketId,
        handoverId: requested?.type === 'ShiftHandoverRequested' ? requested.data.handoverId : handoverId,
        toAgentId: item.toAgentId,
        acknowledgeBy,
      });
    }
    return { fromAgentId, acknowledgeBy, handovers: results };
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
