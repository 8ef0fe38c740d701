import { detectLanguage } from './language-detector';
import { readableText, stripQuotedHistory } from './message-text';
import {
  clip,
  contentStems,
  contentStemsOf,
  isContentWord,
  normalisedOf,
  splitSentences,
  stem,
  tokenize,
} from './tokenizer';

/** Texts where a shortcut could part from the plain definition: scripts, apostrophes, spacing. */
const TRICKY = [
  'Hi. Where is it?\nThanks!',
  'Wait...  what?!  Really…\tyes.\u00a0No . . done',
  "I can't log in, don’t ask; it's   rock'n'roll — dogs' toys 'quoted' 'x",
  'ΟΔΟΣ ΣΟΦΟΣ. Καλημέρα! ΣΑΣ? İstanbul 注文。届きません！本当？ Заказ.',
  'Order #A-1234 costs $49.99 (2026-01-02), call +44 20 7946 0958 or jane.doe1003@example.com',
  '  \n\n  spaced   out \r\n lines  \n',
  'x²³ ⅷ ٣ 🙂👍 e\u0301te ﬁne',
  '',
];

describe('text helpers', () => {
  it('tokenises any script and drops emoji', () => {
    expect(tokenize('Don’t charge me twice 😡 — 注文 Заказ')).toEqual([
      "don't",
      'charge',
      'me',
      'twice',
      '注文',
      'заказ',
    ]);
  });

  it('stems common English inflections', () => {
    expect(['refunded', 'refunds', 'charges', 'stopped', 'deliveries'].map(stem)).toEqual([
      'refund',
      'refund',
      'charg',
      'stop',
      'delivery',
    ]);
  });

  it('splits sentences and clips at a word boundary', () => {
    expect(splitSentences('Hi. Where is it?\nThanks!')).toEqual(['Hi.', 'Where is it?', 'Thanks!']);
    expect(clip('alpha beta gamma delta', 15)).toBe('alpha beta…');
    expect(clip('short', 15)).toBe('short');
  });

  it('splits sentences at the same places as the lookbehind pattern', () => {
    const reference = (text: string): string[] =>
      text
        .split(/\n+/)
        .flatMap((line) => line.split(/(?<=[.!?…。！？])\s+/u))
        .map((s) => s.trim())
        .filter((s) => s.length > 0);
    for (const text of TRICKY) expect(splitSentences(text)).toEqual(reference(text));
  });

  it('normalises sentences and stems content words from their tokens as the plain definitions do', () => {
    const normalised = (text: string): string =>
      text
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s]/gu, ' ')
        .replace(/\s+/g, ' ')
        .trim();
    for (const text of TRICKY) {
      for (const sentence of [text, ...splitSentences(text)]) {
        const tokens = tokenize(sentence);
        expect(normalisedOf(tokens)).toBe(normalised(sentence));
        expect(contentStemsOf(tokens)).toEqual(tokens.filter(isContentWord).map(stem));
        // Twice: the second answer comes from the memo.
        expect(contentStems(sentence)).toEqual(contentStemsOf(tokens));
      }
    }
    expect(contentStems("I can't find order A1234, it wasn't delivered")).toEqual([
      'not',
      'find',
      'order',
      'a1234',
      'not',
      'deliver',
    ]);
  });

  it('detects languages, and says "und" when unsure', () => {
    expect(detectLanguage('Where is my order? It has not arrived and I want a refund.')).toBe('en');
    expect(detectLanguage('Mi pedido no ha llegado y estoy esperando una respuesta.')).toBe('es');
    expect(
      detectLanguage('Ma commande n’est pas arrivée et je suis très déçu, je veux un remboursement.'),
    ).toBe('fr');
    expect(detectLanguage('Meine Bestellung ist nicht angekommen und ich habe keine Antwort.')).toBe('de');
    expect(detectLanguage('注文した商品がまだ届きません')).toBe('ja');
    expect(detectLanguage('Мой заказ не пришёл, где он? Вы ответите?')).toBe('ru');
    expect(detectLanguage('ok')).toBe('und');
    expect(detectLanguage('12345 !!!')).toBe('und');
  });

  it('strips HTML, entities and quoted replies', () => {
    expect(
      readableText('<p>Hello &amp; thanks&nbsp;&#8212; <b>order</b> 12</p><blockquote>old 999</blockquote>'),
    ).toEqual({
      text: 'Hello & thanks — order 12',
      html: true,
      quotedRemoved: true,
    });
    expect(stripQuotedHistory('New text\n> quoted line\nmore new')).toBe('New text\nmore new');
    expect(stripQuotedHistory('Reply\n-----Original Message-----\nFrom: x')).toBe('Reply\n');
    // A "<" in prose is not HTML.
    expect(readableText('I paid < 5 EUR').html).toBe(false);
  });

  it('normalises whitespace of plain text only where it needs it', () => {
    const plain = (text: string): string =>
      text
        .replace(/\r\n?/g, '\n')
        .replace(/[ \t\u00a0]+/g, ' ')
        .replace(/\n\s*\n+/g, '\n')
        .trim();
    for (const text of [...TRICKY, 'a\u00a0\u00a0b', 'one\r\rtwo', 'tab\there', 'single spaces only'])
      expect(readableText(text).text).toBe(plain(text));
  });
});
