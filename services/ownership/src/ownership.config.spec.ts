import { ConfigError, mintApiKey } from '@handoff/platform';
import { loadOwnershipConfig } from './ownership.config';

const required = {
  DATABASE_URL: 'postgres://user@127.0.0.1:5432/db',
  KAFKA_BROKERS: '127.0.0.1:9092',
  API_KEYS: mintApiKey('tenant-a', ['supervisor']).entry,
};

const issuesOf = (env: Record<string, string>) => {
  try {
    loadOwnershipConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map((issue) => issue.setting);
    throw error;
  }
  return [];
};

describe('ownership settings', () => {
  it('defaults the lapse alert threshold and poll interval', () => {
    const config = loadOwnershipConfig(required);
    expect([config.LAPSE_ALERT_AFTER_SECONDS, config.LAPSE_ALERT_POLL_INTERVAL_MS]).toEqual([900, 10_000]);
  });

  it('reads them from the environment', () => {
    const config = loadOwnershipConfig({
      ...required,
      LAPSE_ALERT_AFTER_SECONDS: '60',
      LAPSE_ALERT_POLL_INTERVAL_MS: '500',
    });
    expect([config.LAPSE_ALERT_AFTER_SECONDS, config.LAPSE_ALERT_POLL_INTERVAL_MS]).toEqual([60, 500]);
  });

  it.each([
    ['LAPSE_ALERT_AFTER_SECONDS', '0'],
    ['LAPSE_ALERT_AFTER_SECONDS', 'soon'],
    ['LAPSE_ALERT_POLL_INTERVAL_MS', '10'],
  ])('refuses to start with %s=%s, naming the setting', (setting, value) => {
    expect(issuesOf({ ...required, [setting]: value })).toEqual([setting]);
  });
});
