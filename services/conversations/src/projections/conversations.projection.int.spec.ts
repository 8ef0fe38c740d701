import type { RecordedEvent } from '@handoff/event-store';
import { openReadModelDataSource, poolOf } from '@handoff/platform';
import { createIsolatedDatabase, type IsolatedDatabase } from '@handoff/testing';
import type { DataSource } from 'typeorm';
import type { TicketEvent } from '../domain/ticket.decider';
import { projectOwnEvent } from './conversations.projection';
import { ConversationsReadModel } from './read-model.queries';
import { READ_MODEL_ENTITIES } from './read-model.entities';
import { READ_MODEL_MIGRATIONS } from './read-model.migrations';
import { READ_MODEL_SCHEMA } from './read-model.schema';

let db: IsolatedDatabase;
let dataSource: DataSource;

beforeAll(async () => {
  db = await createIsolatedDatabase('conversations_projection');
  dataSource = await openReadModelDataSource({
    url: db.url,
    schema: READ_MODEL_SCHEMA,
    entities: READ_MODEL_ENTITIES,
    migrations: READ_MODEL_MIGRATIONS,
  });
});

afterAll(async () => {
  await dataSource?.destroy();
  await db?.drop();
});

let position = 0n;
const recorded = (event: TicketEvent, at: string): RecordedEvent => ({
  eventId: `00000000-0000-7000-8000-${(position += 1n).toString().padStart(12, '0')}`,
  type: event.type,
  schemaVersion: 1,
  data: event.data,
  metadata: {
    tenantId: 'tenant-a',
    ticketId: 't1',
    correlationId: 'c',
    actor: { kind: 'customer', id: 'cust-1' },
    occurredAt: at,
  },
  streamName: 'ticket-t1',
  revision: position - 1n,
  globalPosition: position,
  recordedAt: new Date(at),
  prevHash: '',
  hash: '',
});

async function apply(events: RecordedEvent[]) {
  const client = await poolOf(dataSource).connect();
  try {
    await client.query('BEGIN');
    for (const event of events) await projectOwnEvent(event, client);
    await client.query('COMMIT');
  } finally {
    client.release();
  }
}

describe('conversations read model (real PostgreSQL)', () => {
  it('projects a ticket and its messages, and replaying the events changes nothing', async () => {
    const events = [
      recorded(
        {
          type: 'TicketOpened',
          data: {
            ticketId: 't1',
            tenantId: 'tenant-a',
            customerId: 'cust-1',
            channel: 'instagram',
            openedBy: { kind: 'customer', id: 'cust-1' },
          },
        },
        '2026-11-29T10:00:00.000Z',
      ),
      ...[1, 2].map((sequence) =>
        recorded(
          {
            type: 'MessageReceived',
            data: {
              ticketId: 't1',
              messageId: `m${sequence}`,
              sequence,
              customerId: 'cust-1',
              channel: sequence === 1 ? 'instagram' : 'whatsapp',
              channelMessageId: `cm${sequence}`,
              channelThreadId: `thread-${sequence}`,
              sender: { kind: 'customer', id: 'cust-1' },
              text: `hello ${sequence}`,
              attachments: [],
              sentAt: '2026-11-29T09:59:00.000Z',
            },
          },
          `2026-11-29T10:00:0${sequence}.000Z`,
        ),
      ),
    ];
    const readModel = new ConversationsReadModel(dataSource);
    await apply(events);
    const once = {
      ticket: await readModel.ticket('tenant-a', 't1'),
      page: await readModel.timeline('tenant-a', 't1', 10),
    };
    await apply(events);
    const twice = {
      ticket: await readModel.ticket('tenant-a', 't1'),
      page: await readModel.timeline('tenant-a', 't1', 10),
    };
    expect(twice).toEqual(once);
    expect(once.ticket).toMatchObject({
      status: 'open',
      messageCount: 2,
      channels: ['instagram', 'whatsapp'],
    });
    expect(once.page.items.map((i) => i.kind)).toEqual([
      'TicketOpened',
      'MessageReceived',
      'MessageReceived',
    ]);
    expect(await readModel.ticketForThread('tenant-a', 'whatsapp', 'thread-2')).toMatchObject({
      ticketId: 't1',
    });
    // Another tenant sees nothing of it.
    expect(await readModel.ticket('tenant-b', 't1')).toBeUndefined();
    expect((await readModel.timeline('tenant-b', 't1', 10)).items).toEqual([]);
  });
});
