import type {
  ActorRef,
  AgentRef,
  AssignHow,
  BriefRef,
  HandoverNote,
  LapseCause,
  LoopPattern,
  OwnerRef,
} from './ownership.types';

/** Fields every internal ownership event carries; `at` is when the fact happened (the injected clock). */
interface TicketFact {
  tenantId: string;
  ticketId: string;
  at: string;
}

export type OwnershipEvent =
  | { type: 'OwnershipOpened'; data: TicketFact & { openedBy: ActorRef } }
  | {
      type: 'OwnerAssigned';
      data: TicketFact & {
        owner: OwnerRef;
        how: AssignHow;
        assignedBy: ActorRef;
        reason?: string;
        handoffId?: string;
        brief?: BriefRef;
      };
    }
  | {
      type: 'OwnershipTransferred';
      data: TicketFact & {
        from: OwnerRef;
        to: OwnerRef;
        transferredBy: ActorRef;
        reason: string;
        handoffId?: string;
        brief?: BriefRef;
        shiftHandoverId?: string;
      };
    }
  | {
      type: 'OwnershipReleased';
      data: TicketFact & { previousOwner: OwnerRef; releasedBy: ActorRef; reason: string };
    }
  | {
      type: 'OwnershipLapsed';
      data: TicketFact & { previousOwner?: OwnerRef; lapsedSince: string; cause: LapseCause };
    }
  | {
      type: 'ShiftHandoverRequested';
      data: TicketFact & {
        handoverId: string;
        fromAgent: AgentRef;
        toAgent: AgentRef;
        /** The receiver's team, so the acknowledgement transfers the owner with it. */
        toTeamId?: string;
        note: HandoverNote;
        acknowledgeBy: string;
        supervisorId?: string;
        requestedBy: ActorRef;
      };
    }
  | { type: 'ShiftHandoverAcknowledged'; data: TicketFact & { handoverId: string; acknowledgedBy: AgentRef } }
  | {
      type: 'ShiftHandoverEscalated';
      data: TicketFact & {
        handoverId: string;
        toAgent: AgentRef;
        supervisor?: AgentRef;
        overdueSince: string;
      };
    }
  | { type: 'TicketClosed'; data: TicketFact & { finalOwner?: OwnerRef; closedBy: ActorRef } }
  | {
      type: 'TicketReopened';
      data: TicketFact & {
        previousOwner?: OwnerRef;
        routedTo: 'previous_owner' | 'routing';
        reopenedBy: ActorRef;
      };
    }
  | {
      type: 'OwnershipLoopDetected';
      data: TicketFact & {
        pattern: LoopPattern;
        ownerChanges: number;
        windowSeconds: number;
        owners: OwnerRef[];
      };
    };

export type OwnershipEventType = OwnershipEvent['type'];
export type EventOf<T extends OwnershipEventType> = Extract<OwnershipEvent, { type: T }>;
