import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describeCpuPer, startCpuAccount } from './machine-cpu';

const onLinux = process.platform === 'linux' ? it : it.skip;

/** Spins until this process has used `micros` more CPU time. */
function burn(micros: number): void {
  const start = process.cpuUsage();
  for (;;) {
    const used = process.cpuUsage(start);
    if (used.user + used.system >= micros) return;
  }
}

describe('machine CPU accounting', () => {
  onLinux("counts this process's CPU time and the machine's idle share", () => {
    const end = startCpuAccount();
    expect(end).toBeDefined();
    burn(80_000);
    const account = end!();
    expect(account.process).toBeGreaterThanOrEqual(0.08);
    expect(account.idleShare).toBeGreaterThanOrEqual(0);
    expect(account.idleShare).toBeLessThanOrEqual(1);
  });

  onLinux('counts a process started within the interval with all its time, under its name', async () => {
    const end = startCpuAccount()!;
    // Another process (named `node`, so "other") burns 300 ms of CPU, then waits to be stopped.
    const child = spawn(
      process.execPath,
      [
        '-e',
        `const s = process.cpuUsage();
         while (process.cpuUsage(s).user + process.cpuUsage(s).system < 300000);
         process.stdout.write('burnt');
         setInterval(() => {}, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await once(child.stdout, 'data');
      const account = end();
      // At least the child's time (other processes may add theirs: jest's workers, a broker).
      expect(account.other).toBeGreaterThanOrEqual(0.25);
    } finally {
      child.kill();
    }
  });

  it('describes an account per unit of work', () => {
    const text = describeCpuPer(
      { process: 1.53, postgres: 0.615, java: 0.21, other: 0.045, idleShare: 0.354 },
      1_500,
      'message',
    );
    expect(text).toBe(
      'process 1,020 µs, PostgreSQL 410 µs, java 140 µs, other 30 µs per message; machine 35% idle',
    );
  });
});
