import { detectLanguage } from './language-detector';
import { readableText, stripQuotedHistory } from './message-text';
import { clip, splitSentences, stem, tokenize } from './tokenizer';

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
});
