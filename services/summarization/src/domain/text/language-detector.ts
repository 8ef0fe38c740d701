// Language identification without a model: the writing system decides for non-Latin scripts, and
// stop-word profiles decide among common Latin-script languages. When the evidence is thin the answer
// is "und" (undetermined) rather than a guess.

const SCRIPTS: readonly [RegExp, string][] = [
  [/[\u3040-\u30ff]/gu, 'ja'],
  [/[\uac00-\ud7af\u1100-\u11ff]/gu, 'ko'],
  [/[\u4e00-\u9fff]/gu, 'zh'],
  [/[\u0400-\u04ff]/gu, 'cyrl'],
  [/[\u0600-\u06ff]/gu, 'ar'],
  [/[\u0590-\u05ff]/gu, 'he'],
  [/[\u0370-\u03ff]/gu, 'el'],
  [/[\u0900-\u097f]/gu, 'hi'],
  [/[\u0e00-\u0e7f]/gu, 'th'],
];

const PROFILES: Record<string, ReadonlySet<string>> = {
  en: new Set(
    'the and is are was to of my i you it not have this that with for can what please your'.split(' '),
  ),
  es: new Set(
    'el la los las de que y es en no por para con mi una un se lo pero está estoy tengo'.split(' '),
  ),
  fr: new Set(
    "le la les de des et est en je ne pas pour avec mon une un que qui vous c'est j'ai suis".split(' '),
  ),
  de: new Set(
    'der die das und ist nicht ich mit ein eine zu mein für sie es auf den dem wir haben'.split(' '),
  ),
  pt: new Set('o a os as de que e é não em um uma para com meu minha por se está estou tenho'.split(' ')),
  it: new Set('il la di che e è non un una per con mio mia sono ho gli le del della questo'.split(' ')),
  nl: new Set('de het een en is niet ik met van mijn voor op dat die zijn hebben wij u je'.split(' ')),
};

/** The BCP 47 tag of the dominant language of a text, or "und" when there is too little to tell. */
export function detectLanguage(text: string): string {
  const sample = text.slice(0, 4000);
  // ASCII text is Latin script: skip counting the other scripts.
  const ascii = !/[^\t\n\r -~]/.test(sample);
  const letters = ascii ? (/[a-z]/i.test(sample) ? 1 : 0) : (sample.match(/\p{L}/gu) ?? []).length;
  if (letters === 0) return 'und';
  let bestScript = '';
  let bestCount = 0;
  for (const [pattern, tag] of ascii ? [] : SCRIPTS) {
    const count = (sample.match(pattern) ?? []).length;
    if (count > bestCount) {
      bestCount = count;
      bestScript = tag;
    }
  }
  if (bestCount / letters >= 0.4) {
    // Ukrainian has letters Russian lacks; other Cyrillic languages are left to "ru" only when
    // Russian-only letters are present, otherwise undetermined Cyrillic.
    if (bestScript === 'cyrl') return /[іїєґ]/iu.test(sample) ? 'uk' : /[ыэъё]/iu.test(sample) ? 'ru' : 'und';
    return bestScript;
  }
  const words = sample.toLowerCase().match(/[\p{L}']+/gu) ?? [];
  const scores = Object.entries(PROFILES).map(([tag, profile]) => ({
    tag,
    hits: words.reduce((n, w) => n + (profile.has(w) ? 1 : 0), 0),
  }));
  scores.sort((a, b) => b.hits - a.hits);
  const [first, second] = scores;
  if (!first || first.hits < 2) return 'und';
  // A winner must lead clearly; short texts full of shared words ("a", "de") stay undetermined.
  if (second && first.hits < second.hits * 1.5 + 1) return 'und';
  return first.tag;
}
