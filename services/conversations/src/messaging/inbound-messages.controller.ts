import { Controller, Inject } from '@nestjs/common';
import { Ctx, EventPattern, type KafkaContext } from '@nestjs/microservices';
import { eventsTopic, inboundTopic } from '@handoff/contracts';
import { MessageProcessor, PoisonMessageError } from '@handoff/messaging';
import { IngestMessageHandler } from '../application/ingest-message.handler';
import { ConversationsError } from '../domain/conversations.errors';
import { projectExternalEvent } from '../projections/external-events.projection';

const CHANNEL_MESSAGE = 'dev.handoff.inbound.ChannelMessage.v1';

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
        await this.ingestion.ingest(event.data, {
          correlationId: event.correlationId ?? event.id,
          causationId: event.id,
        });
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
