import type { ActorRef, AgentRef, AgentSnapshot, BriefRef, HandoverNote, OwnerRef } from './ownership.types';

/** The team as the directory knows it, with its lead rule already resolved to a person (or not). */
export interface TeamSnapshot {
  teamId: string;
  hasLeadRule: boolean;
  /** The person the lead rule names right now; absent when the rule names nobody available. */
  lead: AgentSnapshot | undefined;
}

interface CommandBase {
  tenantId: string;
  ticketId: string;
  /** When the command happens (ISO-8601, from the injected clock). */
  at: string;
  actor: ActorRef;
}

/** A lookup of the agent directory: `agent` is undefined when the directory has never heard of it. */
export interface AgentLookup {
  agentId: string;
  agent: AgentSnapshot | undefined;
}

export type OwnershipCommand =
  | (CommandBase & { type: 'OpenOwnership'; firstOwner: OwnerRef })
  | (CommandBase & {
      type: 'AssignOwner';
      target:
        ({ kind: 'agent' } & AgentLookup) | { kind: 'team'; teamId: string; team: TeamSnapshot | undefined };
      reason?: string;
      expectedOwnerId?: string;
    })
  | (CommandBase & { type: 'ClaimTicket'; claimer: AgentLookup; reason?: string })
  | (CommandBase & { type: 'ReleaseOwnership'; reason: string; expectedOwnerId?: string })
  | (CommandBase & {
      type: 'TransferOwnership';
      to: AgentLookup;
      reason: string;
      expectedOwnerId?: string;
    })
  | (CommandBase & {
      type: 'RecordAcceptedHandoff';
      handoffId: string;
      agent: AgentRef;
      /** The agent as this service's directory knows it; absent when not (yet) known there. */
      directoryAgent?: AgentSnapshot;
      teamId?: string;
      brief?: BriefRef;
      reasonCode: string;
    })
  | (CommandBase & { type: 'CloseTicket' })
  | (CommandBase & { type: 'ReopenTicket'; lastOwner: AgentSnapshot | undefined })
  | (CommandBase & { type: 'LapseOwnership'; cause: 'owner_deactivated'; expectedOwnerId: string })
  | (CommandBase & {
      type: 'RequestShiftHandover';
      handoverId: string;
      fromAgentId: string;
      to: AgentLookup;
      /** Undefined when the caller gave none: the rules refuse it. */
      note: HandoverNote | undefined;
      acknowledgeBy: string;
      supervisorId?: string;
    })
  | (CommandBase & { type: 'AcknowledgeShiftHandover'; handoverId: string; agentId: string })
  | (CommandBase & {
      type: 'EscalateShiftHandover';
      handoverId: string;
      supervisor: AgentSnapshot | undefined;
    });

export type OwnershipCommandType = OwnershipCommand['type'];
export type CommandOf<T extends OwnershipCommandType> = Extract<OwnershipCommand, { type: T }>;
