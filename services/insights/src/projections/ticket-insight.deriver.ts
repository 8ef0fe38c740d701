import type { Pool, PoolClient } from 'pg';
import type { TicketFact } from '../domain/ticket-fact';
import { deriveTicketInsight } from '../domain/ticket-insight';
import { APPLY_HANDOFF_ROLLUP, APPLY_TICKET_ROLLUP } from './daily-rollups';
import { DERIVED_TABLES, insightRows, type DerivedTable } from './ticket-insight.rows';

/** Options of {@link TicketInsightDeriver}. */
export interface TicketInsightDeriverOptions {
  pool: Pool;
  /** Most tickets derived per transaction. */
  batchTickets?: number;
  /** Pause when nothing is pending. */
  idleMs?: number;
  /** Called after each committed batch with the number of tickets derived. */
  onDerived?: (tickets: number) => void;
  /** Called when a batch fails (it is rolled back and retried after `idleMs`). */
  onError?: (error: unknown) => void;
}

// One deriver at a time across every replica: two deriving the same ticket concurrently could commit
// an older view last. Others skip the batch instead of waiting (try-lock).
const DERIVER_LOCK = `SELECT pg_try_advisory_xact_lock(hashtext('insights.ticket-insight-deriver')) AS locked`;

// Takes the pending marks of up to $1 tickets. Marks committed after this statement stay pending, so
// a fact arriving during a derivation is derived again in a later batch: nothing is ever missed.
const TAKE_PENDING = `
  WITH picked AS (
    SELECT DISTINCT tenant_id, ticket_id FROM (
      SELECT tenant_id, ticket_id FROM insights.pending_derivations LIMIT $1 * 20) p
    LIMIT $1)
  DELETE FROM insights.pending_derivations d USING picked
  WHERE d.tenant_id = picked.tenant_id AND d.ticket_id = picked.ticket_id
  RETURNING d.tenant_id, d.ticket_id`;

const TAKE_PENDING_OF = `
  DELETE FROM insights.pending_derivations WHERE tenant_id = $1 AND ticket_id = $2
  RETURNING tenant_id, ticket_id`;

interface Key {
  tenantId: string;
  ticketId: string;
}

const TICKETS_OF = `FROM unnest($1::text[], $2::text[]) AS k (tenant_id, ticket_id)`;

/**
 * Recomputes the derived rows of the tickets that received facts: loads all facts of a batch of
 * tickets, derives each ticket with the pure `deriveTicketInsight`, and rewrites the ticket's rows in
 * every derived table, in one transaction. Since the derived rows are a function of the set of facts
 * only, the figures do not depend on the order events arrived in, across topics or partitions, and a
 * replay into an empty schema reproduces them exactly.
 */
export class TicketInsightDeriver {
  private readonly batchTickets: number;
  private readonly idleMs: number;
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(private readonly options: TicketInsightDeriverOptions) {
    this.batchTickets = options.batchTickets ?? 200;
    this.idleMs = options.idleMs ?? 25;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Stops after the batch in flight (which commits or rolls back as a whole). */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  /**
   * Derives one batch; the number of tickets derived (0 when nothing was pending or another deriver
   * runs). When the batch fails, its tickets are derived one by one, and a ticket that fails alone
   * is parked in `derivation_failures` (its pending marks removed), so one bad ticket never stalls
   * the others; a later fact of that ticket marks it again and retries it.
   */
  async deriveBatch(): Promise<number> {
    const attempted: Key[] = [];
    try {
      return await this.inTransaction((client) => this.deriveIn(client, undefined, attempted));
    } catch (error) {
      if (attempted.length === 0) throw error;
      this.options.onError?.(error);
      let derived = 0;
      for (const key of attempted) {
        try {
          derived += await this.inTransaction((client) => this.deriveIn(client, key));
        } catch (ticketError) {
          this.options.onError?.(ticketError);
          await this.inTransaction(async (client) => {
            await client.query(
              `DELETE FROM insights.pending_derivations WHERE tenant_id = $1 AND ticket_id = $2`,
              [key.tenantId, key.ticketId],
            );
            await client.query(
              `INSERT INTO insights.derivation_failures (tenant_id, ticket_id, error) VALUES ($1, $2, $3)
               ON CONFLICT (tenant_id, ticket_id) DO UPDATE SET error = excluded.error, failed_at = now()`,
              [key.tenantId, key.ticketId, String(ticketError).slice(0, 2000)],
            );
            return 0;
          });
        }
      }
      return derived;
    }
  }

  private async inTransaction(work: (client: PoolClient) => Promise<number>): Promise<number> {
    const client = await this.options.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      try {
        const result = await work(client);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch((rollbackError: unknown) => {
          broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
        });
        throw error;
      }
    } finally {
      client.release(broken);
    }
  }

  /**
   * Derives until nothing committed is pending (tests, benchmarks, the rebuild). Another deriver may
   * hold the lock meanwhile: then this waits for it to empty the queue.
   */
  async drain(): Promise<void> {
    for (;;) {
      if ((await this.deriveBatch()) > 0) continue;
      const { rows } = await this.options.pool.query<{ pending: boolean }>(
        'SELECT EXISTS (SELECT 1 FROM insights.pending_derivations) AS pending',
      );
      if (!rows[0]?.pending) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  private async deriveIn(client: PoolClient, only?: Key, attempted?: Key[]): Promise<number> {
    const lock = await client.query<{ locked: boolean }>(DERIVER_LOCK);
    if (!lock.rows[0]?.locked) return 0;
    const taken = only
      ? await client.query<{ tenant_id: string; ticket_id: string }>(TAKE_PENDING_OF, [
          only.tenantId,
          only.ticketId,
        ])
      : await client.query<{ tenant_id: string; ticket_id: string }>(TAKE_PENDING, [this.batchTickets]);
    const keys = new Map<string, Key>();
    for (const r of taken.rows)
      keys.set(`${r.tenant_id}\u0000${r.ticket_id}`, { tenantId: r.tenant_id, ticketId: r.ticket_id });
    if (keys.size === 0) return 0;
    attempted?.push(...keys.values());
    const tenants = [...keys.values()].map((k) => k.tenantId);
    const tickets = [...keys.values()].map((k) => k.ticketId);

    const facts = await client.query<{ tenant_id: string; ticket_id: string; fact: TicketFact }>(
      `SELECT f.tenant_id, f.ticket_id, f.fact FROM insights.ticket_facts f
       JOIN (SELECT * ${TICKETS_OF}) k ON f.tenant_id = k.tenant_id AND f.ticket_id = k.ticket_id`,
      [tenants, tickets],
    );
    const factsByTicket = new Map<string, TicketFact[]>();
    for (const r of facts.rows) {
      const key = `${r.tenant_id}\u0000${r.ticket_id}`;
      const list = factsByTicket.get(key);
      if (list) list.push(r.fact);
      else factsByTicket.set(key, [r.fact]);
    }

    const rows = Object.fromEntries(DERIVED_TABLES.map((t) => [t, [] as unknown[]])) as Record<
      DerivedTable,
      unknown[]
    >;
    for (const [key, { tenantId, ticketId }] of keys) {
      const ticketFacts = factsByTicket.get(key) ?? [];
      if (ticketFacts.length === 0) continue;
      const derived = insightRows(tenantId, ticketId, deriveTicketInsight(ticketFacts));
      for (const table of DERIVED_TABLES) rows[table].push(...derived[table]);
    }
    // The roll-ups lose the old rows' contribution and gain the new rows' one, in this transaction.
    const rollups = async (sign: 1 | -1) => {
      await client.query(APPLY_HANDOFF_ROLLUP, [sign, tenants, tickets]);
      await client.query(APPLY_TICKET_ROLLUP, [sign, tenants, tickets]);
    };
    await rollups(-1);
    for (const table of DERIVED_TABLES) {
      await client.query(
        `DELETE FROM insights.${table} t USING (SELECT * ${TICKETS_OF}) k
         WHERE t.tenant_id = k.tenant_id AND t.ticket_id = k.ticket_id`,
        [tenants, tickets],
      );
      if (rows[table].length > 0) {
        await client.query(
          `INSERT INTO insights.${table}
           SELECT * FROM jsonb_populate_recordset(NULL::insights.${table}, $1::jsonb)
           ON CONFLICT DO NOTHING`,
          [JSON.stringify(rows[table])],
        );
      }
    }
    await rollups(1);
    this.options.onDerived?.(keys.size);
    return keys.size;
  }

  private async run(): Promise<void> {
    while (this.running) {
      let derived = 0;
      try {
        derived = await this.deriveBatch();
      } catch (error) {
        this.options.onError?.(error);
      }
      if (derived === 0 && this.running) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.idleMs);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = undefined;
      }
    }
  }
}
