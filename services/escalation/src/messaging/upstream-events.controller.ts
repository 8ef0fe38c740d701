import { Controller, Inject } from '@nestjs/common';
import { Ctx, EventPattern, type KafkaContext } from '@nestjs/microservices';
import { eventsTopic } from '@handoff/contracts';
import { MessageProcessor } from '@handoff/messaging';
import { DeadlinePoller } from '../application/deadline.poller';
import {
  applyConversationsEvent,
  applyOwnershipEvent,
  applySummarizationEvent,
} from '../projections/upstream.projection';

/** Consumers of the other contexts' topics; each applies in the runtime's transaction (idempotent, DLQ). */
@Controller()
export class UpstreamEventsController {
  constructor(
    @Inject(MessageProcessor) private readonly processor: MessageProcessor,
    @Inject(DeadlinePoller) private readonly poller: DeadlinePoller,
  ) {}

  @EventPattern(eventsTopic('conversations'))
  async onConversations(@Ctx() ctx: KafkaContext): Promise<void> {
    const outcome = await this.processor.process(ctx, applyConversationsEvent);
    if (outcome.status === 'applied') this.poller.wake();
  }

  @EventPattern(eventsTopic('summarization'))
  async onSummarization(@Ctx() ctx: KafkaContext): Promise<void> {
    const outcome = await this.processor.process(ctx, applySummarizationEvent);
    // The rows it scheduled are visible once the batch commits; waking now makes the next poll early.
    if (outcome.status === 'applied') this.poller.wake();
  }

  @EventPattern(eventsTopic('ownership'))
  async onOwnership(@Ctx() ctx: KafkaContext): Promise<void> {
    await this.processor.process(ctx, applyOwnershipEvent);
  }
}
