/** Time for command handlers; injected so tests and the domain never read the wall clock directly. */
export interface Clock {
  now(): Date;
}

/** Ids of new handoffs and offers (UUIDv7 in production). */
export interface IdGenerator {
  next(): string;
}

export const CLOCK = Symbol('CLOCK');
export const ID_GENERATOR = Symbol('ID_GENERATOR');

/** Where an appended event came from: correlation, causation and actor metadata. */
export interface CommandContext {
  tenantId: string;
  correlationId: string;
  causationId?: string;
  actor: { kind: 'customer' | 'bot' | 'agent' | 'supervisor' | 'system' | 'integration'; id: string };
}
