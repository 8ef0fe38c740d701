import { ConfigError } from '@handoff/platform';
import { startInsightsService } from './bootstrap';

startInsightsService(process.env).catch((error: unknown) => {
  // A ConfigError lists every missing or invalid setting by name; anything else is a start-up failure.
  const message = error instanceof ConfigError ? error.message : `insights failed to start: ${String(error)}`;
  process.stderr.write(`${message}\n`);
  process.exit(1);
});
