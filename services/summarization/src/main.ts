import { ConfigError } from '@handoff/platform';
import { startSummarizationService } from './bootstrap';

startSummarizationService(process.env).catch((error: unknown) => {
  // A configuration or start-up failure names its cause and exits non-zero (no stack for config).
  console.error(
    error instanceof ConfigError ? error.message : `summarization failed to start: ${String(error)}`,
  );
  process.exit(1);
});
