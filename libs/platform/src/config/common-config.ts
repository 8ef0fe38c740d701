import { apiKeys } from '../auth/api-key';
import { bool, hostPort, int, list, oneOf, optional, str, url } from './config.parsers';
import {
  loadConfig,
  type ConfigEnv,
  type ConfigOf,
  type ConfigRule,
  type ConfigSchema,
} from './config.schema';

/** pino's levels, plus `silent`. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** The settings every service has (ARCHITECTURE.md §7); a service spreads its own next to them. */
export const commonConfigSchema = {
  PORT: int({ min: 0, max: 65535, default: 3000 }),
  HOST: str({ default: '0.0.0.0' }),
  DATABASE_URL: url({ protocols: ['postgres:', 'postgresql:'], secret: true }),
  KAFKA_BROKERS: list(hostPort(), { minItems: 1 }),
  EVENT_STORE: oneOf(['postgres', 'esdb'] as const, { default: 'postgres' }),
  ESDB_CONNECTION_STRING: optional(
    url({
      protocols: ['esdb:', 'esdb+discover:', 'kurrentdb:', 'kurrentdb+discover:', 'kdb:', 'kdb+discover:'],
      secret: true,
    }),
  ),
  LOG_LEVEL: oneOf(LOG_LEVELS, { default: 'info' }),
  /**
   * Whether every line logged while a request is handled carries the request's ids (request id,
   * correlation id, ticket id), wherever in the service it is logged. It needs an AsyncLocalStorage,
   * whose promise hooks make every promise of the process costlier (about a tenth of a service's
   * REST throughput), so it is off by default; the request's own line and the error line of a
   * failed request carry the ids either way.
   */
  LOG_REQUEST_CONTEXT: bool({ default: false }),
  API_KEYS: apiKeys(),
  BODY_LIMIT_BYTES: int({ min: 1, max: 100 * 1024 * 1024, default: 1024 * 1024 }),
} satisfies ConfigSchema;

/** The typed common settings; what the platform's bootstrap needs. */
export type CommonConfig = ConfigOf<typeof commonConfigSchema>;

/** `ESDB_CONNECTION_STRING` is required exactly when `EVENT_STORE=esdb`. */
export const esdbConnectionRule: ConfigRule<CommonConfig> = (config) => {
  if (config.EVENT_STORE === 'esdb' && config.ESDB_CONNECTION_STRING === undefined) {
    return [
      {
        setting: 'ESDB_CONNECTION_STRING',
        problem: 'is required when EVENT_STORE=esdb: expected an esdb:// or kurrentdb:// connection string',
      },
    ];
  }
  return [];
};

/**
 * Loads the common settings plus a service's own `extra` schema from `env` (call it in `main.ts` with
 * `process.env`). Entries of `extra` override common ones of the same name (a service's default PORT).
 *
 * @throws ConfigError listing every missing or invalid setting.
 */
export function loadServiceConfig<E extends ConfigSchema = Record<never, never>>(
  env: ConfigEnv,
  extra?: E,
  rules: readonly ConfigRule<ConfigOf<typeof commonConfigSchema & E>>[] = [],
): ConfigOf<typeof commonConfigSchema & E> {
  const schema = { ...commonConfigSchema, ...(extra ?? {}) } as typeof commonConfigSchema & E;
  return loadConfig(schema, env, [
    esdbConnectionRule as ConfigRule<ConfigOf<typeof commonConfigSchema & E>>,
    ...rules,
  ]);
}
