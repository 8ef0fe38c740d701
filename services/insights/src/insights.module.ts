import { Module, type DynamicModule } from '@nestjs/common';
import { ConsumerRuntimeModule, type ConsumerRuntimeOptions } from '@handoff/messaging';
import { MetricsService } from '@handoff/platform';
import { DataSource } from 'typeorm';
import { InsightsController } from './api/insights.controller';
import { InsightsMetrics } from './application/insights-metrics';
import { InsightsQueries } from './application/insights-queries';
import { INSIGHTS_CLOCK, INSIGHTS_SETTINGS, type InsightsSettings } from './insights.tokens';
import { InsightsEventsController } from './messaging/insights-events.controller';

/** What the composition root hands the module. */
export interface InsightsModuleOptions {
  dataSource: DataSource;
  consumer: ConsumerRuntimeOptions;
  settings: InsightsSettings;
  metricsWindowDays: number;
  clock: () => Date;
}

/** REST figures and the Kafka fold of insights (one hybrid app). */
@Module({})
export class InsightsModule {
  static forRoot(options: InsightsModuleOptions): DynamicModule {
    return {
      module: InsightsModule,
      imports: [ConsumerRuntimeModule.forRoot(options.consumer)],
      controllers: [InsightsController, InsightsEventsController],
      providers: [
        { provide: DataSource, useValue: options.dataSource },
        { provide: INSIGHTS_SETTINGS, useValue: options.settings },
        { provide: INSIGHTS_CLOCK, useValue: options.clock },
        { provide: InsightsQueries, useFactory: () => new InsightsQueries(options.dataSource) },
        {
          provide: InsightsMetrics,
          inject: [MetricsService, InsightsQueries],
          useFactory: (metrics: MetricsService, queries: InsightsQueries) =>
            new InsightsMetrics(metrics, queries, options.metricsWindowDays, options.clock),
        },
      ],
      exports: [InsightsMetrics],
    };
  }
}
