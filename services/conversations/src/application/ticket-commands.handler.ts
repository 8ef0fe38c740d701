import type { EventStore } from '@handoff/event-store';
import { MergeIntoItself, TicketNotFound } from '../domain/conversations.errors';
import type { ChannelKind } from '../domain/identity';
import {
  type CloseResolution,
  type Open,
  type OwnerRef,
  type TicketEvent,
  type TicketState,
  decideMergeTickets,
  evolveTicket,
  initialTicketState,
  ticketDecider,
} from '../domain/ticket.decider';
import {
  type Clock,
  type CommandContext,
  type IdGenerator,
  type ProjectionBarrier,
  type ReadModelQueries,
  metadataOf,
} from './conversations.ports';
import { ticketStream } from './stream-names';
import { execute, executeOnTwo, loadStream, StreamStateCache } from './stream-runner';

/** Close, reopen, merge and CSAT of tickets (REST commands). */
export class TicketCommandsHandler {
  constructor(
    private readonly store: EventStore,
    private readonly readModel: ReadModelQueries,
    private readonly barrier: ProjectionBarrier,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly cache: StreamStateCache = new StreamStateCache(),
  ) {}

  close(context: CommandContext, ticketId: string, resolution: CloseResolution, note?: string) {
    return this.run(context, ticketId, {
      type: 'CloseTicket',
      closedBy: context.actor,
      resolution,
      ...(note === undefined ? {} : { note }),
    });
  }

  reopen(context: CommandContext, ticketId: string, reason?: string) {
    return this.run(context, ticketId, {
      type: 'ReopenTicket',
      reopenedBy: context.actor,
      ...(reason === undefined ? {} : { reason }),
    });
  }

  /**
   * Records a CSAT response with the owner at that time and the handoffs before it, both from the
   * read model of the ownership and escalation topics.
   */
  async recordCsat(
    context: CommandContext,
    ticketId: string,
    response: {
      responseId?: string;
      score: number;
      comment?: string;
      channel?: ChannelKind;
      respondedAt?: string;
    },
  ): Promise<{ responseId: string; owner: OwnerRef | null; precedingHandoffIds: string[] }> {
    await this.ticketOf(context.tenantId, ticketId);
    const respondedAt = new Date(response.respondedAt ?? this.clock.now().toISOString()).toISOString();
    const owner = await this.readModel.currentOwner(context.tenantId, ticketId);
    const precedingHandoffIds = await this.readModel.handoffsBefore(context.tenantId, ticketId, respondedAt);
    const responseId = response.responseId ?? this.ids.next();
    await this.run(context, ticketId, {
      type: 'RecordCsat',
      responseId,
      score: response.score,
      ...(response.comment === undefined ? {} : { comment: response.comment }),
      ...(response.channel === undefined ? {} : { channel: response.channel }),
      respondedAt,
      ...(owner === undefined ? {} : { owner }),
      precedingHandoffIds,
    });
    return { responseId, owner: owner ?? null, precedingHandoffIds };
  }

  /** Merges `mergedTicketId` into `ticketId`: both timelines stay, the merged ticket closes. */
  async merge(
    context: CommandContext,
    ticketId: string,
    mergedTicketId: string,
    reason?: string,
  ): Promise<Open> {
    if (ticketId === mergedTicketId) throw new MergeIntoItself('ticket', 'mergedTicketId');
    await this.ticketOf(context.tenantId, ticketId);
    try {
      await this.ticketOf(context.tenantId, mergedTicketId);
    } catch (error) {
      if (error instanceof TicketNotFound) throw new TicketNotFound(mergedTicketId);
      throw error;
    }
    const result = await executeOnTwo<TicketState, TicketEvent>(
      this.store,
      { survivor: ticketStream(ticketId), other: ticketStream(mergedTicketId) },
      evolveTicket,
      initialTicketState,
      (survivor, other) =>
        decideMergeTickets(
          {
            type: 'MergeTickets',
            survivorTicketId: ticketId,
            mergedTicketId,
            by: context.actor,
            ...(reason === undefined ? {} : { reason }),
          },
          survivor,
          other,
        ),
      {
        survivor: metadataOf(context, this.clock, ticketId),
        other: metadataOf(context, this.clock, mergedTicketId),
      },
    );
    if (result.position !== undefined) await this.barrier.waitFor(result.position);
    return result.survivor as Open;
  }

  private async run(
    context: CommandContext,
    ticketId: string,
    command: Parameters<typeof ticketDecider.decide>[0],
  ): Promise<Open> {
    await this.ticketOf(context.tenantId, ticketId);
    const executed = await execute(
      this.store,
      ticketStream(ticketId),
      ticketDecider,
      command,
      metadataOf(context, this.clock, ticketId),
      this.cache,
    );
    if (executed.position !== undefined) await this.barrier.waitFor(executed.position);
    return executed.state as Open;
  }

  /** The tenant's ticket from its stream; another tenant's ticket is reported as missing. */
  private async ticketOf(tenantId: string, ticketId: string): Promise<Open> {
    const { state } = await loadStream(
      this.store,
      ticketStream(ticketId),
      evolveTicket,
      initialTicketState(),
      this.cache,
    );
    if (state.status === 'none' || state.tenantId !== tenantId) throw new TicketNotFound(ticketId);
    return state;
  }
}
