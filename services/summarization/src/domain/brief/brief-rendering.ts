// The one-paragraph rendering for agent desktops, written in the third person like a handoff note
// ("The customer says … The agent …"). It only restates items of the structured brief, so it
// carries no fact the structured form does not.

import { clip } from '../text/tokenizer';
import type { BriefAction, BriefContent } from './brief.types';

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

/**
 * A greeting that opens a customer's sentence ("Hi,", "Hello there!", "Good morning Anna,"): a
 * greeting word, at most one more word (there, team, support, a capitalised name), then punctuation.
 * Narrow on purpose: "Hey this app crashed, …" keeps its words.
 */
const CUSTOMER_GREETING =
  /^\s*(?:[Hh]i|[Hh]iya|[Hh]ello|[Hh]ey|[Gg]ood (?:morning|afternoon|evening))(?:\s+(?:there|team|all|everyone|support|\p{Lu}[\p{L}'-]*))?\s*[,!.]+\s*/u;

/**
 * Rewrites a customer sentence in the third person ("my card" → "their card"), without the greeting
 * that may open it ("Hi, my order …" → "their order …").
 */
export const customerInThirdPerson = memoised((text: string): string => {
  const withoutGreeting = text.replace(CUSTOMER_GREETING, '');
  const body = withoutGreeting.trim() === '' ? text : withoutGreeting;
  return FIRST_TO_THIRD.reduce((t, [pattern, replacement]) => t.replace(pattern, replacement), body);
});

/** Month and day in words ("March 3"), in UTC so the day never shifts with the server's zone. */
const MONTH_DAY = new Intl.DateTimeFormat('en-US', { month: 'long', day: 'numeric', timeZone: 'UTC' });

/**
 * A fact as the paragraph shows it: the normalised value, except a date without a year, whose
 * normal form (`--03-03`, ISO 8601) is for matching, not for reading: "March 3".
 */
export function shownFactValue(fact: { kind: string; value: string; normalized?: string }): string {
  const shown = fact.normalized ?? fact.value;
  const monthDay = /^--(\d{2})-(\d{2})$/.exec(shown);
  if (!monthDay) return shown;
  const [month, day] = [Number(monthDay[1]), Number(monthDay[2])];
  // A leap year, so --02-29 is a day; a month or day out of range stays as it is.
  const date = new Date(Date.UTC(2000, month - 1, day));
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day ? MONTH_DAY.format(date) : shown;
}

/** Rewrites an agent/bot sentence as the agent's action ("I've reset your password" → "has reset the customer's password"). */
export const agentInThirdPerson = memoised((text: string): string =>
  AGENT_TO_THIRD.reduce((t, [pattern, replacement]) => t.replace(pattern, replacement), text)
    .replace(/^\s*(?:hi|hello|hey|sorry|thanks|thank you)\b[^,.!]*[,.!]\s*/i, '')
    .replace(/\s+/g, ' ')
    .trim(),
);

/** Whitespace that `\s+` → " " would change: a run, or a space character other than " ". */
const UNEVEN_SPACE = /[^\S ]|\s\s/;

const sentence = (text: string): string => {
  const trimmed = text.trim();
  // The guard spares a global replace (a string build per space) when every space is single.
  const t = UNEVEN_SPACE.test(trimmed) ? trimmed.replace(/\s+/g, ' ') : trimmed;
  return SENTENCE_END.has(t.charCodeAt(t.length - 1)) ? t : `${t}.`;
};

/** . ! ? … */
const SENTENCE_END: ReadonlySet<number> = new Set([0x2e, 0x21, 0x3f, 0x2026]);

/** The paragraph of a brief. */
export function renderSummary(brief: Omit<BriefContent, 'summary'>, messageCount: number): string {
  return new SummaryRenderer().render(brief, messageCount);
}

/** The paragraph parts that are remembered between renders. */
type PartName = 'statement' | 'blocker' | 'agent' | 'tried' | 'facts';

/** The text of a part and the values it was rendered from. */
interface RenderedPart {
  inputs: readonly unknown[];
  text: string;
}

const sameInputs = (a: readonly unknown[], b: readonly unknown[]): boolean => {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return false;
  return true;
};

// Parts made from one text are memoised by it: a statement, an objective or an action comes back
// when the last one is replaced by an earlier one.
const customerSays = memoised((statement: string): string =>
  sentence(`The customer says ${clip(customerInThirdPerson(statement), 400).replace(/[.!]+$/, '')}`),
);
const blockerSentence = memoised((statement: string): string =>
  sentence(`Blocker: ${clip(customerInThirdPerson(statement), 300)}`),
);
const triedSentence = memoised((description: string): string =>
  sentence(`Already tried: ${clip(customerInThirdPerson(description), 200)}`),
);
const agentClause = memoised((description: string): string =>
  clip(agentInThirdPerson(description), 250).replace(/[.!]+$/, ''),
);

const statementPart = ([statement]: readonly unknown[]): string => customerSays(String(statement));
const blockerPart = ([statement]: readonly unknown[]): string => blockerSentence(String(statement));
const triedPart = ([description]: readonly unknown[]): string => triedSentence(String(description));

/** Inputs: description, outcome and author of each of the last (up to two) agent/bot actions, oldest first. */
const agentPart = (inputs: readonly unknown[]): string => {
  const described: string[] = [];
  let byAgent = false;
  for (let i = 0; i + 2 < inputs.length; i += 3) {
    const outcome = inputs[i + 1] === 'failed' ? ' (failed)' : '';
    described.push(`${agentClause(String(inputs[i]))}${outcome}`);
    if (inputs[i + 2] === 'agent') byAgent = true;
  }
  return sentence(`The ${byAgent ? 'agent' : 'bot'} ${described.join('; ')}`);
};

/** Inputs: kind and shown value of each of the first (up to five) facts. */
const factsPart = (inputs: readonly unknown[]): string => {
  const facts: string[] = [];
  for (let i = 0; i + 1 < inputs.length; i += 2)
    facts.push(`${String(inputs[i]).replace('_', ' ')} ${String(inputs[i + 1])}`);
  return sentence(`Key facts: ${facts.join(', ')}`);
};

/**
 * Renders paragraphs, remembering each part of the last one with the values it was made from. A
 * ticket's brief is rendered again after every message and most parts (statement, blocker, facts,
 * often the actions) come from the same values as last time: only parts whose values changed are
 * rendered again, so the paragraph is always exactly what {@link renderSummary} gives.
 */
export class SummaryRenderer {
  private readonly parts = new Map<PartName, RenderedPart>();

  private part(
    name: PartName,
    inputs: readonly unknown[],
    render: (inputs: readonly unknown[]) => string,
  ): string {
    const last = this.parts.get(name);
    if (last && sameInputs(last.inputs, inputs)) return last.text;
    const text = render(inputs);
    this.parts.set(name, { inputs, text });
    return text;
  }

  render(brief: Omit<BriefContent, 'summary'>, messageCount: number): string {
    const parts: string[] = [];
    if (messageCount === 0) return 'Empty transcript: there is nothing to summarise yet.';
    if (brief.intent.evidence.length === 0) {
      parts.push(`No customer message yet (${messageCount} bot/agent message(s)).`);
    } else {
      parts.push(this.part('statement', [brief.intent.statement], statementPart));
      // Measured on TweetSumm: every extra clause costs ROUGE against human notes, so the paragraph
      // keeps the request, a blocker stated later, what the agent did and the key facts; the
      // structured brief carries the rest (next step, questions, effort).
      if (brief.objective.blocker && brief.objective.evidence[0] !== brief.intent.evidence[0])
        parts.push(this.part('blocker', [brief.objective.statement], blockerPart));
    }
    // One scan from the newest action: the last two by the agent or bot, the last by the customer.
    const actions = brief.actionsTaken;
    let latest: BriefAction | undefined;
    let previous: BriefAction | undefined;
    let tried: BriefAction | undefined;
    for (let i = actions.length - 1; i >= 0 && (previous === undefined || tried === undefined); i -= 1) {
      const action = actions[i] as BriefAction;
      if (action.by === 'customer') tried ??= action;
      else if (latest === undefined) latest = action;
      else previous ??= action;
    }
    if (latest) {
      const inputs = previous
        ? [previous.description, previous.outcome, previous.by, latest.description, latest.outcome, latest.by]
        : [latest.description, latest.outcome, latest.by];
      parts.push(this.part('agent', inputs, agentPart));
    }
    if (tried) parts.push(this.part('tried', [tried.description], triedPart));
    if (brief.keyFacts.length > 0) {
      const inputs: string[] = [];
      for (const fact of brief.keyFacts.slice(0, 5)) inputs.push(fact.kind, shownFactValue(fact));
      parts.push(this.part('facts', inputs, factsPart));
    }
    for (const note of brief.notes) if (note.includes('not in English')) parts.unshift(note);
    return clip(parts.join(' '), 5000);
  }
}
