// One jest run for the whole workspace: a jest project per Nx project (found through project.json),
// one global setup that provisions the real infrastructure once per run (libs/testing).
// Tiers by suffix: *.spec.ts pure, *.int.spec.ts real PostgreSQL/Kafka, *.e2e.spec.ts processes.
const fs = require('node:fs');
const path = require('node:path');
const { compilerOptions } = require('./tsconfig.base.json');

const root = __dirname;
const projectRoots = ['contracts', 'tests', 'scripts']
  .concat(...['libs', 'services'].map((dir) => listDirs(path.join(root, dir)).map((d) => path.join(dir, d))))
  .filter((dir) => fs.existsSync(path.join(root, dir, 'project.json')));

function listDirs(dir) {
  return fs.existsSync(dir)
    ? fs
        .readdirSync(dir, { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => d.name)
    : [];
}

// Workspace packages resolve to their TypeScript sources, as tsconfig.base.json paths say.
const moduleNameMapper = Object.fromEntries(
  Object.entries(compilerOptions.paths).map(([alias, [target]]) => [
    `^${alias.replace(/[/\-]/g, '\\$&')}$`,
    path.join(root, target),
  ]),
);

const swc = ['@swc/jest', require('./scripts/swc-options.cjs')];

/** @type {import('jest').Config} */
module.exports = {
  globalSetup: '<rootDir>/libs/testing/src/jest/global-setup.ts',
  globalTeardown: '<rootDir>/libs/testing/src/jest/global-teardown.ts',
  // Two cores: more workers only fight over the same PostgreSQL and broker.
  maxWorkers: process.env.JEST_MAX_WORKERS ?? 2,
  testTimeout: 60_000,
  // Test names in the output: it says which adapters and which broker version ran.
  verbose: true,
  transform: { '^.+\\.ts$': swc },
  projects: projectRoots.map((dir) => {
    const { name } = JSON.parse(fs.readFileSync(path.join(root, dir, 'project.json'), 'utf8'));
    return {
      displayName: name,
      rootDir: path.join(root, dir),
      testMatch: ['<rootDir>/**/*.spec.ts'],
      testPathIgnorePatterns: ['/node_modules/', '/fixtures/', '/dist/'],
      testEnvironment: 'node',
      transform: { '^.+\\.ts$': swc },
      moduleNameMapper,
      setupFilesAfterEnv: [path.join(root, 'libs/testing/src/jest/setup-after-env.ts')],
    };
  }),
};
