import { routeHandoff, type RoutingCandidate, type RoutingRequest } from './routing';

const agent = (agentId: string, overrides: Partial<RoutingCandidate> = {}): RoutingCandidate => ({
  agentId,
  presence: 'online',
  active: true,
  supervisor: false,
  tiers: ['1'],
  teams: ['billing'],
  skills: { billing: 3 },
  languages: ['en'],
  capacity: { web_chat: 3 },
  load: {},
  ...overrides,
});
const request = (overrides: Partial<RoutingRequest> = {}): RoutingRequest => ({
  target: { kind: 'team', id: 'billing' },
  requiredSkills: [],
  channel: 'web_chat',
  exclude: [],
  supervisorsOnly: false,
  ...overrides,
});
const pick = (req: RoutingRequest, agents: RoutingCandidate[]) => {
  const outcome = routeHandoff(req, agents);
  return outcome.kind === 'chosen' ? outcome.agent.agentId : undefined;
};

describe('routing', () => {
  it('never offers to an offline or away agent', () => {
    const outcome = routeHandoff(request(), [
      agent('a', { presence: 'offline' }),
      agent('b', { presence: 'away' }),
    ]);
    expect(outcome.kind).toBe('none');
    expect(outcome.reasons).toContain('online (never offline or away): 0 of 2 left');
  });

  it('filters by tier', () => {
    expect(
      pick(request({ target: { kind: 'tier', id: '2' } }), [agent('a'), agent('b', { tiers: ['2'] })]),
    ).toBe('b');
  });

  it('requires skills at their levels', () => {
    const req = request({ requiredSkills: [{ skill: 'billing', minLevel: 4 }] });
    expect(pick(req, [agent('a'), agent('b', { skills: { billing: 4 } })])).toBe('b');
    expect(routeHandoff(req, [agent('a')]).kind).toBe('none');
  });

  it('matches the language on its primary subtag', () => {
    const req = request({ language: 'de-AT' });
    expect(pick(req, [agent('a'), agent('b', { languages: ['de-DE', 'en'] })])).toBe('b');
  });

  it('respects capacity per channel', () => {
    const req = request({ channel: 'email' });
    expect(
      pick(req, [
        agent('a'),
        agent('b', { capacity: { email: 1 }, load: { email: 1 } }),
        agent('c', { capacity: { email: 5 } }),
      ]),
    ).toBe('c');
  });

  it('prefers the least utilised agent, then the least loaded', () => {
    expect(
      pick(request(), [
        agent('a', { load: { web_chat: 2 } }),
        agent('b', { load: { web_chat: 1 } }),
        agent('c', { load: { web_chat: 1, email: 1 } }),
      ]),
    ).toBe('b');
  });

  it("prefers the customer's previous agent when online and qualified, and says so", () => {
    const outcome = routeHandoff(request({ previousAgentId: 'c' }), [
      agent('a'),
      agent('c', { load: { web_chat: 2 } }),
    ]);
    expect(outcome).toMatchObject({ kind: 'chosen', agent: { agentId: 'c' }, previousAgentPreferred: true });
    expect(outcome.reasons.at(-1)).toContain("customer's previous agent");
  });

  it('does not prefer a previous agent who is offline', () => {
    const outcome = routeHandoff(request({ previousAgentId: 'c' }), [
      agent('a'),
      agent('c', { presence: 'offline' }),
    ]);
    expect(outcome).toMatchObject({ kind: 'chosen', agent: { agentId: 'a' }, previousAgentPreferred: false });
    expect(outcome.reasons).toContain('previous agent c not eligible now');
  });

  it('skips excluded agents and takes supervisors only after escalation', () => {
    expect(pick(request({ exclude: ['a'] }), [agent('a'), agent('b')])).toBe('b');
    expect(
      pick(request({ supervisorsOnly: true }), [
        agent('a'),
        agent('s', { supervisor: true, load: { web_chat: 2 } }),
      ]),
    ).toBe('s');
  });

  it('records the team of the target and the number of candidates', () => {
    const outcome = routeHandoff(request(), [
      agent('a', { teams: ['x', 'billing'] }),
      agent('z', { teams: ['x'] }),
    ]);
    expect(outcome).toMatchObject({ kind: 'chosen', teamId: 'billing', candidatesConsidered: 2 });
  });

  it('is deterministic among equals', () => {
    expect(pick(request(), [agent('b'), agent('a')])).toBe('a');
  });
});
