import type { RecordedEvent } from '@handoff/event-store';
import { openReadModelDataSource, poolOf } from '@handoff/platform';
import { createIsolatedDatabase, type IsolatedDatabase } from '@handoff/testing';
import type { PoolClient } from 'pg';
import type { DataSource } from 'typeorm';
import type { CustomerEvent } from '../domain/customer.decider';
import type { TicketEvent } from '../domain/ticket.decider';
import { projectOwnEvent, projectOwnEvents } from './conversations.projection';
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

  it("updates a ticket's row in place for each message (a HOT update: no new index entries)", async () => {
    // Enough tickets to fill the table's first pages, then a message for the first of them.
    await apply(
      Array.from({ length: 200 }, (_, i) =>
        recorded(
          {
            type: 'TicketOpened',
            data: {
              ticketId: `t-hot-${i}`,
              tenantId: 'tenant-a',
              customerId: `cust-hot-${i}`,
              channel: 'email',
              openedBy: { kind: 'customer', id: `cust-hot-${i}` },
            },
          },
          '2026-11-30T10:00:00.000Z',
        ),
      ),
    );
    const message = recorded(
      {
        type: 'MessageReceived',
        data: {
          ticketId: 't-hot-0',
          messageId: 'm-hot',
          sequence: 1,
          customerId: 'cust-hot-0',
          channel: 'email',
          channelMessageId: 'cm-hot',
          channelThreadId: 'thread-hot',
          sender: { kind: 'customer', id: 'cust-hot-0' },
          text: 'hello',
          attachments: [],
          sentAt: '2026-11-30T10:00:01.000Z',
        },
      },
      '2026-11-30T10:00:01.000Z',
    );
    const client = await poolOf(dataSource).connect();
    // The session's counts of updates of the table, all and HOT (not yet reported ones included).
    const counts = async () => {
      const { rows } = await client.query<{ updated: string; hot: string }>(
        `SELECT n_tup_upd AS updated, n_tup_hot_upd AS hot FROM pg_stat_xact_user_tables
          WHERE schemaname = $1 AND relname = 'tickets'`,
        [READ_MODEL_SCHEMA],
      );
      return { updated: Number(rows[0]!.updated), hot: Number(rows[0]!.hot) };
    };
    try {
      await client.query('BEGIN');
      const before = await counts();
      await projectOwnEvent(message, client);
      const after = await counts();
      await client.query('COMMIT');
      expect({ updated: after.updated - before.updated, hot: after.hot - before.hot }).toEqual({
        updated: 1,
        hot: 1,
      });
    } finally {
      client.release();
    }
    expect(await new ConversationsReadModel(dataSource).ticket('tenant-a', 't-hot-0')).toMatchObject({
      messageCount: 1,
      lastActivityAt: '2026-11-30T10:00:01.000Z',
    });
  });

  it('never moves a thread back to an older ticket when an older message is applied again', async () => {
    const opened = (ticketId: string) =>
      recorded(
        {
          type: 'TicketOpened',
          data: {
            ticketId,
            tenantId: 'tenant-a',
            customerId: 'cust-9',
            channel: 'sms',
            openedBy: { kind: 'customer', id: 'cust-9' },
          },
        },
        '2026-11-29T11:00:00.000Z',
      );
    const onThread = (ticketId: string, n: number) =>
      recorded(
        {
          type: 'MessageReceived',
          data: {
            ticketId,
            messageId: `${ticketId}-m${n}`,
            sequence: 1,
            customerId: 'cust-9',
            channel: 'sms',
            channelMessageId: `sms-${n}`,
            channelThreadId: 'sms-thread-9',
            sender: { kind: 'customer', id: 'cust-9' },
            text: `message ${n}`,
            attachments: [],
            sentAt: '2026-11-29T11:00:00.000Z',
          },
        },
        `2026-11-29T11:00:0${n}.000Z`,
      );
    const readModel = new ConversationsReadModel(dataSource);
    const [openedA, onA, openedB, onB] = [
      opened('t-old'),
      onThread('t-old', 1),
      opened('t-new'),
      onThread('t-new', 2),
    ];
    // The thread moved from t-old to t-new; the rows of both were written (say, with their appends).
    await apply([openedA, onA, openedB, onB]);
    expect(await readModel.ticketForThread('tenant-a', 'sms', 'sms-thread-9')).toMatchObject({
      ticketId: 't-new',
    });
    // A projection replaying from an older checkpoint meets the first message again, on its own and
    // in a batch: the thread stays where the newer message put it.
    await apply([onA]);
    expect(await readModel.ticketForThread('tenant-a', 'sms', 'sms-thread-9')).toMatchObject({
      ticketId: 't-new',
    });
    const client = await poolOf(dataSource).connect();
    try {
      await projectOwnEvents([openedA, onA], client);
    } finally {
      client.release();
    }
    expect(await readModel.ticketForThread('tenant-a', 'sms', 'sms-thread-9')).toMatchObject({
      ticketId: 't-new',
    });
    // Replayed in order up to the newer message, it ends where it was.
    await apply([onA, openedB, onB]);
    const { rows } = await poolOf(dataSource).query<{ ticket_id: string; position: string }>(
      `SELECT ticket_id, position::text AS position FROM ${READ_MODEL_SCHEMA}.ticket_threads WHERE thread_id = 'sms-thread-9'`,
    );
    expect(rows).toEqual([{ ticket_id: 't-new', position: onB.globalPosition.toString() }]);
  });

  it('answers the continuity reads in one query each, following merged tickets to the survivor', async () => {
    const opened = (ticketId: string, channel: 'email' | 'sms') =>
      recorded(
        {
          type: 'TicketOpened',
          data: {
            ticketId,
            tenantId: 'tenant-a',
            customerId: 'cust-2',
            channel,
            openedBy: { kind: 'customer', id: 'cust-2' },
          },
        },
        '2026-11-29T11:00:00.000Z',
      );
    await apply([
      opened('t2', 'email'),
      recorded(
        {
          type: 'MessageReceived',
          data: {
            ticketId: 't2',
            messageId: 'm-t2',
            sequence: 1,
            customerId: 'cust-2',
            channel: 'email',
            channelMessageId: 'cm-t2',
            channelThreadId: 'mail-1',
            sender: { kind: 'customer', id: 'cust-2' },
            text: 'first issue',
            attachments: [],
            sentAt: '2026-11-29T11:00:01.000Z',
          },
        },
        '2026-11-29T11:00:01.000Z',
      ),
      opened('t3', 'sms'),
    ]);
    const readModel = new ConversationsReadModel(dataSource);
    const before = await readModel.continuityOf('tenant-a', 'cust-2', {
      channel: 'email',
      threadId: 'mail-1',
    });
    expect(before.thread?.ticketId).toBe('t2');
    expect(before.openTickets.map((t) => t.ticketId).sort()).toEqual(['t2', 't3']);

    await apply([
      recorded(
        {
          type: 'TicketMergedInto',
          data: { ticketId: 't2', survivorTicketId: 't3', mergedBy: { kind: 'agent', id: 'a1' } },
        },
        '2026-11-29T11:05:00.000Z',
      ),
    ]);
    const after = await readModel.continuityOf('tenant-a', 'cust-2', {
      channel: 'email',
      threadId: 'mail-1',
    });
    expect(after.thread?.ticketId).toBe('t3');
    expect(after.openTickets.map((t) => t.ticketId)).toEqual(['t3']);
    expect(await readModel.continuityOf('tenant-a', 'cust-2')).toEqual({ openTickets: after.openTickets });
    expect((await readModel.ticketForThread('tenant-a', 'email', 'mail-1'))?.ticketId).toBe('t3');
    expect((await readModel.ticketForReference('tenant-a', 't2'))?.ticketId).toBe('t3');
    expect(await readModel.ticketForReference('tenant-a', 'missing')).toBeUndefined();
    // Another tenant's thread and ticket are unknown.
    expect(await readModel.ticketForThread('tenant-b', 'email', 'mail-1')).toBeUndefined();
    expect(await readModel.ticketForReference('tenant-b', 't2')).toBeUndefined();
    expect(
      await readModel.continuityOf('tenant-b', 'cust-2', { channel: 'email', threadId: 'mail-1' }),
    ).toEqual({ openTickets: [] });
  });

  it('writes the same rows from a batch (runs of new customers, tickets and messages) as event by event', async () => {
    /** One scenario per tenant: two customers' tickets, channel and thread moves, a close inside. */
    const scenario = (tenantId: string): RecordedEvent[] => {
      let n = 0;
      const at = () => `2026-11-29T11:00:${String((n += 1)).padStart(2, '0')}.000Z`;
      const event = (e: CustomerEvent | TicketEvent, stream: string): RecordedEvent => {
        const when = at();
        return {
          ...recorded(e as TicketEvent, when),
          eventId: `${tenantId}-e${n}`,
          metadata: {
            tenantId,
            correlationId: 'c',
            actor: { kind: 'customer', id: 'cust' },
            occurredAt: when,
          },
          streamName: stream,
        };
      };
      const id = (label: string) => `${tenantId}-${label}`;
      const opened = (ticket: string, customer: string, channel: 'web_chat' | 'email') =>
        event(
          {
            type: 'TicketOpened',
            data: {
              ticketId: id(ticket),
              tenantId,
              customerId: id(customer),
              channel,
              openedBy: { kind: 'customer', id: id(customer) },
            },
          },
          `ticket-${id(ticket)}`,
        );
      const message = (
        ticket: string,
        customer: string,
        sequence: number,
        channel: 'web_chat' | 'email' | 'whatsapp',
        thread: string,
      ) =>
        event(
          {
            type: 'MessageReceived',
            data: {
              ticketId: id(ticket),
              messageId: id(`${ticket}-m${sequence}`),
              sequence,
              customerId: id(customer),
              channel,
              channelMessageId: id(`${ticket}-cm${sequence}`),
              channelThreadId: id(thread),
              sender: { kind: 'customer', id: id(customer) },
              text: `${ticket} message ${sequence}`,
              attachments: [],
              sentAt: '2026-11-29T10:59:00.000Z',
            },
          },
          `ticket-${id(ticket)}`,
        );
      const customer = (label: string, value: string): RecordedEvent[] => [
        event(
          { type: 'CustomerCreated', data: { customerId: id(label), tenantId } },
          `customer-${id(label)}`,
        ),
        event(
          {
            type: 'IdentityAdded',
            data: {
              customerId: id(label),
              identity: { kind: 'email', value, verified: false },
              how: 'resolved',
              newCustomer: true,
              by: { kind: 'customer', id: id(label) },
            },
          },
          `customer-${id(label)}`,
        ),
      ];
      return [
        ...customer('c1', 'one@example.com'),
        opened('t1', 'c1', 'web_chat'),
        message('t1', 'c1', 1, 'web_chat', 'thread-a'),
        ...customer('c2', 'two@example.com'),
        opened('t2', 'c2', 'email'),
        message('t2', 'c2', 1, 'email', 'mail-1'),
        message('t1', 'c1', 2, 'whatsapp', 'thread-b'),
        message('t1', 'c1', 3, 'web_chat', 'thread-a'),
        event(
          {
            type: 'TicketClosed',
            data: { ticketId: id('t2'), closedBy: { kind: 'agent', id: 'a' }, resolution: 'resolved' },
          },
          `ticket-${id('t2')}`,
        ),
        opened('t3', 'c2', 'email'),
        // The thread moves to the new ticket, the old ticket keeps its own history.
        message('t3', 'c2', 1, 'email', 'mail-1'),
        message('t1', 'c1', 4, 'email', 'thread-c'),
      ];
    };
    const rowsOf = async (tenantId: string) => {
      const strip = (rows: unknown[]) =>
        JSON.parse(JSON.stringify(rows).replaceAll(`${tenantId}`, 'T')) as unknown;
      const q = (sql: string) => dataSource.query<unknown[]>(sql, [tenantId]);
      return strip([
        await q(`SELECT ticket_id, customer_id, status, channels, message_count, opened_at, last_activity_at
                   FROM conversations.tickets WHERE tenant_id = $1 ORDER BY ticket_id`),
        await q(`SELECT channel, thread_id, ticket_id FROM conversations.ticket_threads
                  WHERE tenant_id = $1 ORDER BY thread_id`),
        await q(`SELECT kind, value, customer_id, verified, how FROM conversations.customer_identities
                  WHERE tenant_id = $1 ORDER BY value`),
        await q(`SELECT item_id, ticket_id, occurred_at, kind, channel, actor_kind, actor_id, sequence, payload
                   FROM conversations.timeline_items WHERE tenant_id = $1 ORDER BY position`),
      ]);
    };
    const inTransaction = async (work: (client: PoolClient) => Promise<void>) => {
      const client = await poolOf(dataSource).connect();
      try {
        await client.query('BEGIN');
        await work(client);
        await client.query('COMMIT');
      } finally {
        client.release();
      }
    };
    const single = scenario('tenant-single');
    const batched = scenario('tenant-batched');
    await inTransaction(async (tx) => {
      for (const e of single) await projectOwnEvent(e, tx);
    });
    await inTransaction((tx) => projectOwnEvents(batched, tx));
    const expected = await rowsOf('tenant-single');
    expect(await rowsOf('tenant-batched')).toEqual(expected);
    const tickets = (expected as [{ ticket_id: string; channels: string[]; message_count: number }[]])[0];
    expect(tickets.map((t) => [t.ticket_id, t.channels, t.message_count])).toEqual([
      ['T-t1', ['web_chat', 'whatsapp', 'email'], 4],
      ['T-t2', ['email'], 1],
      ['T-t3', ['email'], 1],
    ]);
    // Replayed as a batch, nothing changes.
    await inTransaction((tx) => projectOwnEvents(batched, tx));
    expect(await rowsOf('tenant-batched')).toEqual(expected);
  });
});
