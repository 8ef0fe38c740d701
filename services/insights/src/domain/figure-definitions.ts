/**
 * The figures insights serves, the dimensions each can be broken down by, and the rules of a time
 * window. Pure: the application turns a rejection into a coded error.
 */

export const DIMENSIONS = ['edge', 'team', 'agent', 'channel', 'sender', 'receiver'] as const;
export type Dimension = (typeof DIMENSIONS)[number];

export const FIGURES = {
  /** Handoffs after which the customer repeated something the brief held (by receiving side). */
  repeats: ['edge', 'team', 'agent', 'channel'],
  /** Owner changes per ticket, tickets above a threshold, loops, lapses (by the last owner). */
  'owner-changes': ['team', 'agent', 'channel'],
  /** Accept → resolution and idle time after a transfer, against same-intent tickets without it. */
  'resolution-after-transfer': ['edge', 'team', 'agent', 'channel'],
  /** CSAT escalated vs not, and attributed across the owner chain. */
  csat: ['team', 'agent', 'channel'],
  /** Closed then reopened within N days, transfers near a shift end, passed on without a reply. */
  'closure-without-outcome': ['team', 'agent', 'channel'],
  /** The handoff quality score rolled up. */
  'handoff-quality': ['edge', 'sender', 'receiver', 'team', 'agent', 'channel'],
} as const satisfies Record<string, readonly Dimension[]>;
export type Figure = keyof typeof FIGURES;

export const DAY_MS = 24 * 60 * 60 * 1000;
/** The window when none is given: the 30 days up to now. */
export const DEFAULT_WINDOW_MS = 30 * DAY_MS;
/** The longest window served (a bounded scan). */
export const MAX_WINDOW_MS = 400 * DAY_MS;

export interface TimeWindow {
  from: Date;
  to: Date;
}

export type Checked<T> = { ok: true; value: T } | { ok: false; code: string; detail: string };

const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

function parseInstant(name: string, value: string): Checked<Date> {
  const ms = ISO.test(value) ? Date.parse(value) : NaN;
  return Number.isNaN(ms)
    ? { ok: false, code: 'invalid-window', detail: `${name} must be an RFC 3339 date-time, got "${value}"` }
    : { ok: true, value: new Date(ms) };
}

/** The window `[from, to)`; `to` defaults to now, `from` to 30 days before `to`. */
export function timeWindow(from: string | undefined, to: string | undefined, now: Date): Checked<TimeWindow> {
  const end = to === undefined ? { ok: true as const, value: now } : parseInstant('to', to);
  if (!end.ok) return end;
  const start =
    from === undefined
      ? { ok: true as const, value: new Date(end.value.getTime() - DEFAULT_WINDOW_MS) }
      : parseInstant('from', from);
  if (!start.ok) return start;
  if (start.value.getTime() >= end.value.getTime())
    return { ok: false, code: 'invalid-window', detail: '`from` must be before `to`' };
  if (end.value.getTime() - start.value.getTime() > MAX_WINDOW_MS)
    return { ok: false, code: 'invalid-window', detail: 'the window may span at most 400 days' };
  return { ok: true, value: { from: start.value, to: end.value } };
}

/** The dimension to break `figure` down by; undefined means one row for everything. */
export function dimensionOf(figure: Figure, by: string | undefined): Checked<Dimension | undefined> {
  if (by === undefined) return { ok: true, value: undefined };
  if (!(DIMENSIONS as readonly string[]).includes(by))
    return {
      ok: false,
      code: 'unknown-dimension',
      detail: `unknown dimension "${by}"; known: ${DIMENSIONS.join(', ')}`,
    };
  const allowed: readonly string[] = FIGURES[figure];
  if (!allowed.includes(by))
    return {
      ok: false,
      code: 'unknown-dimension',
      detail: `${figure} cannot be broken down by "${by}"; it can by: ${allowed.join(', ')}`,
    };
  return { ok: true, value: by as Dimension };
}

/** count / total rounded to 4 decimals; null when there is nothing to divide by. */
export const rate = (count: number, total: number): number | null =>
  total === 0 ? null : Math.round((count / total) * 10_000) / 10_000;
