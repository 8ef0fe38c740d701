import { InvalidArgument } from './errors';
import type {
  ReadAllOptions,
  ReadStreamOptions,
  StreamRead,
  SubscribeToAllOptions,
} from './event-store.port';
import { assertStreamName } from './stream-name';

/** Read options with their defaults applied, checked the same way by every adapter. */
export interface NormalisedStreamRead {
  forwards: boolean;
  fromRevision: bigint | undefined;
  maxCount: number;
}

/** @throws InvalidArgument */
export function normaliseStreamRead(options: ReadStreamOptions | undefined): NormalisedStreamRead {
  const direction = options?.direction ?? 'forwards';
  if (direction !== 'forwards' && direction !== 'backwards') {
    throw new InvalidArgument('direction', `expected 'forwards' or 'backwards', got ${String(direction)}`);
  }
  const fromRevision = options?.fromRevision;
  if (fromRevision !== undefined && (typeof fromRevision !== 'bigint' || fromRevision < 0n)) {
    throw new InvalidArgument('fromRevision', 'expected a bigint >= 0');
  }
  return { forwards: direction === 'forwards', fromRevision, maxCount: normaliseMaxCount(options?.maxCount) };
}

/**
 * A multi-stream read checked before any I/O: valid stream names, each named once, revisions >= 0.
 * @throws InvalidArgument, InvalidStreamName
 */
export function normaliseStreamReads(
  reads: readonly StreamRead[],
): { stream: string; fromRevision: bigint }[] {
  const list: unknown = reads;
  if (!Array.isArray(list))
    throw new InvalidArgument('reads', 'expected an array of { stream, fromRevision? }');
  const seen = new Set<string>();
  return reads.map((read, index) => {
    if (typeof read !== 'object' || read === null) {
      throw new InvalidArgument('reads', `item #${index} is not an object`);
    }
    assertStreamName(read.stream);
    if (seen.has(read.stream)) {
      throw new InvalidArgument('reads', `stream ${JSON.stringify(read.stream)} appears more than once`);
    }
    seen.add(read.stream);
    const { fromRevision } = normaliseStreamRead({ fromRevision: read.fromRevision });
    return { stream: read.stream, fromRevision: fromRevision ?? 0n };
  });
}

/** @throws InvalidArgument */
export function normaliseAllRead(options: ReadAllOptions | undefined): {
  fromPosition: bigint;
  maxCount: number;
} {
  return {
    fromPosition: normalisePosition(options?.fromPosition),
    maxCount: normaliseMaxCount(options?.maxCount),
  };
}

/** @throws InvalidArgument */
export function normaliseSubscription(options: SubscribeToAllOptions): {
  fromPosition: bigint;
  streamPrefixes: string[] | undefined;
} {
  if (typeof options.onEvent !== 'function' || typeof options.onError !== 'function') {
    throw new InvalidArgument('subscription', 'onEvent and onError must be functions');
  }
  const prefixes = options.filter?.streamPrefixes;
  if (
    prefixes !== undefined &&
    (!Array.isArray(prefixes) || prefixes.some((p) => typeof p !== 'string' || !p))
  ) {
    throw new InvalidArgument('filter.streamPrefixes', 'expected an array of non-empty strings');
  }
  const { coalesceMs } = options;
  if (
    coalesceMs !== undefined &&
    (typeof coalesceMs !== 'number' || !Number.isFinite(coalesceMs) || coalesceMs < 0)
  ) {
    throw new InvalidArgument('coalesceMs', 'expected a finite number >= 0');
  }
  return { fromPosition: normalisePosition(options.fromPosition), streamPrefixes: prefixes };
}

function normalisePosition(position: unknown): bigint {
  if (position === undefined) return 0n;
  if (typeof position !== 'bigint' || position < 0n)
    throw new InvalidArgument('fromPosition', 'expected a bigint >= 0');
  return position;
}

function normaliseMaxCount(maxCount: unknown): number {
  if (maxCount === undefined) return Number.MAX_SAFE_INTEGER;
  if (typeof maxCount !== 'number' || !Number.isSafeInteger(maxCount) || maxCount < 1) {
    throw new InvalidArgument('maxCount', 'expected a positive integer');
  }
  return maxCount;
}
