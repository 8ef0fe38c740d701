// The agent stream (`agent-<tenantId>@<agentId>`): presence, skills, languages, tiers, teams, capacity.
import { AgentAlreadyExists, AgentNotFound } from './handoff.errors';
import type { ActorRef } from './handoff.events';
import type { Presence } from './routing';

export interface AgentProfile {
  displayName?: string;
  skills: Record<string, number>;
  languages: string[];
  tiers: string[];
  teams: string[];
  capacity: Record<string, number>;
  supervisor: boolean;
}

export type AgentEvent =
  | {
      type: 'AgentRegistered';
      data: { tenantId: string; agentId: string; profile: AgentProfile; at: string };
    }
  | {
      type: 'AgentProfileUpdated';
      data: { tenantId: string; agentId: string; profile: AgentProfile; at: string };
    }
  | {
      type: 'AgentPresenceChanged';
      data: {
        tenantId: string;
        agentId: string;
        presence: Presence;
        previousPresence?: Presence;
        changedBy: ActorRef;
        at: string;
      };
    };

export type AgentCommand =
  | {
      type: 'RegisterAgent';
      tenantId: string;
      agentId: string;
      profile: AgentProfile;
      presence?: Presence;
      by: ActorRef;
      now: Date;
    }
  | { type: 'UpdateAgentProfile'; tenantId: string; agentId: string; profile: AgentProfile; now: Date }
  | {
      type: 'ChangePresence';
      tenantId: string;
      agentId: string;
      presence: Presence;
      by: ActorRef;
      now: Date;
    };

export type AgentState =
  | { status: 'unknown' }
  | { status: 'registered'; tenantId: string; agentId: string; profile: AgentProfile; presence: Presence };

export const agentStream = (tenantId: string, agentId: string): string => `agent-${tenantId}@${agentId}`;
export const AGENT_CATEGORY = 'agent';

const sameProfile = (a: AgentProfile, b: AgentProfile): boolean => JSON.stringify(a) === JSON.stringify(b);

export function decideAgent(command: AgentCommand, state: AgentState): AgentEvent[] {
  const at = command.now.toISOString();
  const { tenantId, agentId } = command;
  if (command.type === 'RegisterAgent') {
    if (state.status === 'registered') {
      // A retried registration with the same profile is a no-op; anything else is a conflict.
      if (state.tenantId === tenantId && sameProfile(state.profile, command.profile)) return [];
      throw new AgentAlreadyExists(agentId);
    }
    const events: AgentEvent[] = [
      { type: 'AgentRegistered', data: { tenantId, agentId, profile: command.profile, at } },
    ];
    if (command.presence !== undefined && command.presence !== 'offline') {
      events.push({
        type: 'AgentPresenceChanged',
        data: {
          tenantId,
          agentId,
          presence: command.presence,
          previousPresence: 'offline',
          changedBy: command.by,
          at,
        },
      });
    }
    return events;
  }
  if (state.status !== 'registered' || state.tenantId !== tenantId) throw new AgentNotFound(agentId);
  if (command.type === 'UpdateAgentProfile') {
    if (sameProfile(state.profile, command.profile)) return [];
    return [{ type: 'AgentProfileUpdated', data: { tenantId, agentId, profile: command.profile, at } }];
  }
  if (state.presence === command.presence) return [];
  return [
    {
      type: 'AgentPresenceChanged',
      data: {
        tenantId,
        agentId,
        presence: command.presence,
        previousPresence: state.presence,
        changedBy: command.by,
        at,
      },
    },
  ];
}

export function evolveAgent(state: AgentState, event: AgentEvent): AgentState {
  switch (event.type) {
    case 'AgentRegistered':
      // Agents start offline: nobody is offered work before saying they are there.
      return {
        status: 'registered',
        tenantId: event.data.tenantId,
        agentId: event.data.agentId,
        profile: event.data.profile,
        presence: 'offline',
      };
    case 'AgentProfileUpdated':
      return state.status === 'registered' ? { ...state, profile: event.data.profile } : state;
    case 'AgentPresenceChanged':
      return state.status === 'registered' ? { ...state, presence: event.data.presence } : state;
  }
}

export const agentDecider = {
  decide: decideAgent,
  evolve: evolveAgent,
  initialState: (): AgentState => ({ status: 'unknown' }),
};
