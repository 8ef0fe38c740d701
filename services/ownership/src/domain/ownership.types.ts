/** Who did something (mirrors the event-store actor kinds; the domain does not import the store). */
export type ActorKind = 'customer' | 'bot' | 'agent' | 'supervisor' | 'system' | 'integration';

export interface ActorRef {
  kind: ActorKind;
  id: string;
}

/** The accountable owner: a named agent, or the bot identity while a bot handles the ticket. */
export interface OwnerRef {
  kind: 'agent' | 'bot';
  id: string;
  teamId?: string;
  displayName?: string;
}

export interface AgentRef {
  agentId: string;
  displayName?: string;
}

export interface BriefRef {
  briefId: string;
  version: number;
}

/** What the directory knows of an agent at the time of a command (a lookup passed in). */
export interface AgentSnapshot {
  agentId: string;
  displayName?: string;
  teamId?: string;
  active: boolean;
  presence: 'online' | 'away' | 'offline';
}

/** Status, agreed next steps and promises made: what the receiver of a shift handover must know. */
export interface HandoverNote {
  status: string;
  nextSteps: string[];
  promisesMade: string[];
}

export type AssignHow = 'assigned' | 'claimed' | 'routed' | 'team_lead_rule' | 'reopened';
export type LapseCause =
  'released' | 'owner_deactivated' | 'reopened_owner_offline' | 'handover_unacknowledged';
export type LoopPattern = 'returned_to_previous_owner' | 'team_bounce' | 'frequent_changes';

export const agentOwner = (agent: AgentSnapshot): OwnerRef => ({
  kind: 'agent',
  id: agent.agentId,
  ...(agent.teamId === undefined ? {} : { teamId: agent.teamId }),
  ...(agent.displayName === undefined ? {} : { displayName: agent.displayName }),
});

export const agentRefOf = (agent: Pick<AgentSnapshot, 'agentId' | 'displayName'>): AgentRef => ({
  agentId: agent.agentId,
  ...(agent.displayName === undefined ? {} : { displayName: agent.displayName }),
});

export const sameOwner = (a: OwnerRef | undefined, b: OwnerRef | undefined): boolean =>
  a !== undefined && b !== undefined && a.kind === b.kind && a.id === b.id;
