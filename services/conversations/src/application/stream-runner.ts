import {
  type Decider,
  type EventMetadata,
  type EventStore,
  handleCommand,
  type HandleCommandResult,
  type KnownState,
  type MultiStreamEventStore,
  type StreamRead,
  StreamNotFound,
  WrongExpectedVersion,
} from '@handoff/event-store';

/**
 * Folded states by stream name, so a long ticket is not re-read from its first event on every
 * message: a load reads only the events after the cached revision. Safe across replicas: a stale
 * entry just reads more events, and every append still checks the expected revision. Bounded; the
 * oldest entries go first.
 */
export class StreamStateCache {
  private readonly entries = new Map<string, { state: unknown; revision: bigint }>();

  constructor(private readonly maxEntries = 20_000) {}

  get<S>(stream: string): { state: S; revision: bigint } | undefined {
    const entry = this.entries.get(stream);
    if (!entry) return undefined;
    // Re-inserting keeps the most recently used streams at the end of the Map's order.
    this.entries.delete(stream);
    this.entries.set(stream, entry);
    return entry as { state: S; revision: bigint };
  }

  set(stream: string, state: unknown, revision: bigint): void {
    this.entries.delete(stream);
    this.entries.set(stream, { state, revision });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
  }
}

/** Folds a stream into its state; a missing stream is the initial state at `no-stream`. */
export async function loadStream<S, E extends { type: string; data: unknown }>(
  store: EventStore,
  stream: string,
  evolve: (state: S, event: E) => S,
  initial: S,
  cache?: StreamStateCache,
): Promise<KnownState<S>> {
  try {
    const cached = cache?.get<S>(stream);
    const recorded = await store.readStream(
      stream,
      cached ? { fromRevision: cached.revision + 1n } : undefined,
    );
    const state = recorded.reduce(
      (s, e) => evolve(s, { type: e.type, data: e.data } as E),
      cached ? cached.state : initial,
    );
    const revision = recorded.at(-1)?.revision ?? cached?.revision;
    if (revision === undefined) return { state, revision: 'no-stream' };
    cache?.set(stream, state, revision);
    return { state, revision };
  } catch (error) {
    if (error instanceof StreamNotFound) return { state: initial, revision: 'no-stream' };
    throw error;
  }
}

/**
 * {@link loadStream} for many streams in one read. A cached state is brought up to date from its
 * revision or, with `trustCache`, taken as it is (an append at its revision still checks it). A
 * stream without events is left out of the result.
 */
export async function loadStreams<S, E extends { type: string; data: unknown }>(
  store: MultiStreamEventStore,
  streams: readonly string[],
  evolve: (state: S, event: E) => S,
  initial: () => S,
  cache: StreamStateCache,
  options: { trustCache?: boolean } = {},
): Promise<Map<string, { state: S; revision: bigint }>> {
  const loaded = new Map<string, { state: S; revision: bigint }>();
  // The cached states as they were when the read went out: the events read follow those revisions.
  const before = new Map<string, { state: S; revision: bigint }>();
  const reads: StreamRead[] = [];
  for (const stream of new Set(streams)) {
    const cached = cache.get<S>(stream);
    if (cached && options.trustCache) {
      loaded.set(stream, cached);
      continue;
    }
    if (cached) before.set(stream, cached);
    reads.push(cached ? { stream, fromRevision: cached.revision + 1n } : { stream });
  }
  if (reads.length === 0) return loaded;
  const read = await store.readStreams(reads);
  for (const { stream } of reads) {
    const events = read.get(stream) ?? [];
    const cached = before.get(stream);
    const revision = events.at(-1)?.revision ?? cached?.revision;
    if (revision === undefined) continue;
    const state = events.reduce(
      (s, e) => evolve(s, { type: e.type, data: e.data } as E),
      cached ? cached.state : initial(),
    );
    cache.set(stream, state, revision);
    loaded.set(stream, { state, revision });
  }
  return loaded;
}

/** What a command did: its events, the state after them and the position of the last one appended. */
export type Executed<S, E> = HandleCommandResult<E, S>;

/**
 * `handleCommand` with this service's state cache: a cached state of the stream is decided on
 * first, without a read (the common case of one replica); a read fetches only the events after the
 * cached revision; the state after the command is cached. The result carries the position of the
 * events appended, which the caller waits for in the read model.
 */
export async function execute<C, S, E extends { type: string; data: unknown }>(
  store: EventStore,
  stream: string,
  decider: Decider<C, S, E>,
  command: C,
  metadata: EventMetadata,
  cache?: StreamStateCache,
): Promise<Executed<S, E>> {
  return run(store, stream, decider, command, metadata, cache, cache?.get<S>(stream));
}

/**
 * {@link execute} for a stream expected to be new (its id was just generated): decides on the
 * initial state and appends with `no-stream`, saving the read. When the stream exists after all (a
 * repeated plan), the stream is read and the command decided again.
 */
export async function executeOnNewStream<C, S, E extends { type: string; data: unknown }>(
  store: EventStore,
  stream: string,
  decider: Decider<C, S, E>,
  command: C,
  metadata: EventMetadata,
  cache?: StreamStateCache,
): Promise<Executed<S, E>> {
  return run(store, stream, decider, command, metadata, cache, {
    state: decider.initialState(),
    revision: 'no-stream',
  });
}

async function run<C, S, E extends { type: string; data: unknown }>(
  store: EventStore,
  stream: string,
  decider: Decider<C, S, E>,
  command: C,
  metadata: EventMetadata,
  cache: StreamStateCache | undefined,
  known: KnownState<S> | undefined,
): Promise<Executed<S, E>> {
  const result = await handleCommand(store, stream, decider, command, {
    metadata,
    maxRetries: 5,
    ...(known ? { known } : {}),
    load: () => loadStream(store, stream, decider.evolve, decider.initialState(), cache),
  });
  if (result.events.length > 0 && result.nextExpectedRevision !== 'no-stream')
    cache?.set(stream, result.state, result.nextExpectedRevision);
  return result;
}

/**
 * A decision over two streams (a merge): the `other` stream is appended first, then the survivor,
 * each at the revision read. A conflict on either repeats the whole decision; since the deciders are
 * idempotent, a crash between the two appends is healed by repeating the command.
 */
export async function executeOnTwo<S, E extends { type: string; data: unknown }>(
  store: EventStore,
  streams: { survivor: string; other: string },
  evolve: (state: S, event: E) => S,
  initial: () => S,
  decide: (survivor: S, other: S) => { survivor: E[]; other: E[] },
  metadata: { survivor: EventMetadata; other: EventMetadata },
  maxRetries = 5,
): Promise<{ survivor: S; other: S; position?: bigint; appended: number }> {
  for (let attempt = 0; ; attempt++) {
    const survivor = await loadStream(store, streams.survivor, evolve, initial());
    const other = await loadStream(store, streams.other, evolve, initial());
    const decided = decide(survivor.state, other.state);
    let position: bigint | undefined;
    try {
      if (decided.other.length > 0) {
        const r = await store.append(
          streams.other,
          decided.other.map((e) => ({ type: e.type, data: e.data, metadata: metadata.other })),
          { expectedRevision: other.revision },
        );
        position = r.position;
      }
      if (decided.survivor.length > 0) {
        const r = await store.append(
          streams.survivor,
          decided.survivor.map((e) => ({ type: e.type, data: e.data, metadata: metadata.survivor })),
          { expectedRevision: survivor.revision },
        );
        position = r.position;
      }
    } catch (error) {
      if (!(error instanceof WrongExpectedVersion) || attempt >= maxRetries) throw error;
      continue;
    }
    return {
      survivor: decided.survivor.reduce(evolve, survivor.state),
      other: decided.other.reduce(evolve, other.state),
      ...(position === undefined ? {} : { position }),
      appended: decided.survivor.length + decided.other.length,
    };
  }
}
