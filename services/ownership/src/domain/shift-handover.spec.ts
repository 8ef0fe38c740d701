import { createOwnershipDecider } from './ownership.decider';
import type { OwnershipCommand } from './ownership.commands';
import { ShiftHandoverRefused } from './ownership.errors';
import type { OwnershipEvent } from './ownership.events';
import type { HandoverNote, OwnerRef } from './ownership.types';
import { decideShiftHandover, type ShiftHandoverCandidate } from './shift-handover';

const decider = createOwnershipDecider();
const T = 'tenant-a';
const at = (minute: number) => new Date(Date.UTC(2026, 0, 5, 17, minute)).toISOString();
const note: HandoverNote = { status: 'waiting on carrier', nextSteps: ['call carrier'], promisesMade: [] };
const owner = (id: string): OwnerRef => ({ kind: 'agent', id });

const stateOwnedBy = (ticketId: string, ownerId: string) =>
  (
    [
      {
        type: 'OwnershipOpened',
        data: { tenantId: T, ticketId, at: at(0), openedBy: { kind: 'system', id: 's' } },
      },
      {
        type: 'OwnerAssigned',
        data: {
          tenantId: T,
          ticketId,
          at: at(0),
          owner: owner(ownerId),
          how: 'assigned',
          assignedBy: { kind: 'system', id: 's' },
        },
      },
    ] as OwnershipEvent[]
  ).reduce(decider.evolve, decider.initialState());

const candidate = (
  ticketId: string,
  overrides: { ownerId?: string; note?: HandoverNote | undefined; toActive?: boolean } = {},
): ShiftHandoverCandidate => {
  const command: OwnershipCommand = {
    type: 'RequestShiftHandover',
    tenantId: T,
    ticketId,
    at: at(10),
    actor: { kind: 'agent', id: 'night' },
    handoverId: `ho-${ticketId}`,
    fromAgentId: 'night',
    to: { agentId: 'day', agent: { agentId: 'day', active: overrides.toActive ?? true, presence: 'online' } },
    note: 'note' in overrides ? overrides.note : note,
    acknowledgeBy: at(40),
  };
  return { ticketId, state: stateOwnedBy(ticketId, overrides.ownerId ?? 'night'), command };
};

const refusalOf = (run: () => unknown): ShiftHandoverRefused => {
  try {
    run();
  } catch (error) {
    if (error instanceof ShiftHandoverRefused) return error;
    throw error;
  }
  throw new Error('expected the shift handover to be refused');
};

describe('shift handover (all or none)', () => {
  it('decides a handover request for every ticket when all are valid', () => {
    const decisions = decideShiftHandover(decider.decide, [
      candidate('t1'),
      candidate('t2'),
      candidate('t3'),
    ]);
    expect(decisions.map((d) => [d.candidate.ticketId, d.events.map((e) => e.type)])).toEqual([
      ['t1', ['ShiftHandoverRequested']],
      ['t2', ['ShiftHandoverRequested']],
      ['t3', ['ShiftHandoverRequested']],
    ]);
  });

  it('refuses the whole handover (422) when one of three tickets lacks a note', () => {
    const refused = refusalOf(() =>
      decideShiftHandover(decider.decide, [
        candidate('t1'),
        candidate('t2', { note: undefined }),
        candidate('t3'),
      ]),
    );
    expect(refused.kind).toBe('unprocessable');
    expect(refused.refused).toEqual([
      expect.objectContaining({ ticketId: 't2', code: 'handover-note-missing', kind: 'unprocessable' }),
    ]);
  });

  it('names every refused ticket, not only the first', () => {
    const refused = refusalOf(() =>
      decideShiftHandover(decider.decide, [
        candidate('t1', { ownerId: 'someone-else' }),
        candidate('t2'),
        candidate('t3', { toActive: false }),
      ]),
    );
    expect(refused.refused.map((r) => [r.ticketId, r.code])).toEqual([
      ['t1', 'ownership-conflict'],
      ['t3', 'agent-deactivated'],
    ]);
    expect(refused.details['refusedTickets']).toHaveLength(2);
  });

  it('is a conflict (409) when every refusal is a conflict', () => {
    const refused = refusalOf(() =>
      decideShiftHandover(decider.decide, [
        candidate('t1', { ownerId: 'x' }),
        candidate('t2', { ownerId: 'y' }),
      ]),
    );
    expect(refused.kind).toBe('conflict');
  });
});
