// Repeat detection after a handoff: a new customer message is compared with what the customer had
// said before the handoff (the brief's knowledge). Four signals, strongest first: an explicit cue
// ("as I told the last person"), a verbatim sentence, a restated fact value, a paraphrase (content
// overlap of a sentence). Agent and bot messages are never repeats.

import type { PriorKnowledge } from '../brief/brief-engine';
import type { MessageAnalysis } from '../brief/message-analysis';
import { factKey, type FactKind } from '../facts/fact-extractor';

export type RepeatKind = 'verbatim' | 'restated_value' | 'paraphrase' | 'explicit_cue';

export interface RepeatFinding {
  repeatKind: RepeatKind;
  repeatedFacts: { kind: FactKind; value: string; firstSeenIn: string[] }[];
  similarity?: number;
  /** The new message and the earlier messages it repeats. */
  evidence: string[];
}

/** Overlap of content stems at or above which a sentence is a paraphrase of an earlier one. */
export const PARAPHRASE_THRESHOLD = 0.5;
const VERBATIM_THRESHOLD = 0.9;
const MIN_STEMS = 3;

function digitsKey(kind: FactKind, value: string): string | undefined {
  const digits = value.replace(/\D/g, '');
  // Phones and ids restated with other separators ("555-0100" vs "5550100") are the same value.
  if (digits.length >= 5 && kind !== 'amount' && kind !== 'date') return `${kind}:#${digits.slice(-10)}`;
  return undefined;
}

/** Dice overlap of two stem multisets (0..1). */
export function stemOverlap(a: readonly string[], b: readonly string[]): number {
  if (a.length === 0 || b.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const s of b) counts.set(s, (counts.get(s) ?? 0) + 1);
  let shared = 0;
  for (const s of a) {
    const c = counts.get(s) ?? 0;
    if (c > 0) {
      shared += 1;
      counts.set(s, c - 1);
    }
  }
  return (2 * shared) / (a.length + b.length);
}

/** Prepared lookup structures of prior knowledge (build once per handoff). */
export class RepeatDetector {
  private readonly factsByKey = new Map<string, PriorKnowledge['facts'][number]>();
  private readonly sentencesByNorm = new Map<string, string>();
  private readonly sentencesByStem = new Map<string, number[]>();

  constructor(private readonly prior: PriorKnowledge) {
    for (const fact of prior.facts) {
      this.factsByKey.set(factKey(fact), fact);
      const digits = digitsKey(fact.kind, fact.normalized ?? fact.value);
      if (digits) this.factsByKey.set(digits, fact);
    }
    prior.sentences.forEach((s, index) => {
      if (!this.sentencesByNorm.has(s.norm)) this.sentencesByNorm.set(s.norm, s.messageId);
      for (const stem of new Set(s.stems)) {
        const list = this.sentencesByStem.get(stem) ?? [];
        list.push(index);
        this.sentencesByStem.set(stem, list);
      }
    });
  }

  /** The repeat in a message, or undefined when it brings only new information (or is not the customer's). */
  detect(message: MessageAnalysis): RepeatFinding | undefined {
    if (message.sender !== 'customer') return undefined;
    const repeatedFacts: RepeatFinding['repeatedFacts'] = [];
    const earlier = new Set<string>();
    for (const fact of message.facts) {
      const digits = digitsKey(fact.kind, fact.normalized ?? fact.value);
      const known = this.factsByKey.get(factKey(fact)) ?? (digits ? this.factsByKey.get(digits) : undefined);
      if (known && !repeatedFacts.some((r) => r.kind === known.kind && r.value === known.value)) {
        repeatedFacts.push({
          kind: known.kind,
          value: known.value,
          firstSeenIn: known.evidence.slice(0, 50),
        });
        for (const id of known.evidence.slice(0, 10)) earlier.add(id);
      }
    }

    let verbatim: { similarity: number; messageId: string } | undefined;
    let paraphrase: { similarity: number; messageId: string } | undefined;
    for (const sentence of message.sentences) {
      if (sentence.stems.length < MIN_STEMS) continue;
      const exact = this.sentencesByNorm.get(sentence.norm);
      if (exact !== undefined) {
        verbatim = { similarity: 1, messageId: exact };
        break;
      }
      // Candidates share at least one stem; scoring only those keeps this proportional to the
      // message, not to the length of the transcript before the handoff.
      const candidates = new Set<number>();
      for (const stem of new Set(sentence.stems))
        for (const i of this.sentencesByStem.get(stem) ?? []) candidates.add(i);
      for (const index of candidates) {
        const prior = this.prior.sentences[index];
        if (!prior) continue;
        const similarity = stemOverlap(sentence.stems, prior.stems);
        if (similarity >= VERBATIM_THRESHOLD && (!verbatim || similarity > verbatim.similarity))
          verbatim = { similarity, messageId: prior.messageId };
        else if (similarity >= PARAPHRASE_THRESHOLD && (!paraphrase || similarity > paraphrase.similarity))
          paraphrase = { similarity, messageId: prior.messageId };
      }
    }

    const matched = verbatim ?? paraphrase;
    if (matched) earlier.add(matched.messageId);
    const kind: RepeatKind | undefined = message.explicitRepeatCue
      ? 'explicit_cue'
      : verbatim
        ? 'verbatim'
        : repeatedFacts.length > 0
          ? 'restated_value'
          : paraphrase
            ? 'paraphrase'
            : undefined;
    if (!kind) return undefined;
    const finding: RepeatFinding = {
      repeatKind: kind,
      repeatedFacts,
      evidence: [message.id, ...[...earlier].filter((id) => id !== message.id)].slice(0, 200),
    };
    if (matched) finding.similarity = Math.round(matched.similarity * 1000) / 1000;
    return finding;
  }
}
