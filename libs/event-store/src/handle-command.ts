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

export interface HandleCommandOptions {
  /** Metadata of every event the command produces. */
  metadata: EventMetadata;
  /** Extra attempts after a version conflict; default 3. Any other error is not retried. */
  maxRetries?: number;
}

export interface HandleCommandResult<Event> {
  /** The events appended (empty when the decider decided nothing). */
  events: Event[];
  /** The stream's revision after the command: the expected revision of the next one. */
  nextExpectedRevision: bigint | 'no-stream';
}

/**
 * Load → evolve → decide → append at the revision that was read. A concurrent writer makes the
 * append fail with WrongExpectedVersion; then the whole cycle runs again on the fresh stream, at
 * most `maxRetries` more times. Decider errors and every other store error propagate unchanged.
 */
export async function handleCommand<Command, State, Event extends DecidedEvent>(
  store: EventStore,
  stream: string,
  decider: Decider<Command, State, Event>,
  command: Command,
  options: HandleCommandOptions,
): Promise<HandleCommandResult<Event>> {
  const maxRetries = options.maxRetries ?? 3;
  for (let attempt = 0; ; attempt += 1) {
    const { state, revision } = await load(store, stream, decider);
    const events = decider.decide(command, state);
    if (events.length === 0) return { events, nextExpectedRevision: revision };
    const expectedRevision: ExpectedRevision = revision;
    try {
      const result = await store.append(
        stream,
        events.map((event) => ({ type: event.type, data: event.data, metadata: options.metadata })),
        { expectedRevision },
      );
      return { events, nextExpectedRevision: result.nextExpectedRevision };
    } catch (error) {
      if (!(error instanceof WrongExpectedVersion) || attempt >= maxRetries) throw error;
    }
  }
}

async function load<Command, State, Event extends DecidedEvent>(
  store: EventStore,
  stream: string,
  decider: Decider<Command, State, Event>,
): Promise<{ state: State; revision: bigint | 'no-stream' }> {
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
