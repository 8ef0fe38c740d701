import { spawnSync } from 'node:child_process';
import path from 'node:path';

// Lints source text as if it stood at a given path, with the workspace's own rules, and returns
// the ids of the rules that fired. ESLint runs as a process: its ESM config cannot load in jest's VM.
const root = path.resolve(__dirname, '..', '..');
function lint(virtualPath: string, source: string): string[] {
  const result = spawnSync(
    process.execPath,
    [
      path.join(root, 'node_modules', 'eslint', 'bin', 'eslint.js'),
      '--config',
      path.join(__dirname, 'eslint.probe.config.mjs'),
      '--format',
      'json',
      '--stdin',
      '--stdin-filename',
      path.join(root, virtualPath),
    ],
    { cwd: root, input: source, encoding: 'utf8' },
  );
  if (result.status !== 0 && result.status !== 1) throw new Error(`eslint failed: ${result.stderr}`);
  const json = result.stdout.slice(result.stdout.indexOf('[{'));
  const [report] = JSON.parse(json) as [{ messages: { ruleId: string | null; message: string }[] }];
  return report.messages.map((m) => m.ruleId ?? `fatal: ${m.message}`);
}

describe('layer rules (ARCHITECTURE.md §8)', () => {
  // @nx/enforce-module-boundaries reads the cached project graph and silently skips without one
  // (as on a fresh clone before any nx command ran): compute it first.
  beforeAll(() => {
    const graph = spawnSync(
      process.execPath,
      [path.join(root, 'node_modules', 'nx', 'dist', 'bin', 'nx.js'), 'show', 'projects'],
      {
        cwd: root,
        env: { ...process.env, NX_DAEMON: 'false' },
        encoding: 'utf8',
      },
    );
    expect(graph.stdout).toMatch(/contracts/);
  });

  it.each(['@nestjs/common', 'typeorm', 'pg', 'kafkajs'])(
    'a domain/ file importing %s is a lint error',
    (pkg) => {
      const rules = lint(
        'services/ownership/src/domain/ownership.decider.ts',
        `import { something } from '${pkg}';\nexport const x = something;\n`,
      );
      expect(rules).toContain('no-restricted-imports');
    },
  );

  it('a domain/ file importing another layer of its service is a lint error', () => {
    const rules = lint(
      'services/ownership/src/domain/ownership.decider.ts',
      `import { handler } from '../application/transfer.handler';\nexport const x = handler;\n`,
    );
    expect(rules).toContain('no-restricted-imports');
  });

  it('a domain/ file reading the ambient clock is a lint error', () => {
    const rules = lint('services/ownership/src/domain/clock.ts', `export const now = () => Date.now();\n`);
    expect(rules).toContain('no-restricted-properties');
  });

  it('a pure domain/ file passes', () => {
    const rules = lint(
      'services/ownership/src/domain/ownership.decider.ts',
      `import { type Owner } from './owner';\nexport const same = (a: Owner, b: Owner): boolean => a === b;\n`,
    );
    expect(rules).toEqual([]);
  });

  it('an application/ file may import @nestjs/common', () => {
    const rules = lint(
      'services/ownership/src/application/transfer.handler.ts',
      `import { Injectable } from '@nestjs/common';\nexport const decorate = Injectable;\n`,
    );
    expect(rules).not.toContain('no-restricted-imports');
  });

  it('production code of a library importing the test harness is a lint error, its specs may', () => {
    const source = `import { uniqueName } from '@handoff/testing';\nexport const n = uniqueName;\n`;
    expect(lint('libs/testing-probe/src/store.ts', source)).toContain('no-restricted-imports');
    expect(lint('libs/testing-probe/src/store.spec.ts', source)).not.toContain('no-restricted-imports');
  });

  it("a decider's spec next to it in domain/ may use the test harness, and nothing else the rule forbids", () => {
    const harness = `import { deciderSpec } from '@handoff/testing';\nexport const g = deciderSpec;\n`;
    expect(lint('services/ownership/src/domain/ownership.decider.spec.ts', harness)).toEqual([]);
    expect(lint('services/ownership/src/domain/ownership.decider.ts', harness)).toContain(
      'no-restricted-imports',
    );
    for (const source of [
      `import { Pool } from 'pg';\nexport const p = Pool;\n`,
      `import { handler } from '../application/transfer.handler';\nexport const h = handler;\n`,
    ]) {
      expect(lint('services/ownership/src/domain/ownership.decider.spec.ts', source)).toContain(
        'no-restricted-imports',
      );
    }
  });

  it('contracts importing a workspace library is a module-boundary error', () => {
    const rules = lint(
      'contracts/src/probe.ts',
      `import { uniqueName } from '@handoff/testing';\nexport const n = uniqueName;\n`,
    );
    expect(rules).toContain('@nx/enforce-module-boundaries');
  });
});
