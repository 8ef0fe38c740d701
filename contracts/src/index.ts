export { CONTEXTS, type Context, eventsTopic, inboundTopic, deadLetterTopic } from './topics';
