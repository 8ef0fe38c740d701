import type { RecordedEvent } from '@handoff/event-store';
import { openReadModelDataSource, poolOf } from '@handoff/platform';
import { createIsolatedDatabase, type IsolatedDatabase } from '@handoff/testing';
import type { DataSource } from 'typeorm';
import type { HandoffEvent } from '../domain/handoff.events';
import type { AgentEvent } from '../domain/agent.decider';
import { ESCALATION_ENTITIES } from './escalation.entities';
import { escalationProjection } from './escalation.projection';
import { EscalationQueries } from './escalation.queries';
import { ESCALATION_MIGRATIONS } from './escalation.migrations';

let db: IsolatedDatabase;
let dataSource: DataSource;
const project = escalationProjection({ routingRetryMs: 30_000, recoveryDelayMs: 2_000 });
const T = 'tenant-p';
const at = '2026-01-01T10:00:00.000Z';

beforeAll(async () => {
  db = await createIsolatedDatabase('escalation_projection');
  dataSource = await openReadModelDataSource({
    url: db.url,
    schema: 'escalation',
    entities: ESCALATION_ENTITIES,
    migrations: ESCALATION_MIGRATIONS,
  });
});

afterAll(async () => {
  await dataSource?.destroy();
  await db?.drop();
});

let position = 0n;
const recorded = (stream: string, event: HandoffEvent | AgentEvent): RecordedEvent => {
  position += 1n;
  return {
    eventId: `00000000-0000-7000-8000-${position.toString().padStart(12, '0')}`,
    type: event.type,
    schemaVersion: 1,
    data: event.data,
    metadata: {
      tenantId: T,
      ticketId: 'tk-1',
      correlationId: 'c-1',
      actor: { kind: 'system', id: 's' },
      occurredAt: at,
    },
    streamName: stream,
    revision: 0n,
    globalPosition: position,
    recordedAt: new Date(at),
    prevHash: '',
    hash: '',
  };
};

async function apply(event: RecordedEvent): Promise<void> {
  const client = await poolOf(dataSource).connect();
  try {
    await client.query('BEGIN');
    await project(event, client);
    await client.query('COMMIT');
  } finally {
    client.release();
  }
}

type Row = Record<string, unknown>;
const rows = (sql: string): Promise<Row[]> => dataSource.query<Row[]>(sql);
const snapshot = async () => ({
  handoffs: await rows(`SELECT * FROM escalation.handoffs ORDER BY handoff_id`),
  offers: await rows(`SELECT * FROM escalation.handoff_offers ORDER BY offer_id`),
  agents: await rows(`SELECT * FROM escalation.agents ORDER BY agent_id`),
  deadlines: await rows(`SELECT kind, ref, due_at, fired_at FROM escalation.deadlines ORDER BY kind, ref`),
});

describe('escalation read-model projection (PostgreSQL)', () => {
  it('projects a lifecycle with deadlines and agent counters; replaying the handoff events changes nothing', async () => {
    const profile = {
      skills: { billing: 3 },
      languages: ['en'],
      tiers: ['1'],
      teams: ['billing'],
      capacity: { web_chat: 2 },
      supervisor: false,
    };
    await apply(
      recorded('agent-tenant-p@a-1', {
        type: 'AgentRegistered',
        data: { tenantId: T, agentId: 'a-1', profile, at },
      }),
    );
    const events: RecordedEvent[] = [
      recorded('handoff-h-1', {
        type: 'HandoffRequested',
        data: {
          handoffId: 'h-1',
          tenantId: T,
          ticketId: 'tk-1',
          handoffType: 'ai_to_human',
          from: { kind: 'bot', id: 'b' },
          to: { kind: 'team', id: 'billing' },
          reasonCode: 'r',
          priority: 'normal',
          requestedBy: { kind: 'bot', id: 'b' },
          conversationPosition: '4',
          requiredSkills: [],
          requestedAt: at,
          briefDeadline: '2026-01-01T10:00:30.000Z',
        },
      }),
      recorded('handoff-h-1', {
        type: 'HandoffOffered',
        data: {
          handoffId: 'h-1',
          offerId: 'o-1',
          agent: { agentId: 'a-1' },
          teamId: 'billing',
          withoutBrief: true,
          offeredAt: at,
          expiresAt: '2026-01-01T10:02:00.000Z',
          attempt: 1,
          routing: { reasons: ['x'], candidatesConsidered: 1, previousAgentPreferred: false },
        },
      }),
      recorded('handoff-h-1', {
        type: 'HandoffDeclined',
        data: { handoffId: 'h-1', offerId: 'o-1', agent: { agentId: 'a-1' }, reasonCode: 'busy', at },
      }),
    ];
    for (const event of events) await apply(event);
    const once = await snapshot();
    expect(once.handoffs[0]).toMatchObject({ status: 'requested', holds_capacity: false, attempts: 1 });
    expect(once.offers[0]).toMatchObject({ status: 'declined', answer_reason: 'busy', without_brief: true });
    expect(once.agents[0]).toMatchObject({ offers: 1, declines: 0 + 1 });
    expect(once.deadlines.map((d) => String(d['kind'])).sort()).toEqual([
      'acceptance',
      'brief_timeout',
      'progress',
      'progress',
    ]);

    for (const event of events) await apply(event);
    expect(await snapshot()).toEqual(once);
  });

  it('counts offered and accepted handoffs as agent load per channel', async () => {
    const queries = new EscalationQueries(dataSource, { acceptanceTimeoutSeconds: 120, maxExpiries: 3 });
    await apply(
      recorded('handoff-h-1', {
        type: 'HandoffOffered',
        data: {
          handoffId: 'h-1',
          offerId: 'o-2',
          agent: { agentId: 'a-1' },
          withoutBrief: false,
          offeredAt: at,
          expiresAt: '2026-01-01T10:02:00.000Z',
          attempt: 2,
          routing: { reasons: [], candidatesConsidered: 1, previousAgentPreferred: false },
        },
      }),
    );
    const [candidate] = await queries.routingCandidates(T);
    expect(candidate).toMatchObject({ agentId: 'a-1', load: { web_chat: 1 }, capacity: { web_chat: 2 } });
    expect(await queries.routingCandidates('another-tenant')).toEqual([]);
  });
});
