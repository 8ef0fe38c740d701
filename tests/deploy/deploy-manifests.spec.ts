import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { commonConfigSchema } from '@handoff/platform';

// No Docker engine or cluster runs here: the deployment files are checked against the code instead
// (services, ports, probe paths, start command, every environment variable), and the compiled
// output the images run is built and started.
const root = path.resolve(__dirname, '..', '..');
const services = fs
  .readdirSync(path.join(root, 'services'))
  .filter((name) => fs.existsSync(path.join(root, 'services', name, 'src', 'main.ts')))
  .sort();

interface Parser {
  expected: string;
  parse(raw: string | undefined): { ok: true; value: unknown } | { ok: false; problem: string };
}
type Schema = Record<string, Parser>;

const isParser = (value: unknown): value is Parser =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as Parser).parse === 'function' &&
  typeof (value as Parser).expected === 'string';

/** A service's settings: the common ones plus every schema its `<name>.config.ts` exports. */
function settingsOf(service: string): Schema {
  const file = path.join(root, 'services', service, 'src', `${service}.config.ts`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded by path: services are not importable packages
  const exported = require(file) as Record<string, unknown>;
  const schemas = Object.values(exported).filter(
    (value): value is Schema =>
      typeof value === 'object' &&
      value !== null &&
      Object.values(value).length > 0 &&
      Object.values(value).every(isParser),
  );
  return Object.assign({}, commonConfigSchema as unknown as Schema, ...schemas) as Schema;
}

const required = (schema: Schema) => Object.keys(schema).filter((key) => !schema[key]?.parse(undefined).ok);
const defaultPort = (schema: Schema): number => {
  const result = schema.PORT?.parse(undefined);
  if (!result?.ok) throw new Error('PORT has no default');
  return result.value as number;
};

const read = (file: string) => fs.readFileSync(path.join(root, file), 'utf8');

interface ComposeService {
  build?: { context: string; dockerfile: string };
  environment?: Record<string, string>;
  ports?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, unknown>;
}
const compose = parse(read('deploy/compose.yaml'), { merge: true }) as {
  services: Record<string, ComposeService>;
};

interface K8sContainer {
  ports: { name: string; containerPort: number }[];
  env?: { name: string; value?: string }[];
  envFrom?: ({ configMapRef: { name: string } } | { secretRef: { name: string } })[];
  readinessProbe: { httpGet: { path: string; port: string | number } };
  livenessProbe: { httpGet: { path: string; port: string | number } };
  resources: { requests: Record<string, string>; limits: Record<string, string> };
}
interface K8sObject {
  kind: string;
  metadata: { name: string; namespace?: string };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  spec: {
    replicas?: number;
    template?: { spec: { containers: K8sContainer[]; securityContext?: { runAsNonRoot?: boolean } } };
    ports?: { targetPort: string | number }[];
    selector?: Record<string, unknown>;
  };
}
const k8s = (file: string): K8sObject[] =>
  parseAllDocuments(read(`deploy/k8s/${file}`)).map((doc) => {
    expect(doc.errors).toEqual([]);
    return doc.toJS() as K8sObject;
  });
const configMap = k8s('config.yaml').find((o) => o.kind === 'ConfigMap');
const secret = k8s('secret.example.yaml').find((o) => o.kind === 'Secret');

// The platform's probe routes, from the code that serves them.
const healthController = read('libs/platform/src/health/health.controller.ts');
const probePaths = ['live', 'ready']
  .filter((p) => healthController.includes(`@Get('${p}')`))
  .map((p) => `/health/${p}`);

describe('deployment files', () => {
  it('cover every service of the checkout, and the probes exist in the code', () => {
    expect(services.length).toBeGreaterThan(0);
    expect(healthController).toMatch(/@Controller\('health'\)/);
    expect(probePaths).toEqual(['/health/live', '/health/ready']);
    for (const service of services) {
      expect(fs.existsSync(path.join(root, 'deploy', 'docker', `${service}.Dockerfile`))).toBe(true);
      expect(compose.services[service]).toBeDefined();
      expect(fs.existsSync(path.join(root, 'deploy', 'k8s', `${service}.yaml`))).toBe(true);
    }
  });

  describe.each(services)('%s', (service) => {
    const schema = settingsOf(service);
    const port = defaultPort(schema);

    it('has a multi-stage, non-root Dockerfile exposing the service port and running the compiled main', () => {
      const dockerfile = read(`deploy/docker/${service}.Dockerfile`);
      const stages = dockerfile.split(/^FROM /m).slice(1);
      expect(stages.length).toBeGreaterThanOrEqual(2);
      const runtime = stages[stages.length - 1] ?? '';
      expect(runtime).toMatch(/^USER node$/m);
      expect(runtime).toContain(`EXPOSE ${port}`);
      expect(runtime).toContain(`PORT=${port}`);
      expect(runtime).toContain(`CMD ["node", "dist/services/${service}/src/main.js"]`);
      expect(runtime).toContain('/health/live');
      expect(dockerfile).toContain(`node scripts/build.cjs ${service}`);
      // Every workspace manifest is copied before `npm ci` (it refuses a partial workspace).
      for (const manifest of [
        'contracts',
        'libs/event-store',
        'libs/messaging',
        'libs/platform',
        'libs/testing',
      ]) {
        expect(dockerfile).toContain(`COPY ${manifest}/package.json ${manifest}/`);
      }
      for (const other of services) expect(dockerfile).toContain(`COPY services/${other}/package.json`);
    });

    it('is wired in compose with esdb, its port, known settings only and every required one', () => {
      const entry = compose.services[service];
      expect(entry?.build?.dockerfile).toBe(`deploy/docker/${service}.Dockerfile`);
      const environment = entry?.environment ?? {};
      expect(environment.EVENT_STORE).toBe('esdb');
      expect(environment.PORT).toBe(String(port));
      expect(Object.keys(environment).filter((key) => !(key in schema))).toEqual([]);
      expect(required(schema).filter((key) => !(key in environment))).toEqual([]);
      // Values that are not placeholders parse with the service's own parsers.
      for (const [key, value] of Object.entries(environment)) {
        if (!value.startsWith('${')) expect([key, schema[key]?.parse(value).ok]).toEqual([key, true]);
      }
      expect(entry?.ports).toEqual([`${port}:${port}`]);
      expect(entry?.healthcheck?.test.join(' ')).toContain(`127.0.0.1:${port}/health/ready`);
      expect(Object.keys(entry?.depends_on ?? {}).sort()).toEqual(['kafka', 'kurrentdb', 'postgres']);
    });

    it('has a Deployment with probes, resources and known settings, and a Service', () => {
      const objects = k8s(`${service}.yaml`);
      const deployment = objects.find((o) => o.kind === 'Deployment');
      const svc = objects.find((o) => o.kind === 'Service');
      expect(deployment?.metadata.name).toBe(service);
      expect(svc?.metadata.name).toBe(service);
      expect(svc?.spec.ports?.[0]?.targetPort).toBe('http');
      const podSpec = deployment?.spec.template?.spec;
      expect(podSpec?.securityContext?.runAsNonRoot).toBe(true);
      const container = podSpec?.containers[0];
      expect(container?.ports).toEqual([{ name: 'http', containerPort: port }]);
      expect(container?.readinessProbe.httpGet).toEqual({ path: '/health/ready', port: 'http' });
      expect(container?.livenessProbe.httpGet).toEqual({ path: '/health/live', port: 'http' });
      expect(container?.resources.requests.memory).toBeDefined();
      expect(container?.resources.limits.memory).toBeDefined();

      const fromConfigMap = container?.envFrom?.some(
        (e) => 'configMapRef' in e && e.configMapRef.name === configMap?.metadata.name,
      );
      const fromSecret = container?.envFrom?.some(
        (e) => 'secretRef' in e && e.secretRef.name === secret?.metadata.name,
      );
      expect([fromConfigMap, fromSecret]).toEqual([true, true]);
      const provided: Record<string, string> = {
        ...(configMap?.data ?? {}),
        ...(secret?.stringData ?? {}),
        ...Object.fromEntries((container?.env ?? []).map((e) => [e.name, e.value ?? ''])),
      };
      expect(Object.keys(provided).filter((key) => !(key in schema))).toEqual([]);
      expect(required(schema).filter((key) => !(key in provided))).toEqual([]);
      for (const [key, value] of Object.entries(provided)) {
        expect([key, schema[key]?.parse(value).ok]).toEqual([key, true]);
      }
      // Replicas share one consumer group: never more than the partitions they share.
      expect(deployment?.spec.replicas ?? 1).toBeLessThanOrEqual(Number(configMap?.data?.KAFKA_PARTITIONS));
    });
  });

  it('the compiled output the images run loads every module and validates its configuration', () => {
    const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'handoff-dist-'));
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- the build script is CommonJS tooling
      const { build } = require(path.join(root, 'scripts', 'build.cjs')) as {
        build: (services: string[], outDir: string) => { files: number };
      };
      expect(build(services, outDir).files).toBeGreaterThan(50);
      for (const service of services) {
        const main = path.join(outDir, 'services', service, 'src', 'main.js');
        expect(fs.readFileSync(main, 'utf8')).not.toContain('@handoff/');
        // Without settings the compiled service starts, loads all its modules, and stops at the
        // configuration check naming what is missing: the same behaviour as the sources.
        const run = spawnSync(process.execPath, [main], {
          cwd: outDir,
          env: { PATH: process.env.PATH, NODE_PATH: path.join(root, 'node_modules') },
          encoding: 'utf8',
          timeout: 60_000,
        });
        expect([service, run.status]).toEqual([service, 1]);
        expect(run.stdout + run.stderr).toMatch(/DATABASE_URL/);
        expect(run.stdout + run.stderr).not.toMatch(/Cannot find module/);
      }
    } finally {
      fs.rmSync(outDir, { recursive: true, force: true });
    }
  });
});
