import { createIsolatedDatabase, type IsolatedDatabase } from '@handoff/testing';
import type { DataSource } from 'typeorm';
import type { Pool } from 'pg';
import { openInsightsReadModels } from '../bootstrap';
import { poolOf } from '@handoff/platform';
import { toInsightFact, type InsightFact } from '../messaging/public-event-to-fact.mapper';
import { scriptedTickets } from '../testing/scripted-tickets.fixtures';
import { recordFact } from './ticket-fact.store';
import { TicketInsightDeriver } from './ticket-insight.deriver';
import { DERIVED_TABLES } from './ticket-insight.rows';

const TENANT = 'deriver-tenant';
const facts: InsightFact[] = scriptedTickets(TENANT, Date.parse('2026-03-02T09:00:00.000Z'))
  .map((e) => toInsightFact(e.event))
  .filter((f): f is InsightFact => f !== null);

describe('TicketInsightDeriver on PostgreSQL', () => {
  let db: IsolatedDatabase;
  let dataSource: DataSource;
  let pool: Pool;
  let deriver: TicketInsightDeriver;

  beforeAll(async () => {
    db = await createIsolatedDatabase('insights_deriver');
    dataSource = await openInsightsReadModels(db.url, 3);
    pool = poolOf(dataSource);
    deriver = new TicketInsightDeriver({ pool });
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  async function record(list: InsightFact[], deriveEvery = 0): Promise<void> {
    for (const [i, fact] of list.entries()) {
      const client = await pool.connect();
      try {
        await recordFact(client, fact);
      } finally {
        client.release();
      }
      // Deriving part-way through: a ticket is derived again as its later facts arrive.
      if (deriveEvery > 0 && i % deriveEvery === 0) await deriver.drain();
    }
    await deriver.drain();
  }

  async function snapshot(): Promise<Record<string, unknown[]>> {
    const tables: Record<string, unknown[]> = {};
    for (const table of DERIVED_TABLES)
      tables[table] = (await pool.query(`SELECT * FROM insights.${table} ORDER BY 1, 2, 3`)).rows;
    // Roll-up rows a ticket passed through on the way may remain at zero: they add nothing.
    tables['handoff_daily'] = (
      await pool.query('SELECT * FROM insights.handoff_daily WHERE handoffs <> 0 ORDER BY 1, 2, 3, 4, 5')
    ).rows;
    tables['ticket_intent_daily'] = (
      await pool.query('SELECT * FROM insights.ticket_intent_daily WHERE n <> 0 ORDER BY 1, 2, 3, 4')
    ).rows;
    return tables;
  }

  async function empty(): Promise<void> {
    await pool.query(
      `TRUNCATE insights.ticket_facts, insights.pending_derivations, insights.agent_presence,
         insights.handoff_daily, insights.ticket_intent_daily, insights.derivation_failures, ${DERIVED_TABLES.map((t) => `insights.${t}`).join(', ')}`,
    );
  }

  it('derives the same rows whatever order the facts arrive in, deriving part-way or not', async () => {
    await record(facts);
    const inOrder = await snapshot();
    expect(inOrder['handoffs']).toHaveLength(4);
    expect(inOrder['tickets']).toHaveLength(4);
    // One day; per dimension: all (refund 3, none 1), edge (bot→tier1 refund, tier1→tier2 refund and
    // none), team (tier1, tier2 refund, tier2 none), agent (maya, omar refund, omar none), sender (bot,
    // maya refund, maya none), channel (web_chat refund, email none).
    expect(inOrder['handoff_daily']).toHaveLength(2 + 3 + 3 + 3 + 3 + 2);

    await empty();
    await record([...facts].reverse(), 7);
    expect(await snapshot()).toEqual(inOrder);

    await empty();
    const odd = facts.filter((_, i) => i % 2 === 1);
    const even = facts.filter((_, i) => i % 2 === 0);
    await record([...odd, ...even], 3);
    expect(await snapshot()).toEqual(inOrder);
  });

  it('changes nothing when a fact is recorded again (a redelivered event)', async () => {
    const before = await snapshot();
    await record(facts.slice(0, 10));
    const pending = await pool.query('SELECT count(*)::int AS n FROM insights.pending_derivations');
    expect(pending.rows[0]).toEqual({ n: 0 });
    expect(await snapshot()).toEqual(before);
  });

  it('parks a ticket whose derivation fails and derives the others of its batch', async () => {
    await empty();
    // A fact no date can represent: deriving its ticket throws (a stand-in for any poison ticket).
    await pool.query(
      `INSERT INTO insights.ticket_facts (tenant_id, ticket_id, event_id, kind, at, fact)
       VALUES ($1, 'poison', 'e-poison', 'ticket-opened', now(), $2::jsonb)`,
      [
        TENANT,
        JSON.stringify({
          eventId: 'e-poison',
          at: 9e15,
          kind: 'ticket-opened',
          channel: 'email',
          customerId: 'c',
        }),
      ],
    );
    await pool.query(`INSERT INTO insights.pending_derivations VALUES ($1, 'poison', 'e-poison')`, [TENANT]);
    await record(facts);
    const failures = await pool.query('SELECT tenant_id, ticket_id FROM insights.derivation_failures');
    expect(failures.rows).toEqual([{ tenant_id: TENANT, ticket_id: 'poison' }]);
    const tickets = await pool.query('SELECT ticket_id FROM insights.tickets ORDER BY 1');
    expect(tickets.rows.map((r: { ticket_id: string }) => r.ticket_id)).toEqual([
      'ticket-a',
      'ticket-b',
      'ticket-c',
      'ticket-d',
    ]);
    const pending = await pool.query('SELECT count(*)::int AS n FROM insights.pending_derivations');
    expect(pending.rows[0]).toEqual({ n: 0 });
  });
});
