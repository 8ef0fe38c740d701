import type { OwnershipEvent } from '../domain/ownership.events';

/** Time comes from here (tests pin it), never from `new Date()` in handlers. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** Waits until the read models include a position (read-your-writes after a REST command). */
export interface ProjectionWaiter {
  waitFor(position: bigint, timeoutMs?: number): Promise<void>;
}

/** The settings the handlers need (validated at the composition root). */
export interface OwnershipSettings {
  botOwnerId: string;
  handoverAcknowledgeSeconds: number;
}

/** Told of the events every command appended, to alert the lapses that begin. */
export interface LapseAlertSink {
  lapsesBegan(events: readonly OwnershipEvent[]): void;
}
