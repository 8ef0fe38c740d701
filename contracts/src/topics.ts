/** The bounded contexts that publish public events, one Kafka topic each. */
export const CONTEXTS = ['conversations', 'summarization', 'escalation', 'ownership'] as const;
export type Context = (typeof CONTEXTS)[number];

/** Public facts of one service: `handoff.<context>.events.v1`, keyed by ticket id. */
export const eventsTopic = (context: Context, version = 1): string => `handoff.${context}.events.v${version}`;

/** Integration input, e.g. `handoff.inbound.messages.v1` for channel connectors. */
export const inboundTopic = (what: string, version = 1): string => {
  if (!/^[a-z][a-z0-9-]*$/.test(what)) throw new RangeError(`invalid inbound topic name part: "${what}"`);
  return `handoff.inbound.${what}.v${version}`;
};

/** Where a consumer of `topic` parks messages it cannot process. */
export const deadLetterTopic = (topic: string): string => `${topic}.dlq`;
