import { ShutdownCoordinator } from './shutdown.coordinator';

describe('ShutdownCoordinator', () => {
  it('runs hooks in reverse order of registration, once', async () => {
    const calls: string[] = [];
    const coordinator = new ShutdownCoordinator();
    coordinator.register('pool', () => void calls.push('pool'));
    coordinator.register('relay', async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      calls.push('relay');
    });
    coordinator.register('consumer', () => void calls.push('consumer'));
    const outcome = await coordinator.run();
    await coordinator.onApplicationShutdown();
    expect(calls).toEqual(['consumer', 'relay', 'pool']);
    expect(outcome.map((o) => o.outcome)).toEqual(['stopped', 'stopped', 'stopped']);
  });

  it('goes on after a hook that fails or exceeds its time limit', async () => {
    const calls: string[] = [];
    const coordinator = new ShutdownCoordinator(20);
    coordinator.register('pool', () => void calls.push('pool'));
    coordinator.register('hung', () => new Promise<void>(() => undefined));
    coordinator.register('broken', () => Promise.reject(new Error('boom')));
    const outcome = await coordinator.run();
    expect(outcome).toEqual([
      { name: 'broken', outcome: 'failed' },
      { name: 'hung', outcome: 'timed-out' },
      { name: 'pool', outcome: 'stopped' },
    ]);
    expect(calls).toEqual(['pool']);
  });
});
