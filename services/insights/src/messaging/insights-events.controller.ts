import { Controller, Inject } from '@nestjs/common';
import { Ctx, EventPattern, type KafkaContext } from '@nestjs/microservices';
import { eventsTopic, type PublicEventEnvelope } from '@handoff/contracts';
import { MessageProcessor } from '@handoff/messaging';
import type { PoolClient } from 'pg';
import { recordFact } from '../projections/ticket-fact.store';
import { InsightsMetrics } from '../application/insights-metrics';
import { toInsightFact } from './public-event-to-fact.mapper';

/**
 * Every public topic, folded into the facts of insights. Each handler goes through
 * `MessageProcessor.process`: validated against the contract, applied in one transaction with the
 * processed event id (a redelivery changes nothing), poison parked in the topic's DLQ.
 */
@Controller()
export class InsightsEventsController {
  constructor(
    @Inject(MessageProcessor) private readonly processor: MessageProcessor,
    @Inject(InsightsMetrics) private readonly metrics: InsightsMetrics,
  ) {}

  @EventPattern(eventsTopic('conversations'))
  onConversations(@Ctx() ctx: KafkaContext) {
    return this.processor.process(ctx, this.fold);
  }

  @EventPattern(eventsTopic('summarization'))
  onSummarization(@Ctx() ctx: KafkaContext) {
    return this.processor.process(ctx, this.fold);
  }

  @EventPattern(eventsTopic('escalation'))
  onEscalation(@Ctx() ctx: KafkaContext) {
    return this.processor.process(ctx, this.fold);
  }

  @EventPattern(eventsTopic('ownership'))
  onOwnership(@Ctx() ctx: KafkaContext) {
    return this.processor.process(ctx, this.fold);
  }

  private readonly fold = async (event: PublicEventEnvelope, tx: PoolClient): Promise<void> => {
    const fact = toInsightFact(event);
    if (fact) await recordFact(tx, fact);
    this.metrics.countFolded(event.type, fact !== null);
  };
}
