// The public API of @handoff/event-store, listed explicitly: anything not here is internal.
export type {
  Actor,
  ActorKind,
  AppendOptions,
  AppendResult,
  ChainBreak,
  EventMetadata,
  EventStore,
  ExpectedRevision,
  JsonValue,
  MultiStreamEventStore,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  StreamAppend,
  StreamRead,
  SubscribeToAllOptions,
  Subscription,
  SubscriptionOptions,
  VerifyResult,
} from './event-store.port';
export { supportsMultiStream } from './event-store.port';
export {
  EventStoreError,
  EventTooLarge,
  InvalidAppend,
  InvalidArgument,
  InvalidStreamName,
  StoreFailure,
  StreamDeleted,
  StreamNotFound,
  UpcastFailed,
  WrongExpectedVersion,
  type InvalidAppendReason,
} from './errors';
export { DEFAULT_MAX_EVENT_BYTES } from './append-preparation';
export {
  canonicalJson,
  ChainVerifier,
  computeEventHash,
  GENESIS_HASH,
  type ChainLink,
  type HashedFields,
} from './hash-chain';
export { assertStreamName, categoryOf } from './stream-name';
export { uuidV7, isUuid } from './uuid-v7';
export { UpcasterRegistry, type Upcaster } from './upcasters';
export { answeredInOneRoundTrip, inOneRoundTrip } from './pg-round-trip';
export { InMemoryEventStore, type InMemoryEventStoreOptions } from './in-memory-event-store.adapter';
export {
  PostgresEventStore,
  type PostgresAppendOptions,
  type PostgresEventStoreOptions,
} from './postgres-event-store.adapter';
export {
  handleCommand,
  type DecidedEvent,
  type Decider,
  type HandleCommandOptions,
  type HandleCommandResult,
  type KnownState,
} from './handle-command';
export {
  contractMetadata,
  eventStoreContract,
  recordSubscription,
  type ContractStoreFactory,
  type ContractStoreOptions,
} from './event-store.contract';
export { EsdbEventStore, type EsdbEventStoreOptions } from './esdb-event-store.adapter';
