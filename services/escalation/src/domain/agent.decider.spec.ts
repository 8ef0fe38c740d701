import { deciderSpec } from '@handoff/testing';
import { agentDecider, type AgentEvent, type AgentProfile } from './agent.decider';
import { AgentAlreadyExists, AgentNotFound } from './handoff.errors';

const spec = deciderSpec(agentDecider);
const now = new Date('2026-01-01T09:00:00.000Z');
const by = { kind: 'supervisor' as const, id: 'sup-1' };
const profile: AgentProfile = {
  displayName: 'Ada',
  skills: { billing: 4 },
  languages: ['en'],
  tiers: ['1'],
  teams: ['billing'],
  capacity: { web_chat: 3 },
  supervisor: false,
};
const registered: AgentEvent = {
  type: 'AgentRegistered',
  data: { tenantId: 't', agentId: 'a-1', profile, at: now.toISOString() },
};

describe('agent decider', () => {
  it('registers an agent offline by default', () =>
    spec
      .given([])
      .when({ type: 'RegisterAgent', tenantId: 't', agentId: 'a-1', profile, by, now })
      .then([registered]));

  it('registers with a presence', () =>
    spec
      .given([])
      .when({ type: 'RegisterAgent', tenantId: 't', agentId: 'a-1', profile, presence: 'online', by, now })
      .then([
        registered,
        {
          type: 'AgentPresenceChanged',
          data: {
            tenantId: 't',
            agentId: 'a-1',
            presence: 'online',
            previousPresence: 'offline',
            changedBy: by,
            at: now.toISOString(),
          },
        },
      ]));

  it('refuses a second registration with another profile', () =>
    spec
      .given([registered])
      .when({
        type: 'RegisterAgent',
        tenantId: 't',
        agentId: 'a-1',
        profile: { ...profile, tiers: ['2'] },
        by,
        now,
      })
      .thenThrows(AgentAlreadyExists));

  it('changes presence and records the previous one', () =>
    spec
      .given([registered])
      .when({ type: 'ChangePresence', tenantId: 't', agentId: 'a-1', presence: 'away', by, now })
      .then([
        {
          type: 'AgentPresenceChanged',
          data: {
            tenantId: 't',
            agentId: 'a-1',
            presence: 'away',
            previousPresence: 'offline',
            changedBy: by,
            at: now.toISOString(),
          },
        },
      ]));

  it('ignores an unchanged presence', () =>
    spec
      .given([registered])
      .when({ type: 'ChangePresence', tenantId: 't', agentId: 'a-1', presence: 'offline', by, now })
      .thenNothingHappens());

  it('updates skills', () =>
    spec
      .given([registered])
      .when({
        type: 'UpdateAgentProfile',
        tenantId: 't',
        agentId: 'a-1',
        profile: { ...profile, skills: { billing: 5 } },
        now,
      })
      .then([
        {
          type: 'AgentProfileUpdated',
          data: {
            tenantId: 't',
            agentId: 'a-1',
            profile: { ...profile, skills: { billing: 5 } },
            at: now.toISOString(),
          },
        },
      ]));

  it("hides another tenant's agent", () =>
    spec
      .given([registered])
      .when({ type: 'ChangePresence', tenantId: 'other', agentId: 'a-1', presence: 'online', by, now })
      .thenThrows(AgentNotFound));
});
