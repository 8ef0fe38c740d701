// The entry of a relay thread ({@link RelayThread}): builds the relay with the module's factory,
// runs it, reports its counters and failures to the host, and stops it when the host says so.
import { parentPort, workerData } from 'node:worker_threads';
import type { RelayFactory, RelayThreadData, RelayThreadReport } from './relay-thread';

if (!parentPort) throw new Error('relay-thread.worker runs only as a worker thread');
const port = parentPort;
const data = workerData as RelayThreadData;
const post = (report: RelayThreadReport) => port.postMessage(report);
const describe = (error: unknown) =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);

let stopRequested = false;
let stop: (() => void) | undefined;
port.on('message', (message: { kind?: string }) => {
  if (message.kind !== 'stop') return;
  stopRequested = true;
  stop?.();
});

async function main(): Promise<void> {
  const loaded = (await import(data.module)) as Record<string, unknown>;
  const factory = loaded[data.exportName] as RelayFactory<unknown> | undefined;
  if (typeof factory !== 'function')
    throw new TypeError(`${data.module} does not export a relay factory named ${data.exportName}`);
  const { relay, close } = await factory(data.settings, {
    onError: ({ error, attempt, restartInMs }) =>
      post({ kind: 'relay-error', message: describe(error), attempt, restartInMs }),
  });
  try {
    if (!stopRequested) {
      relay.start();
      post({ kind: 'running' });
      const timer = setInterval(
        () => post({ kind: 'metrics', metrics: relay.metrics() }),
        data.metricsIntervalMs,
      );
      await new Promise<void>((resolve) => {
        stop = resolve;
        if (stopRequested) resolve();
      });
      clearInterval(timer);
      await relay.stop();
      post({ kind: 'metrics', metrics: relay.metrics() });
    }
  } finally {
    await close();
  }
  // Nothing is left to keep the thread alive once the port closes.
  port.close();
}

main().catch((error: unknown) => {
  post({ kind: 'failed', message: describe(error) });
  process.exit(1);
});
