// A small, deterministic tokeniser for the brief engine: Unicode words (any script), lower-cased,
// with a light English suffix stripper. It is deliberately dependency-free so the engine runs the
// same everywhere and costs microseconds per message.

const WORD = /[\p{L}\p{N}]+(?:['’][\p{L}]+)*/gu;

/** Lower-cased word tokens of any script (emoji and punctuation are dropped). */
export function tokenize(text: string): string[] {
  const out: string[] = [];
  for (const match of text.toLowerCase().matchAll(WORD)) out.push(match[0].replace(/’/g, "'"));
  return out;
}

export const STOPWORDS: ReadonlySet<string> = new Set(
  (
    'a an the and or but if then so of to in on at by for with from into onto about as is are was were be been ' +
    'being am do does did doing have has had having i me my mine myself we us our ours you your yours he him his ' +
    'she her hers it its they them their theirs this that these those there here what which who whom whose when ' +
    'where why how all any both each few more most other some such no nor not only own same than too very s t can ' +
    "will just don't should now i'm i've i'd i'll it's you're we're that's there's can't won't didn't doesn't isn't " +
    "wasn't aren't haven't hasn't couldn't shouldn't wouldn't would could may might must shall also just again " +
    'hi hello hey thanks thank please ok okay yes yeah dm'
  ).split(' '),
);

const NEGATIONS: ReadonlySet<string> = new Set([
  'not',
  'no',
  'never',
  "can't",
  "won't",
  "didn't",
  "doesn't",
  "isn't",
  "wasn't",
  "aren't",
  "haven't",
  "hasn't",
  "couldn't",
  'cannot',
]);

/** True for words that carry meaning for matching: not a stopword, or a negation. */
export function isContentWord(token: string): boolean {
  return NEGATIONS.has(token) || !STOPWORDS.has(token);
}

/**
 * A light stemmer (plural, -ing, -ed, -ly, -ment…): enough to match "refunded"/"refund" or
 * "cards"/"card" without a full Porter implementation, and stable for any script (only ASCII
 * suffixes are touched).
 */
export function stem(token: string): string {
  if (token.length <= 3) return token;
  const known = STEMS.get(token);
  if (known !== undefined) return known;
  const value = stemWord(token);
  // Bounded: a vocabulary is mostly a few thousand words, and a cleared memo only costs time.
  if (STEMS.size >= 20_000) STEMS.clear();
  STEMS.set(token, value);
  return value;
}

/** Memo of {@link stem}: its suffix rules cost a microsecond per word, a lookup a few nanoseconds. */
const STEMS = new Map<string, string>();

function stemWord(token: string): string {
  if (!/^[a-z']+$/.test(token)) return token;
  let t = token.replace(/'s$/, '');
  if (t.endsWith("n't")) return 'not';
  if (t.endsWith('ies') && t.length > 4) t = `${t.slice(0, -3)}y`;
  else if (t.endsWith('sses')) t = t.slice(0, -2);
  else if (t.endsWith('es') && /(ch|sh|x|z)es$/.test(t)) t = t.slice(0, -2);
  else if (t.endsWith('s') && !t.endsWith('ss') && !t.endsWith('us') && !t.endsWith('is')) t = t.slice(0, -1);
  if (t.endsWith('ingly')) t = t.slice(0, -5);
  else if (t.endsWith('ing') && t.length > 5) t = t.slice(0, -3);
  else if (t.endsWith('edly')) t = t.slice(0, -4);
  else if (t.endsWith('ied') && t.length > 4) t = `${t.slice(0, -3)}y`;
  else if (t.endsWith('ed') && t.length > 4) t = t.slice(0, -2);
  else if (t.endsWith('ly') && t.length > 5) t = t.slice(0, -2);
  else if (t.endsWith('ment') && t.length > 7) t = t.slice(0, -4);
  // Undouble a final consonant left by -ing/-ed ("stopped" → "stopp" → "stop").
  if (/([bdfgklmnprt])\1$/.test(t) && !/(ll|ss)$/.test(t)) t = t.slice(0, -1);
  if (t.endsWith('e') && t.length > 4) t = t.slice(0, -1);
  return t;
}

/** Stems of the content words of a text. */
export function contentStems(text: string): string[] {
  return contentStemsOf(tokenize(text));
}

/** Stems of the content words among tokens made by {@link tokenize}. */
export function contentStemsOf(tokens: readonly string[]): string[] {
  const out: string[] = [];
  for (const token of tokens) {
    // A token with a digit or a letter outside a-z at either end (ids, amounts, other scripts) is
    // neither a stopword nor changed by the stemmer: most are seen once, so they skip the memo.
    if (!isPlainWordEdge(token.charCodeAt(0)) || !isPlainWordEdge(token.charCodeAt(token.length - 1))) {
      out.push(token);
      continue;
    }
    let known = CONTENT_STEMS.get(token);
    if (known === undefined) {
      known = isContentWord(token) ? stem(token) : null;
      if (CONTENT_STEMS.size >= 20_000) CONTENT_STEMS.clear();
      CONTENT_STEMS.set(token, known);
    }
    if (known !== null) out.push(known);
  }
  return out;
}

/** a-z or an apostrophe: the characters of every stopword and of every word the stemmer changes. */
const isPlainWordEdge = (code: number): boolean => (code >= 97 && code <= 122) || code === 39;

/** Memo of a token's stem, or null for a word that is not a content word: one lookup per token. */
const CONTENT_STEMS = new Map<string, string | null>();

/**
 * The letters-and-digits form of a text from its {@link tokenize} tokens: lower-cased word runs
 * separated by single spaces (apostrophes split words: "don't" → "don t"). It equals replacing every
 * character that is not a letter or digit with a space and collapsing spaces, without the cost of a
 * global replace per sentence.
 */
export function normalisedOf(tokens: readonly string[]): string {
  const joined = tokens.join(' ');
  return joined.includes("'") ? joined.replace(/'/g, ' ') : joined;
}

/**
 * Sentences of a text: split after . ! ? … and at line breaks; whitespace-trimmed, empty ones dropped.
 * Abbreviations such as "e.g." may split early; that costs a little scoring accuracy, never a fact.
 */
export function splitSentences(text: string): string[] {
  const out: string[] = [];
  const push = (part: string): void => {
    const s = part.trim();
    if (s.length > 0) out.push(s);
  };
  for (const line of text.includes('\n') ? text.split(/\n+/) : [text]) {
    // The same cuts as splitting at /(?<=[.!?…。！？])\s+/u, found with one global pattern: a split
    // by a pattern copies the pattern on every call.
    SENTENCE_END.lastIndex = 0;
    let start = 0;
    for (let m = SENTENCE_END.exec(line); m !== null; m = SENTENCE_END.exec(line)) {
      push(line.slice(start, m.index + 1));
      start = m.index + m[0].length;
    }
    push(line.slice(start));
  }
  SENTENCE_END.lastIndex = 0;
  return out;
}

/** A sentence-ending mark (one UTF-16 unit each) and the whitespace after it. */
const SENTENCE_END = /[.!?…。！？]\s+/gu;

/** Clips a text at a word boundary so that it fits `max` characters (with an ellipsis). */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > max * 0.6 ? cut.slice(0, space) : cut).trimEnd()}…`;
}
