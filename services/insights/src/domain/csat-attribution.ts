import type { Owner } from './ticket-fact';

/** One owner segment of a ticket: who owned it, from when until when (null: still owns it). */
export interface OwnerSegment {
  /** 1-based position in the ticket's owner chain. */
  seq: number;
  owner: Owner;
  startedAt: number;
  endedAt: number | null;
  /** Whether the owner wrote in the ticket during the segment. */
  replied: boolean;
}

/** The share of one CSAT response attributed to one owner segment. */
export interface CsatAttribution {
  segmentSeq: number;
  /** `bot` for bot segments; `human_1`, `human_2`, … for the human segments in order. */
  segmentLabel: string;
  owner: Owner;
  /** Share of the response, all shares of a response sum to 1. */
  weight: number;
  score: number;
}

/** Label of each segment: bot segments are `bot`, human ones are numbered in order. */
export function segmentLabels(segments: readonly OwnerSegment[]): string[] {
  let humans = 0;
  return segments.map((s) => (s.owner.kind === 'bot' ? 'bot' : `human_${++humans}`));
}

/**
 * Attributes one CSAT response across the owner chain that led to it rather than to the last agent
 * alone: every segment that started before the response shares it equally (a ticket handled by the
 * bot, then Tier 1, then Tier 2 gives each a third). Equal shares on purpose: time shares would blame
 * the owner who waited longest for a customer's reply, and the chain is what the customer experienced.
 * Without a known chain, the owner named on the response takes it whole.
 */
export function attributeCsat(
  score: number,
  respondedAt: number,
  segments: readonly OwnerSegment[],
  ownerAtResponse?: Owner,
): CsatAttribution[] {
  const labels = segmentLabels(segments);
  const before = segments
    .map((segment, i) => ({ segment, label: labels[i] ?? 'unknown' }))
    .filter(({ segment }) => segment.startedAt <= respondedAt);
  if (before.length === 0) {
    return ownerAtResponse
      ? [
          {
            segmentSeq: 0,
            segmentLabel: ownerAtResponse.kind === 'bot' ? 'bot' : 'human_1',
            owner: ownerAtResponse,
            weight: 1,
            score,
          },
        ]
      : [];
  }
  const weight = 1 / before.length;
  return before.map(({ segment, label }) => ({
    segmentSeq: segment.seq,
    segmentLabel: label,
    owner: segment.owner,
    weight,
    score,
  }));
}

/** The weighted mean of attributed scores (Σ weight × score / Σ weight); null without weight. */
export function attributedMean(rows: readonly Pick<CsatAttribution, 'weight' | 'score'>[]): number | null {
  const weight = rows.reduce((sum, r) => sum + r.weight, 0);
  return weight === 0 ? null : rows.reduce((sum, r) => sum + r.weight * r.score, 0) / weight;
}
