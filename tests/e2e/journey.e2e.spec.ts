import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  createIsolatedDatabase,
  testInfrastructure,
  uniqueName,
  type IsolatedDatabase,
} from '@handoff/testing';

// The demo journey with every service as its own process over the run's real broker and PostgreSQL,
// asserted through the public REST APIs and topics only; a third-party Kafka client (kcat) reads
// the public topics and checks keys and CloudEvents headers.
const root = path.resolve(__dirname, '..', '..');

type Role = 'agent' | 'supervisor' | 'auditor' | 'integration' | 'bot';
type ServiceName = 'conversations' | 'summarization' | 'escalation' | 'ownership' | 'insights';
interface ServiceProcess {
  name: string;
  url: string;
  logFile: string;
  stop(): Promise<number | null>;
}
interface DemoReport {
  ticketId: string;
  customerId: string;
  handoffs: { aiToHuman: string; tierEscalation: string };
  briefBeforeAccept: Record<string, unknown>;
  channelSwitches: number;
  ownerAtChosenInstant: { state?: string; owner?: { id?: string } };
  history: { type?: string; handoffId?: string | null; shiftHandoverId?: string | null }[];
  verification: { ok?: boolean; events?: number };
  timeline: { kind?: string; source?: string }[];
  story: { handoffs?: { handoffType?: string; repeats?: number; withoutBrief?: boolean }[] };
  warningSigns: Record<string, { rows?: Record<string, unknown>[] }>;
}

// Tooling modules of the repository (CommonJS scripts and the demo), loaded by path.
/* eslint-disable @typescript-eslint/no-require-imports */
const launcher = require(path.join(root, 'scripts', 'platform', 'service-processes.cjs')) as {
  SERVICES: readonly { name: ServiceName }[];
  startServices(options: {
    env: NodeJS.ProcessEnv;
    envOf?: (name: string) => NodeJS.ProcessEnv;
    logDir: string;
    buildDir: string;
    ports: Record<string, number>;
    readyTimeoutMs?: number;
    only?: string[];
  }): Promise<ServiceProcess[]>;
};
const demo = require(path.join(root, 'scripts', 'demo', 'demo.ts')) as {
  runDemo(options: {
    urls: Record<ServiceName, string>;
    keys: Record<Role, string>;
    print?: (line: string) => void;
    stepTimeoutMs?: number;
  }): Promise<DemoReport>;
};
/* eslint-enable @typescript-eslint/no-require-imports */

jest.setTimeout(600_000);

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });

const mint = (tenantId: string, role: Role) => {
  const key = `hk_e2e_${role}_${crypto.randomBytes(18).toString('base64url')}`;
  return { key, entry: `${tenantId}:${role}:${crypto.createHash('sha256').update(key).digest('hex')}` };
};

// CI installs kcat (.ci/run); elsewhere the test says it was skipped rather than failing on a tool.
const kcatAvailable = spawnSync('kcat', ['-V']).status === 0 || process.env.CI === 'true';

describe('the demo journey across every service, each its own process', () => {
  const { kafkaBrokers } = testInfrastructure();
  const tenant = `e2e-${crypto.randomBytes(3).toString('hex')}`;
  const otherTenant = `${tenant}-other`;
  const roles: Role[] = ['agent', 'supervisor', 'auditor', 'integration', 'bot'];
  const minted = Object.fromEntries(roles.map((role) => [role, mint(tenant, role)])) as Record<
    Role,
    ReturnType<typeof mint>
  >;
  const outsider = mint(otherTenant, 'supervisor');
  const keys = Object.fromEntries(roles.map((role) => [role, minted[role].key])) as Record<Role, string>;
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'journey-logs-'));
  const lines: string[] = [];
  let database: IsolatedDatabase;
  let services: ServiceProcess[] = [];
  let urls: Record<ServiceName, string>;
  let report: DemoReport;

  beforeAll(async () => {
    database = await createIsolatedDatabase('journey');
    const ports: Record<string, number> = {};
    for (const service of launcher.SERVICES) ports[service.name] = await freePort();
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      DATABASE_URL: database.url,
      KAFKA_BROKERS: kafkaBrokers.join(','),
      API_KEYS: [...Object.values(minted).map((m) => m.entry), outsider.entry].join(','),
      LOG_LEVEL: 'info',
      KAFKAJS_NO_PARTITIONER_WARNING: '1',
    };
    // Consumer groups of this run only: other suites' services share the broker and the topics.
    services = await launcher.startServices({
      env,
      envOf: (name) => ({ KAFKA_GROUP_ID: uniqueName(`journey-${name}`) }),
      logDir,
      buildDir: path.join(logDir, 'build'),
      ports,
      readyTimeoutMs: 240_000,
    });
    urls = Object.fromEntries(services.map((s) => [s.name, s.url])) as Record<ServiceName, string>;
    report = await demo.runDemo({ urls, keys, print: (line) => lines.push(line), stepTimeoutMs: 90_000 });
  });

  afterAll(async () => {
    const codes = await Promise.all(services.map((service) => service.stop()));
    // Graceful shutdown: every service stops by itself on SIGTERM (0, or 143 when it re-raises the
    // signal after closing), never killed after the launcher's timeout (137).
    for (const code of codes) expect([0, 143]).toContain(code);
    await database?.drop();
    fs.rmSync(logDir, { recursive: true, force: true });
  });

  it('offers the AI→human handoff with a brief ready before acceptance, and prints the whole story', () => {
    expect(report.briefBeforeAccept.version).toBeGreaterThanOrEqual(1);
    expect(String(report.briefBeforeAccept.summary)).toContain('A-1042');
    const offered = report.timeline.filter((item) => item.kind === 'HandoffOffered');
    expect(offered).toHaveLength(2);
    expect(
      report.story.handoffs
        ?.filter((h) => h.handoffType !== 'channel_switch')
        .every((h) => h.withoutBrief === false),
    ).toBe(true);
    for (const heading of ['Timeline', 'Brief', 'Ownership history', 'Owner at', 'Audit', 'Warning signs']) {
      expect(lines.some((line) => line.includes(heading))).toBe(true);
    }
  });

  it('keeps web chat, WhatsApp and email in one ticket with two channel switches', () => {
    expect(report.channelSwitches).toBe(2);
    const channels = new Set(
      report.timeline
        .filter((item) => item.kind === 'MessageReceived')
        .map((item) => (item as { channel?: string }).channel),
    );
    expect([...channels].sort()).toEqual(['email', 'web_chat', 'whatsapp']);
    // Handoffs and owner changes from the other services are interleaved in the timeline.
    expect(new Set(report.timeline.map((item) => item.source))).toEqual(
      new Set(['conversations', 'escalation', 'ownership']),
    );
  });

  it('records every owner change with its handoff or handover, answers as-of, and verifies the chain', () => {
    const transfers = report.history.filter((entry) => entry.type === 'OwnershipTransferred');
    expect(transfers).toHaveLength(3);
    expect(transfers.map((t) => t.handoffId ?? null)).toEqual([
      report.handoffs.aiToHuman,
      null,
      report.handoffs.tierEscalation,
    ]);
    expect(transfers[1]?.shiftHandoverId).toEqual(expect.any(String));
    expect(report.ownerAtChosenInstant.state).toBe('owned');
    expect(report.ownerAtChosenInstant.owner?.id).toMatch(/^(alice|bob)-/);
    expect(report.verification.ok).toBe(true);
  });

  it('detects the repeated order number and measures the warning signs', () => {
    expect(report.story.handoffs?.some((h) => (h.repeats ?? 0) > 0)).toBe(true);
    const repeats = report.warningSigns.repeats?.rows?.[0];
    expect(repeats?.repeats).toEqual(expect.any(Number));
    expect(Number(repeats?.repeats)).toBeGreaterThanOrEqual(1);
    const csat = report.warningSigns.csat?.rows?.[0] as {
      escalated?: { responses?: number; avgScore?: number };
    };
    expect(csat.escalated).toEqual(expect.objectContaining({ responses: 1, avgScore: 4 }));
  });

  it('never lets another tenant see the ticket, and never lets an auditor write', async () => {
    const as = (key: string) => ({ headers: { 'x-api-key': key } });
    const reads: [ServiceName, string][] = [
      ['conversations', `/v1/tickets/${report.ticketId}/timeline`],
      ['summarization', `/v1/tickets/${report.ticketId}/brief`],
      ['escalation', `/v1/handoffs/${report.handoffs.aiToHuman}`],
      ['ownership', `/v1/tickets/${report.ticketId}/history`],
      ['insights', `/v1/tickets/${report.ticketId}/handoff-story`],
    ];
    for (const [service, route] of reads) {
      const mine = await fetch(`${urls[service]}${route}`, as(keys.supervisor));
      const theirs = await fetch(`${urls[service]}${route}`, as(outsider.key));
      expect([service, mine.status, theirs.status]).toEqual([service, 200, 404]);
      expect(theirs.headers.get('content-type')).toContain('application/problem+json');
    }
    const write = await fetch(`${urls.conversations}/v1/tickets/${report.ticketId}/reopen`, {
      method: 'POST',
      headers: { 'x-api-key': keys.auditor, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'auditor tries to write' }),
    });
    expect(write.status).toBe(403);
  });

  (kcatAvailable ? it : it.skip)('publishes keyed CloudEvents that kcat, a third-party client, reads', () => {
    const read = (topic: string) =>
      execFileSync(
        'kcat',
        ['-C', '-b', kafkaBrokers.join(','), '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%k\t%h\n'],
        { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, timeout: 120_000 },
      )
        .split('\n')
        .filter((line) => line.includes(report.ticketId));
    for (const [topic, source] of [
      ['handoff.conversations.events.v1', 'conversations'],
      ['handoff.escalation.events.v1', 'escalation'],
      ['handoff.ownership.events.v1', 'ownership'],
      ['handoff.summarization.events.v1', 'summarization'],
    ] as const) {
      const records = read(topic);
      expect([topic, records.length > 0]).toEqual([topic, true]);
      for (const record of records) {
        const [key, headerText = ''] = record.split('\t');
        const headers = Object.fromEntries(
          headerText
            .split(',')
            .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
        );
        expect(key).toBe(report.ticketId);
        expect(headers.ce_specversion).toBe('1.0');
        expect(headers.ce_subject).toBe(report.ticketId);
        expect(headers.ce_type).toMatch(new RegExp(`^dev\\.handoff\\.${source}\\.[A-Za-z]+\\.v1$`));
        expect(headers.ce_source).toContain(source);
        expect(headers.ce_id).toMatch(/^[0-9a-f-]{36}$/);
        expect(headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
      }
    }
  });
});
