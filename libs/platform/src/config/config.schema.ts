import { ConfigError, type ConfigIssue } from './config.error';
import type { ConfigParser } from './config.parsers';

/** A service's settings: environment variable name → parser. */
export type ConfigSchema = Record<string, ConfigParser<unknown>>;

/** The typed configuration a schema produces. */
export type ConfigOf<S extends ConfigSchema> = {
  readonly [K in keyof S]: S[K] extends ConfigParser<infer T> ? T : never;
};

/**
 * A check across settings (e.g. "required iff"), returning the issues it finds. It sees only the
 * settings that parsed, so it still runs (and reports) when another setting is broken.
 */
export type ConfigRule<C> = (config: Partial<C>) => ConfigIssue[];

/** The environment a configuration is read from: `process.env` at the composition root, a literal in tests. */
export type ConfigEnv = Readonly<Record<string, string | undefined>>;

/**
 * Parses every setting of `schema` from `env`, then runs the cross-setting `rules` on the result.
 * Call it once, at the composition root (`main.ts`); pass the typed result down instead of letting
 * code below read `process.env`.
 *
 * @throws ConfigError listing every missing or invalid setting.
 */
export function loadConfig<S extends ConfigSchema>(
  schema: S,
  env: ConfigEnv,
  rules: readonly ConfigRule<ConfigOf<S>>[] = [],
): ConfigOf<S> {
  const issues: ConfigIssue[] = [];
  const values: Record<string, unknown> = {};
  for (const [setting, parser] of Object.entries(schema)) {
    const result = parser.parse(env[setting]);
    if (result.ok) values[setting] = result.value;
    else issues.push({ setting, problem: result.problem });
  }
  const parsed = values as Partial<ConfigOf<S>>;
  issues.push(...rules.flatMap((rule) => rule(parsed)));
  if (issues.length > 0) throw new ConfigError(issues);
  return Object.freeze(values) as ConfigOf<S>;
}
