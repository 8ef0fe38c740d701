// Everything the brief needs from one message, computed once when the message arrives: the
// incremental engine folds these analyses and never re-reads earlier messages.

import { extractFacts, type ExtractOptions, type ExtractedFact } from '../facts/fact-extractor';
import { detectLanguage } from '../text/language-detector';
import { readableText } from '../text/message-text';
import { clip, contentStemsOf, normalisedOf, splitSentences, tokenize } from '../text/tokenizer';
import type { SenderKind, TranscriptMessage } from './transcript';

export interface AnalysedSentence {
  text: string;
  /** Lower-cased, punctuation-free form (verbatim repeat detection). */
  norm: string;
  stems: string[];
  question: boolean;
  /** How strongly the sentence states a need or a problem (0 = not at all). */
  need: number;
  /** States that something does not work (a blocker). */
  problem: boolean;
}

export type ActionOutcome = 'worked' | 'failed' | 'pending';

export interface ActionCandidate {
  description: string;
  outcome: ActionOutcome;
  /** The agent or bot gave information rather than doing something. */
  informed?: boolean;
}

export interface MessageAnalysis {
  id: string;
  sequence: number;
  sender: SenderKind;
  senderId?: string;
  sentAt: string;
  sentAtMs: number;
  channel?: string;
  text: string;
  htmlStripped: boolean;
  quotedRemoved: boolean;
  language: string;
  letters: number;
  sentences: AnalysedSentence[];
  facts: ExtractedFact[];
  sentiment: number;
  actions: ActionCandidate[];
  feedback: 'positive' | 'negative' | undefined;
  repeatContactCue: boolean;
  explicitRepeatCue: boolean;
}

/** Sentences scored per message: a 50,000-character message is read, but not sentence by sentence. */
const MAX_SENTENCES = 200;

const NEED =
  /\b(what is|what's|is there|do you|does|how long|i need|i want|i would like|i'd like|i wish|i'm trying|i am trying|trying to|can you|could you|can i|could i|how (?:do|can|to)|why|where is|when will|help|please|refund|cancel|return|change|update|reset|fix|replace|track)\b/i;
const PROBLEM =
  /\b(can't|cannot|can not|couldn't|unable|won't|doesn't|does not|didn't|did not|isn't|not working|stopped working|broken|error|fail(?:ed|s|ing)?|declined|denied|refused|locked|stuck|missing|lost|never (?:arrived|received|got)|still (?:not|no|waiting|haven't)|wrong|charged twice|double charged|problem|issue|keeps?)\b/i;

const POSITIVE = new Set(
  'thanks thank great good perfect awesome excellent appreciate appreciated happy love helpful resolved works worked working fixed sorted brilliant amazing glad wonderful nice cool'.split(
    ' ',
  ),
);
const NEGATIVE = new Set(
  'angry annoyed annoying frustrated frustrating terrible awful horrible worst useless ridiculous unacceptable disappointed disappointing upset hate bad poor rude waste never nobody wrong broken fail failed failing error problem issue still again sucks scam joke'.split(
    ' ',
  ),
);
/** +1 for a positive word, -1 for a negative one (a word in both lists counts as positive). */
const POLARITY: ReadonlyMap<string, number> = new Map([
  ...[...NEGATIVE].map((word) => [word, -1] as const),
  ...[...POSITIVE].map((word) => [word, 1] as const),
]);
const POSITIVE_EMOJI = /[\u{1F600}-\u{1F60F}\u{1F642}\u{1F44D}\u{2764}\u{1F64F}\u{1F60A}]/gu;
const NEGATIVE_EMOJI = /[\u{1F620}-\u{1F62D}\u{1F92C}\u{1F44E}\u{1F61E}\u{1F61F}\u{1F641}\u{2639}]/gu;

const DONE =
  /\b(?:i|we)(?:'ve| have|'ve just| have just| just)?\s+(?:now\s+)?(reset|refunded|issued|sent|processed|cancell?ed|updated|changed|booked|reserved|escalated|credited|applied|replaced|resolved|fixed|reactivated|unlocked|transferred|scheduled|submitted|added|removed|activated|confirmed|restored|reversed|waived|arranged|passed|forwarded|raised|logged|created|opened|spoken|emailed|called|notified|verified|checked|located|found|made|shared|placed|paid)\b/i;
const PASSIVE_DONE =
  /\b(?:has|have|is|was|were|are) (?:now |just |already |successfully )?(?:been )?(reset|refunded|issued|sent|processed|cancell?ed|updated|changed|booked|reserved|escalated|credited|applied|replaced|resolved|fixed|reactivated|unlocked|transferred|scheduled|submitted|added|removed|activated|confirmed|restored|reversed|waived|arranged|made|shared|planned|placed|paid|completed|created|set up|started|played)\b|\b(?:is|was) (?:now )?(?:confirmed|successful|complete|completed|done|on (?:its|the) way)\b|\bsuccessfully\b|\bhas started\b|\bstarted playing\b/i;
const FAILED =
  /\b(?:unable to|couldn't|could not|can't|cannot|wasn't able to|was not able to|weren't able to|failed to|not able to)\s+(\w+)|\b(?:has|have|was|were) (?:been )?(?:declined|rejected|denied)\b|\b(?:was|were|is|are|has|have) not (?:been )?(?:made|booked|completed|successful|possible|processed|approved|available)\b|\bno (?:\w+ ){0,2}(?:available|availability)\b|\bunfortunately\b|\bfailed\b/i;
const PENDING =
  /\b(?:i'll|i will|we'll|we will|let me|i'm going to|i am going to|i'm|i am|we're|we are)\s+(?:now\s+|just\s+|going to\s+)?(check|look|investigate|escalate|forward|pass|raise|send|process|refund|arrange|review|contact|reach|call|email|follow|get|see|transfer|connect|update|open|create|log|book|reserve|search|find)\w*\b|\b(?:will be|is being|are being)\s+(processed|sent|refunded|reviewed|investigated|escalated|shipped|delivered|credited|resolved)\b|\bplease allow\b/i;
const REQUEST =
  /\b(?:please|kindly|can you|could you|would you)\s+(?:kindly\s+)?(send|dm|message|share|provide|confirm|check|try|restart|reinstall|clear|update|follow|click|reply|call|contact|visit|fill|give|let|tell|reach|email|verify|log|sign|download|reset|enter|use|make|go)\b/i;
const CUSTOMER_TRIED =
  /\b(?:i|we)(?:'ve| have)?\s+(?:already\s+|also\s+)?(tried|restarted|rebooted|reinstalled|cleared|reset|updated|called|contacted|emailed|followed|changed|checked|uninstalled|logged out|signed out|turned)\b/i;
const NEGATIVE_RESULT = /\b(but|still|didn't|did not|doesn't|does not|no luck|not work|nothing|same)\b/i;
const POSITIVE_RESULT =
  /\b(now works|works now|working now|it worked|that worked|fixed it|sorted|all good|problem solved|resolved)\b/i;

const POSITIVE_FEEDBACK =
  /\b(that worked|it worked|works now|working now|it's working|it is working|all sorted|sorted now|problem solved|that fixed|fixed it|all good now|got it,? thanks|received it|it arrived|perfect,? thanks?)\b/i;
const NEGATIVE_FEEDBACK =
  /\b(still (?:has not|have not|hasn't|haven't|is not|does not|did not|not|doesn't|does not|isn't|can't|cannot|haven't|no|the same|getting|broken|waiting)|didn't work|did not work|doesn't work|not working|same (?:issue|problem|error)|no luck|that didn't help|nothing changed|hasn't arrived|has not arrived|not received|(?:has|have|did|does|is) not (?:arrived|worked|work|come|changed))\b/i;

const REPEAT_CONTACT =
  /\b((?:second|third|fourth|fifth|\d+(?:st|nd|rd|th)) time|(?:called|contacted|messaged|emailed|wrote to|chatted with|spoke to|spoken to)\s+(?:you|your [a-z]+|support|customer service|someone)(?:\s+guys)?\s+(?:already|before|\d+ times|several times|multiple times|many times|twice|three times|again|last week|yesterday)|already (?:called|contacted|messaged|emailed|spoken|talked|reached out)|been (?:calling|trying|chasing) (?:for|since))\b/i;

/** Cues that the customer says they are repeating themselves ("as I told the last person"). */
export const EXPLICIT_REPEAT_CUE =
  /\b(as i (?:already |just )?(?:said|told|mentioned|explained|wrote|stated)|like i (?:already |just )?(?:said|told|mentioned)|i (?:already|just) (?:told|said|gave|explained|mentioned|provided|sent)|(?:told|explained (?:this|it) to|gave (?:it|this|them) to) (?:the|your) (?:last|previous|other) (?:person|agent|guy|rep|representative|bot)|(?:for|this is) the (?:second|third|fourth|\d+(?:st|nd|rd|th)) time|(?:again|once more),? (?:my|the) (?:order|account|number|email|phone)|how many times (?:do i|must i|should i))\b/i;

/** Sentiment of a text from the tokens of its sentences (the words of the normalised forms). */
function sentimentOf(text: string, sentenceTokens: readonly (readonly string[])[]): number {
  let positive = 0;
  let negative = 0;
  for (const tokens of sentenceTokens) {
    for (const token of tokens) {
      // The normalised form splits words at apostrophes ("don't" → "don", "t").
      const words = token.includes("'") ? token.split("'") : undefined;
      for (let i = 0; i < (words ? words.length : 1); i += 1) {
        const polarity = POLARITY.get(words ? (words[i] ?? '') : token);
        if (polarity === 1) positive += 1;
        else if (polarity === -1) negative += 1;
      }
    }
  }
  // Every emoji is outside ASCII: a plain-ASCII text has none to count.
  if (/[\u0080-\uffff]/.test(text)) {
    positive += (text.match(POSITIVE_EMOJI) ?? []).length;
    negative += (text.match(NEGATIVE_EMOJI) ?? []).length;
  }
  if (/!{2,}|\?{2,}/.test(text)) negative += 0.5;
  const shouted = (text.match(/\b[A-Z]{4,}\b/g) ?? []).length;
  if (shouted >= 2) negative += 1;
  return (positive - negative) / (positive + negative + 1);
}

function actionsOf(sender: SenderKind, analysed: readonly AnalysedSentence[]): ActionCandidate[] {
  const actions: ActionCandidate[] = [];
  for (const { text: sentence } of analysed) {
    const description = clip(sentence, 500);
    if (sender === 'agent' || sender === 'bot' || sender === 'system') {
      if (FAILED.test(sentence)) actions.push({ description, outcome: 'failed' });
      else if (DONE.test(sentence) || PASSIVE_DONE.test(sentence))
        actions.push({ description, outcome: 'worked' });
      else if (PENDING.test(sentence) || REQUEST.test(sentence))
        actions.push({ description, outcome: 'pending' });
    } else if (sender === 'customer' && CUSTOMER_TRIED.test(sentence)) {
      const outcome = POSITIVE_RESULT.test(sentence)
        ? 'worked'
        : NEGATIVE_RESULT.test(sentence)
          ? 'failed'
          : 'pending';
      actions.push({ description, outcome });
    }
  }
  if (actions.length === 0 && (sender === 'agent' || sender === 'bot')) {
    // An answer is an action too: what the customer was already told must not be told again.
    let informative: AnalysedSentence | undefined;
    for (const s of analysed) {
      if (!s.question && s.stems.length >= 4 && (!informative || s.stems.length > informative.stems.length))
        informative = s;
    }
    if (informative)
      actions.push({ description: clip(informative.text, 500), outcome: 'worked', informed: true });
  }
  return actions;
}

/** Options of {@link analyseMessage}. */
export interface AnalyseOptions {
  products?: readonly string[];
  /**
   * Identify the language and count the letters that weigh it (default true); the engine stops
   * once it has enough customer text. When false, `language` is the message's own tag or "und"
   * and `letters` is 0.
   */
  detectLanguage?: boolean;
}

/** Letters in the first 4,000 characters, counted without building an array of matches. */
function letterCount(text: string): number {
  const sample = text.length > 4000 ? text.slice(0, 4000) : text;
  if (!/[^\t\n\r -~]/.test(sample)) {
    let n = 0;
    for (let i = 0; i < sample.length; i += 1) {
      const c = sample.charCodeAt(i) | 0x20;
      if (c >= 0x61 && c <= 0x7a) n += 1;
    }
    return n;
  }
  return sample.replace(/[^\p{L}]+/gu, '').length;
}

const digitsAt = (text: string, from: number, count: number): number => {
  let value = 0;
  for (let i = from; i < from + count; i += 1) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
};

/**
 * `Date.parse` of an instant, with a fast path for the form `toISOString` writes
 * (`2026-01-10T09:00:00.000Z`, milliseconds optional): `Date.parse` costs about as much as
 * tokenising a chat message. Anything else (offsets, hour 24, years before 1000) goes to
 * `Date.parse`; out-of-range fields give NaN as they do there.
 */
export function instantMs(iso: string): number {
  const length = iso.length;
  if (
    (length !== 20 && length !== 24) ||
    iso[4] !== '-' ||
    iso[7] !== '-' ||
    iso[10] !== 'T' ||
    iso[13] !== ':' ||
    iso[16] !== ':' ||
    iso[length - 1] !== 'Z' ||
    (length === 24 && iso[19] !== '.')
  )
    return Date.parse(iso);
  const year = digitsAt(iso, 0, 4);
  const month = digitsAt(iso, 5, 2);
  const day = digitsAt(iso, 8, 2);
  const hour = digitsAt(iso, 11, 2);
  const minute = digitsAt(iso, 14, 2);
  const second = digitsAt(iso, 17, 2);
  const millisecond = length === 24 ? digitsAt(iso, 20, 3) : 0;
  if (
    year < 1000 ||
    month < 0 ||
    day < 0 ||
    hour < 0 ||
    hour === 24 ||
    minute < 0 ||
    second < 0 ||
    millisecond < 0
  )
    return Date.parse(iso);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return NaN;
  // Like Date.parse, a day past the end of its month runs into the next one (2026-02-30 → March 2).
  const days = daysFromCivil(year, month) + day - 1;
  return ((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + millisecond;
}

/**
 * Days from 1970-01-01 to the first day of a month of the proleptic Gregorian calendar (the
 * arithmetic of `Date.UTC`, which is a runtime call costing more than the parse).
 */
function daysFromCivil(year: number, month: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5);
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

function factOptions(sentAtMs: number, products: readonly string[] | undefined): ExtractOptions {
  const options: ExtractOptions = {};
  if (!Number.isNaN(sentAtMs)) options.sentAt = sentAtMs;
  if (products) options.products = products;
  return options;
}

/** Analyses one message (pure; the same input always gives the same analysis). */
export function analyseMessage(message: TranscriptMessage, options: AnalyseOptions = {}): MessageAnalysis {
  const readable = readableText(message.text);
  const text = readable.text;
  const sentAtMs = instantMs(message.sentAt);
  const rawSentences = splitSentences(text).slice(0, MAX_SENTENCES);
  const customer = message.sender === 'customer';
  const sentenceTokens: string[][] = [];
  const sentences: AnalysedSentence[] = rawSentences.map((sentence) => {
    // Need and problem cues matter only for what the customer says (statement, objective).
    const problem = customer && PROBLEM.test(sentence);
    // = /\?\s*$/ (trimEnd removes exactly the characters \s matches), without a regex scan.
    const question = sentence.trimEnd().endsWith('?');
    const need = customer ? (NEED.test(sentence) ? 1 : 0) + (problem ? 1 : 0) + (question ? 0.5 : 0) : 0;
    // One tokenisation per sentence serves both the normalised form and the stems.
    const tokens = tokenize(sentence);
    sentenceTokens.push(tokens);
    return {
      text: sentence,
      norm: normalisedOf(tokens),
      stems: contentStemsOf(tokens),
      question,
      need,
      problem,
    };
  });
  const feedback =
    message.sender === 'customer'
      ? NEGATIVE_FEEDBACK.test(text)
        ? 'negative'
        : POSITIVE_FEEDBACK.test(text)
          ? 'positive'
          : undefined
      : undefined;
  const analysis: MessageAnalysis = {
    id: message.id,
    sequence: message.sequence,
    sender: message.sender,
    sentAt: message.sentAt,
    sentAtMs: Number.isNaN(sentAtMs) ? 0 : sentAtMs,
    text,
    htmlStripped: readable.html,
    quotedRemoved: readable.quotedRemoved,
    // The brief's language is the customer's; other senders are not identified.
    language:
      message.language ?? (customer && options.detectLanguage !== false ? detectLanguage(text) : 'und'),
    letters: customer && options.detectLanguage !== false ? letterCount(text) : 0,
    sentences,
    facts: extractFacts(text, factOptions(sentAtMs, options.products)),
    sentiment: customer ? sentimentOf(text, sentenceTokens) : 0,
    actions: actionsOf(message.sender, sentences),
    feedback,
    repeatContactCue: message.sender === 'customer' && REPEAT_CONTACT.test(text),
    explicitRepeatCue: message.sender === 'customer' && EXPLICIT_REPEAT_CUE.test(text),
  };
  if (message.senderId !== undefined) analysis.senderId = message.senderId;
  if (message.channel !== undefined) analysis.channel = message.channel;
  return analysis;
}
