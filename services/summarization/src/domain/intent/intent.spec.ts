import { IntentClassifier } from './intent-classifier';
import { induceIntents } from './intent-induction';
import { DEFAULT_TAXONOMY, taxonomyProblems } from './intent-taxonomy';

describe('intent classification and taxonomy', () => {
  const classifier = new IntentClassifier([
    { name: 'card_arrival', examples: ['my card has not arrived', 'when will my new card come'] },
    { name: 'lost_card', examples: ['I lost my card', 'my card was stolen'] },
    { name: 'refund', examples: ['I want my money back', 'please refund the payment'] },
  ]);

  it('labels by the nearest examples and ranks every intent', () => {
    expect(classifier.classify('still waiting for my card to arrive').label).toBe('card_arrival');
    expect(classifier.classify('someone stole my card yesterday').label).toBe('lost_card');
    const prediction = classifier.classify('can I get a refund for this payment?');
    expect(prediction.label).toBe('refund');
    expect(prediction.ranking.map((r) => r.label).sort()).toEqual(['card_arrival', 'lost_card', 'refund']);
    expect(prediction.confidence).toBeGreaterThan(0);
    expect(prediction.confidence).toBeLessThanOrEqual(1);
  });

  it('gives no confidence to a text that shares nothing with the taxonomy', () => {
    expect(classifier.classify('zzz qqq').confidence).toBe(0);
  });

  it('validates taxonomies', () => {
    expect(taxonomyProblems(DEFAULT_TAXONOMY)).toEqual([]);
    expect(taxonomyProblems({ intents: [] })).toEqual(['intents: at least one intent is required']);
    expect(
      taxonomyProblems({
        intents: [
          { name: 'a b', examples: [' '] },
          { name: 'x', examples: ['e'] },
          { name: 'x', examples: ['f'] },
        ],
      }),
    ).toEqual([
      'intents[0].name: 1-100 letters, digits, _ . : -',
      'intents[0].examples: at least one non-empty example',
      'intents[2].name: "x" is defined twice',
    ]);
  });

  it('induces clusters of similar utterances', () => {
    const labels = induceIntents(
      [
        'reset my password',
        'I forgot my password',
        'where is my parcel',
        'my parcel is late',
        'password reset link',
      ],
      2,
    );
    expect(labels[0]).toBe(labels[1]);
    expect(labels[0]).toBe(labels[4]);
    expect(labels[2]).toBe(labels[3]);
    expect(labels[0]).not.toBe(labels[2]);
  });
});
