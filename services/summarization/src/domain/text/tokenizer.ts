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
  if (token.length <= 3 || !/^[a-z']+$/.test(token)) return token;
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
  return tokenize(text).filter(isContentWord).map(stem);
}

/**
 * Sentences of a text: split after . ! ? … and at line breaks; whitespace-trimmed, empty ones dropped.
 * Abbreviations such as "e.g." may split early; that costs a little scoring accuracy, never a fact.
 */
export function splitSentences(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split(/\n+/)) {
    for (const part of line.split(/(?<=[.!?…。！？])\s+/u)) {
      const s = part.trim();
      if (s.length > 0) out.push(s);
    }
  }
  return out;
}

/** Clips a text at a word boundary so that it fits `max` characters (with an ellipsis). */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > max * 0.6 ? cut.slice(0, space) : cut).trimEnd()}…`;
}
