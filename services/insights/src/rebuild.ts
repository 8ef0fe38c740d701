import { ConfigError, loadConfig, str, url } from '@handoff/platform';
import { openInsightsReadModels } from './bootstrap';
import { dropInsightsReadModels } from './projections/insights-rebuild';

// `node -r ./scripts/ts-register.cjs services/insights/src/rebuild.ts` with DATABASE_URL and
// NEW_KAFKA_GROUP_ID set, while insights is stopped: drops the read models, recreates them empty,
// and says how to start the replay.
async function rebuild(): Promise<void> {
  const config = loadConfig(
    {
      DATABASE_URL: url({ protocols: ['postgres:', 'postgresql:'], secret: true }),
      NEW_KAFKA_GROUP_ID: str({ pattern: /^[A-Za-z0-9._-]{1,200}$/ }),
    },
    process.env,
  );
  await dropInsightsReadModels(config.DATABASE_URL);
  const dataSource = await openInsightsReadModels(config.DATABASE_URL, 1);
  await dataSource.destroy();
  process.stdout.write(
    `insights read models dropped and recreated empty.\n` +
      `Start insights with KAFKA_GROUP_ID=${config.NEW_KAFKA_GROUP_ID}: it replays every topic from the beginning.\n`,
  );
}

rebuild().catch((error: unknown) => {
  process.stderr.write(`${error instanceof ConfigError ? error.message : String(error)}\n`);
  process.exit(1);
});
