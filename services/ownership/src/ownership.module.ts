import { Module, type DynamicModule } from '@nestjs/common';
import { ConsumerRuntimeModule, type ConsumerRuntimeOptions } from '@handoff/messaging';
import { MetricsService } from '@handoff/platform';
import { AgentDirectory } from './application/agent-directory';
import { LapseAlerts } from './application/lapse-alerts';
import { OwnershipCommands } from './application/ownership.commands.service';
import { OwnershipQueries } from './application/ownership.queries';
import { AgentsController } from './api/agents.controller';
import { AuditController } from './api/audit.controller';
import { TicketsController } from './api/tickets.controller';
import { OwnershipConsumerController } from './messaging/ownership-consumer.controller';

/** What the composition root built (config-dependent objects): the module only wires them to Nest. */
export interface OwnershipModuleDependencies {
  /** The lapse alerts need the app's metrics registry, which exists once the app does. */
  lapseAlerts: (metrics: MetricsService) => LapseAlerts;
  commands: (alerts: LapseAlerts) => OwnershipCommands;
  queries: OwnershipQueries;
  directory: AgentDirectory;
  consumer: ConsumerRuntimeOptions;
}

@Module({})
export class OwnershipModule {
  static forRoot(deps: OwnershipModuleDependencies): DynamicModule {
    return {
      module: OwnershipModule,
      imports: [ConsumerRuntimeModule.forRoot(deps.consumer)],
      controllers: [TicketsController, AgentsController, AuditController, OwnershipConsumerController],
      providers: [
        { provide: LapseAlerts, inject: [MetricsService], useFactory: deps.lapseAlerts },
        { provide: OwnershipCommands, inject: [LapseAlerts], useFactory: deps.commands },
        { provide: OwnershipQueries, useValue: deps.queries },
        { provide: AgentDirectory, useValue: deps.directory },
      ],
      exports: [OwnershipCommands, LapseAlerts],
    };
  }
}
