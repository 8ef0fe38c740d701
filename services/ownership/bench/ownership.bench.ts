import { PostgresEventStore, uuidV7, type EventStore, type NewEvent } from '@handoff/event-store';
import { ProjectionRunner } from '@handoff/messaging';
import { openReadModelDataSource, poolOf } from '@handoff/platform';
import { defineBenchmark, elapsedMs, inParallel, percentiles } from '@handoff/testing';
import { OwnershipQueries, replayEvents } from '../src/application/ownership.queries';
import { streamOf } from '../src/application/ownership-command.bus';
import { createOwnershipDecider } from '../src/domain/ownership.decider';
import type { OwnershipCommand } from '../src/domain/ownership.commands';
import type { OwnershipEvent } from '../src/domain/ownership.events';
import type { OwnershipState } from '../src/domain/ownership.state';
import { OWNERSHIP_ENTITIES } from '../src/projections/ownership.entities';
import { OwnershipReadModels1764460800000 } from '../src/projections/migrations/1764460800000-ownership-read-models';
import { projectOwnershipEvent } from '../src/projections/ownership.projector';

// Sizes are settings so a smaller machine can run the same benchmark; defaults are the issue's.
const REPLAY_EVENTS = Number(process.env['OWNERSHIP_BENCH_EVENTS'] ?? 1_000_000);
const EVENTS_PER_TICKET = Number(process.env['OWNERSHIP_BENCH_EVENTS_PER_TICKET'] ?? 100);
const OWNER_CHANGES = Number(process.env['OWNERSHIP_BENCH_OWNER_CHANGES'] ?? 1_000);
const AS_OF_QUERIES = 2_000;
const PAGE = 5_000;
const ROUNDS = 3;
const TENANT = 'tenant-bench';
const START = Date.UTC(2026, 0, 1);

const decider = createOwnershipDecider({ windowSeconds: 3600, maxChangesInWindow: 1_000_000 });
const clock = { now: () => new Date(START + 365 * 86_400_000) };

/** The events of a ticket opened by the bot and then transferred `changes` times round a few agents. */
function ticketEvents(ticketId: string, changes: number): OwnershipEvent[] {
  let state: OwnershipState = decider.initialState();
  const events: OwnershipEvent[] = [];
  const run = (command: OwnershipCommand) => {
    const decided = decider.decide(command, state);
    state = decided.reduce(decider.evolve, state);
    events.push(...decided);
  };
  const base = (minute: number) => ({
    tenantId: TENANT,
    ticketId,
    at: new Date(START + minute * 60_000).toISOString(),
    actor: { kind: 'supervisor' as const, id: 'sup' },
  });
  run({ type: 'OpenOwnership', ...base(0), firstOwner: { kind: 'bot', id: 'bot' } });
  for (let i = 1; events.length < changes + 2; i++) {
    const agentId = `agent-${i % 7}`;
    run({
      type: 'TransferOwnership',
      ...base(i),
      to: { agentId, agent: { agentId, active: true, presence: 'online', teamId: `team-${i % 3}` } },
      reason: 'rebalancing the queue',
    });
  }
  return events;
}

const toNew = (event: OwnershipEvent): NewEvent => ({
  eventId: uuidV7(),
  type: event.type,
  data: event.data,
  metadata: {
    tenantId: TENANT,
    ticketId: event.data.ticketId,
    correlationId: 'bench',
    actor: { kind: 'supervisor', id: 'sup' },
    occurredAt: event.data.at,
  },
});

async function appendTicket(store: EventStore, ticketId: string, events: OwnershipEvent[]): Promise<bigint> {
  let position = 0n;
  for (let from = 0; from < events.length; from += 1_000) {
    const result = await store.append(streamOf(ticketId), events.slice(from, from + 1_000).map(toNew), {
      expectedRevision: from === 0 ? 'no-stream' : BigInt(from - 1),
    });
    position = result.position;
  }
  return position;
}

/**
 * Owner-as-of latency on a ticket with 1,000 owner changes (vs the current-owner lookup); replay of
 * the ownership events (fold per stream + NDJSON line per event) vs a plain paged read of the same
 * events in the same run; hash-chain verification of the same events.
 */
export default defineBenchmark({
  name: 'ownership',
  description: `owner-as-of with ${OWNER_CHANGES} owner changes; replay and verify of ${REPLAY_EVENTS.toLocaleString('en')} ownership events`,
  needs: ['postgres'],
  async run(ctx) {
    const db = await ctx.createDatabase('ownership_bench');
    const dataSource = await openReadModelDataSource({
      url: db.url,
      schema: 'ownership',
      entities: OWNERSHIP_ENTITIES,
      migrations: [OwnershipReadModels1764460800000],
      poolSize: 8,
    });
    const pool = poolOf(dataSource);
    const store = new PostgresEventStore({ connection: pool, schema: 'ownership_events' });
    await store.init();
    try {
      // ---- owner as of T on one ticket with OWNER_CHANGES changes, through the real projection
      const busy = ticketEvents('ticket-busy', OWNER_CHANGES);
      const last = await appendTicket(store, 'ticket-busy', busy);
      const projection = new ProjectionRunner({
        name: 'bench',
        store,
        categories: ['ownership'],
        pool,
        schema: 'ownership',
        apply: projectOwnershipEvent,
      });
      await projection.init();
      await projection.start();
      await projection.waitFor(last, 120_000);
      await projection.stop();
      const queries = new OwnershipQueries(pool, store, decider, clock);
      const span = (busy.length + 1) * 60_000;
      const asOfMs: number[] = [];
      const currentMs: number[] = [];
      for (let i = 0; i < AS_OF_QUERIES; i++) {
        const at = new Date(START + ((i * 7919) % span));
        asOfMs.push(await elapsedMs(() => queries.ownerAsOf(TENANT, 'ticket-busy', at)));
        currentMs.push(await elapsedMs(() => queries.currentOwner(TENANT, 'ticket-busy')));
      }
      const asOf = percentiles(asOfMs);
      const current = percentiles(currentMs);
      ctx.record({
        metric: 'owner-as-of query p50',
        unit: 'ms',
        value: asOf.median,
        baseline: current.median,
        higherIsBetter: false,
        median: asOf.median,
        p95: asOf.p95,
        p99: asOf.p99,
        note: `${AS_OF_QUERIES} as-of queries at spread instants on a ticket with ${OWNER_CHANGES} owner changes (segments index); baseline: current-owner primary-key lookup, same loop`,
      });
      ctx.record({
        metric: 'owner-as-of query p99',
        unit: 'ms',
        value: asOf.p99,
        baseline: current.p99,
        higherIsBetter: false,
        note: 'same runs as the p50 figure',
      });

      // ---- bulk ownership events for replay and verify
      const tickets = Math.ceil(REPLAY_EVENTS / EVENTS_PER_TICKET);
      const template = ticketEvents('template', EVENTS_PER_TICKET - 2);
      const setupMs = await elapsedMs(() =>
        inParallel(tickets, 4, (t) => {
          const ticketId = `ticket-${t}`;
          const events = template.map((e) => ({ ...e, data: { ...e.data, ticketId } }) as OwnershipEvent);
          return appendTicket(store, ticketId, events);
        }),
      );
      const total = tickets * template.length + busy.length;
      ctx.log(`appended ${total.toLocaleString('en')} events in ${(setupMs / 1000).toFixed(1)} s`);

      const replayRates: number[] = [];
      const plainRates: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const sides = [
          async () => {
            let count = 0;
            let bytes = 0;
            const ms = await elapsedMs(async () => {
              for await (const step of replayEvents(store, decider, -1n, PAGE, () => 'emit')) {
                bytes += JSON.stringify(step).length + 1;
                count++;
              }
            });
            if (count !== total) throw new Error(`replay saw ${count} of ${total}`);
            replayRates.push((count / ms) * 1000);
            ctx.log(
              `round ${round}: replay ${((count / ms) * 1000).toFixed(0)} events/s (${(bytes / 1e6).toFixed(0)} MB NDJSON)`,
            );
          },
          async () => {
            let count = 0;
            const ms = await elapsedMs(async () => {
              let position: bigint | undefined;
              for (;;) {
                const page = await store.readAll({
                  ...(position === undefined ? {} : { fromPosition: position }),
                  maxCount: PAGE,
                });
                count += page.length;
                position = page[page.length - 1]?.globalPosition ?? position;
                if (page.length < PAGE) break;
              }
            });
            if (count !== total) throw new Error(`plain read saw ${count} of ${total}`);
            plainRates.push((count / ms) * 1000);
            ctx.log(`round ${round}: plain read ${((count / ms) * 1000).toFixed(0)} events/s`);
          },
        ];
        if (round % 2 === 1) sides.reverse();
        for (const side of sides) await side();
      }
      ctx.record({
        metric: 'audit replay',
        unit: 'events/s',
        value: percentiles(replayRates).median,
        baseline: percentiles(plainRates).median,
        higherIsBetter: true,
        targetRatio: 0.5,
        note: `${total.toLocaleString('en')} events in ${tickets + 1} streams, median of ${ROUNDS} alternating rounds; replay: readAll pages of ${PAGE} + evolve per stream + one NDJSON line (state after) per event; baseline: the same readAll pages, nothing else`,
      });

      const verifyRates: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        let verified = 0;
        const ms = await elapsedMs(() =>
          inParallel(tickets + 1, 4, async (t) => {
            const result = await store.verifyStream(streamOf(t === tickets ? 'ticket-busy' : `ticket-${t}`));
            if (!result.ok) throw new Error(`verify failed: ${JSON.stringify(result)}`);
            verified += result.events;
          }),
        );
        verifyRates.push((verified / ms) * 1000);
        ctx.log(`round ${round}: verify ${((verified / ms) * 1000).toFixed(0)} events/s`);
      }
      ctx.record({
        metric: 'hash-chain verify',
        unit: 'events/s',
        value: percentiles(verifyRates).median,
        baseline: percentiles(plainRates).median,
        higherIsBetter: true,
        note: `verifyStream of every stream (4 in parallel), median of ${ROUNDS}; baseline: the plain paged read above (no target in the issue)`,
      });
    } finally {
      await store.close();
      await dataSource.destroy();
    }
  },
});
