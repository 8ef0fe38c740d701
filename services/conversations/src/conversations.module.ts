import { type DynamicModule, Module } from '@nestjs/common';
import type { EventStore } from '@handoff/event-store';
import { ConsumerRuntimeModule, type ConsumerRuntimeOptions } from '@handoff/messaging';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { CustomersController } from './api/customers.controller';
import { MessagesController } from './api/messages.controller';
import { TicketsController } from './api/tickets.controller';
import {
  type AppendWithReadModel,
  type Clock,
  type IdGenerator,
  type ProjectionBarrier,
  READ_MODEL_QUERIES,
} from './application/conversations.ports';
import { CustomerCommandsHandler } from './application/customer-commands.handler';
import { CustomerIdentities } from './application/customer-identities';
import { PostgresCustomerLocks } from './application/customer-locks.pg';
import { IngestBatcher } from './application/ingest-batcher';
import { IngestMessageHandler } from './application/ingest-message.handler';
import { TicketCommandsHandler } from './application/ticket-commands.handler';
import { StreamStateCache } from './application/stream-runner';
import {
  ExternalEventsController,
  InboundMessagesController,
  ingestInboundBatch,
} from './messaging/inbound-messages.controller';
import { ConversationsReadModel } from './projections/read-model.queries';

/** What the composition root opened and hands to the module. */
export interface ConversationsRuntime {
  store: EventStore;
  dataSource: DataSource;
  /** Pool of the customer locks (apart from the data source's pool, see PostgresCustomerLocks). */
  lockPool: Pool;
  barrier: ProjectionBarrier;
  /** The PostgreSQL store's append that writes the read-model rows with the events, when it is that store. */
  withReadModel?: AppendWithReadModel;
  clock: Clock;
  ids: IdGenerator;
  maxMessageChars: number;
  /** Group commit of `POST /v1/messages`: most requests per batch, batches in flight. */
  ingestBatch: { maxBatch: number; maxInFlight: number };
  consumer: ConsumerRuntimeOptions;
}

/** REST controllers, Kafka handlers and the application services of the conversations context. */
@Module({})
export class ConversationsModule {
  static forRoot(runtime: ConversationsRuntime): DynamicModule {
    const { store, clock, ids, barrier } = runtime;
    const readModel = new ConversationsReadModel(runtime.dataSource);
    // One cache of folded stream states for every handler, so long tickets are read incrementally.
    const cache = new StreamStateCache();
    const identities = new CustomerIdentities(store, clock, ids, cache);
    const ingestion = new IngestMessageHandler(
      store,
      identities,
      readModel,
      new PostgresCustomerLocks(runtime.lockPool),
      barrier,
      clock,
      ids,
      { maxMessageChars: runtime.maxMessageChars },
      cache,
      runtime.withReadModel,
    );
    return {
      module: ConversationsModule,
      imports: [
        ConsumerRuntimeModule.forRoot({ ...runtime.consumer, prepareBatch: ingestInboundBatch(ingestion) }),
      ],
      controllers: [
        MessagesController,
        CustomersController,
        TicketsController,
        InboundMessagesController,
        ExternalEventsController,
      ],
      providers: [
        { provide: IngestMessageHandler, useValue: ingestion },
        { provide: IngestBatcher, useValue: new IngestBatcher(ingestion, runtime.ingestBatch) },
        {
          provide: CustomerCommandsHandler,
          useValue: new CustomerCommandsHandler(store, identities, readModel, barrier, clock, ids),
        },
        {
          provide: TicketCommandsHandler,
          useValue: new TicketCommandsHandler(store, readModel, barrier, clock, ids, cache),
        },
        { provide: READ_MODEL_QUERIES, useValue: readModel },
      ],
    };
  }
}
