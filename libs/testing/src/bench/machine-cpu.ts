import fs from 'node:fs';

/** CPU seconds spent over an interval, by who spent them, and the machine's idle share. */
export interface CpuAccount {
  /** This process, all its threads (`process.cpuUsage`). */
  process: number;
  /** Processes named `postgres` (the server and its backends). */
  postgres: number;
  /** Processes named `java` (on a benchmark machine, the Kafka broker). */
  java: number;
  /** Every other process that was running at both ends of the interval. */
  other: number;
  /** Share of the machine's CPU time left idle (0 to 1), from `/proc/stat`. */
  idleShare: number;
}

type Who = 'postgres' | 'java' | 'other';

interface Snapshot {
  processMicros: number;
  /** CPU ticks of every other process by pid, and whose they are. */
  ticks: Map<number, { who: Who; ticks: number }>;
  idleTicks: number;
  totalTicks: number;
}

/** USER_HZ: the unit of `/proc`'s CPU times, 100 on every Linux the benchmarks run on. */
const TICKS_PER_SECOND = 100;

/**
 * Starts accounting the machine's CPU time; the function returned ends the interval. A benchmark's
 * ratio compares two sides that share the machine's cores with the database, the broker and their
 * clients, so what each side costs all of them per message explains a ratio where its own rate
 * does not. Linux only (`/proc`): undefined elsewhere. A process that started within the interval
 * counts with all its time; one that ended within it is left out (its time is gone with it).
 */
export function startCpuAccount(): (() => CpuAccount) | undefined {
  const start = snapshot();
  if (!start) return undefined;
  return () => {
    const end = snapshot() ?? start;
    const seconds = (ticks: number) => ticks / TICKS_PER_SECOND;
    const total = end.totalTicks - start.totalTicks;
    const spent: Record<Who, number> = { postgres: 0, java: 0, other: 0 };
    for (const [pid, { who, ticks }] of end.ticks) {
      const before = start.ticks.get(pid);
      // A pid seen at both ends under another name was reused: the new process started meanwhile.
      spent[who] += before && before.who === who && before.ticks <= ticks ? ticks - before.ticks : ticks;
    }
    return {
      process: (end.processMicros - start.processMicros) / 1e6,
      postgres: seconds(spent.postgres),
      java: seconds(spent.java),
      other: seconds(spent.other),
      idleShare: total > 0 ? (end.idleTicks - start.idleTicks) / total : 0,
    };
  };
}

/** `process 1,020 µs, PostgreSQL 410 µs, broker 140 µs, other 30 µs per message; machine 35% idle`. */
export function describeCpuPer(account: CpuAccount, units: number, unit: string): string {
  const per = (seconds: number) => `${Math.round((seconds * 1e6) / units).toLocaleString('en-US')} µs`;
  return (
    `process ${per(account.process)}, PostgreSQL ${per(account.postgres)}, java ${per(account.java)}, ` +
    `other ${per(account.other)} per ${unit}; machine ${Math.round(account.idleShare * 100)}% idle`
  );
}

function snapshot(): Snapshot | undefined {
  let stat: string;
  let pids: string[];
  try {
    stat = fs.readFileSync('/proc/stat', 'utf8');
    pids = fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return undefined;
  }
  const usage = process.cpuUsage();
  const ticks = new Map<number, { who: Who; ticks: number }>();
  for (const pid of pids) {
    if (Number(pid) === process.pid) continue;
    let line: string;
    try {
      line = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // ended meanwhile
    }
    // `pid (comm) state ppid …`: comm may hold spaces and parentheses, so split after the last ')'.
    const close = line.lastIndexOf(')');
    const name = line.slice(line.indexOf('(') + 1, close);
    const fields = line.slice(close + 2).split(' ');
    // utime and stime: fields 14 and 15 of the line, 11 and 12 after the state.
    const used = Number(fields[11]) + Number(fields[12]);
    if (!Number.isFinite(used)) continue;
    const who: Who = name.startsWith('postgres') ? 'postgres' : name === 'java' ? 'java' : 'other';
    ticks.set(Number(pid), { who, ticks: used });
  }
  const cpu = stat.slice(0, stat.indexOf('\n')).trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is counted in user already).
  const totalTicks = cpu.slice(0, 8).reduce((sum, n) => sum + (Number.isFinite(n) ? n : 0), 0);
  return {
    processMicros: usage.user + usage.system,
    ticks,
    idleTicks: (cpu[3] ?? 0) + (cpu[4] ?? 0),
    totalTicks,
  };
}
