/**
 * The handoff quality score (0–100) and its components; README.md of the service documents the
 * formula with the same numbers. Every component is returned, so a reader can see why a handoff
 * scored what it did.
 */

const MINUTE_MS = 60_000;

/** Weights of the components (points out of 100 when every component is known). */
export const QUALITY_WEIGHTS = {
  accept: 20,
  firstReply: 20,
  noRepeat: 20,
  notBounced: 15,
  notReopened: 10,
  csat: 15,
} as const;

export type QualityComponentName = keyof typeof QUALITY_WEIGHTS;

/** Full marks at or under `fullMs`, none at or over `zeroMs`, linear in between. */
export interface LinearBand {
  fullMs: number;
  zeroMs: number;
}

/** Time to accept: full marks within 2 minutes, none after 30. */
export const ACCEPT_BAND: LinearBand = { fullMs: 2 * MINUTE_MS, zeroMs: 30 * MINUTE_MS };
/** Time to the receiver's first meaningful reply: full marks within 5 minutes, none after 60. */
export const FIRST_REPLY_BAND: LinearBand = { fullMs: 5 * MINUTE_MS, zeroMs: 60 * MINUTE_MS };

/** A reply is meaningful from this many words on (a bare "Hi!" or "On it" is not an answer). */
export const MEANINGFUL_REPLY_MIN_WORDS = 4;

/** Whether an agent message of `words` words is a meaningful reply. */
export const isMeaningfulReply = (words: number): boolean => words >= MEANINGFUL_REPLY_MIN_WORDS;

/** 1 within the band's full mark, 0 past its zero mark, linear in between. */
export function linearCredit(ms: number, band: LinearBand): number {
  if (ms <= band.fullMs) return 1;
  if (ms >= band.zeroMs) return 0;
  return (band.zeroMs - ms) / (band.zeroMs - band.fullMs);
}

/** What was measured about one accepted handoff. */
export interface QualityInputs {
  timeToAcceptMs: number;
  /** Null when the receiver has not (yet) written a meaningful reply. */
  timeToFirstMeaningfulReplyMs: number | null;
  repeatDetected: boolean;
  bounced: boolean;
  reopened: boolean;
  /** The first CSAT score (1–5) after the handoff; null when the customer has not answered. */
  csatAfter: number | null;
}

/** One component: its credit in [0, 1] (null when unknown: left out and the rest re-weighted). */
export interface QualityComponent {
  weight: number;
  credit: number | null;
  /** weight × credit, rounded to 2 decimals; null when unknown. */
  points: number | null;
}

export interface HandoffQuality {
  /** Σ points / Σ weights of the known components × 100, rounded to 1 decimal. */
  score: number;
  components: Record<QualityComponentName, QualityComponent>;
}

const round = (value: number, decimals: number): number => {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
};

/**
 * The score of an accepted handoff. A missing first reply earns 0 (silence is the failure measured);
 * a missing CSAT is unknown, so it is left out and the other weights scale up to 100.
 */
export function handoffQuality(inputs: QualityInputs): HandoffQuality {
  const credits: Record<QualityComponentName, number | null> = {
    accept: linearCredit(inputs.timeToAcceptMs, ACCEPT_BAND),
    firstReply:
      inputs.timeToFirstMeaningfulReplyMs === null
        ? 0
        : linearCredit(inputs.timeToFirstMeaningfulReplyMs, FIRST_REPLY_BAND),
    noRepeat: inputs.repeatDetected ? 0 : 1,
    notBounced: inputs.bounced ? 0 : 1,
    notReopened: inputs.reopened ? 0 : 1,
    csat: inputs.csatAfter === null ? null : (inputs.csatAfter - 1) / 4,
  };
  let earned = 0;
  let possible = 0;
  const components = {} as Record<QualityComponentName, QualityComponent>;
  for (const name of Object.keys(QUALITY_WEIGHTS) as QualityComponentName[]) {
    const weight = QUALITY_WEIGHTS[name];
    const credit = credits[name];
    if (credit !== null) {
      earned += weight * credit;
      possible += weight;
    }
    components[name] = {
      weight,
      credit: credit === null ? null : round(credit, 4),
      points: credit === null ? null : round(weight * credit, 2),
    };
  }
  return { score: round((earned / possible) * 100, 1), components };
}
