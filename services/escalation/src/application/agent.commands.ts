import { handleCommand, type EventStore } from '@handoff/event-store';
import { agentDecider, agentStream, type AgentCommand, type AgentProfile } from '../domain/agent.decider';
import type { Presence } from '../domain/routing';
import type { Clock, CommandContext } from './ports';

/** Waits until the read model includes the agent's stream as appended (read-your-writes for routing). */
export type ReadModelBarrier = (stream: string) => Promise<void>;

export class AgentCommands {
  constructor(
    private readonly store: EventStore,
    private readonly clock: Clock,
    private readonly barrier: ReadModelBarrier,
  ) {}

  register(agentId: string, profile: AgentProfile, presence: Presence | undefined, ctx: CommandContext) {
    return this.run(agentId, ctx, (now) => ({
      type: 'RegisterAgent',
      tenantId: ctx.tenantId,
      agentId,
      profile,
      ...(presence === undefined ? {} : { presence }),
      by: ctx.actor,
      now,
    }));
  }

  updateProfile(agentId: string, profile: AgentProfile, ctx: CommandContext) {
    return this.run(agentId, ctx, (now) => ({
      type: 'UpdateAgentProfile',
      tenantId: ctx.tenantId,
      agentId,
      profile,
      now,
    }));
  }

  changePresence(agentId: string, presence: Presence, ctx: CommandContext) {
    return this.run(agentId, ctx, (now) => ({
      type: 'ChangePresence',
      tenantId: ctx.tenantId,
      agentId,
      presence,
      by: ctx.actor,
      now,
    }));
  }

  private async run(
    agentId: string,
    ctx: CommandContext,
    command: (now: Date) => AgentCommand,
  ): Promise<void> {
    const now = this.clock.now();
    const stream = agentStream(ctx.tenantId, agentId);
    await handleCommand(this.store, stream, agentDecider, command(now), {
      metadata: {
        tenantId: ctx.tenantId,
        correlationId: ctx.correlationId,
        ...(ctx.causationId === undefined ? {} : { causationId: ctx.causationId }),
        actor: ctx.actor,
        occurredAt: now.toISOString(),
      },
    });
    await this.barrier(stream);
  }
}
