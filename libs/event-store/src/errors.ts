import type { ExpectedRevision } from './event-store.port';

/**
 * Base class of every error the event store raises. `code` is stable and meant for programs
 * (retry decisions, HTTP/Kafka mapping); `message` is for people and may change.
 */
export abstract class EventStoreError extends Error {
  abstract readonly code: string;

  protected constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The stream's current revision does not match the expected revision of an append. */
export class WrongExpectedVersion extends EventStoreError {
  readonly code = 'WRONG_EXPECTED_VERSION' as const;

  constructor(
    readonly stream: string,
    readonly expectedRevision: ExpectedRevision,
    /** The stream's revision when the append was refused; `'no-stream'` when it has no events. */
    readonly actualRevision: bigint | 'no-stream',
  ) {
    super(
      `append to "${stream}" expected revision ${String(expectedRevision)} but the stream is at ${String(actualRevision)}`,
    );
  }
}

/** The stream was never written. */
export class StreamNotFound extends EventStoreError {
  readonly code = 'STREAM_NOT_FOUND' as const;

  constructor(readonly stream: string) {
    super(`stream "${stream}" does not exist`);
  }
}

/** The stream was deleted: it can be neither read nor appended to again. */
export class StreamDeleted extends EventStoreError {
  readonly code = 'STREAM_DELETED' as const;

  constructor(readonly stream: string) {
    super(`stream "${stream}" is deleted`);
  }
}

/** One event's serialised data + metadata exceed the store's size limit; nothing was written. */
export class EventTooLarge extends EventStoreError {
  readonly code = 'EVENT_TOO_LARGE' as const;

  constructor(
    readonly stream: string,
    readonly eventId: string,
    readonly size: number,
    readonly limit: number,
  ) {
    super(`event ${eventId} for "${stream}" is ${size} bytes, over the limit of ${limit} bytes`);
  }
}

/** A stream or category name that does not follow `<category>-<id>`. */
export class InvalidStreamName extends EventStoreError {
  readonly code = 'INVALID_STREAM_NAME' as const;

  constructor(
    readonly stream: string,
    readonly reason: string,
  ) {
    super(`invalid stream name ${JSON.stringify(stream)}: ${reason}`);
  }
}

/** Why an append batch was refused before anything was written. */
export type InvalidAppendReason =
  | 'empty-batch'
  | 'invalid-expected-revision'
  | 'invalid-event-id'
  | 'duplicate-event-id'
  | 'invalid-event-type'
  | 'invalid-schema-version'
  | 'invalid-data'
  | 'invalid-metadata';

/** A malformed append request (empty batch, data that is not JSON, bad metadata, ...); nothing was written. */
export class InvalidAppend extends EventStoreError {
  readonly code = 'INVALID_APPEND' as const;

  constructor(
    readonly stream: string,
    readonly reason: InvalidAppendReason,
    detail: string,
  ) {
    super(`invalid append to ${JSON.stringify(stream)} (${reason}): ${detail}`);
  }
}

/** A read or subscription option out of range (negative revision, non-positive count, ...). */
export class InvalidArgument extends EventStoreError {
  readonly code = 'INVALID_ARGUMENT' as const;

  constructor(
    readonly argument: string,
    detail: string,
  ) {
    super(`invalid ${argument}: ${detail}`);
  }
}

/** A stored event could not be brought to its current schema version. */
export class UpcastFailed extends EventStoreError {
  readonly code = 'UPCAST_FAILED' as const;

  constructor(
    readonly type: string,
    readonly schemaVersion: number,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot upcast ${type} v${schemaVersion}: ${detail}`, options);
  }
}

/**
 * The underlying store failed (connection lost, unexpected database error). The original error is
 * kept as `cause`; whether the write happened is unknown, so retry with the same event ids.
 */
export class StoreFailure extends EventStoreError {
  readonly code = 'STORE_FAILURE' as const;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
