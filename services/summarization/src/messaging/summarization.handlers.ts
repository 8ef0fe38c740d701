import { Controller, Inject } from '@nestjs/common';
import { Ctx, EventPattern, type KafkaContext } from '@nestjs/microservices';
import { eventsTopic } from '@handoff/contracts';
import { MessageProcessor } from '@handoff/messaging';
import { SummarizationService } from '../application/summarization.service';

/**
 * Kafka handlers: the conversations topic feeds the transcript (and incremental briefs, pending
 * handoff briefs and repeat checks); the escalation topic triggers handoff briefs and repeat watches.
 * Other event types of those topics are acknowledged without effect.
 */
@Controller()
export class SummarizationHandlers {
  constructor(
    @Inject(MessageProcessor) private readonly processor: MessageProcessor,
    @Inject(SummarizationService) private readonly service: SummarizationService,
  ) {}

  @EventPattern(eventsTopic('conversations'))
  async onConversationEvent(@Ctx() ctx: KafkaContext): Promise<void> {
    await this.processor.process(ctx, async (event, tx) => {
      if (event.type === 'dev.handoff.conversations.MessageReceived.v1')
        await this.service.onMessageReceived(event, event.data, tx);
    });
  }

  @EventPattern(eventsTopic('escalation'))
  async onEscalationEvent(@Ctx() ctx: KafkaContext): Promise<void> {
    await this.processor.process(ctx, async (event, tx) => {
      if (event.type === 'dev.handoff.escalation.HandoffRequested.v1')
        await this.service.onHandoffRequested(event, event.data, tx);
      else if (event.type === 'dev.handoff.escalation.HandoffAccepted.v1')
        await this.service.onHandoffAccepted(event, event.data, tx);
    });
  }
}
