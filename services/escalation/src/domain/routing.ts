// The pure routing function: which named agent receives a handoff, and why.
import type { AgentRef, HandoffTarget, SkillRequirement } from './handoff.events';

export type Presence = 'online' | 'away' | 'offline';

/** An agent as routing sees it: the profile plus the current load per channel. */
export interface RoutingCandidate {
  agentId: string;
  displayName?: string;
  presence: Presence;
  active: boolean;
  supervisor: boolean;
  tiers: string[];
  teams: string[];
  /** Skill → level (1–5). */
  skills: Record<string, number>;
  /** BCP 47 tags; matched on the primary language subtag. */
  languages: string[];
  /** Channel → how many handoffs at once; a channel missing here is not served. */
  capacity: Record<string, number>;
  /** Channel → offered or accepted handoffs still active. */
  load: Record<string, number>;
}

export interface RoutingRequest {
  target: HandoffTarget;
  requiredSkills: SkillRequirement[];
  language?: string;
  channel: string;
  /** The customer's previous agent (from the ownership topic), preferred when online and qualified. */
  previousAgentId?: string;
  /** Agents never to offer to (declined or let this handoff expire, or the agent handing over). */
  exclude: readonly string[];
  /** After escalation only supervisors qualify. */
  supervisorsOnly: boolean;
}

export type RoutingOutcome =
  | {
      kind: 'chosen';
      agent: AgentRef;
      teamId?: string;
      reasons: string[];
      candidatesConsidered: number;
      previousAgentPreferred: boolean;
    }
  | { kind: 'none'; reasons: string[]; candidatesConsidered: number };

const primary = (tag: string): string => tag.toLowerCase().split('-')[0] ?? '';

interface Filter {
  label: string;
  keep: (agent: RoutingCandidate) => boolean;
}

function filtersOf(request: RoutingRequest): Filter[] {
  const { target } = request;
  const filters: Filter[] = [
    { label: 'active', keep: (a) => a.active },
    { label: 'online (never offline or away)', keep: (a) => a.presence === 'online' },
  ];
  if (target.kind === 'agent')
    filters.push({ label: `named agent ${target.id}`, keep: (a) => a.agentId === target.id });
  if (target.kind === 'team')
    filters.push({ label: `in team ${target.id}`, keep: (a) => a.teams.includes(target.id) });
  if (target.kind === 'tier')
    filters.push({ label: `tier ${target.id}`, keep: (a) => a.tiers.includes(target.id) });
  if (request.supervisorsOnly) filters.push({ label: 'supervisor (escalated)', keep: (a) => a.supervisor });
  for (const { skill, minLevel } of request.requiredSkills) {
    filters.push({ label: `skill ${skill} ≥ ${minLevel}`, keep: (a) => (a.skills[skill] ?? 0) >= minLevel });
  }
  const language = request.language;
  if (language !== undefined && primary(language) !== 'und') {
    filters.push({
      label: `speaks ${language}`,
      keep: (a) => a.languages.some((l) => primary(l) === primary(language)),
    });
  }
  filters.push({
    label: `capacity left on ${request.channel}`,
    keep: (a) => (a.load[request.channel] ?? 0) < (a.capacity[request.channel] ?? 0),
  });
  if (request.exclude.length > 0) {
    const excluded = new Set(request.exclude);
    filters.push({ label: 'not declined, expired or handing over', keep: (a) => !excluded.has(a.agentId) });
  }
  return filters;
}

const utilisation = (a: RoutingCandidate, channel: string): number =>
  (a.load[channel] ?? 0) / Math.max(1, a.capacity[channel] ?? 0);
const totalLoad = (a: RoutingCandidate): number => Object.values(a.load).reduce((sum, n) => sum + n, 0);
const skillScore = (a: RoutingCandidate, required: SkillRequirement[]): number =>
  required.reduce((sum, r) => sum + (a.skills[r.skill] ?? 0), 0);

/** Lower is better: least utilised on the channel, then least loaded overall, then most skilled, then id. */
function compare(a: RoutingCandidate, b: RoutingCandidate, request: RoutingRequest): number {
  return (
    utilisation(a, request.channel) - utilisation(b, request.channel) ||
    totalLoad(a) - totalLoad(b) ||
    skillScore(b, request.requiredSkills) - skillScore(a, request.requiredSkills) ||
    (a.agentId < b.agentId ? -1 : a.agentId > b.agentId ? 1 : 0)
  );
}

/**
 * Picks a named agent for a handoff. Every rule is a filter whose effect is recorded as a reason
 * ("tier 2: 12 of 40 left"), so the decision can be explained from the event alone. Deterministic:
 * the same agents and request give the same choice.
 */
export function routeHandoff(request: RoutingRequest, agents: readonly RoutingCandidate[]): RoutingOutcome {
  const reasons: string[] = [];
  let pool: readonly RoutingCandidate[] = agents;
  for (const filter of filtersOf(request)) {
    const before = pool.length;
    pool = pool.filter(filter.keep);
    reasons.push(`${filter.label}: ${pool.length} of ${before} left`);
    if (pool.length === 0) break;
  }
  if (pool.length === 0) {
    return {
      kind: 'none',
      reasons: [`no qualified agent for ${request.target.kind} ${request.target.id}`, ...reasons],
      candidatesConsidered: agents.length,
    };
  }
  const teamOf = (agent: RoutingCandidate): string | undefined =>
    request.target.kind === 'team' ? request.target.id : agent.teams[0];
  const previous =
    request.previousAgentId === undefined
      ? undefined
      : pool.find((a) => a.agentId === request.previousAgentId);
  if (previous !== undefined) {
    return chosen(
      previous,
      teamOf(previous),
      [...reasons, `preferred ${previous.agentId}: the customer's previous agent, online and qualified`],
      agents.length,
      true,
    );
  }
  if (request.previousAgentId !== undefined) {
    reasons.push(`previous agent ${request.previousAgentId} not eligible now`);
  }
  let best = pool[0] as RoutingCandidate;
  for (const agent of pool) if (compare(agent, best, request) < 0) best = agent;
  const load = best.load[request.channel] ?? 0;
  const capacity = best.capacity[request.channel] ?? 0;
  return chosen(
    best,
    teamOf(best),
    [
      ...reasons,
      `picked ${best.agentId}: least loaded of ${pool.length} (${load}/${capacity} on ${request.channel})`,
    ],
    agents.length,
    false,
  );
}

function chosen(
  agent: RoutingCandidate,
  teamId: string | undefined,
  reasons: string[],
  candidatesConsidered: number,
  previousAgentPreferred: boolean,
): RoutingOutcome {
  return {
    kind: 'chosen',
    agent: {
      agentId: agent.agentId,
      ...(agent.displayName === undefined ? {} : { displayName: agent.displayName }),
    },
    ...(teamId === undefined ? {} : { teamId }),
    reasons,
    candidatesConsidered,
    previousAgentPreferred,
  };
}
