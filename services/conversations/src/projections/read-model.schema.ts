/** The service's own PostgreSQL schema (its event store lives in `conversations_events`). */
export const READ_MODEL_SCHEMA = 'conversations';
export const EVENT_STORE_SCHEMA = 'conversations_events';
