import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { ConsumerRuntimeModule, type ConsumerRuntimeOptions } from '@handoff/messaging';
import { SummarizationController } from './api/summarization.controller';
import { SummarizationService } from './application/summarization.service';
import { SummarizationHandlers } from './messaging/summarization.handlers';

@Module({})
export class SummarizationModule {
  /** The service's module: REST controllers, Kafka handlers and the use cases (built in bootstrap). */
  static forRoot(service: SummarizationService, consumer: ConsumerRuntimeOptions): DynamicModule {
    const providers: Provider[] = [{ provide: SummarizationService, useValue: service }];
    return {
      module: SummarizationModule,
      imports: [ConsumerRuntimeModule.forRoot(consumer)],
      controllers: [SummarizationController, SummarizationHandlers],
      providers,
    };
  }
}
