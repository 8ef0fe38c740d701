import type { RecordedEvent } from '@handoff/event-store';
import { createOwnershipDecider } from '../domain/ownership.decider';
import type { OwnershipCommand } from '../domain/ownership.commands';
import type { OwnershipEvent } from '../domain/ownership.events';
import type { AgentSnapshot } from '../domain/ownership.types';

const decider = createOwnershipDecider({ windowSeconds: 3600, maxChangesInWindow: 3 });
const agent = (agentId: string, presence: AgentSnapshot['presence'] = 'online'): AgentSnapshot => ({
  agentId,
  displayName: `Agent ${agentId}`,
  teamId: 'team-1',
  active: true,
  presence,
});

/** A scripted life of a ticket that produces every internal event type. */
export function scenario(): OwnershipEvent[] {
  let minute = 0;
  const base = () => ({
    tenantId: 'tenant-a',
    ticketId: 'ticket-1',
    at: new Date(Date.UTC(2026, 0, 1, 9, minute++)).toISOString(),
    actor: { kind: 'supervisor' as const, id: 'sup-1' },
  });
  const commands: OwnershipCommand[] = [
    { type: 'OpenOwnership', ...base(), firstOwner: { kind: 'bot', id: 'bot' } },
    {
      type: 'RecordAcceptedHandoff',
      ...base(),
      handoffId: 'hof-1',
      agent: { agentId: 'a1' },
      teamId: 'tier-2',
      brief: { briefId: 'brief-1', version: 2 },
      reasonCode: 'billing',
    },
    { type: 'TransferOwnership', ...base(), to: { agentId: 'a2', agent: agent('a2') }, reason: 'tier 2' },
    { type: 'TransferOwnership', ...base(), to: { agentId: 'a1', agent: agent('a1') }, reason: 'back' },
    {
      type: 'RequestShiftHandover',
      ...base(),
      handoverId: 'ho-1',
      fromAgentId: 'a1',
      to: { agentId: 'a2', agent: agent('a2') },
      note: { status: 'waiting', nextSteps: ['call'], promisesMade: [] },
      acknowledgeBy: new Date(Date.UTC(2026, 0, 1, 9, 30)).toISOString(),
      supervisorId: 'sup-1',
    },
    { type: 'AcknowledgeShiftHandover', ...base(), handoverId: 'ho-1', agentId: 'a2' },
    {
      type: 'RequestShiftHandover',
      ...base(),
      handoverId: 'ho-2',
      fromAgentId: 'a2',
      to: { agentId: 'a3', agent: agent('a3') },
      note: { status: 'waiting', nextSteps: ['call'], promisesMade: ['refund'] },
      acknowledgeBy: new Date(Date.UTC(2026, 0, 1, 9, 6)).toISOString(),
    },
    { type: 'EscalateShiftHandover', ...base(), handoverId: 'ho-2', supervisor: undefined },
    { type: 'ClaimTicket', ...base(), claimer: { agentId: 'a4', agent: agent('a4') } },
    { type: 'ReleaseOwnership', ...base(), reason: 'going home' },
    { type: 'AssignOwner', ...base(), target: { kind: 'agent', agentId: 'a5', agent: agent('a5') } },
    { type: 'CloseTicket', ...base() },
    { type: 'ReopenTicket', ...base(), lastOwner: agent('a5', 'offline') },
  ];
  let state = decider.initialState();
  const events: OwnershipEvent[] = [];
  for (const command of commands) {
    const decided = decider.decide(command, state);
    state = decided.reduce(decider.evolve, state);
    events.push(...decided);
  }
  return events;
}

export const recorded = (event: OwnershipEvent, revision: number): RecordedEvent => ({
  eventId: `0193a5c2-0000-7000-8000-${String(revision).padStart(12, '0')}`,
  type: event.type,
  schemaVersion: 1,
  data: event.data,
  metadata: {
    tenantId: event.data.tenantId,
    ticketId: event.data.ticketId,
    correlationId: 'corr-1',
    causationId: 'cause-1',
    actor: { kind: 'supervisor', id: 'sup-1' },
    occurredAt: event.data.at,
  },
  streamName: `ownership-${event.data.ticketId}`,
  revision: BigInt(revision),
  globalPosition: BigInt(revision + 1),
  recordedAt: new Date(event.data.at),
  prevHash: '0'.repeat(64),
  hash: '1'.repeat(64),
});
