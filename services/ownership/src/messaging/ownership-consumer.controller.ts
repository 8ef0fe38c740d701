import { Controller, Inject } from '@nestjs/common';
import { Ctx, EventPattern, type KafkaContext } from '@nestjs/microservices';
import { eventsTopic, type PublicEventEnvelope } from '@handoff/contracts';
import { MessageProcessor } from '@handoff/messaging';
import type { PoolClient } from 'pg';
import { AgentDirectory } from '../application/agent-directory';
import { OwnershipCommands, type Caller } from '../application/ownership.commands.service';
import { factFailure } from './fact-failure';

/**
 * Facts of other services that move ownership: conversations' ticket lifecycle and escalation's
 * accepted handoffs and agent presence. Every message goes through the consumer runtime (contract
 * validation, idempotency, retries, dead letters); a fact the ownership rules refuse is dead-lettered
 * with the rule's code (see {@link factFailure}). Appends to the ownership stream happen outside the
 * runtime's transaction, so each decision is idempotent on its own (see the decider).
 */
@Controller()
export class OwnershipConsumerController {
  constructor(
    @Inject(MessageProcessor) private readonly processor: MessageProcessor,
    @Inject(OwnershipCommands) private readonly commands: OwnershipCommands,
  ) {}

  @EventPattern(eventsTopic('conversations'))
  async onConversationsEvent(@Ctx() ctx: KafkaContext): Promise<void> {
    await this.processor.process(ctx, (event) => this.applyConversations(event));
  }

  @EventPattern(eventsTopic('escalation'))
  async onEscalationEvent(@Ctx() ctx: KafkaContext): Promise<void> {
    await this.processor.process(ctx, (event, tx) => this.applyEscalation(event, tx));
  }

  private caller(event: PublicEventEnvelope, actor: Caller['actor']): Caller {
    return {
      tenantId: event.tenantId,
      actor,
      correlationId: event.correlationId ?? event.id,
      causationId: event.id,
    };
  }

  private async applyConversations(event: PublicEventEnvelope): Promise<void> {
    await this.refusalsDeadLettered(async () => {
      // Only the ticket lifecycle moves ownership; the topic's other facts are not ours to act on.
      if (event.type === 'dev.handoff.conversations.TicketOpened.v1') {
        await this.commands.ticketOpened(
          this.caller(event, event.data.openedBy),
          event.data.ticketId,
          event.data.openedBy,
          event.time,
        );
      } else if (event.type === 'dev.handoff.conversations.TicketClosed.v1') {
        await this.commands.ticketClosed(
          this.caller(event, event.data.closedBy),
          event.data.ticketId,
          event.time,
        );
      } else if (event.type === 'dev.handoff.conversations.TicketReopened.v1') {
        await this.commands.ticketReopened(
          this.caller(event, event.data.reopenedBy),
          event.data.ticketId,
          event.time,
        );
      }
    });
  }

  private async applyEscalation(event: PublicEventEnvelope, tx: PoolClient): Promise<void> {
    if (event.type === 'dev.handoff.escalation.HandoffAccepted.v1') {
      const data = event.data;
      await this.refusalsDeadLettered(() =>
        this.commands.handoffAccepted(
          this.caller(event, { kind: 'agent', id: data.agent.agentId }),
          data.ticketId,
          {
            handoffId: data.handoffId,
            agent: data.agent,
            ...(data.teamId === undefined ? {} : { teamId: data.teamId }),
            ...(data.brief === undefined ? {} : { brief: data.brief }),
            reasonCode: data.reasonCode,
            at: event.time,
          },
        ),
      );
    } else if (event.type === 'dev.handoff.escalation.AgentPresenceChanged.v1') {
      await AgentDirectory.recordPresence(tx, {
        tenantId: event.data.tenantId,
        agentId: event.data.agentId,
        presence: event.data.presence,
        at: event.time,
      });
    }
  }

  private async refusalsDeadLettered(work: () => Promise<unknown>): Promise<void> {
    try {
      await work();
    } catch (error) {
      throw factFailure(error);
    }
  }
}
