import { customerInThirdPerson, shownFactValue } from './brief-rendering';

describe('the paragraph rendering', () => {
  it('drops the greeting that opens a customer sentence, and keeps words that only start like one', () => {
    expect(customerInThirdPerson('Hi, my order A-1042 has not arrived yet.')).toBe(
      'their order A-1042 has not arrived yet.',
    );
    expect(customerInThirdPerson('Good morning Anna, my card was declined')).toBe('their card was declined');
    expect(customerInThirdPerson('Hello there! Where is my refund?')).toBe('Where is their refund?');
    expect(customerInThirdPerson('Hey this app crashed, and I lost my work')).toBe(
      'Hey this app crashed, and they lost their work',
    );
    expect(customerInThirdPerson('Hi!')).toBe('Hi!');
    expect(customerInThirdPerson('Higher fees on my bill, why?')).toBe('Higher fees on their bill, why?');
  });

  it('shows a date without a year as a month and day, and every other fact as normalised', () => {
    expect(shownFactValue({ kind: 'date', value: 'March 3', normalized: '--03-03' })).toBe('March 3');
    expect(shownFactValue({ kind: 'date', value: '12/01', normalized: '--12-01' })).toBe('December 1');
    expect(shownFactValue({ kind: 'date', value: '3 March 2026', normalized: '2026-03-03' })).toBe(
      '2026-03-03',
    );
    expect(shownFactValue({ kind: 'date', value: 'oddly', normalized: '--13-01' })).toBe('--13-01');
    expect(shownFactValue({ kind: 'date', value: 'leap', normalized: '--02-29' })).toBe('February 29');
    expect(shownFactValue({ kind: 'date', value: 'no such day', normalized: '--04-31' })).toBe('--04-31');
    expect(shownFactValue({ kind: 'order_number', value: 'a-1042', normalized: 'A-1042' })).toBe('A-1042');
    expect(shownFactValue({ kind: 'product', value: 'Kettle' })).toBe('Kettle');
  });
});
