import { ConfigError } from '@handoff/platform';
import { startConversationsService } from './bootstrap';

startConversationsService(process.env).catch((error: unknown) => {
  // A configuration problem names the settings; any other start-up failure its cause.
  const message =
    error instanceof ConfigError ? error.message : `conversations failed to start: ${String(error)}`;
  process.stderr.write(`${message}\n`);
  process.exit(1);
});
