import { extractFacts } from './fact-extractor';

const sentAt = new Date('2026-03-10T12:00:00Z');
const norm = (text: string) =>
  extractFacts(text, { sentAt }).map((f) => [f.kind, f.normalized ?? null, f.value]);

describe('extractFacts', () => {
  it('normalises identifiers by their keyword', () => {
    expect(norm('Order number: ab-1234, account #778899 and ticket 5512.')).toEqual([
      ['order_number', 'AB-1234', 'ab-1234'],
      ['account_number', '778899', '778899'],
      ['ticket_number', '5512', '5512'],
    ]);
  });

  it('does not take words for identifiers', () => {
    expect(norm('What is my order status? My account details are wrong.')).toEqual([]);
  });

  it('normalises amounts with their currency', () => {
    expect(norm('I paid $1,299.00 and then 12,50 € and 30 EUR and 5 pounds')).toEqual([
      ['amount', '1299.00 USD', '$1,299.00'],
      ['amount', '12.50 EUR', '12,50 €'],
      ['amount', '30.00 EUR', '30 EUR'],
      ['amount', '5.00 GBP', '5 pounds'],
    ]);
  });

  it('normalises only unambiguous dates and never invents a year', () => {
    expect(norm('on 2026-02-03, on 25/12/2025, on 03/04/2025, on March 3rd and on 5 May 2024')).toEqual([
      ['date', '2026-02-03', '2026-02-03'],
      ['date', '2025-12-25', '25/12/2025'],
      ['date', null, '03/04/2025'],
      ['date', '--03-03', 'March 3rd'],
      ['date', '2024-05-05', '5 May 2024'],
    ]);
  });

  it('resolves relative days against the message time', () => {
    expect(norm('It was charged yesterday')).toEqual([['date', '2026-03-09', 'yesterday']]);
    expect(extractFacts('It was charged yesterday')).toEqual([{ kind: 'date', value: 'yesterday' }]);
    expect(extractFacts('Due tomorrow', { sentAt: sentAt.getTime() })).toEqual(
      extractFacts('Due tomorrow', { sentAt }),
    );
  });

  it('finds phones with a prefix, separators or a phone word, not bare digit runs', () => {
    expect(norm('Call me on +44 20 7946 0958 or 0044 20 7946 0000')).toEqual([
      ['phone', '+442079460958', '+44 20 7946 0958'],
      ['phone', '+442079460000', '0044 20 7946 0000'],
    ]);
    expect(norm('my number is 5550100123')).toEqual([['phone', '5550100123', '5550100123']]);
    expect(norm('reference 20260310 shipped 3 items')).toEqual([['ticket_number', '20260310', '20260310']]);
  });

  it('lower-cases emails and finds configured products', () => {
    expect(
      extractFacts('Write to Jo@Example.COM about the Acme Router X2', { products: ['Acme Router X2'] }),
    ).toEqual([
      { kind: 'email', value: 'Jo@Example.COM', normalized: 'jo@example.com' },
      { kind: 'product', value: 'Acme Router X2', normalized: 'Acme Router X2' },
    ]);
    expect(norm('my iPhone 12 Pro is broken')).toEqual([['product', 'iphone 12 pro', 'iPhone 12 Pro']]);
  });
});
