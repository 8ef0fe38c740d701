import { resolveTeamLead, type TeamMember } from './team-lead.rule';
import type { AgentSnapshot } from './ownership.types';

const agent = (agentId: string, overrides: Partial<AgentSnapshot> = {}): AgentSnapshot => ({
  agentId,
  active: true,
  presence: 'online',
  teamId: 'billing',
  ...overrides,
});
const member = (
  agentId: string,
  openTickets: number,
  overrides: Partial<AgentSnapshot> = {},
): TeamMember => ({
  agent: agent(agentId, overrides),
  openTickets,
});

describe('team lead rule', () => {
  it('names nobody without a rule', () =>
    expect(resolveTeamLead(null, [member('a', 0)], undefined)).toBeUndefined());

  it('names the named lead while active, and nobody once deactivated', () => {
    const rule = { type: 'named_lead' as const, agentId: 'lead' };
    expect(resolveTeamLead(rule, [], agent('lead'))?.agentId).toBe('lead');
    expect(resolveTeamLead(rule, [], agent('lead', { active: false }))).toBeUndefined();
    expect(resolveTeamLead(rule, [], undefined)).toBeUndefined();
  });

  it('names the online active member with the fewest open tickets, ties by id', () => {
    const rule = { type: 'least_loaded_online' as const };
    const members = [
      member('c', 1),
      member('b', 1),
      member('a', 0, { presence: 'offline' }),
      member('d', 0, { active: false }),
      member('e', 3),
    ];
    expect(resolveTeamLead(rule, members, undefined)?.agentId).toBe('b');
    expect(resolveTeamLead(rule, [member('a', 0, { presence: 'away' })], undefined)).toBeUndefined();
  });
});
