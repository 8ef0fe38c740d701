import { PiiRedactor, redactPii } from './pii-redaction';

describe('PII redaction', () => {
  it('replaces emails, cards, phones, IBANs, URLs and long digit runs with stable placeholders', () => {
    const { text, replacements } = redactPii(
      'Mail jo@example.com, card 4111-1111-1111-1111, call +1 (415) 555-0100, IBAN DE89 3704 0044 0532 0130 00, see https://x.example/reset?token=abc, account 99887766. Again jo@example.com.',
    );
    expect(text).toBe(
      'Mail [EMAIL_1], card [CARD_1], call [PHONE_1], IBAN [IBAN_1], see [URL_1] account [PHONE_2]. Again [EMAIL_1].',
    );
    expect(replacements.get('[CARD_1]')).toBe('4111-1111-1111-1111');
  });

  it('keeps short numbers and restores placeholders', () => {
    const redactor = new PiiRedactor();
    expect(redactor.redact('2 items for 15 EUR in 2026, mail a@b.io')).toBe(
      '2 items for 15 EUR in 2026, mail [EMAIL_1]',
    );
    expect(redactor.restore('Customer [EMAIL_1] and [UNKNOWN_9]')).toBe('Customer a@b.io and [UNKNOWN_9]');
  });
});
