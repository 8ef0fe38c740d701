// Regex extractors for the normalised key facts of a brief. Each fact keeps the text as the customer
// wrote it (`value`) and a normalised form only when it can be derived without guessing (a date
// without a year stays without a year; a phone without a country code gets none).

export type FactKind =
  | 'order_number'
  | 'account_number'
  | 'ticket_number'
  | 'product'
  | 'amount'
  | 'date'
  | 'email'
  | 'phone'
  | 'other';

export interface ExtractedFact {
  kind: FactKind;
  value: string;
  normalized?: string;
}

/** The identity of a fact across messages: kind + normalised value. */
export function factKey(fact: ExtractedFact): string {
  return `${fact.kind}:${(fact.normalized ?? fact.value).toLowerCase()}`;
}

const EMAIL = /[\p{L}0-9._%+-]+@[\p{L}0-9-]+(?:\.[\p{L}0-9-]+)*\.\p{L}{2,}/gu;

const IDENTIFIER =
  /\b(order|purchase|account|acct|membership|member|customer|ticket|case|reference|ref|incident|confirmation|booking|tracking|invoice|claim|policy|reservation)\s*(?:number|no\.?|num|nr|#|id|code)?\s*(?:is|was|:|-)?\s*#?\s*([A-Za-z0-9][A-Za-z0-9-]{2,40})\b/gi;

const ID_KIND: Record<string, FactKind> = {
  order: 'order_number',
  purchase: 'order_number',
  tracking: 'order_number',
  invoice: 'order_number',
  account: 'account_number',
  acct: 'account_number',
  membership: 'account_number',
  member: 'account_number',
  customer: 'account_number',
  policy: 'account_number',
  ticket: 'ticket_number',
  case: 'ticket_number',
  reference: 'ticket_number',
  ref: 'ticket_number',
  incident: 'ticket_number',
  claim: 'ticket_number',
  confirmation: 'other',
  booking: 'other',
  reservation: 'other',
};

const HASH_ID = /(?<![\w#])#([A-Za-z]{0,4}\d[\w-]{2,30})\b/g;

const CURRENCY_SYMBOL: Record<string, string> = { $: 'USD', '€': 'EUR', '£': 'GBP', '¥': 'JPY', '₹': 'INR' };
const CURRENCY_WORD: Record<string, string> = {
  usd: 'USD',
  dollar: 'USD',
  dollars: 'USD',
  bucks: 'USD',
  eur: 'EUR',
  euro: 'EUR',
  euros: 'EUR',
  gbp: 'GBP',
  pound: 'GBP',
  pounds: 'GBP',
  quid: 'GBP',
  inr: 'INR',
  rupees: 'INR',
  cad: 'CAD',
  aud: 'AUD',
  chf: 'CHF',
  jpy: 'JPY',
  yen: 'JPY',
};
const NUMBER = String.raw`\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|\d+(?:[.,]\d{1,2})?`;
const AMOUNT_PREFIX = new RegExp(String.raw`(?:(USD|EUR|GBP|CAD|AUD|CHF)\s?|([$€£¥₹])\s?)(${NUMBER})`, 'gi');
const AMOUNT_SUFFIX = new RegExp(
  String.raw`\b(${NUMBER})\s?(?:([€£$])|(usd|eur|gbp|cad|aud|chf|jpy|inr|dollars?|euros?|pounds?|bucks|quid|rupees|yen)\b)`,
  'gi',
);

/** Every amount has a currency symbol or one of these words (AMOUNT_PREFIX, AMOUNT_SUFFIX). */
const CURRENCY_CUE = /[$€£¥₹]|usd|eur|gbp|cad|aud|chf|jpy|inr|dollar|pound|bucks|quid|rupee|yen/i;

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'] as const;
const MONTH = String.raw`(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)`;
/** Every spelled-out month starts with one of these (DATE_MONTH_FIRST, DATE_DAY_FIRST). */
const MONTH_CUE = /jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec/i;
const DATE_ISO = /\b(\d{4})-(\d{2})-(\d{2})\b/g;
const DATE_NUMERIC = /\b(\d{1,2})[/.](\d{1,2})[/.](\d{2}|\d{4})\b/g;
const DATE_MONTH_FIRST = new RegExp(
  String.raw`\b${MONTH}\.?\s+(\d{1,2})(?:st|nd|rd|th)?\b(?:,?\s+(\d{4}))?`,
  'gi',
);
const DATE_DAY_FIRST = new RegExp(
  String.raw`\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?${MONTH}\b\.?(?:,?\s+(\d{4}))?`,
  'gi',
);
const DATE_RELATIVE = /\b(today|yesterday|tomorrow|tonight)\b/gi;

const PHONE = /(?<![\w+/.-])(\+|00)?(?:\(\d{1,4}\)[\s.-]?)?\d{2,4}(?:[\s.-]?\d{2,4}){1,4}(?![\w/])/g;
const PHONE_CONTEXT =
  /\b(phone|call|mobile|cell|tel|telephone|whatsapp|sms|text me|reach me|contact number|number)\b/i;

const PRODUCT_AFTER_MY =
  /\bmy\s+(?:new\s+)?((?:[A-Z][\w+-]*[a-z0-9][\w+-]*|[a-z]+[A-Z][\w+-]*|[A-Za-z]+\d[\w+-]*)(?:\s+(?:[A-Z][\w+-]*|[A-Za-z]*\d[\w+-]*|Pro|Max|Plus|Mini|Ultra)){0,3})/g;
const NOT_PRODUCT = new Set([
  'I',
  'Im',
  'It',
  'The',
  'This',
  'That',
  'Hi',
  'Hello',
  'Thanks',
  'Please',
  'OK',
  'Ok',
]);

const pad = (n: number): string => String(n).padStart(2, '0');

function monthIndex(name: string): number {
  return MONTHS.indexOf(name.slice(0, 3).toLowerCase() as (typeof MONTHS)[number]) + 1;
}

function validDay(month: number, day: number): boolean {
  return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

function isoDay(date: Date): string {
  return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}`;
}

/** Options of {@link extractFacts}. */
export interface ExtractOptions {
  /**
   * When the message was sent (a date or epoch milliseconds): resolves "yesterday"/"today"/
   * "tomorrow" to a calendar day.
   */
  sentAt?: Date | number;
  /** Product names the tenant configured (matched case-insensitively). */
  products?: readonly string[];
}

/**
 * The key facts stated in one message. Spans are claimed left to right by the most specific
 * extractor (email, identifier, amount, date, phone), so a digit run is one fact, never three.
 */
export function extractFacts(text: string, options: ExtractOptions = {}): ExtractedFact[] {
  const facts: ExtractedFact[] = [];
  const claimed: [number, number][] = [];
  const free = (start: number, end: number): boolean => claimed.every(([s, e]) => end <= s || start >= e);
  const claim = (start: number, end: number, fact: ExtractedFact): void => {
    if (!free(start, end)) return;
    claimed.push([start, end]);
    facts.push({ ...fact, value: fact.value.slice(0, 1000) });
  };

  // Cheap guards skip extractors that cannot match (most chat messages have no digit or "@"):
  // the incremental engine analyses every message, so this is where its time goes.
  const digits = /\d/.test(text);
  // Necessary conditions of the amount and month-name patterns (a symbol or currency word, a month).
  const currency = digits && CURRENCY_CUE.test(text);
  const month = digits && MONTH_CUE.test(text);
  const scan = (guard: boolean, pattern: RegExp): RegExpExecArray[] =>
    guard ? matchesOf(pattern, text) : [];
  for (const m of scan(text.includes('@'), EMAIL)) {
    claim(m.index, m.index + m[0].length, { kind: 'email', value: m[0], normalized: m[0].toLowerCase() });
  }

  for (const m of scan(digits, IDENTIFIER)) {
    const keyword = (m[1] ?? '').toLowerCase();
    const id = m[2] ?? '';
    // An identifier has a digit; "order status" or "account details" are words, not ids.
    if (!/\d/.test(id) || /^\d{1,2}$/.test(id)) continue;
    const start = m.index + m[0].length - id.length;
    claim(start, start + id.length, {
      kind: ID_KIND[keyword] ?? 'other',
      value: id,
      normalized: id.toUpperCase(),
    });
  }
  for (const m of scan(digits, HASH_ID)) {
    const id = m[1] ?? '';
    claim(m.index, m.index + m[0].length, { kind: 'other', value: m[0], normalized: id.toUpperCase() });
  }

  for (const m of scan(currency, AMOUNT_PREFIX)) {
    const currency = m[1] ? m[1].toUpperCase() : (CURRENCY_SYMBOL[m[2] ?? ''] ?? '');
    const amount = normaliseNumber(m[3] ?? '');
    if (amount !== undefined)
      claim(m.index, m.index + m[0].length, {
        kind: 'amount',
        value: m[0],
        normalized: `${amount} ${currency}`,
      });
  }
  for (const m of scan(currency, AMOUNT_SUFFIX)) {
    const currency = m[2] ? (CURRENCY_SYMBOL[m[2]] ?? '') : (CURRENCY_WORD[(m[3] ?? '').toLowerCase()] ?? '');
    const amount = normaliseNumber(m[1] ?? '');
    if (amount !== undefined && currency)
      claim(m.index, m.index + m[0].length, {
        kind: 'amount',
        value: m[0],
        normalized: `${amount} ${currency}`,
      });
  }

  for (const m of scan(digits, DATE_ISO)) {
    const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
    if (validDay(mo, d))
      claim(m.index, m.index + m[0].length, {
        kind: 'date',
        value: m[0],
        normalized: `${y}-${pad(mo)}-${pad(d)}`,
      });
  }
  for (const m of scan(digits && /\d[/.]\d/.test(text), DATE_NUMERIC)) {
    const [a, b, rawYear] = [Number(m[1]), Number(m[2]), m[3] ?? ''];
    const year = rawYear.length === 2 ? 2000 + Number(rawYear) : Number(rawYear);
    // 03/04/2024 is March 4 in the US and April 3 elsewhere: only an unambiguous one is normalised.
    let normalized: string | undefined;
    if (a > 12 && validDay(b, a)) normalized = `${year}-${pad(b)}-${pad(a)}`;
    else if (b > 12 && validDay(a, b)) normalized = `${year}-${pad(a)}-${pad(b)}`;
    else if (a === b && validDay(a, b)) normalized = `${year}-${pad(a)}-${pad(b)}`;
    if (a <= 31 && b <= 31)
      claim(m.index, m.index + m[0].length, {
        kind: 'date',
        value: m[0],
        ...(normalized ? { normalized } : {}),
      });
  }
  for (const m of scan(month, DATE_MONTH_FIRST)) {
    const month = monthIndex(m[1] ?? '');
    const day = Number(m[2]);
    // "may 5" is ambiguous with the verb; require a capital M for May.
    if ((m[1] ?? '').toLowerCase() === 'may' && !(m[1] ?? '').startsWith('M')) continue;
    if (validDay(month, day))
      claim(m.index, m.index + m[0].length, {
        kind: 'date',
        value: m[0],
        normalized: m[3] ? `${m[3]}-${pad(month)}-${pad(day)}` : `--${pad(month)}-${pad(day)}`,
      });
  }
  for (const m of scan(month, DATE_DAY_FIRST)) {
    const day = Number(m[1]);
    const month = monthIndex(m[2] ?? '');
    if (validDay(month, day))
      claim(m.index, m.index + m[0].length, {
        kind: 'date',
        value: m[0],
        normalized: m[3] ? `${m[3]}-${pad(month)}-${pad(day)}` : `--${pad(month)}-${pad(day)}`,
      });
  }
  for (const m of scan(/to(?:day|morrow|night)|yesterday/i.test(text), DATE_RELATIVE)) {
    const word = (m[1] ?? '').toLowerCase();
    const sentAt = typeof options.sentAt === 'number' ? options.sentAt : options.sentAt?.getTime();
    let normalized: string | undefined;
    if (sentAt !== undefined && !Number.isNaN(sentAt)) {
      const offset = word === 'yesterday' ? -1 : word === 'tomorrow' ? 1 : 0;
      normalized = isoDay(new Date(sentAt + offset * 86_400_000));
    }
    claim(m.index, m.index + m[0].length, {
      kind: 'date',
      value: m[0],
      ...(normalized ? { normalized } : {}),
    });
  }

  for (const m of scan(digits, PHONE)) {
    const digits = m[0].replace(/\D/g, '');
    if (digits.length < 7 || digits.length > 15) continue;
    const international = m[1] !== undefined;
    const separated = /[\s.()-]/.test(m[0]);
    const context = PHONE_CONTEXT.test(text.slice(Math.max(0, m.index - 40), m.index));
    // A bare digit run is an id as often as a phone: it takes a "+", separators or a phone word.
    if (!international && !context && !(separated && digits.length >= 10)) continue;
    const normalized = international ? `+${m[1] === '00' ? digits.slice(2) : digits}` : digits;
    claim(m.index, m.index + m[0].length, { kind: 'phone', value: m[0].trim(), normalized });
  }

  for (const product of options.products ?? []) {
    if (product.trim().length < 2) continue;
    const at = text.toLowerCase().indexOf(product.toLowerCase());
    if (at >= 0)
      claim(at, at + product.length, {
        kind: 'product',
        value: text.slice(at, at + product.length),
        normalized: product,
      });
  }
  for (const m of scan(/\bmy\s/i.test(text), PRODUCT_AFTER_MY)) {
    const name = (m[1] ?? '').trim();
    if (name.length < 2 || NOT_PRODUCT.has(name)) continue;
    const start = m.index + m[0].length - (m[1] ?? '').length;
    claim(start, start + name.length, { kind: 'product', value: name, normalized: name.toLowerCase() });
  }
  return facts;
}

/**
 * The matches of a global pattern, like `matchAll` without its copy of the pattern per call (the
 * copy costs more than scanning a chat message). None of the patterns matches the empty string.
 */
function matchesOf(pattern: RegExp, text: string): RegExpExecArray[] {
  const out: RegExpExecArray[] = [];
  pattern.lastIndex = 0;
  for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) out.push(m);
  pattern.lastIndex = 0;
  return out;
}

function normaliseNumber(raw: string): string | undefined {
  let text = raw;
  // "1,299.00" → thousands separators; "12,50" → a decimal comma.
  if (/^\d{1,3}(,\d{3})+(\.\d{1,2})?$/.test(text)) text = text.replace(/,/g, '');
  else text = text.replace(',', '.');
  const value = Number(text);
  if (!Number.isFinite(value)) return undefined;
  return value.toFixed(2);
}
