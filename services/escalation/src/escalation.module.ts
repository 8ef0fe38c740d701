import { Logger, Module, type DynamicModule } from '@nestjs/common';
import type { EventStore } from '@handoff/event-store';
import { ConsumerRuntimeModule, type ConsumerRuntimeOptions } from '@handoff/messaging';
import { MetricsService } from '@handoff/platform';
import type { Pool } from 'pg';
import { AgentCommands, type ReadModelBarrier } from './application/agent.commands';
import { deadlineHandler } from './application/deadline.handlers';
import { DeadlinePoller } from './application/deadline.poller';
import { OrphanedHoldSweeper } from './application/orphaned-holds.sweeper';
import { HandoffCommands, type HandoffSettings } from './application/handoff.commands';
import { CLOCK, type Clock, type IdGenerator } from './application/ports';
import { AgentsController, BOT_ID, HandoffsController, QueuesController } from './api/escalation.controllers';
import { UpstreamEventsController } from './messaging/upstream-events.controller';
import { EscalationQueries } from './projections/escalation.queries';

export interface EscalationModuleOptions {
  store: EventStore;
  pool: Pool;
  queries: EscalationQueries;
  clock: Clock;
  ids: IdGenerator;
  handoffSettings: HandoffSettings;
  barrier: ReadModelBarrier;
  consumer: ConsumerRuntimeOptions;
  deadlinePollMs: number;
  holdSweep: { intervalMs: number; graceMs: number };
  botId: string;
}

@Module({})
export class EscalationModule {
  static register(options: EscalationModuleOptions): DynamicModule {
    const logger = new Logger('Escalation');
    return {
      module: EscalationModule,
      imports: [ConsumerRuntimeModule.forRoot(options.consumer)],
      controllers: [HandoffsController, AgentsController, QueuesController, UpstreamEventsController],
      providers: [
        { provide: CLOCK, useValue: options.clock },
        { provide: BOT_ID, useValue: options.botId },
        { provide: EscalationQueries, useValue: options.queries },
        {
          provide: AgentCommands,
          useFactory: () => new AgentCommands(options.store, options.clock, options.barrier),
        },
        {
          provide: HandoffCommands,
          inject: [MetricsService],
          useFactory: (metrics: MetricsService) => {
            const noEligible = metrics.counter<'target_kind'>({
              name: 'escalation_no_eligible_agent_total',
              help: 'Handoffs for which routing found no qualified online agent (alert)',
              labelNames: ['target_kind'],
            });
            const offerLatency = metrics.histogram<'without_brief'>({
              name: 'escalation_request_to_offer_seconds',
              help: 'From handoff request to its first offer',
              labelNames: ['without_brief'],
              buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
            });
            return new HandoffCommands(
              options.store,
              options.queries,
              options.clock,
              options.ids,
              options.handoffSettings,
              {
                raise: (alert) => {
                  noEligible.inc({ target_kind: alert.target.split(':')[0] ?? 'unknown' });
                  logger.warn(
                    `ALERT no eligible agent for handoff ${alert.handoffId} (ticket ${alert.ticketId}, tenant ${alert.tenantId}, target ${alert.target}): ${alert.reasons.join('; ')}`,
                  );
                },
              },
              {
                offered: (event) =>
                  offerLatency.observe(
                    { without_brief: String(event.withoutBrief) },
                    (event.offeredAt.getTime() - event.requestedAt.getTime()) / 1000,
                  ),
              },
              (error, handoffId) =>
                logger.warn(
                  `progress of handoff ${handoffId} failed, the durable deadline retries it: ${error instanceof Error ? error.message : String(error)}`,
                ),
            );
          },
        },
        {
          provide: DeadlinePoller,
          inject: [HandoffCommands, MetricsService],
          useFactory: (handoffs: HandoffCommands, metrics: MetricsService) => {
            const fired = metrics.counter<'kind' | 'outcome'>({
              name: 'escalation_deadlines_fired_total',
              help: 'Durable deadlines fired by the poller',
              labelNames: ['kind', 'outcome'],
            });
            return new DeadlinePoller({
              pool: options.pool,
              clock: options.clock,
              handle: deadlineHandler(handoffs),
              intervalMs: options.deadlinePollMs,
              log: { warn: (m) => logger.warn(m), error: (m) => logger.error(m) },
              onFired: (deadline, outcome) => fired.inc({ kind: deadline.kind, outcome }),
            });
          },
        },
        {
          provide: OrphanedHoldSweeper,
          useFactory: () =>
            new OrphanedHoldSweeper({
              pool: options.pool,
              store: options.store,
              clock: options.clock,
              intervalMs: options.holdSweep.intervalMs,
              graceMs: options.holdSweep.graceMs,
              log: { warn: (m) => logger.warn(m), error: (m) => logger.error(m) },
            }),
        },
      ],
    };
  }
}
