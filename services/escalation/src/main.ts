import { ConfigError } from '@handoff/platform';
import { startEscalationService } from './bootstrap';

startEscalationService(process.env).catch((error: unknown) => {
  console.error(
    error instanceof ConfigError
      ? error.message
      : `escalation failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
  );
  process.exit(1);
});
