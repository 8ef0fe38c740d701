import { ConfigError } from '@handoff/platform';
import { startOwnershipService } from './bootstrap';

startOwnershipService(process.env).catch((error: unknown) => {
  // A configuration problem names the setting; anything else is a start-up failure.
  const message =
    error instanceof ConfigError ? error.message : `ownership failed to start: ${String(error)}`;
  process.stderr.write(`${message}\n`);
  process.exit(1);
});
