import { type EventStore, WrongExpectedVersion } from '@handoff/event-store';
import { CustomerNotFound } from '../domain/conversations.errors';
import {
  type CustomerEvent,
  type CustomerState,
  customerDecider,
  evolveCustomer,
  initialCustomerState,
} from '../domain/customer.decider';
import type { Identity } from '../domain/identity';
import { type Clock, type CommandContext, type IdGenerator, metadataOf } from './conversations.ports';
import { customerStream, identityStream } from './stream-names';
import { execute, executeOnNewStream, loadStream, StreamStateCache } from './stream-runner';

/** The one event of an identity stream: which customer first held the identity. */
export interface IdentityBound {
  type: 'IdentityBound';
  data: { tenantId: string; identity: Identity; customerId: string };
}

export type ActiveCustomer = Exclude<CustomerState, { status: 'none' }>;

const MAX_MERGE_HOPS = 32;
const MAX_CACHED_BINDINGS = 50_000;

/**
 * Channel identity → customer. The identity stream is the uniqueness guard (appended with
 * `no-stream`, so two first messages of one new address race to one customer); merges are followed
 * through the customer streams' `mergedInto` pointers, so a merge or its undo never rewrites
 * identity streams.
 */
export class CustomerIdentities {
  /**
   * Identity stream → the customer that first held it. The first event of an identity stream is
   * never replaced (merges are followed through the customer streams), so an entry never goes stale.
   */
  private readonly bindings = new Map<string, string>();

  constructor(
    private readonly store: EventStore,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly cache: StreamStateCache = new StreamStateCache(),
  ) {}

  async loadCustomer(customerId: string): Promise<CustomerState> {
    return (
      await loadStream<CustomerState, CustomerEvent>(
        this.store,
        customerStream(customerId),
        evolveCustomer,
        initialCustomerState(),
        this.cache,
      )
    ).state;
  }

  /** The customer of `tenantId` with this id, or CustomerNotFound (other tenants' look the same). */
  async customerOf(tenantId: string, customerId: string, field?: string): Promise<ActiveCustomer> {
    const state = await this.loadCustomer(customerId);
    if (state.status === 'none' || state.tenantId !== tenantId) throw new CustomerNotFound(customerId, field);
    return state;
  }

  /** Which customer the identity belongs to now, if any. */
  async resolve(context: CommandContext, identity: Identity): Promise<string | undefined> {
    const bound = await this.boundCustomer(context.tenantId, identity);
    if (bound === undefined) return undefined;
    return this.follow(context, bound, identity);
  }

  /** The identity's customer, created with it when the identity is new. */
  async resolveOrCreate(context: CommandContext, identity: Identity): Promise<string> {
    const known = await this.resolve(context, identity);
    if (known !== undefined) return known;
    const customerId = this.ids.next();
    if (!(await this.bind(context, identity, customerId))) {
      const winner = await this.resolve(context, identity);
      if (winner === undefined) throw new Error('identity stream exists but names no customer');
      return winner;
    }
    await this.create(context, customerId, identity, true);
    return customerId;
  }

  /**
   * Claims the identity for `customerId`; false when another customer claimed it first. The claim
   * comes before the customer stream: a crash in between leaves a claim that {@link follow} completes.
   */
  async bind(context: CommandContext, identity: Identity, customerId: string): Promise<boolean> {
    const { tenantId } = context;
    const event: IdentityBound = { type: 'IdentityBound', data: { tenantId, identity, customerId } };
    try {
      const stream = identityStream(tenantId, identity);
      const metadata = metadataOf(context, this.clock);
      await this.store.append(stream, [{ type: event.type, data: event.data, metadata }], {
        expectedRevision: 'no-stream',
      });
      this.remember(stream, customerId);
      return true;
    } catch (error) {
      if (error instanceof WrongExpectedVersion) return false;
      throw error;
    }
  }

  async boundCustomer(tenantId: string, identity: Identity): Promise<string | undefined> {
    const stream = identityStream(tenantId, identity);
    const cached = this.bindings.get(stream);
    if (cached !== undefined) return cached;
    const { state } = await loadStream<string | undefined, IdentityBound>(
      this.store,
      stream,
      (current, event) => current ?? event.data.customerId,
      undefined,
    );
    if (state !== undefined) this.remember(stream, state);
    return state;
  }

  /** The customer this process knows the identity stream binds to, without reading anything. */
  cachedBinding(stream: string): string | undefined {
    return this.bindings.get(stream);
  }

  /** Records a binding read or written elsewhere (the batch ingestion's reads and appends). */
  learnBinding(stream: string, customerId: string): void {
    this.remember(stream, customerId);
  }

  private remember(stream: string, customerId: string): void {
    // Bounded: dropping every entry only costs one read per identity afterwards.
    if (this.bindings.size >= MAX_CACHED_BINDINGS) this.bindings.clear();
    this.bindings.set(stream, customerId);
  }

  private async follow(context: CommandContext, start: string, identity: Identity): Promise<string> {
    let customerId = start;
    for (let hop = 0; hop < MAX_MERGE_HOPS; hop++) {
      const state = await this.loadCustomer(customerId);
      if (state.status === 'none') {
        await this.create(context, customerId, identity);
        return customerId;
      }
      if (!state.mergedInto) return customerId;
      customerId = state.mergedInto.survivorId;
    }
    throw new Error(`customer ${start}: merge chain longer than ${MAX_MERGE_HOPS}`);
  }

  private async create(context: CommandContext, customerId: string, identity: Identity, fresh = false) {
    await (fresh ? executeOnNewStream : execute)(
      this.store,
      customerStream(customerId),
      customerDecider,
      { type: 'CreateCustomer', customerId, tenantId: context.tenantId, identity, by: context.actor },
      metadataOf(context, this.clock),
      this.cache,
    );
  }
}
