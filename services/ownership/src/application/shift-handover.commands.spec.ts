import { randomUUID } from 'node:crypto';
import {
  InMemoryEventStore,
  type AppendOptions,
  type AppendResult,
  type NewEvent,
} from '@handoff/event-store';
import { createOwnershipDecider } from '../domain/ownership.decider';
import { ShiftHandoverInterrupted } from '../domain/ownership.errors';
import type { OwnershipEvent } from '../domain/ownership.events';
import type { AgentSnapshot } from '../domain/ownership.types';
import type { AgentDirectory } from './agent-directory';
import { OwnershipCommandBus, streamOf } from './ownership-command.bus';
import { OwnershipCommands, type Caller } from './ownership.commands.service';

// The race between a handover's validation and its appends cannot be forced through the running
// service, so it is forced here on the in-memory adapter of the event store (the same port and
// contract suite as PostgreSQL), with the directory answering from a map.

const T = 'tenant-a';
const decider = createOwnershipDecider();
const note = { status: 'waiting on the carrier', nextSteps: ['call the carrier'], promisesMade: [] };
const caller: Caller = { tenantId: T, actor: { kind: 'agent', id: 'eve' }, correlationId: 'c-1' };
const TICKETS = ['t1', 't2', 't3'];

/** An event store that runs `before` once, ahead of the first append to `stream` matching `when`. */
class RacingStore extends InMemoryEventStore {
  race:
    | { stream: string; when: (events: readonly NewEvent[]) => boolean; before: () => Promise<void> }
    | undefined;

  override async append(
    stream: string,
    events: readonly NewEvent[],
    options: AppendOptions,
  ): Promise<AppendResult> {
    const race = this.race;
    if (race && race.stream === stream && race.when(events)) {
      this.race = undefined;
      await race.before();
    }
    return super.append(stream, events, options);
  }
}

function setUp() {
  const store = new RacingStore();
  const bus = new OwnershipCommandBus(store, decider, randomUUID);
  const agents = new Map<string, AgentSnapshot>(
    ['eve', 'day', 'zed'].map((id) => [id, { agentId: id, active: true, presence: 'online' }]),
  );
  const directory = {
    agent: (_tenantId: string, agentId: string) => Promise.resolve(agents.get(agentId)),
    openTicketsOf: () => Promise.resolve(TICKETS),
    supervisorOf: () => Promise.resolve(undefined),
  } as unknown as AgentDirectory;
  const commands = new OwnershipCommands(
    bus,
    directory,
    { now: () => new Date('2026-01-05T17:00:00Z') },
    { waitFor: () => Promise.resolve() },
    { botOwnerId: 'bot', handoverAcknowledgeSeconds: 600 },
    randomUUID,
    decider,
    { lapsesBegan: () => undefined },
  );
  const items = TICKETS.map((ticketId) => ({ ticketId, toAgentId: 'day', note }));
  const handoverTypes = async (ticketId: string) =>
    (await store.readStream(streamOf(ticketId)))
      .map((e) => e.type)
      .filter((type) => type === 'ShiftHandoverRequested');
  return { store, bus, commands, items, handoverTypes };
}

async function ownedByEve(bus: OwnershipCommandBus) {
  for (const ticketId of TICKETS) {
    await bus.execute(
      ticketId,
      () => ({
        type: 'OpenOwnership',
        tenantId: T,
        ticketId,
        at: '2026-01-05T09:00:00Z',
        actor: { kind: 'system', id: 'test' },
        firstOwner: { kind: 'agent', id: 'eve' },
      }),
      { correlationId: 'seed', actor: { kind: 'system', id: 'test' } },
    );
  }
}

const isHandover = (events: readonly NewEvent[]) =>
  events.some((e) => (e as { type: OwnershipEvent['type'] }).type === 'ShiftHandoverRequested');

describe('shift handover appends (concurrent changes after validation)', () => {
  it('decides a ticket again when it changed after validation, and answers 200 when it is still valid', async () => {
    const { store, bus, commands, items, handoverTypes } = setUp();
    await ownedByEve(bus);
    // The same handover of t2, asked concurrently by another request, lands first.
    store.race = {
      stream: streamOf('t2'),
      when: isHandover,
      before: async () => {
        await bus.execute(
          't2',
          () => ({
            type: 'RequestShiftHandover',
            tenantId: T,
            ticketId: 't2',
            at: '2026-01-05T16:59:00Z',
            actor: caller.actor,
            handoverId: 'ho-concurrent',
            fromAgentId: 'eve',
            to: { agentId: 'day', agent: { agentId: 'day', active: true, presence: 'online' } },
            note,
            acknowledgeBy: '2026-01-05T17:10:00Z',
          }),
          { correlationId: 'other-request', actor: caller.actor },
        );
      },
    };
    const result = await commands.shiftHandover(caller, 'eve', items);
    expect(result.handovers.map((h) => h.ticketId)).toEqual(TICKETS);
    // t2 answers the handover that landed first rather than requesting a second one.
    expect(result.handovers.find((h) => h.ticketId === 't2')?.handoverId).toBe('ho-concurrent');
    for (const ticketId of TICKETS) expect(await handoverTypes(ticketId)).toEqual(['ShiftHandoverRequested']);
  });

  it('reports the handed-over, refused and not attempted tickets when a ticket changed owner meanwhile', async () => {
    const { store, bus, commands, items, handoverTypes } = setUp();
    await ownedByEve(bus);
    store.race = {
      stream: streamOf('t2'),
      when: isHandover,
      before: async () => {
        await commands.transfer(
          { ...caller, actor: { kind: 'supervisor', id: 'sup' } },
          't2',
          'zed',
          'urgent',
        );
      },
    };
    let thrown: unknown;
    try {
      await commands.shiftHandover(caller, 'eve', items);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ShiftHandoverInterrupted);
    expect((thrown as ShiftHandoverInterrupted).details).toEqual({
      handedOverTicketIds: ['t1'],
      refusedTickets: [expect.objectContaining({ ticketId: 't2', code: 'ownership-conflict' })],
      notAttemptedTicketIds: ['t3'],
    });
    expect(await handoverTypes('t1')).toEqual(['ShiftHandoverRequested']);
    expect(await handoverTypes('t2')).toEqual([]);
    expect(await handoverTypes('t3')).toEqual([]);
  });
});
