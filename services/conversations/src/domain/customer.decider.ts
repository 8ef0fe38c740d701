import {
  AlreadyMerged,
  CustomerNotFound,
  MergeIntoItself,
  MergeNotFound,
  VerifiedIdentityConflict,
} from './conversations.errors';
import { type Identity, sameIdentity, verifiedConflicts } from './identity';

export type ActorKind = 'customer' | 'bot' | 'agent' | 'supervisor' | 'system' | 'integration';
export interface ActorRef {
  kind: ActorKind;
  id: string;
}

/** Events of a `customer-<id>` stream. */
export type CustomerEvent =
  | { type: 'CustomerCreated'; data: { customerId: string; tenantId: string } }
  | {
      type: 'IdentityAdded';
      data: {
        customerId: string;
        identity: Identity;
        /** `resolved`: first seen on a message; `linked`: by a command or an automatic rule. */
        how: 'resolved' | 'linked';
        newCustomer: boolean;
        by: ActorRef;
        reason?: string;
        ticketId?: string;
      };
    }
  | {
      type: 'CustomersMerged';
      data: {
        mergeId: string;
        customerId: string;
        mergedCustomerId: string;
        movedIdentities: Identity[];
        movedTicketIds: string[];
        mergedBy: ActorRef;
        reason: string;
      };
    }
  | {
      type: 'CustomerMergedInto';
      data: { mergeId: string; customerId: string; survivorId: string; mergedBy: ActorRef; reason: string };
    }
  | {
      type: 'CustomerMergeUndone';
      data: {
        mergeId: string;
        customerId: string;
        restoredCustomerId: string;
        restoredIdentities: Identity[];
        restoredTicketIds: string[];
        undoneBy: ActorRef;
        reason: string;
      };
    }
  | {
      type: 'CustomerRestored';
      data: { mergeId: string; customerId: string; survivorId: string; undoneBy: ActorRef; reason: string };
    };

export interface MergeRecord {
  mergedCustomerId: string;
  identities: Identity[];
  ticketIds: string[];
}

export type CustomerState =
  | { status: 'none' }
  | {
      status: 'active' | 'merged';
      customerId: string;
      tenantId: string;
      /** Own identities plus those of customers merged into this one. */
      identities: Identity[];
      /** Set while merged into another customer. */
      mergedInto?: { survivorId: string; mergeId: string };
      /** Merges into this customer that are in force, by merge id. */
      merges: Record<string, MergeRecord>;
      /** Merges into this customer that were undone (merge id → restored customer): a repeat is a no-op. */
      undone: Record<string, string>;
    };

export type CustomerCommand =
  | { type: 'CreateCustomer'; customerId: string; tenantId: string; identity: Identity; by: ActorRef }
  | {
      type: 'AddIdentity';
      identity: Identity;
      how: 'resolved' | 'linked';
      /** An automatic rule (e.g. a ticket reference), not a person's explicit command. */
      automatic: boolean;
      by: ActorRef;
      reason?: string;
      ticketId?: string;
    };

export const initialCustomerState = (): CustomerState => ({ status: 'none' });

export function evolveCustomer(state: CustomerState, event: CustomerEvent): CustomerState {
  switch (event.type) {
    case 'CustomerCreated':
      return {
        status: 'active',
        customerId: event.data.customerId,
        tenantId: event.data.tenantId,
        identities: [],
        merges: {},
        undone: {},
      };
    case 'IdentityAdded':
      if (state.status === 'none') return state;
      return { ...state, identities: [...state.identities, event.data.identity] };
    case 'CustomersMerged':
      if (state.status === 'none') return state;
      return {
        ...state,
        identities: [...state.identities, ...event.data.movedIdentities],
        merges: {
          ...state.merges,
          [event.data.mergeId]: {
            mergedCustomerId: event.data.mergedCustomerId,
            identities: event.data.movedIdentities,
            ticketIds: event.data.movedTicketIds,
          },
        },
      };
    case 'CustomerMergedInto':
      if (state.status === 'none') return state;
      return {
        ...state,
        status: 'merged',
        mergedInto: { survivorId: event.data.survivorId, mergeId: event.data.mergeId },
      };
    case 'CustomerMergeUndone': {
      if (state.status === 'none') return state;
      const { [event.data.mergeId]: undone, ...merges } = state.merges;
      const moved = undone?.identities ?? event.data.restoredIdentities;
      return {
        ...state,
        identities: state.identities.filter((i) => !moved.some((m) => sameIdentity(i, m))),
        merges,
        undone: { ...state.undone, [event.data.mergeId]: event.data.restoredCustomerId },
      };
    }
    case 'CustomerRestored': {
      if (state.status === 'none') return state;
      const { mergedInto: _gone, ...rest } = state;
      return { ...rest, status: 'active' };
    }
    default:
      return state;
  }
}

export function decideCustomer(command: CustomerCommand, state: CustomerState): CustomerEvent[] {
  switch (command.type) {
    case 'CreateCustomer':
      // Creation is claimed on the identity stream first; a repeat after a crash finds it done.
      if (state.status !== 'none') return [];
      return [
        { type: 'CustomerCreated', data: { customerId: command.customerId, tenantId: command.tenantId } },
        {
          type: 'IdentityAdded',
          data: {
            customerId: command.customerId,
            identity: command.identity,
            how: 'resolved',
            newCustomer: true,
            by: command.by,
          },
        },
      ];
    case 'AddIdentity': {
      if (state.status === 'none') throw new CustomerNotFound('(unknown)');
      if (state.mergedInto)
        throw new AlreadyMerged('customer', state.customerId, state.mergedInto.survivorId);
      if (state.identities.some((i) => sameIdentity(i, command.identity))) return [];
      if (command.automatic && verifiedConflicts([command.identity], state.identities).length > 0)
        throw new VerifiedIdentityConflict([command.identity.kind], 'sender.identity');
      return [
        {
          type: 'IdentityAdded',
          data: {
            customerId: state.customerId,
            identity: command.identity,
            how: command.how,
            newCustomer: false,
            by: command.by,
            ...(command.reason === undefined ? {} : { reason: command.reason }),
            ...(command.ticketId === undefined ? {} : { ticketId: command.ticketId }),
          },
        },
      ];
    }
    default: {
      const unknown: never = command;
      throw new Error(`unknown command ${JSON.stringify(unknown)}`);
    }
  }
}

export const customerDecider = {
  decide: decideCustomer,
  evolve: evolveCustomer,
  initialState: initialCustomerState,
};

/** A merge of `mergedCustomerId` into `survivorId`: decided on both streams at once. */
export interface MergeCustomers {
  type: 'MergeCustomers';
  mergeId: string;
  survivorId: string;
  mergedCustomerId: string;
  /** The merged customer's tickets (from the read model), moved to the survivor. */
  ticketIds: string[];
  by: ActorRef;
  reason: string;
  /** The explicit confirmation that different verified identifiers of one kind may be merged. */
  acknowledgeVerifiedConflicts: boolean;
}

/** Events per stream of a two-stream decision; the merged/restored stream is written first. */
export interface TwoStreamDecision<E> {
  survivor: E[];
  other: E[];
}

/**
 * Decides a customer merge on both streams. Idempotent: repeating a merge that is already recorded
 * on either stream completes the other side only, so a crash between the two appends heals itself
 * when the command is repeated.
 */
export function decideMergeCustomers(
  command: MergeCustomers,
  survivor: CustomerState,
  merged: CustomerState,
): TwoStreamDecision<CustomerEvent> {
  if (command.survivorId === command.mergedCustomerId)
    throw new MergeIntoItself('customer', 'mergedCustomerId');
  if (survivor.status === 'none') throw new CustomerNotFound(command.survivorId, 'customerId');
  if (merged.status === 'none') throw new CustomerNotFound(command.mergedCustomerId, 'mergedCustomerId');
  if (survivor.mergedInto)
    throw new AlreadyMerged('customer', survivor.customerId, survivor.mergedInto.survivorId, 'customerId');
  const recorded = survivor.merges[command.mergeId];
  if (merged.mergedInto) {
    if (merged.mergedInto.survivorId !== command.survivorId || merged.mergedInto.mergeId !== command.mergeId)
      throw new AlreadyMerged(
        'customer',
        merged.customerId,
        merged.mergedInto.survivorId,
        'mergedCustomerId',
      );
    if (recorded) return { survivor: [], other: [] };
  } else if (recorded) {
    return { survivor: [], other: [] };
  }
  const own = ownIdentities(merged);
  const conflicts = verifiedConflicts(survivor.identities, own);
  if (conflicts.length > 0 && !command.acknowledgeVerifiedConflicts && !merged.mergedInto)
    throw new VerifiedIdentityConflict(conflicts, 'acknowledgeVerifiedConflicts');
  const other: CustomerEvent[] = merged.mergedInto
    ? []
    : [
        {
          type: 'CustomerMergedInto',
          data: {
            mergeId: command.mergeId,
            customerId: command.mergedCustomerId,
            survivorId: command.survivorId,
            mergedBy: command.by,
            reason: command.reason,
          },
        },
      ];
  return {
    other,
    survivor: [
      {
        type: 'CustomersMerged',
        data: {
          mergeId: command.mergeId,
          customerId: command.survivorId,
          mergedCustomerId: command.mergedCustomerId,
          movedIdentities: own,
          movedTicketIds: command.ticketIds,
          mergedBy: command.by,
          reason: command.reason,
        },
      },
    ],
  };
}

/** The identities a customer holds itself, without those of customers merged into it. */
function ownIdentities(state: Exclude<CustomerState, { status: 'none' }>): Identity[] {
  const absorbed = Object.values(state.merges).flatMap((m) => m.identities);
  return state.identities.filter((i) => !absorbed.some((a) => sameIdentity(a, i)));
}

export interface UndoCustomerMerge {
  type: 'UndoCustomerMerge';
  survivorId: string;
  mergeId: string;
  by: ActorRef;
  reason: string;
}

/**
 * Undoes a merge: the restored customer gets back the identities and tickets it brought, with who
 * undid it and why. `restored` is the state of the customer the merge record names (read after
 * {@link mergeRecordOf}). Idempotent like the merge.
 */
export function decideUndoMerge(
  command: UndoCustomerMerge,
  survivor: CustomerState,
  restored: CustomerState,
): TwoStreamDecision<CustomerEvent> {
  if (survivor.status === 'none') throw new CustomerNotFound(command.survivorId, 'customerId');
  const record = survivor.merges[command.mergeId];
  const restoreOther = (restoredCustomerId: string): CustomerEvent[] =>
    restored.status !== 'none' && restored.mergedInto?.mergeId === command.mergeId
      ? [
          {
            type: 'CustomerRestored',
            data: {
              mergeId: command.mergeId,
              customerId: restoredCustomerId,
              survivorId: command.survivorId,
              undoneBy: command.by,
              reason: command.reason,
            },
          },
        ]
      : [];
  if (!record) {
    if (survivor.undone[command.mergeId] === undefined) throw new MergeNotFound(command.mergeId);
    // The restored side is written first, so an undo recorded on the survivor is complete.
    return { survivor: [], other: [] };
  }
  return {
    survivor: [
      {
        type: 'CustomerMergeUndone',
        data: {
          mergeId: command.mergeId,
          customerId: command.survivorId,
          restoredCustomerId: record.mergedCustomerId,
          restoredIdentities: record.identities,
          restoredTicketIds: record.ticketIds,
          undoneBy: command.by,
          reason: command.reason,
        },
      },
    ],
    other: restoreOther(record.mergedCustomerId),
  };
}

/** The customer a merge on `survivor` absorbed, whether in force or already undone. */
export function mergeRecordOf(survivor: CustomerState, mergeId: string): MergeRecord | undefined {
  return survivor.status === 'none' ? undefined : survivor.merges[mergeId];
}
