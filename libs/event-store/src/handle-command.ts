import { StreamNotFound, WrongExpectedVersion } from './errors';
import type { EventMetadata, EventStore, ExpectedRevision } from './event-store.port';

/** What a decider emits: the type and data of an event; the envelope is added when appending. */
export interface DecidedEvent {
  type: string;
  data: unknown;
}

/** A pure decider (STYLE.md): `decide` turns a command and state into events, `evolve` folds one event. */
export interface Decider<Command, State, Event extends DecidedEvent> {
  decide: (command: Command, state: State) => Event[];
  evolve: (state: State, event: Event) => State;
  initialState: () => State;
}

/** A stream's state folded up to `revision` ('no-stream': a stream without events). */
export interface KnownState<State> {
  state: State;
  revision: bigint | 'no-stream';
}

export interface HandleCommandOptions<State = unknown> {
  /** Metadata of every event the command produces. */
  metadata: EventMetadata;
  /** Extra attempts after a version conflict; default 3. Any other error is not retried. */
  maxRetries?: number;
  /**
   * The stream's state as the caller already holds it (a stream it just created, read or appended
   * to): the command is decided on it and appended at its revision without reading the stream.
   * When the stream moved since (a version conflict), or the decider refuses or decides nothing on
   * it, the usual cycle reads the stream and decides again: a state that may be stale never has the
   * last word.
   */
  known?: KnownState<State>;
  /**
   * How the stream's current state is read; default: every event of the stream, folded from the
   * initial state. A caller that keeps folded states (a cache by stream) reads only the events after
   * the revision it holds.
   */
  load?: () => Promise<KnownState<State>>;
}

export interface HandleCommandResult<Event, State = unknown> {
  /** The events appended (empty when the decider decided nothing). */
  events: Event[];
  /** The stream's revision after the command: the expected revision of the next one. */
  nextExpectedRevision: bigint | 'no-stream';
  /** The stream's state after the command (the events appended folded in). */
  state: State;
  /** Global position of the last event appended; absent when nothing was. */
  position?: bigint;
}

/**
 * Load → evolve → decide → append at the revision that was read. A concurrent writer makes the
 * append fail with WrongExpectedVersion; then the whole cycle runs again on the fresh stream, at
 * most `maxRetries` more times. Decider errors and every other store error propagate unchanged.
 * With `known`, the first decision is made on that state without a read (see the option).
 */
export async function handleCommand<Command, State, Event extends DecidedEvent>(
  store: EventStore,
  stream: string,
  decider: Decider<Command, State, Event>,
  command: Command,
  options: HandleCommandOptions<State>,
): Promise<HandleCommandResult<Event, State>> {
  if (options.known) {
    const appended = await appendOnKnown(store, stream, decider, command, options.known, options.metadata);
    if (appended) return appended;
  }
  const maxRetries = options.maxRetries ?? 3;
  const read = options.load ?? (() => load(store, stream, decider));
  for (let attempt = 0; ; attempt += 1) {
    const { state, revision } = await read();
    const events = decider.decide(command, state);
    if (events.length === 0) return { events, nextExpectedRevision: revision, state };
    try {
      return await append(store, stream, decider, events, { state, revision }, options.metadata);
    } catch (error) {
      if (!(error instanceof WrongExpectedVersion) || attempt >= maxRetries) throw error;
    }
  }
}

/** The decision on a known state, appended at its revision; undefined when the stream must be read. */
async function appendOnKnown<Command, State, Event extends DecidedEvent>(
  store: EventStore,
  stream: string,
  decider: Decider<Command, State, Event>,
  command: Command,
  known: KnownState<State>,
  metadata: EventMetadata,
): Promise<HandleCommandResult<Event, State> | undefined> {
  let events: Event[];
  try {
    events = decider.decide(command, known.state);
  } catch {
    return undefined;
  }
  if (events.length === 0) return undefined;
  try {
    return await append(store, stream, decider, events, known, metadata);
  } catch (error) {
    if (error instanceof WrongExpectedVersion) return undefined;
    throw error;
  }
}

async function append<Command, State, Event extends DecidedEvent>(
  store: EventStore,
  stream: string,
  decider: Decider<Command, State, Event>,
  events: Event[],
  before: KnownState<State>,
  metadata: EventMetadata,
): Promise<HandleCommandResult<Event, State>> {
  const expectedRevision: ExpectedRevision = before.revision;
  const result = await store.append(
    stream,
    events.map((event) => ({ type: event.type, data: event.data, metadata })),
    { expectedRevision },
  );
  return {
    events,
    nextExpectedRevision: result.nextExpectedRevision,
    state: events.reduce(decider.evolve, before.state),
    position: result.position,
  };
}

async function load<Command, State, Event extends DecidedEvent>(
  store: EventStore,
  stream: string,
  decider: Decider<Command, State, Event>,
): Promise<KnownState<State>> {
  try {
    const recorded = await store.readStream(stream);
    const state = recorded.reduce(
      // The stored type and data are the decider's own events (upcast to the current shape).
      (current, event) => decider.evolve(current, { type: event.type, data: event.data } as Event),
      decider.initialState(),
    );
    return { state, revision: recorded[recorded.length - 1]?.revision ?? 'no-stream' };
  } catch (error) {
    if (error instanceof StreamNotFound) return { state: decider.initialState(), revision: 'no-stream' };
    throw error;
  }
}
