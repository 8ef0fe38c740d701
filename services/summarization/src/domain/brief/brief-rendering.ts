// The one-paragraph rendering for agent desktops, written in the third person like a handoff note
// ("The customer says … The agent …"). It only restates items of the structured brief, so it
// carries no fact the structured form does not.

import { clip } from '../text/tokenizer';
import type { BriefContent } from './brief.types';

const FIRST_TO_THIRD: [RegExp, string][] = [
  [/\bI'm\b/gi, 'they are'],
  [/\bI am\b/g, 'they are'],
  [/\bI've\b/gi, 'they have'],
  [/\bI'd\b/gi, 'they would'],
  [/\bI'll\b/gi, 'they will'],
  [/\bI\b/g, 'they'],
  [/\bmy\b/gi, 'their'],
  [/\bme\b/gi, 'them'],
  [/\bmine\b/gi, 'theirs'],
  [/\bmyself\b/gi, 'themselves'],
];

const AGENT_TO_THIRD: [RegExp, string][] = [
  [/\b(?:I|we)'ve\b/gi, 'has'],
  [/\b(?:I|we) have\b/gi, 'has'],
  [/\b(?:I|we)'ll\b/gi, 'will'],
  [/\b(?:I|we) will\b/gi, 'will'],
  [/\b(?:I'm|I am|we're|we are)\b/gi, 'is'],
  [/\blet me\b/gi, 'will'],
  [/\b(?:I|we)\b/g, ''],
  [/\byour\b/gi, "the customer's"],
  [/\byou\b/gi, 'the customer'],
  [/\bplease\b/gi, 'asked the customer to'],
];

/**
 * Memoised rewrites: the same statement or action is rendered again after every new message, and
 * the regex rewrites dominate the cost of an incremental brief. Bounded; deterministic either way.
 */
function memoised(rewrite: (text: string) => string): (text: string) => string {
  const cache = new Map<string, string>();
  return (text) => {
    const known = cache.get(text);
    if (known !== undefined) return known;
    const value = rewrite(text);
    if (cache.size >= 2000) cache.clear();
    cache.set(text, value);
    return value;
  };
}

/** Rewrites a customer sentence in the third person ("my card" → "their card"). */
export const customerInThirdPerson = memoised((text: string): string =>
  FIRST_TO_THIRD.reduce((t, [pattern, replacement]) => t.replace(pattern, replacement), text),
);

/** Rewrites an agent/bot sentence as the agent's action ("I've reset your password" → "has reset the customer's password"). */
export const agentInThirdPerson = memoised((text: string): string =>
  AGENT_TO_THIRD.reduce((t, [pattern, replacement]) => t.replace(pattern, replacement), text)
    .replace(/^\s*(?:hi|hello|hey|sorry|thanks|thank you)\b[^,.!]*[,.!]\s*/i, '')
    .replace(/\s+/g, ' ')
    .trim(),
);

const sentence = (text: string): string => {
  const t = text.trim().replace(/\s+/g, ' ');
  return /[.!?…]$/.test(t) ? t : `${t}.`;
};

/** The last `count` items matching, in order, scanning from the end (briefs keep up to 200 actions). */
function lastMatching<T>(items: readonly T[], test: (item: T) => boolean, count: number): T[] {
  const out: T[] = [];
  for (let i = items.length - 1; i >= 0 && out.length < count; i -= 1) {
    const item = items[i] as T;
    if (test(item)) out.unshift(item);
  }
  return out;
}

/** The paragraph of a brief. */
export function renderSummary(brief: Omit<BriefContent, 'summary'>, messageCount: number): string {
  const parts: string[] = [];
  if (messageCount === 0) return 'Empty transcript: there is nothing to summarise yet.';
  if (brief.intent.evidence.length === 0) {
    parts.push(`No customer message yet (${messageCount} bot/agent message(s)).`);
  } else {
    parts.push(
      sentence(
        `The customer says ${clip(customerInThirdPerson(brief.intent.statement), 400).replace(/[.!]+$/, '')}`,
      ),
    );
    // Measured on TweetSumm: every extra clause costs ROUGE against human notes, so the paragraph
    // keeps the request, a blocker stated later, what the agent did and the key facts; the
    // structured brief carries the rest (next step, questions, effort).
    if (brief.objective.blocker && brief.objective.evidence[0] !== brief.intent.evidence[0]) {
      parts.push(sentence(`Blocker: ${clip(customerInThirdPerson(brief.objective.statement), 300)}`));
    }
  }
  const agentActions = lastMatching(brief.actionsTaken, (a) => a.by !== 'customer', 2);
  if (agentActions.length > 0) {
    const described = agentActions.map((a) => {
      const outcome = a.outcome === 'failed' ? ' (failed)' : '';
      return `${clip(agentInThirdPerson(a.description), 250).replace(/[.!]+$/, '')}${outcome}`;
    });
    parts.push(
      sentence(`The ${agentActions.some((a) => a.by === 'agent') ? 'agent' : 'bot'} ${described.join('; ')}`),
    );
  }
  const tried = lastMatching(brief.actionsTaken, (a) => a.by === 'customer', 1);
  if (tried.length > 0)
    parts.push(
      sentence(
        `Already tried: ${tried.map((a) => clip(customerInThirdPerson(a.description), 200)).join('; ')}`,
      ),
    );
  if (brief.keyFacts.length > 0) {
    const facts = brief.keyFacts
      .slice(0, 5)
      .map((f) => `${f.kind.replace('_', ' ')} ${f.normalized ?? f.value}`);
    parts.push(sentence(`Key facts: ${facts.join(', ')}`));
  }
  for (const note of brief.notes) if (note.includes('not in English')) parts.unshift(note);
  return clip(parts.join(' '), 5000);
}
