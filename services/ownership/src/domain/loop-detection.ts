import type { OwnerChange } from './ownership.state';
import type { LoopPattern, OwnerRef } from './ownership.types';

/** When owner changes count as a loop (settings `LOOP_WINDOW_SECONDS`, `LOOP_MAX_CHANGES`). */
export interface LoopPolicy {
  windowSeconds: number;
  /** This many owner changes inside the window (and every further multiple) is `frequent_changes`. */
  maxChangesInWindow: number;
}

export const DEFAULT_LOOP_POLICY: LoopPolicy = { windowSeconds: 3600, maxChangesInWindow: 5 };

export interface DetectedLoop {
  pattern: LoopPattern;
  ownerChanges: number;
  windowSeconds: number;
  owners: OwnerRef[];
}

const MAX_REPORTED_OWNERS = 100;

/**
 * Loops after the newest owner change (the last entry of `history`): A→B→A back within the window,
 * a team bounce T1→T2→T1 within the window, and too many changes within the window. A return to the
 * previous owner is reported as such, not also as a team bounce. `history` holds at least the last
 * three assignments and every one inside the window (up to a bound), oldest first.
 */
export function detectLoops(history: readonly OwnerChange[], policy: LoopPolicy): DetectedLoop[] {
  const latest = history[history.length - 1];
  if (!latest) return [];
  const windowStart = Date.parse(latest.at) - policy.windowSeconds * 1000;
  const inWindow = (change: OwnerChange) => Date.parse(change.at) >= windowStart;
  // The first assignment of a ticket is not a change of owner.
  const changes = history.filter((change) => change.index > 1 && inWindow(change));
  const windowOwners = history.filter(inWindow).map((c) => c.owner);
  const detected: DetectedLoop[] = [];
  const base = { ownerChanges: changes.length, windowSeconds: policy.windowSeconds };

  const before = history[history.length - 2];
  const beforeThat = history[history.length - 3];
  if (
    before &&
    beforeThat &&
    inWindow(before) &&
    beforeThat.owner.id === latest.owner.id &&
    before.owner.id !== latest.owner.id
  ) {
    detected.push({
      pattern: 'returned_to_previous_owner',
      ...base,
      owners: [beforeThat.owner, before.owner, latest.owner],
    });
  } else {
    const teams = collapse(
      history
        .filter(inWindow)
        .map((c) => c.owner.teamId)
        .filter((t): t is string => t !== undefined),
    );
    const [t1, t2, t3] = teams.slice(-3);
    if (t1 !== undefined && t3 !== undefined && t1 === t3 && t2 !== t1 && latest.owner.teamId === t3) {
      detected.push({ pattern: 'team_bounce', ...base, owners: windowOwners.slice(-MAX_REPORTED_OWNERS) });
    }
  }

  if (changes.length >= policy.maxChangesInWindow && changes.length % policy.maxChangesInWindow === 0) {
    detected.push({ pattern: 'frequent_changes', ...base, owners: windowOwners.slice(-MAX_REPORTED_OWNERS) });
  }
  return detected;
}

const collapse = (values: string[]): string[] =>
  values.filter((value, index) => index === 0 || values[index - 1] !== value);
