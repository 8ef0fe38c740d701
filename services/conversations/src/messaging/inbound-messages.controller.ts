import { Controller, Inject } from '@nestjs/common';
import { Ctx, EventPattern, type KafkaContext } from '@nestjs/microservices';
import { eventsTopic, inboundTopic, type PublicEventEnvelope } from '@handoff/contracts';
import { MessageProcessor, PoisonMessageError, type PreparedOutcome } from '@handoff/messaging';
import { IngestMessageHandler } from '../application/ingest-message.handler';
import { ConversationsError } from '../domain/conversations.errors';
import { projectExternalEvent } from '../projections/external-events.projection';

export const CHANNEL_MESSAGE = 'dev.handoff.inbound.ChannelMessage.v1';

/** Correlation and causation of the events a channel message's ingestion appends. */
export const ingestRequestOf = (event: PublicEventEnvelope) => ({
  correlationId: event.correlationId ?? event.id,
  causationId: event.id,
});

type ChannelMessageEvent = Extract<PublicEventEnvelope, { type: typeof CHANNEL_MESSAGE }>;

/**
 * The consumer runtime's `prepareBatch` for the inbound topic: the channel messages of a batch
 * transaction are ingested together ({@link IngestMessageHandler.ingestMany}: one append per round
 * of distinct senders and threads, each thread's and sender's messages in offset order, a thread or
 * sender stopping at its first failure). The ids of the messages ingested go back to the runtime,
 * which counts them without calling the handler below: applied, or duplicate for a message ingested
 * before (a redelivery, or a message a support tool posted first); what failed here is met again by
 * the handler and retried or parked with its reason.
 */
export const ingestInboundBatch =
  (ingestion: IngestMessageHandler) =>
  async (
    topic: string,
    events: readonly PublicEventEnvelope[],
  ): Promise<ReadonlyMap<string, PreparedOutcome> | undefined> => {
    if (topic !== inboundTopic('messages')) return undefined;
    const messages = events.filter((e): e is ChannelMessageEvent => e.type === CHANNEL_MESSAGE);
    if (messages.length === 0) return undefined;
    const results = await ingestion.ingestMany(
      messages.map((event) => ({ input: event.data, request: ingestRequestOf(event) })),
      { awaitProjection: false, keepOrder: true },
    );
    const completed = new Map<string, PreparedOutcome>();
    messages.forEach((event, i) => {
      const result = results[i];
      if (result?.ok) completed.set(event.id, result.outcome.replayed ? 'duplicate' : 'applied');
    });
    return completed;
  };

/**
 * Channel connectors' messages (`handoff.inbound.messages.v1`) go through the same ingestion as
 * `POST /v1/messages`. The consumer runtime has already checked the message against its contract
 * (schema violations such as an unknown channel or a missing sender are dead-lettered there); the
 * service's own rules (text limit, identity formats, ticket references) reject a message before
 * anything is written, and such a message is parked in the DLQ with the error code as `dlq_reason`
 * and the field and reason in `dlq_error`.
 */
@Controller()
export class InboundMessagesController {
  constructor(
    @Inject(MessageProcessor) private readonly processor: MessageProcessor,
    @Inject(IngestMessageHandler) private readonly ingestion: IngestMessageHandler,
  ) {}

  @EventPattern(inboundTopic('messages'))
  async onChannelMessage(@Ctx() ctx: KafkaContext): Promise<void> {
    await this.processor.process(ctx, async (event) => {
      if (event.type !== CHANNEL_MESSAGE)
        throw new PoisonMessageError('unexpected-type', `${event.type} is not a channel message`);
      try {
        // The ingestion writes through the event store, not `tx`: it is idempotent per channel
        // message, so a redelivery after a crash between the append and the commit adds nothing.
        // No reader waits for this message, so it does not wait for the read model either.
        const outcome = await this.ingestion.ingest(event.data, ingestRequestOf(event), {
          awaitProjection: false,
        });
        return outcome.replayed ? 'duplicate' : undefined;
      } catch (error) {
        if (error instanceof ConversationsError) {
          const field = error.field === undefined ? '' : `${error.field}: `;
          throw new PoisonMessageError(error.code, `${field}${error.message}`, { cause: error });
        }
        throw error;
      }
    });
  }
}

/** Handoff and ownership facts, interleaved into the timelines and kept for CSAT attribution. */
@Controller()
export class ExternalEventsController {
  constructor(@Inject(MessageProcessor) private readonly processor: MessageProcessor) {}

  @EventPattern(eventsTopic('escalation'))
  async onEscalationEvent(@Ctx() ctx: KafkaContext): Promise<void> {
    await this.processor.process(ctx, projectExternalEvent);
  }

  @EventPattern(eventsTopic('ownership'))
  async onOwnershipEvent(@Ctx() ctx: KafkaContext): Promise<void> {
    await this.processor.process(ctx, projectExternalEvent);
  }
}
