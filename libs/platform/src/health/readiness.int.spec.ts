import { InMemoryEventStore } from '@handoff/event-store';
import {
  createIsolatedDatabase,
  testInfrastructure,
  type IsolatedDatabase,
  testPool,
} from '@handoff/testing';
import { Kafka, logLevel } from 'kafkajs';
import { ShutdownCoordinator } from '../bootstrap/shutdown.coordinator';
import { startTestApp, type TestApp } from '../test-app/test-app.fixture';

// /health/ready against the run's real PostgreSQL and Kafka broker, and against a closed port.
describe('/health/ready', () => {
  let db: IsolatedDatabase;
  beforeAll(async () => {
    db = await createIsolatedDatabase('platform_health');
  });
  afterAll(() => db.drop());

  it('answers 200 with each dependency up on real PostgreSQL, Kafka and an event store', async () => {
    const { kafkaBrokers } = testInfrastructure();
    const t = await startTestApp(
      { DATABASE_URL: db.url, KAFKA_BROKERS: kafkaBrokers.join(',') },
      { eventStore: new InMemoryEventStore() },
    );
    try {
      const res = await t.app.inject({ method: 'GET', url: '/health/ready' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({
        status: 'ok',
        details: { postgres: { status: 'up' }, kafka: { status: 'up' }, eventStore: { status: 'up' } },
      });
    } finally {
      await t.app.close();
    }
  });

  it('answers 503 problem+json naming PostgreSQL when it points at a closed port', async () => {
    const { kafkaBrokers } = testInfrastructure();
    const t = await startTestApp(
      {
        DATABASE_URL: 'postgres://app:do-not-print@127.0.0.1:1/app',
        KAFKA_BROKERS: kafkaBrokers.join(','),
      },
      {},
    );
    try {
      const res = await t.app.inject({ method: 'GET', url: '/health/ready' });
      expect(res.statusCode).toBe(503);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json()).toMatchObject({
        code: 'dependencies-unavailable',
        detail: 'Not ready: postgres is down',
        checks: {
          postgres: { status: 'down', message: expect.stringMatching(/ECONNREFUSED/) as unknown },
          kafka: { status: 'up' },
        },
      });
      expect(res.body).not.toContain('do-not-print');
      expect((await t.app.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
    } finally {
      await t.app.close();
    }
  });

  it('reports Kafka down within the probe time limit when no broker answers', async () => {
    const t = await startTestApp(
      { DATABASE_URL: db.url, KAFKA_BROKERS: '127.0.0.1:1' },
      { timeoutMs: 1_500 },
    );
    try {
      const started = Date.now();
      const res = await t.app.inject({ method: 'GET', url: '/health/ready' });
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ checks: { postgres: { status: 'up' }, kafka: { status: 'down' } } });
    } finally {
      await t.app.close();
    }
  });

  it("checks a service's own clients and closes them in reverse order at shutdown", async () => {
    const { kafkaBrokers } = testInfrastructure();
    const pool = testPool(db.url, { max: 1 });
    const kafka = new Kafka({ clientId: 'health-spec', brokers: kafkaBrokers, logLevel: logLevel.NOTHING });
    const t: TestApp = await startTestApp({}, { postgres: pool, kafka, eventStore: () => Promise.resolve() });
    const stopped: string[] = [];
    const shutdown = t.app.get(ShutdownCoordinator);
    shutdown.register('pool', async () => {
      await pool.end();
      stopped.push('pool');
    });
    shutdown.register('consumer', () => void stopped.push('consumer'));
    const res = await t.app.inject({ method: 'GET', url: '/health/ready' });
    expect(res.json()).toMatchObject({
      status: 'ok',
      details: { postgres: { status: 'up' }, kafka: { status: 'up' }, eventStore: { status: 'up' } },
    });
    await t.app.close();
    expect(stopped).toEqual(['consumer', 'pool']);
  });
});
