import { eventStoreContract } from './event-store.contract';
import { InMemoryEventStore } from './in-memory-event-store.adapter';

eventStoreContract('in-memory', (options) => Promise.resolve(new InMemoryEventStore(options)));
