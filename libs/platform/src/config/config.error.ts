/** One setting that failed validation: its name and what was expected (never its secret value). */
export interface ConfigIssue {
  setting: string;
  problem: string;
}

/**
 * Thrown once at the composition root when configuration is invalid. It lists every bad setting at
 * once, so an operator fixes the environment in one pass instead of one restart per variable.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(readonly issues: readonly ConfigIssue[]) {
    super(
      `Invalid configuration (${issues.length} setting${issues.length === 1 ? '' : 's'}):\n` +
        issues.map((issue) => `  - ${issue.setting}: ${issue.problem}`).join('\n'),
    );
  }
}
