import {
  type EventMetadata,
  type EventStore,
  StreamNotFound,
  WrongExpectedVersion,
} from '@handoff/event-store';

/** A pure decider over events of `{ type, data }` (STYLE.md): plain functions, no `this`. */
export interface StreamDecider<C, S, E extends { type: string; data: unknown }> {
  decide: (command: C, state: S) => E[];
  evolve: (state: S, event: E) => S;
  initialState: () => S;
}

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

export interface Loaded<S> {
  state: S;
  revision: bigint | 'no-stream';
}

/** Folds a stream into its state; a missing stream is the initial state at `no-stream`. */
export async function loadStream<S, E extends { type: string; data: unknown }>(
  store: EventStore,
  stream: string,
  evolve: (state: S, event: E) => S,
  initial: S,
  cache?: StreamStateCache,
): Promise<Loaded<S>> {
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

export interface Executed<S, E> {
  events: E[];
  /** The state after the command (events applied). */
  state: S;
  /** Global position of the last appended event; undefined when nothing was appended. */
  position?: bigint;
}

/**
 * Load → decide → append at the revision read, repeating the cycle on a version conflict (another
 * writer got in between). Unlike `handleCommand` it hands back the resulting state, which the
 * caller needs (a message's sequence, a merge id).
 */
export async function execute<C, S, E extends { type: string; data: unknown }>(
  store: EventStore,
  stream: string,
  decider: StreamDecider<C, S, E>,
  command: C,
  metadata: EventMetadata,
  cache?: StreamStateCache,
  maxRetries = 5,
): Promise<Executed<S, E>> {
  for (let attempt = 0; ; attempt++) {
    const { state, revision } = await loadStream(
      store,
      stream,
      decider.evolve,
      decider.initialState(),
      cache,
    );
    const events = decider.decide(command, state);
    const after = events.reduce(decider.evolve, state);
    if (events.length === 0) return { events, state: after };
    try {
      const result = await store.append(
        stream,
        events.map((e) => ({ type: e.type, data: e.data, metadata })),
        { expectedRevision: revision },
      );
      cache?.set(stream, after, result.nextExpectedRevision);
      return { events, state: after, position: result.position };
    } catch (error) {
      if (!(error instanceof WrongExpectedVersion) || attempt >= maxRetries) throw error;
    }
  }
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
