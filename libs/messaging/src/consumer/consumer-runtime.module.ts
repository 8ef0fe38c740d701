import 'reflect-metadata';
import { type DynamicModule, Module } from '@nestjs/common';
import { ConsumerMetrics } from './consumer-metrics';
import { CONSUMER_RUNTIME_OPTIONS, type ConsumerRuntimeOptions } from './consumer-runtime.options';
import { MessageProcessor } from './message-processor';

/**
 * Provides {@link MessageProcessor} and {@link ConsumerMetrics} to a consumer service's controllers.
 * Import it with the same options given to {@link createConsumerMicroservice}.
 */
@Module({})
export class ConsumerRuntimeModule {
  static forRoot(options: ConsumerRuntimeOptions): DynamicModule {
    return {
      module: ConsumerRuntimeModule,
      providers: [
        { provide: CONSUMER_RUNTIME_OPTIONS, useValue: options },
        { provide: ConsumerMetrics, useValue: options.metrics ?? new ConsumerMetrics() },
        MessageProcessor,
      ],
      exports: [CONSUMER_RUNTIME_OPTIONS, ConsumerMetrics, MessageProcessor],
    };
  }
}
