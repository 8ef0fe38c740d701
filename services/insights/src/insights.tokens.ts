/** Injection tokens of insights. */
export const INSIGHTS_SETTINGS = Symbol('INSIGHTS_SETTINGS');
export const INSIGHTS_CLOCK = Symbol('INSIGHTS_CLOCK');

/** The defaults of the figures' parameters (from the config). */
export interface InsightsSettings {
  reopenWithinDays: number;
  shiftEndMinutes: number;
  ownerChangeThreshold: number;
}
