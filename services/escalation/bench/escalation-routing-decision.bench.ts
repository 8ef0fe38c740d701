import { defineBenchmark, percentiles } from '@handoff/testing';
import { routeHandoff, type RoutingCandidate, type RoutingRequest } from '../src/domain/routing';

const AGENTS = 1000;
const DECISIONS = 20_000;

/** A deterministic pseudo-random sequence (no Math.random: the figures must be reproducible). */
function lcg(seed: number) {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

function agents(): RoutingCandidate[] {
  const random = lcg(42);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  return Array.from({ length: AGENTS }, (_, i) => ({
    agentId: `agent-${i}`,
    presence: pick(['online', 'online', 'online', 'away', 'offline'] as const),
    active: true,
    supervisor: random() < 0.05,
    tiers: [pick(['1', '1', '2', '3'])],
    teams: [pick(['billing', 'tech', 'sales', 'returns']), pick(['emea', 'amer', 'apac'])],
    skills: {
      billing: 1 + Math.floor(random() * 5),
      networking: 1 + Math.floor(random() * 5),
      refunds: 1 + Math.floor(random() * 5),
    },
    languages: random() < 0.3 ? ['en', 'de'] : ['en'],
    capacity: { web_chat: 3, email: 10, whatsapp: 2 },
    load: { web_chat: Math.floor(random() * 4), email: Math.floor(random() * 11) },
  }));
}

/**
 * Time of one routing decision over 1,000 agents (filters with reasons, previous-agent preference,
 * least-utilised choice), against one plain pass filtering the same agents by presence.
 */
export default defineBenchmark({
  name: 'escalation-routing-decision',
  description: `routing decision over ${AGENTS} agents (${DECISIONS} decisions) vs one presence filter pass`,
  needs: [],
  run(ctx) {
    const pool = agents();
    const requests: RoutingRequest[] = [
      {
        target: { kind: 'team', id: 'billing' },
        requiredSkills: [{ skill: 'billing', minLevel: 3 }],
        channel: 'web_chat',
        exclude: [],
        supervisorsOnly: false,
      },
      {
        target: { kind: 'tier', id: '2' },
        requiredSkills: [{ skill: 'networking', minLevel: 4 }],
        language: 'de',
        channel: 'email',
        previousAgentId: 'agent-17',
        exclude: ['agent-3'],
        supervisorsOnly: false,
      },
      {
        target: { kind: 'team', id: 'emea' },
        requiredSkills: [],
        channel: 'whatsapp',
        exclude: [],
        supervisorsOnly: true,
      },
    ];
    // Warm-up (JIT) before measuring.
    for (let i = 0; i < 2000; i++) routeHandoff(requests[i % requests.length] as RoutingRequest, pool);
    const decide: number[] = [];
    const baseline: number[] = [];
    let chosen = 0;
    for (let i = 0; i < DECISIONS; i++) {
      const request = requests[i % requests.length] as RoutingRequest;
      const t0 = process.hrtime.bigint();
      const outcome = routeHandoff(request, pool);
      const t1 = process.hrtime.bigint();
      const online = pool.filter((a) => a.presence === 'online').length;
      const t2 = process.hrtime.bigint();
      if (outcome.kind === 'chosen') chosen += 1;
      if (online < 0) throw new Error('unreachable');
      decide.push(Number(t1 - t0) / 1e6);
      baseline.push(Number(t2 - t1) / 1e6);
    }
    const d = percentiles(decide);
    const b = percentiles(baseline);
    ctx.log(
      `${chosen} of ${DECISIONS} decisions chose an agent; p50 ${d.median.toFixed(3)} ms, p99 ${d.p99.toFixed(3)} ms`,
    );
    const note = `${AGENTS} agents (60% online, 4 teams × 3 regions, 3 tiers, 3 skills, 2 languages), 3 request shapes; baseline: one Array.filter by presence over the same agents`;
    ctx.record({
      metric: 'routing decision, p50',
      unit: 'ms',
      value: d.median,
      baseline: b.median,
      higherIsBetter: false,
      ...d,
      note,
    });
    ctx.record({
      metric: 'routing decision, p99',
      unit: 'ms',
      value: d.p99,
      baseline: b.p99,
      higherIsBetter: false,
      ...d,
      note,
    });
    return Promise.resolve();
  },
});
