// A relay in a process of its own, so a test can SIGKILL it mid-stream:
//   node -r scripts/ts-register.cjs libs/messaging/src/relay/testing/relay.process.ts '<json config>'
// It relays until killed or until its checkpoint reaches `untilPosition`, then stops and exits 0.
import { createTestRelay, type TestRelaySettings } from './relay-thread.fixture';

/** The JSON the parent passes as the only argument. */
export interface RelayProcessConfig extends TestRelaySettings {
  batchSize: number;
  untilPosition?: string;
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '') as RelayProcessConfig;
  const { relay, close } = await createTestRelay(config, {
    onError: ({ error }) => process.stderr.write(`relay error: ${String(error)}\n`),
  });
  relay.start();
  const until = config.untilPosition === undefined ? undefined : BigInt(config.untilPosition);
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    const { checkpoint, published } = relay.metrics();
    process.stdout.write(`${JSON.stringify({ checkpoint: checkpoint?.toString(), published })}\n`);
    if (until !== undefined && checkpoint !== undefined && checkpoint >= until) break;
  }
  await relay.stop();
  await close();
}

main().catch((error: unknown) => {
  process.stderr.write(`relay process failed: ${String(error)}\n`);
  process.exit(1);
});
