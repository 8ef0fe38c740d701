import {
  StreamNotFound,
  WrongExpectedVersion,
  type EventStore,
  type EventMetadata,
} from '@handoff/event-store';
import type { OwnershipCommand } from '../domain/ownership.commands';
import type { OwnershipDecider } from '../domain/ownership.decider';
import { ConcurrentOwnershipChange } from '../domain/ownership.errors';
import type { OwnershipEvent } from '../domain/ownership.events';
import { currentOwnerOf, type OwnershipState } from '../domain/ownership.state';

export const streamOf = (ticketId: string): string => `ownership-${ticketId}`;

/** Who and why, for the metadata of every event a command appends. */
export interface CommandContext {
  correlationId: string;
  causationId?: string;
  actor: EventMetadata['actor'];
}

export interface ExecuteOptions {
  /**
   * `retry` (default): on a concurrent append, decide again on the fresh state (lookups included).
   * `fail`: the caller acted on the state it saw, so a concurrent change is a 409 with the owner now.
   */
  onConcurrentChange?: 'retry' | 'fail';
  maxRetries?: number;
}

/** A command built on the state of its ticket at `revision`. */
export interface PreparedCommand {
  ticketId: string;
  state: OwnershipState;
  revision: bigint | 'no-stream';
  command: OwnershipCommand;
}

export interface ExecuteResult {
  events: OwnershipEvent[];
  state: OwnershipState;
  /** Global position of the last appended event (undefined when nothing was appended). */
  position: bigint | undefined;
}

/**
 * Load → evolve → decide → append at the revision read (ARCHITECTURE.md §4). The command is built
 * from the state, so lookups that depend on it (the last owner's presence on reopen) are fresh on
 * every attempt. Returns the global position for read-your-writes on the projections.
 */
export class OwnershipCommandBus {
  constructor(
    private readonly store: EventStore,
    private readonly decider: OwnershipDecider,
    private readonly newId: () => string,
  ) {}

  async load(ticketId: string): Promise<{ state: OwnershipState; revision: bigint | 'no-stream' }> {
    try {
      const recorded = await this.store.readStream(streamOf(ticketId));
      const state = recorded.reduce(
        (current, event) =>
          this.decider.evolve(current, { type: event.type, data: event.data } as OwnershipEvent),
        this.decider.initialState(),
      );
      return { state, revision: recorded[recorded.length - 1]?.revision ?? 'no-stream' };
    } catch (error) {
      if (error instanceof StreamNotFound)
        return { state: this.decider.initialState(), revision: 'no-stream' };
      throw error;
    }
  }

  /** Reads the ticket and builds its command: what {@link decide} and {@link commit} work from. */
  async prepare(
    ticketId: string,
    build: (state: OwnershipState) => OwnershipCommand | Promise<OwnershipCommand>,
  ): Promise<PreparedCommand> {
    const { state, revision } = await this.load(ticketId);
    return { ticketId, state, revision, command: await build(state) };
  }

  /**
   * Appends the events decided on `prepared` at the revision it was read at.
   * @throws WrongExpectedVersion when the ticket changed since it was read
   */
  async commit(
    prepared: PreparedCommand,
    events: OwnershipEvent[],
    context: CommandContext,
  ): Promise<ExecuteResult> {
    const after = events.reduce(this.decider.evolve, prepared.state);
    if (events.length === 0) return { events, state: after, position: undefined };
    const { command } = prepared;
    const metadata: EventMetadata = {
      tenantId: command.tenantId,
      ticketId: prepared.ticketId,
      correlationId: context.correlationId,
      ...(context.causationId === undefined ? {} : { causationId: context.causationId }),
      actor: context.actor,
      occurredAt: command.at,
    };
    const result = await this.store.append(
      streamOf(prepared.ticketId),
      events.map((event) => ({ eventId: this.newId(), type: event.type, data: event.data, metadata })),
      { expectedRevision: prepared.revision },
    );
    return { events, state: after, position: result.position };
  }

  async execute(
    ticketId: string,
    build: (state: OwnershipState) => OwnershipCommand | Promise<OwnershipCommand>,
    context: CommandContext,
    options: ExecuteOptions = {},
  ): Promise<ExecuteResult> {
    const maxRetries = options.maxRetries ?? 5;
    for (let attempt = 0; ; attempt++) {
      const prepared = await this.prepare(ticketId, build);
      const events = this.decider.decide(prepared.command, prepared.state);
      try {
        return await this.commit(prepared, events, context);
      } catch (error) {
        if (!(error instanceof WrongExpectedVersion)) throw error;
        if (options.onConcurrentChange === 'fail' || attempt >= maxRetries) {
          const fresh = await this.load(ticketId);
          const owner = currentOwnerOf(fresh.state);
          throw new ConcurrentOwnershipChange(
            `The ticket changed concurrently; it is now ${owner ? `owned by ${owner.id}` : 'without an owner'}`,
            owner ?? null,
          );
        }
      }
    }
  }
}
