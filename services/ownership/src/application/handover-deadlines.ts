import { PeriodicTask } from '@handoff/platform';
import type { Pool } from 'pg';
import { OwnershipError } from '../domain/ownership.errors';
import type { Clock } from './ownership.ports';
import type { OwnershipCommands } from './ownership.commands.service';

/**
 * The durable acknowledgement deadlines of shift handovers: rows of `ownership.handovers` (written by
 * the projection from `ShiftHandoverRequested`) polled by due time. A due row is locked (SKIP LOCKED,
 * so replicas share the work), escalated, and marked fired in the same transaction; the decider
 * ignores a handover that is no longer pending, so a crash between the append and the commit fires
 * nothing twice. Rows survive restarts, so a deadline that passed while the service was down fires
 * at the next poll.
 */
export class HandoverDeadlines {
  private readonly task: PeriodicTask;

  constructor(
    private readonly pool: Pool,
    private readonly commands: OwnershipCommands,
    private readonly clock: Clock,
    intervalMs: number,
    private readonly onError: (error: unknown) => void,
  ) {
    this.task = new PeriodicTask((stopping) => this.fireDue(undefined, stopping), { intervalMs, onError });
  }

  start(): void {
    this.task.start();
  }

  stop(): Promise<void> {
    return this.task.stop();
  }

  /** Escalates every due handover; returns how many were fired. */
  async fireDue(batch = 50, stopping?: AbortSignal): Promise<number> {
    let fired = 0;
    for (;;) {
      const client = await this.pool.connect();
      try {
        await client.query('BEGIN');
        const { rows } = await client.query<{ tenant_id: string; handover_id: string; ticket_id: string }>(
          `SELECT tenant_id, handover_id, ticket_id FROM ownership.handovers
            WHERE status = 'pending' AND deadline_fired_at IS NULL AND acknowledge_by <= $1
            ORDER BY acknowledge_by LIMIT $2 FOR UPDATE SKIP LOCKED`,
          [this.clock.now().toISOString(), batch],
        );
        for (const row of rows) {
          try {
            await this.commands.escalateHandover(
              {
                tenantId: row.tenant_id,
                actor: { kind: 'system', id: 'handover-deadlines' },
                correlationId: `handover-deadline:${row.handover_id}`,
              },
              row.ticket_id,
              row.handover_id,
            );
          } catch (error) {
            // A rule refusing the escalation will refuse it at every poll: record the deadline as
            // handled instead of retrying it forever. Infrastructure errors roll back and retry.
            if (!(error instanceof OwnershipError)) throw error;
            this.onError(error);
          }
          await client.query(
            `UPDATE ownership.handovers SET deadline_fired_at = $3 WHERE tenant_id = $1 AND handover_id = $2`,
            [row.tenant_id, row.handover_id, this.clock.now().toISOString()],
          );
          fired++;
        }
        await client.query('COMMIT');
        if (rows.length < batch || stopping?.aborted) return fired;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    }
  }
}
