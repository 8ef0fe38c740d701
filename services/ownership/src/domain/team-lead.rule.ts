import type { AgentSnapshot } from './ownership.types';

/** How a team names the accountable person when a ticket is assigned to the team. */
export type LeadRule = { type: 'named_lead'; agentId: string } | { type: 'least_loaded_online' };

export interface TeamMember {
  agent: AgentSnapshot;
  /** Open tickets the member owns now. */
  openTickets: number;
}

/**
 * The person a team's lead rule names now: the named lead if active, or the online active member
 * with the fewest open tickets (ties by agent id, so the choice is reproducible). Undefined when the
 * rule names nobody available: the assignment is then refused rather than left to "the team".
 */
export function resolveTeamLead(
  rule: LeadRule | null,
  members: readonly TeamMember[],
  namedLead: AgentSnapshot | undefined,
): AgentSnapshot | undefined {
  if (rule === null) return undefined;
  switch (rule.type) {
    case 'named_lead':
      return namedLead?.agentId === rule.agentId && namedLead.active ? namedLead : undefined;
    case 'least_loaded_online': {
      const candidates = members
        .filter((m) => m.agent.active && m.agent.presence === 'online')
        .sort((a, b) => a.openTickets - b.openTickets || a.agent.agentId.localeCompare(b.agent.agentId));
      return candidates[0]?.agent;
    }
  }
}
