import { int, loadServiceConfig, oneOf, str, type ConfigEnv } from '@handoff/platform';

/** The escalation service's own settings (next to the common ones of every service). */
export const escalationConfigSchema = {
  PORT: int({ min: 0, max: 65535, default: 3003 }),
  KAFKA_PARTITIONS: int({ min: 1, max: 1000, default: 6 }),
  KAFKA_GROUP_ID: str({ default: 'handoff.escalation' }),
  /** How long an offer waits for a brief covering the request before it goes out flagged without one. */
  BRIEF_TIMEOUT_MS: int({ min: 0, max: 3_600_000, default: 30_000 }),
  /** How long a handoff request waits for its ticket to arrive from the conversations topic. */
  TICKET_WAIT_MS: int({ min: 0, max: 60_000, default: 5_000 }),
  /** Acceptance deadline when no policy row matches the team and handoff type. */
  ACCEPTANCE_TIMEOUT_SECONDS: int({ min: 1, max: 86_400, default: 120 }),
  /** Expiries before a supervisor takes the handoff, when no policy row matches. */
  MAX_EXPIRIES: int({ min: 1, max: 100, default: 3 }),
  /** Routing retry after a NoEligibleAgent alert (an agent coming online retries at once). */
  ROUTING_RETRY_MS: int({ min: 100, max: 3_600_000, default: 30_000 }),
  /** Delay of the crash-recovery deadlines of each workflow step (see escalation.projection.ts). */
  RECOVERY_DELAY_MS: int({ min: 0, max: 600_000, default: 2_000 }),
  DEADLINE_POLL_MS: int({ min: 10, max: 60_000, default: 250 }),
  /** How often capacity slots reserved for offers that were never made (a crash in between) are looked for. */
  HOLD_SWEEP_INTERVAL_MS: int({ min: 1_000, max: 3_600_000, default: 60_000 }),
  /** A reserved slot younger than this is never swept: its request may still be appending the offer. */
  HOLD_SWEEP_GRACE_MS: int({ min: 1_000, max: 86_400_000, default: 300_000 }),
  DEFAULT_CHANNEL: oneOf(
    [
      'web_chat',
      'email',
      'whatsapp',
      'instagram',
      'facebook_messenger',
      'sms',
      'voice',
      'bot',
      'api',
    ] as const,
    { default: 'web_chat' },
  ),
  /** The bot identity a conversation is handed back to (the same setting as ownership's). */
  BOT_OWNER_ID: str({ default: 'bot' }),
};

export const loadEscalationConfig = (env: ConfigEnv) => loadServiceConfig(env, escalationConfigSchema);
export type EscalationConfig = ReturnType<typeof loadEscalationConfig>;
