/** The outcome of parsing one raw setting. */
export type ParseResult<T> = { ok: true; value: T } | { ok: false; problem: string };

/**
 * Turns one raw environment value into a typed value. `expected` is what an operator reads when the
 * setting is missing or invalid; `secret` parsers never echo the raw value back in errors.
 */
export interface ConfigParser<T> {
  readonly expected: string;
  readonly secret: boolean;
  parse(raw: string | undefined): ParseResult<T>;
}

/** Options shared by every parser. */
export interface ParserOptions<T> {
  /** Used when the variable is unset or empty. Without it the setting is required. */
  default?: T;
  /** Hides the raw value in error messages (URLs with passwords, tokens). */
  secret?: boolean;
}

const ok = <T>(value: T): ParseResult<T> => ({ ok: true, value });
const fail = <T>(problem: string): ParseResult<T> => ({ ok: false, problem });

/**
 * Builds a parser from a function that parses a present, non-empty value. Required-ness, defaults and
 * secret-safe error messages are handled here once, so each parser only knows its own format.
 */
function parser<T>(
  expected: string,
  options: ParserOptions<T>,
  parsePresent: (raw: string) => T | undefined,
): ConfigParser<T> {
  const secret = options.secret ?? false;
  return {
    expected,
    secret,
    parse(raw) {
      const trimmed = raw?.trim();
      if (trimmed === undefined || trimmed === '') {
        return options.default !== undefined
          ? ok(options.default)
          : fail(`is required: expected ${expected}`);
      }
      const value = parsePresent(trimmed);
      if (value !== undefined) return ok(value);
      const shown = secret ? '(value hidden)' : `got ${JSON.stringify(truncate(trimmed))}`;
      return fail(`expected ${expected}, ${shown}`);
    },
  };
}

function truncate(raw: string): string {
  return raw.length > 80 ? `${raw.slice(0, 77)}...` : raw;
}

/** A non-empty string, optionally matching a pattern. */
export function str(options: ParserOptions<string> & { pattern?: RegExp; description?: string } = {}) {
  const expected =
    options.description ?? (options.pattern ? `a string matching ${String(options.pattern)}` : 'a string');
  return parser(expected, options, (raw) =>
    options.pattern && !options.pattern.test(raw) ? undefined : raw,
  );
}

/** A base-10 integer within [min, max]. */
export function int(options: ParserOptions<number> & { min?: number; max?: number } = {}) {
  const min = options.min ?? Number.MIN_SAFE_INTEGER;
  const max = options.max ?? Number.MAX_SAFE_INTEGER;
  const range =
    options.min !== undefined && options.max !== undefined
      ? ` between ${min} and ${max}`
      : options.min !== undefined
        ? ` >= ${min}`
        : options.max !== undefined
          ? ` <= ${max}`
          : '';
  return parser(`an integer${range}`, options, (raw) => {
    if (!/^-?\d+$/.test(raw)) return undefined;
    const value = Number(raw);
    return Number.isSafeInteger(value) && value >= min && value <= max ? value : undefined;
  });
}

/** An absolute URL whose scheme is one of `protocols` (e.g. `['postgres:', 'postgresql:']`). */
export function url(options: ParserOptions<string> & { protocols?: readonly string[] } = {}) {
  const protocols = options.protocols;
  const expected = protocols ? `a URL with scheme ${protocols.join(' or ')}` : 'an absolute URL';
  return parser(expected, options, (raw) => {
    try {
      const parsed = new URL(raw);
      return protocols && !protocols.includes(parsed.protocol) ? undefined : raw;
    } catch {
      return undefined;
    }
  });
}

/** One of a fixed set of values, compared case-sensitively. */
export function oneOf<const V extends string>(values: readonly V[], options: ParserOptions<V> = {}) {
  return parser<V>(`one of ${values.join(', ')}`, options, (raw) =>
    (values as readonly string[]).includes(raw) ? (raw as V) : undefined,
  );
}

/** `true`/`false` (also `1`/`0`, `yes`/`no`, case-insensitive). */
export function bool(options: ParserOptions<boolean> = {}) {
  return parser('true or false', options, (raw) => {
    const lower = raw.toLowerCase();
    if (['true', '1', 'yes'].includes(lower)) return true;
    if (['false', '0', 'no'].includes(lower)) return false;
    return undefined;
  });
}

/**
 * A separated list whose every item is parsed by `item`. An item's error names its position, so
 * `KAFKA_BROKERS=a:1,,b` says which entry is wrong.
 */
export function list<T>(
  item: ConfigParser<T>,
  options: ParserOptions<T[]> & { separator?: string; minItems?: number } = {},
): ConfigParser<T[]> {
  const separator = options.separator ?? ',';
  const minItems = options.minItems ?? 0;
  const expected = `a "${separator}"-separated list of ${item.expected}${minItems > 0 ? ` (at least ${minItems})` : ''}`;
  const secret = options.secret ?? item.secret;
  return {
    expected,
    secret,
    parse(raw) {
      const trimmed = raw?.trim();
      if (trimmed === undefined || trimmed === '') {
        return options.default !== undefined
          ? ok(options.default)
          : minItems === 0
            ? ok([])
            : fail(`is required: expected ${expected}`);
      }
      const values: T[] = [];
      const problems: string[] = [];
      trimmed.split(separator).forEach((part, index) => {
        const result = item.parse(part);
        if (result.ok) values.push(result.value);
        else problems.push(`item ${index + 1} ${result.problem.replace(/^is required: /, 'is empty: ')}`);
      });
      if (problems.length > 0) return fail(problems.join('; '));
      if (values.length < minItems) return fail(`expected ${expected}`);
      return ok(values);
    },
  };
}

/** `host:port`, as Kafka bootstrap servers are given. */
export function hostPort(options: ParserOptions<string> = {}) {
  return parser('host:port', options, (raw) => {
    const match = /^([A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/.exec(raw);
    return match && Number(match[2]) > 0 && Number(match[2]) <= 65535 ? raw : undefined;
  });
}

/**
 * A secret value, wrapped so that logging or serialising the configuration prints `[redacted]`;
 * call `reveal()` at the one place that needs the value.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The raw value; call it where the secret is used, never where it is logged. */
  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return '[redacted]';
  }

  toJSON(): string {
    return '[redacted]';
  }
}

/** A secret string (never shown in errors, redacted when logged). */
export function secret(options: { minLength?: number; default?: string } = {}): ConfigParser<Secret> {
  const minLength = options.minLength ?? 1;
  const inner = parser(`a secret of at least ${minLength} characters`, { ...options, secret: true }, (raw) =>
    raw.length >= minLength ? raw : undefined,
  );
  return {
    expected: inner.expected,
    secret: true,
    parse(raw) {
      const result = inner.parse(raw);
      return result.ok ? ok(new Secret(result.value)) : result;
    },
  };
}

/** Makes a parser's setting optional: unset or empty gives `undefined`. */
export function optional<T>(inner: ConfigParser<T>): ConfigParser<T | undefined> {
  return {
    expected: inner.expected,
    secret: inner.secret,
    parse(raw) {
      return raw === undefined || raw.trim() === '' ? ok(undefined) : inner.parse(raw);
    },
  };
}
