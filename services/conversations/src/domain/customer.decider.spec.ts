import { deciderSpec } from '@handoff/testing';
import {
  AlreadyMerged,
  CustomerNotFound,
  MergeIntoItself,
  MergeNotFound,
  VerifiedIdentityConflict,
} from './conversations.errors';
import {
  customerDecider,
  decideMergeCustomers,
  decideUndoMerge,
  evolveCustomer,
  initialCustomerState,
  type CustomerEvent,
  type CustomerState,
  type MergeCustomers,
} from './customer.decider';
import type { Identity } from './identity';

const spec = deciderSpec(customerDecider);
const system = { kind: 'system' as const, id: 'ingestion' };
const agent = { kind: 'agent' as const, id: 'agent-7' };
const email = (value: string, verified = true): Identity => ({ kind: 'email', value, verified });
const ig: Identity = { kind: 'social_handle', value: 'jane.doe', channel: 'instagram', verified: false };

const created = (customerId: string, identity: Identity): CustomerEvent[] => [
  { type: 'CustomerCreated', data: { customerId, tenantId: 'tenant-a' } },
  { type: 'IdentityAdded', data: { customerId, identity, how: 'resolved', newCustomer: true, by: system } },
];
const state = (events: CustomerEvent[]): CustomerState =>
  events.reduce(evolveCustomer, initialCustomerState());

describe('customer decider', () => {
  it('creates a customer from the first identity seen', () =>
    spec
      .given([])
      .when({ type: 'CreateCustomer', customerId: 'c1', tenantId: 'tenant-a', identity: ig, by: system })
      .then(created('c1', ig)));

  it('does nothing when the customer already exists (a repeated creation after a crash)', () =>
    spec
      .given(created('c1', ig))
      .when({ type: 'CreateCustomer', customerId: 'c1', tenantId: 'tenant-a', identity: ig, by: system })
      .thenNothingHappens());

  it('links an identity explicitly, with who and why', () =>
    spec
      .given(created('c1', ig))
      .when({
        type: 'AddIdentity',
        identity: email('jane@example.com'),
        how: 'linked',
        automatic: false,
        by: agent,
        reason: 'verified by phone',
      })
      .then([
        {
          type: 'IdentityAdded',
          data: {
            customerId: 'c1',
            identity: email('jane@example.com'),
            how: 'linked',
            newCustomer: false,
            by: agent,
            reason: 'verified by phone',
          },
        },
      ]));

  it('does not add an identity the customer already holds', () =>
    spec
      .given(created('c1', ig))
      .when({ type: 'AddIdentity', identity: ig, how: 'linked', automatic: false, by: agent })
      .thenNothingHappens());

  it('never links a second verified identifier of the same kind automatically', () =>
    spec
      .given(created('c1', email('jane@example.com')))
      .when({
        type: 'AddIdentity',
        identity: email('john@example.com'),
        how: 'linked',
        automatic: true,
        by: system,
        reason: 'ticket reference',
      })
      .thenThrows(VerifiedIdentityConflict));

  it('links an unverified identifier of the same kind automatically (a weak signal is no conflict)', () =>
    spec
      .given(created('c1', email('jane@example.com')))
      .when({
        type: 'AddIdentity',
        identity: email('jane.d@example.com', false),
        how: 'linked',
        automatic: true,
        by: system,
      })
      .then([
        {
          type: 'IdentityAdded',
          data: {
            customerId: 'c1',
            identity: email('jane.d@example.com', false),
            how: 'linked',
            newCustomer: false,
            by: system,
          },
        },
      ]));

  it('refuses identities for an unknown customer or one merged away', () => {
    spec
      .given([])
      .when({ type: 'AddIdentity', identity: ig, how: 'linked', automatic: false, by: agent })
      .thenThrows(CustomerNotFound);
    spec
      .given([
        ...created('c1', ig),
        {
          type: 'CustomerMergedInto',
          data: { mergeId: 'm1', customerId: 'c1', survivorId: 'c2', mergedBy: agent, reason: 'same' },
        },
      ])
      .when({
        type: 'AddIdentity',
        identity: email('x@example.com'),
        how: 'linked',
        automatic: false,
        by: agent,
      })
      .thenThrows(AlreadyMerged);
  });
});

describe('customer merge', () => {
  const survivor = state(created('c1', email('jane@example.com')));
  const merged = state(created('c2', ig));
  const merge: MergeCustomers = {
    type: 'MergeCustomers',
    mergeId: 'm1',
    survivorId: 'c1',
    mergedCustomerId: 'c2',
    ticketIds: ['t2'],
    by: agent,
    reason: 'same person',
    acknowledgeVerifiedConflicts: false,
  };

  it('moves identities and tickets to the survivor and marks the merged customer', () =>
    expect(decideMergeCustomers(merge, survivor, merged)).toEqual({
      other: [
        {
          type: 'CustomerMergedInto',
          data: { mergeId: 'm1', customerId: 'c2', survivorId: 'c1', mergedBy: agent, reason: 'same person' },
        },
      ],
      survivor: [
        {
          type: 'CustomersMerged',
          data: {
            mergeId: 'm1',
            customerId: 'c1',
            mergedCustomerId: 'c2',
            movedIdentities: [ig],
            movedTicketIds: ['t2'],
            mergedBy: agent,
            reason: 'same person',
          },
        },
      ],
    }));

  it('rejects a merge of a customer into itself', () =>
    expect(() => decideMergeCustomers({ ...merge, mergedCustomerId: 'c1' }, survivor, survivor)).toThrow(
      MergeIntoItself,
    ));

  it('refuses to merge different verified identifiers of one kind without an explicit acknowledgement', () => {
    const other = state(created('c2', email('john@example.com')));
    expect(() => decideMergeCustomers(merge, survivor, other)).toThrow(VerifiedIdentityConflict);
    expect(
      decideMergeCustomers({ ...merge, acknowledgeVerifiedConflicts: true }, survivor, other).survivor,
    ).toHaveLength(1);
  });

  it('completes a merge recorded only on the merged customer, then does nothing', () => {
    const first = decideMergeCustomers(merge, survivor, merged);
    const mergedAfter = first.other.reduce(evolveCustomer, merged);
    const again = decideMergeCustomers(merge, survivor, mergedAfter);
    expect(again).toEqual({ other: [], survivor: first.survivor });
    const survivorAfter = again.survivor.reduce(evolveCustomer, survivor);
    expect(decideMergeCustomers(merge, survivorAfter, mergedAfter)).toEqual({ survivor: [], other: [] });
  });

  it('refuses a customer already merged into someone else', () => {
    const elsewhere = evolveCustomer(merged, {
      type: 'CustomerMergedInto',
      data: { mergeId: 'm0', customerId: 'c2', survivorId: 'c3', mergedBy: agent, reason: 'x' },
    });
    expect(() => decideMergeCustomers(merge, survivor, elsewhere)).toThrow(AlreadyMerged);
  });

  it('undoes a merge with provenance: identities and tickets go back to the restored customer', () => {
    const done = decideMergeCustomers(merge, survivor, merged);
    const s = done.survivor.reduce(evolveCustomer, survivor);
    const m = done.other.reduce(evolveCustomer, merged);
    const undo = decideUndoMerge(
      { type: 'UndoCustomerMerge', survivorId: 'c1', mergeId: 'm1', by: agent, reason: 'two people' },
      s,
      m,
    );
    expect(undo).toEqual({
      survivor: [
        {
          type: 'CustomerMergeUndone',
          data: {
            mergeId: 'm1',
            customerId: 'c1',
            restoredCustomerId: 'c2',
            restoredIdentities: [ig],
            restoredTicketIds: ['t2'],
            undoneBy: agent,
            reason: 'two people',
          },
        },
      ],
      other: [
        {
          type: 'CustomerRestored',
          data: { mergeId: 'm1', customerId: 'c2', survivorId: 'c1', undoneBy: agent, reason: 'two people' },
        },
      ],
    });
    const sAfter = undo.survivor.reduce(evolveCustomer, s);
    const mAfter = undo.other.reduce(evolveCustomer, m);
    expect(sAfter.status === 'active' && sAfter.identities).toEqual([email('jane@example.com')]);
    expect(mAfter.status).toBe('active');
    expect(
      decideUndoMerge(
        { type: 'UndoCustomerMerge', survivorId: 'c1', mergeId: 'm1', by: agent, reason: 'again' },
        sAfter,
        mAfter,
      ),
    ).toEqual({
      survivor: [],
      other: [],
    });
  });

  it('rejects undoing a merge the customer never had', () =>
    expect(() =>
      decideUndoMerge(
        { type: 'UndoCustomerMerge', survivorId: 'c1', mergeId: 'nope', by: agent, reason: 'x' },
        survivor,
        merged,
      ),
    ).toThrow(MergeNotFound));
});
