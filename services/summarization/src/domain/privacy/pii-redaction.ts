// PII redaction before a transcript leaves the process (an external summarisation provider):
// emails, phone numbers, card and account-like digit runs, IBANs and URLs with query strings become
// numbered placeholders. The mapping stays in the process so the provider's answer can be restored.

export interface Redaction {
  text: string;
  /** Placeholder → original value. */
  replacements: Map<string, string>;
}

const RULES: readonly [string, RegExp][] = [
  ['EMAIL', /[\p{L}0-9._%+-]+@[\p{L}0-9-]+(?:\.[\p{L}0-9-]+)*\.\p{L}{2,}/gu],
  ['IBAN', /\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){3,7}(?:[ ]?[A-Z0-9]{1,4})?\b/g],
  ['URL', /\bhttps?:\/\/[^\s<>"]+/gi],
  ['CARD', /\b\d(?:[ -]?\d){12,18}\b/g],
  ['PHONE', /(?<![\w+])(?:\+|00)?\d[\d\s().-]{6,18}\d(?!\w)/g],
  ['NUMBER', /\b[A-Z]{0,4}\d{6,}\b/gi],
];

/** A redactor shared across the messages of one request, so one value gets one placeholder. */
export class PiiRedactor {
  private readonly byValue = new Map<string, string>();
  readonly replacements = new Map<string, string>();
  private readonly counters = new Map<string, number>();

  redact(text: string): string {
    let out = text;
    for (const [label, pattern] of RULES) {
      out = out.replace(pattern, (match) => {
        // Short digit runs (quantities, years) are not identifying; phones need 7+ digits.
        if ((label === 'PHONE' || label === 'CARD') && match.replace(/\D/g, '').length < 7) return match;
        if (/^\[[A-Z]+_\d+\]$/.test(match)) return match;
        const known = this.byValue.get(match);
        if (known) return known;
        const n = (this.counters.get(label) ?? 0) + 1;
        this.counters.set(label, n);
        const placeholder = `[${label}_${n}]`;
        this.byValue.set(match, placeholder);
        this.replacements.set(placeholder, match);
        return placeholder;
      });
    }
    return out;
  }

  /** Puts the original values back into a text produced from redacted input. */
  restore(text: string): string {
    return text.replace(
      /\[[A-Z]+_\d+\]/g,
      (placeholder) => this.replacements.get(placeholder) ?? placeholder,
    );
  }
}

/** Redacts one text on its own. */
export function redactPii(text: string): Redaction {
  const redactor = new PiiRedactor();
  return { text: redactor.redact(text), replacements: redactor.replacements };
}
