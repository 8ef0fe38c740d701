import type { EventStore } from '@handoff/event-store';
import { IdentityTaken, MergeIntoItself, MergeNotFound } from '../domain/conversations.errors';
import {
  type CustomerEvent,
  type CustomerState,
  customerDecider,
  decideMergeCustomers,
  decideUndoMerge,
  evolveCustomer,
  initialCustomerState,
} from '../domain/customer.decider';
import { type Identity, normaliseIdentity } from '../domain/identity';
import {
  type Clock,
  type CommandContext,
  type IdGenerator,
  type ProjectionBarrier,
  type ReadModelQueries,
  metadataOf,
} from './conversations.ports';
import type { ActiveCustomer, CustomerIdentities } from './customer-identities';
import { customerStream } from './stream-names';
import { execute, executeOnTwo } from './stream-runner';

/** Link, merge and undo-merge of customers, each with its provenance (who, why, which identifiers). */
export class CustomerCommandsHandler {
  constructor(
    private readonly store: EventStore,
    private readonly identities: CustomerIdentities,
    private readonly readModel: ReadModelQueries,
    private readonly barrier: ProjectionBarrier,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
  ) {}

  get(context: Pick<CommandContext, 'tenantId'>, customerId: string): Promise<ActiveCustomer> {
    return this.identities.customerOf(context.tenantId, customerId);
  }

  /** Links an identity explicitly; an identity of another customer is refused (merge instead). */
  async link(
    context: CommandContext,
    customerId: string,
    raw: Identity,
    reason: string,
  ): Promise<ActiveCustomer> {
    const identity = normaliseIdentity(raw, 'identity');
    await this.identities.customerOf(context.tenantId, customerId);
    let bound = await this.identities.resolve(context, identity);
    if (bound === undefined && !(await this.identities.bind(context, identity, customerId)))
      bound = await this.identities.resolve(context, identity);
    if (bound !== undefined && bound !== customerId) throw new IdentityTaken(bound);
    const executed = await execute(
      this.store,
      customerStream(customerId),
      customerDecider,
      { type: 'AddIdentity', identity, how: 'linked', automatic: false, by: context.actor, reason },
      metadataOf(context, this.clock),
    );
    if (executed.position !== undefined) await this.barrier.waitFor(executed.position);
    return executed.state as ActiveCustomer;
  }

  /**
   * Merges `mergedCustomerId` into `customerId`. Repeating a merge that is (partly) recorded
   * completes it and returns the same merge id.
   */
  async merge(
    context: CommandContext,
    customerId: string,
    mergedCustomerId: string,
    reason: string,
    acknowledgeVerifiedConflicts: boolean,
  ): Promise<{ mergeId: string; customer: ActiveCustomer }> {
    if (customerId === mergedCustomerId) throw new MergeIntoItself('customer', 'mergedCustomerId');
    await this.identities.customerOf(context.tenantId, customerId, 'customerId');
    const merged = await this.identities.customerOf(context.tenantId, mergedCustomerId, 'mergedCustomerId');
    const mergeId =
      merged.mergedInto?.survivorId === customerId ? merged.mergedInto.mergeId : this.ids.next();
    const ticketIds = await this.readModel.ticketIdsOf(context.tenantId, mergedCustomerId);
    const metadata = metadataOf(context, this.clock);
    const result = await executeOnTwo<CustomerState, CustomerEvent>(
      this.store,
      { survivor: customerStream(customerId), other: customerStream(mergedCustomerId) },
      evolveCustomer,
      initialCustomerState,
      (survivor, other) =>
        decideMergeCustomers(
          {
            type: 'MergeCustomers',
            mergeId,
            survivorId: customerId,
            mergedCustomerId,
            ticketIds,
            by: context.actor,
            reason,
            acknowledgeVerifiedConflicts,
          },
          survivor,
          other,
        ),
      { survivor: metadata, other: metadata },
    );
    if (result.position !== undefined) await this.barrier.waitFor(result.position);
    return { mergeId, customer: result.survivor as ActiveCustomer };
  }

  /** Undoes a merge: the absorbed customer comes back with its identities and tickets. */
  async undoMerge(
    context: CommandContext,
    customerId: string,
    mergeId: string,
    reason: string,
  ): Promise<{ restoredCustomerId: string; customer: ActiveCustomer }> {
    const survivor = await this.identities.customerOf(context.tenantId, customerId);
    const record = survivor.merges[mergeId];
    if (!record) {
      const restoredCustomerId = survivor.undone[mergeId];
      if (restoredCustomerId !== undefined) return { restoredCustomerId, customer: survivor };
      throw new MergeNotFound(mergeId);
    }
    const metadata = metadataOf(context, this.clock);
    const result = await executeOnTwo<CustomerState, CustomerEvent>(
      this.store,
      { survivor: customerStream(customerId), other: customerStream(record.mergedCustomerId) },
      evolveCustomer,
      initialCustomerState,
      (s, o) =>
        decideUndoMerge(
          { type: 'UndoCustomerMerge', survivorId: customerId, mergeId, by: context.actor, reason },
          s,
          o,
        ),
      { survivor: metadata, other: metadata },
    );
    if (result.position !== undefined) await this.barrier.waitFor(result.position);
    return { restoredCustomerId: record.mergedCustomerId, customer: result.survivor as ActiveCustomer };
  }
}
