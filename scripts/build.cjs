#!/usr/bin/env node
// @ts-check
/**
 * Compiles services to plain JavaScript for containers: `node scripts/build.cjs [service...]`
 * writes `dist/` mirroring the sources (contracts, the libraries, the chosen services; no specs,
 * no benchmarks, no test harness), compiled by @swc/core with the options the tests use, and with
 * the `@handoff/*` aliases rewritten to relative paths, so `node dist/services/<name>/src/main.js`
 * runs with only the production `node_modules`.
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { transformFileSync } = require('@swc/core');
const swcOptions = require('./swc-options.cjs');

const ROOT = path.resolve(__dirname, '..');
/** @type {Record<string, string[]>} */
const aliases = require(path.join(ROOT, 'tsconfig.base.json')).compilerOptions.paths;

/**
 * @param {string[]} services
 * @param {string} outDir
 */
function build(services, outDir = path.join(ROOT, 'dist')) {
  const known = fs
    .readdirSync(path.join(ROOT, 'services'))
    .filter((d) => fs.existsSync(path.join(ROOT, 'services', d, 'src')));
  const chosen = services.length > 0 ? services : known;
  const unknown = chosen.filter((s) => !known.includes(s));
  if (unknown.length > 0)
    throw new Error(`unknown services: ${unknown.join(', ')} (known: ${known.join(', ')})`);

  const sourceDirs = [
    'contracts/src',
    ...fs
      .readdirSync(path.join(ROOT, 'libs'))
      .filter((lib) => lib !== 'testing')
      .map((lib) => `libs/${lib}/src`),
    ...chosen.map((s) => `services/${s}/src`),
  ];
  fs.rmSync(outDir, { recursive: true, force: true });
  let files = 0;
  for (const dir of sourceDirs) {
    for (const file of walk(path.join(ROOT, dir))) {
      const relative = path.relative(ROOT, file);
      const target = path.join(outDir, relative.replace(/\.ts$/, '.js'));
      const { code } = transformFileSync(file, {
        ...swcOptions,
        sourceMaps: false,
        jsc: { ...swcOptions.jsc, baseUrl: ROOT, paths: aliases },
      });
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, code);
      files += 1;
    }
  }
  return { files, services: chosen, outDir };
}

/**
 * Production sources only: no specs, fixtures of tests, or test-only folders.
 * @param {string} dir
 * @returns {string[]}
 */
function walk(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'testing' || entry.name === 'test-app' ? [] : walk(full);
    return entry.name.endsWith('.ts') &&
      !entry.name.endsWith('.d.ts') &&
      !/\.(spec|fixtures?)\.ts$/.test(entry.name)
      ? [full]
      : [];
  });
}

module.exports = { build };

if (require.main === module) {
  try {
    const result = build(process.argv.slice(2));
    process.stdout.write(
      `built ${result.files} files of ${result.services.join(', ')} into ${path.relative(ROOT, result.outDir)}/\n`,
    );
  } catch (error) {
    process.stderr.write(`build: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}
