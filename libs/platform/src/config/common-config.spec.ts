import { hashApiKey } from '../auth/api-key';
import { ConfigError } from './config.error';
import { bool, int, list, oneOf, secret, str, url } from './config.parsers';
import { loadConfig } from './config.schema';
import { loadServiceConfig } from './common-config';

const KEY_HASH = hashApiKey('k1');
const valid = {
  DATABASE_URL: 'postgres://app:s3cret-pw@db:5432/app',
  KAFKA_BROKERS: 'kafka-1:9092,kafka-2:9092',
  API_KEYS: `acme:agent+supervisor:${KEY_HASH}`,
};

function configError(load: () => unknown): ConfigError {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadServiceConfig', () => {
  it('parses the common settings with their defaults', () => {
    const config = loadServiceConfig(valid);
    expect(config).toEqual({
      PORT: 3000,
      HOST: '0.0.0.0',
      DATABASE_URL: valid.DATABASE_URL,
      KAFKA_BROKERS: ['kafka-1:9092', 'kafka-2:9092'],
      EVENT_STORE: 'postgres',
      ESDB_CONNECTION_STRING: undefined,
      LOG_LEVEL: 'info',
      LOG_REQUEST_CONTEXT: false,
      API_KEYS: [{ tenantId: 'acme', roles: ['agent', 'supervisor'], sha256: KEY_HASH }],
      BODY_LIMIT_BYTES: 1048576,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('lists every bad setting by name with what was expected, at once', () => {
    const error = configError(() =>
      loadServiceConfig({
        PORT: 'eighty',
        DATABASE_URL: 'mysql://root:topsecret@db/app',
        KAFKA_BROKERS: 'kafka-1:9092,,nohost',
        EVENT_STORE: 'esdb',
        LOG_LEVEL: 'loud',
        API_KEYS: 'acme:admin:hk_raw-key-pasted-by-mistake',
        BODY_LIMIT_BYTES: '-1',
      }),
    );
    expect(error.issues.map((i) => i.setting)).toEqual([
      'PORT',
      'DATABASE_URL',
      'KAFKA_BROKERS',
      'LOG_LEVEL',
      'API_KEYS',
      'BODY_LIMIT_BYTES',
      'ESDB_CONNECTION_STRING',
    ]);
    expect(error.message).toContain('PORT: expected an integer between 0 and 65535, got "eighty"');
    expect(error.message).toContain(
      'DATABASE_URL: expected a URL with scheme postgres: or postgresql:, (value hidden)',
    );
    expect(error.message).toContain(
      'KAFKA_BROKERS: item 2 is empty: expected host:port; item 3 expected host:port',
    );
    expect(error.message).toContain(
      'LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, silent, got "loud"',
    );
    expect(error.message).toContain('API_KEYS: entry 1: unknown role "admin"');
    expect(error.message).toContain('ESDB_CONNECTION_STRING: is required when EVENT_STORE=esdb');
    expect(error.message).not.toMatch(/topsecret|hk_raw/);
  });

  it('names missing required settings', () => {
    const error = configError(() => loadServiceConfig({}));
    expect(error.issues.map((i) => i.setting)).toEqual(['DATABASE_URL', 'KAFKA_BROKERS', 'API_KEYS']);
    expect(error.message).toContain(
      'DATABASE_URL: is required: expected a URL with scheme postgres: or postgresql:',
    );
  });

  it('refuses a raw key where its hash belongs, without printing it', () => {
    const error = configError(() =>
      loadServiceConfig({ ...valid, API_KEYS: `acme:agent:${'A'.repeat(64)}` }),
    );
    expect(error.message).toMatch(/SHA-256 of the key in 64 lowercase hex digits/);
    expect(error.message).not.toContain('A'.repeat(64));
  });

  it('takes ESDB_CONNECTION_STRING when EVENT_STORE=esdb', () => {
    const config = loadServiceConfig({
      ...valid,
      EVENT_STORE: 'esdb',
      ESDB_CONNECTION_STRING: 'esdb://localhost:2113?tls=false',
    });
    expect(config.EVENT_STORE).toBe('esdb');
    expect(config.ESDB_CONNECTION_STRING).toBe('esdb://localhost:2113?tls=false');
  });

  it("adds and overrides a service's own settings", () => {
    const config = loadServiceConfig(
      { ...valid, BRIEF_PROVIDER_URL: 'https://llm.example/v1' },
      {
        PORT: int({ min: 1, max: 65535, default: 3004 }),
        BRIEF_PROVIDER_URL: url({ protocols: ['https:'] }),
      },
    );
    expect(config.PORT).toBe(3004);
    expect(config.BRIEF_PROVIDER_URL).toBe('https://llm.example/v1');
  });
});

describe('parsers', () => {
  it('parse booleans, lists, enums and patterns', () => {
    const config = loadConfig(
      {
        FLAG: bool(),
        OFF: bool({ default: false }),
        TAGS: list(str({ pattern: /^[a-z]+$/ })),
        MODE: oneOf(['a', 'b'] as const, { default: 'a' }),
      },
      { FLAG: 'YES', TAGS: 'x,y' },
    );
    expect(config).toEqual({ FLAG: true, OFF: false, TAGS: ['x', 'y'], MODE: 'a' });
  });

  it('wrap secrets so they print redacted and never appear in errors', () => {
    const config = loadConfig({ TOKEN: secret({ minLength: 4 }) }, { TOKEN: 'abcdef' });
    expect(config.TOKEN.reveal()).toBe('abcdef');
    expect(`${String(config.TOKEN)} ${JSON.stringify(config)}`).toBe('[redacted] {"TOKEN":"[redacted]"}');
    const error = configError(() => loadConfig({ TOKEN: secret({ minLength: 10 }) }, { TOKEN: 'short' }));
    expect(error.message).toBe(
      'Invalid configuration (1 setting):\n  - TOKEN: expected a secret of at least 10 characters, (value hidden)',
    );
  });
});
