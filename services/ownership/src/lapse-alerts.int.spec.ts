import crypto from 'node:crypto';
import { mintApiKey } from '@handoff/platform';
import { createIsolatedDatabase, testInfrastructure, type IsolatedDatabase } from '@handoff/testing';
import { startOwnershipService, type RunningOwnershipService } from './bootstrap';
import { eventually, KafkaFixture, ticketOpened } from './test/ownership.fixtures';

const { kafkaBrokers } = testInfrastructure();
const suffix = crypto.randomBytes(4).toString('hex');
const TENANT = `own-lapse-${suffix}`;
const QUIET = `own-quiet-${suffix}`;
const supervisorKey = mintApiKey(TENANT, ['supervisor']);
const quietKey = mintApiKey(QUIET, ['supervisor']);

let database: IsolatedDatabase;
let service: RunningOwnershipService | undefined;
let kafka: KafkaFixture;
/** Every JSON log line of the running service (replaced at each start). */
let logLines: Record<string, unknown>[] = [];

const start = async () => {
  logLines = [];
  service = await startOwnershipService(
    {
      DATABASE_URL: database.url,
      KAFKA_BROKERS: kafkaBrokers.join(','),
      API_KEYS: [supervisorKey.entry, quietKey.entry].join(','),
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      KAFKA_GROUP_ID: `handoff.ownership.lapse-int.${suffix}`,
      LAPSE_ALERT_AFTER_SECONDS: '1',
      LAPSE_ALERT_POLL_INTERVAL_MS: '100',
    },
    {
      enableShutdownHooks: false,
      logDestination: {
        write: (line: string) => {
          logLines.push(JSON.parse(line) as Record<string, unknown>);
        },
      },
    },
  );
};

async function call(method: string, path: string, body?: unknown) {
  const response = await fetch(`${service?.url}${path}`, {
    method,
    headers: {
      'x-api-key': supervisorKey.key,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, text: await response.text() };
}

/** The value of one series on /metrics, or undefined when the series is absent. */
async function metric(name: string, labels: Record<string, string>): Promise<number | undefined> {
  const { text } = await call('GET', '/metrics');
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)\{([^}]*)\} (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const series = new Map<string, string>();
    for (const [, key, value] of (match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g))
      if (key !== undefined && value !== undefined) series.set(key, value);
    if (Object.entries(labels).every(([key, value]) => series.get(key) === value)) return Number(match[3]);
  }
  return undefined;
}

const alertsOf = (alert: string, ticketId: string) =>
  logLines.filter((line) => line['alert'] === alert && line['ticketId'] === ticketId);

/** A ticket opened on the conversations topic, owned by an agent, then released: a lapse begins. */
async function lapsedTicket(): Promise<string> {
  const ticketId = `tkt-${crypto.randomUUID()}`;
  await kafka.publish('conversations', ticketOpened(TENANT, ticketId));
  await eventually(
    () => call('GET', `/v1/tickets/${ticketId}/owner`),
    (r) => r.status === 200,
  );
  expect(
    (await call('POST', `/v1/tickets/${ticketId}/owner/transfer`, { toAgentId: 'a1', reason: 'r' })).status,
  ).toBe(200);
  expect(
    (await call('POST', `/v1/tickets/${ticketId}/owner/release`, { reason: 'end of shift' })).status,
  ).toBe(200);
  return ticketId;
}

beforeAll(async () => {
  database = await createIsolatedDatabase('ownership_lapses');
  kafka = new KafkaFixture(kafkaBrokers);
  await start();
  expect((await call('PUT', '/v1/agents/a1', { active: true })).status).toBe(200);
}, 120_000);

afterAll(async () => {
  await service?.close();
  await kafka?.close();
  await database?.drop();
});

describe('lapse alerting (real PostgreSQL and Kafka)', () => {
  it('reports lapsed tickets per tenant, logs the lapse, and alerts an overdue lapse once, across a restart', async () => {
    expect(await metric('ownership_lapsed_tickets', { tenant: TENANT })).toBe(0);
    expect(await metric('ownership_lapsed_tickets', { tenant: QUIET })).toBe(0);

    const ticketId = await lapsedTicket();
    expect(await metric('ownership_lapsed_tickets', { tenant: TENANT })).toBe(1);
    expect(await metric('ownership_lapsed_tickets', { tenant: QUIET })).toBe(0);
    expect(await metric('ownership_lapses_begun_total', { tenant: TENANT, cause: 'released' })).toBe(1);
    expect(alertsOf('ownership-lapse-began', ticketId)).toEqual([
      expect.objectContaining({
        level: 40,
        tenantId: TENANT,
        ticketId,
        cause: 'released',
        previousOwnerId: 'a1',
      }),
    ]);

    // The threshold is 1 s: the poller alerts it once, and only once however many polls follow.
    await eventually(
      () => Promise.resolve(alertsOf('ownership-lapse-overdue', ticketId)),
      (alerts) => alerts.length > 0,
    );
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(alertsOf('ownership-lapse-overdue', ticketId)).toEqual([
      expect.objectContaining({
        level: 40,
        tenantId: TENANT,
        ticketId,
        cause: 'released',
        thresholdSeconds: 1,
      }),
    ]);
    expect(await metric('ownership_lapses_overdue_total', { tenant: TENANT })).toBe(1);
    expect(JSON.stringify(logLines)).not.toContain(supervisorKey.key);

    // After a restart nothing is alerted again: a second lapse becoming overdue proves the poller ran.
    await service?.close();
    service = undefined;
    await start();
    expect(await metric('ownership_lapsed_tickets', { tenant: TENANT })).toBe(1);
    const second = await lapsedTicket();
    await eventually(
      () => Promise.resolve(alertsOf('ownership-lapse-overdue', second)),
      (alerts) => alerts.length === 1,
    );
    expect(alertsOf('ownership-lapse-overdue', ticketId)).toEqual([]);
    expect(await metric('ownership_lapsed_tickets', { tenant: TENANT })).toBe(2);

    // An owner again ends the lapse: the gauge goes down.
    expect(
      (await call('POST', `/v1/tickets/${ticketId}/owner/assign`, { agentId: 'a1', reason: 'back' })).status,
    ).toBe(200);
    expect(await metric('ownership_lapsed_tickets', { tenant: TENANT })).toBe(1);
  }, 90_000);
});
