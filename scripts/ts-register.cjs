// @ts-check
/**
 * Lets plain `node` run the workspace's TypeScript (benchmarks, tooling) without a build step:
 * `.ts` files are compiled on require by @swc/core with the same options as the tests, and the
 * `@handoff/*` aliases of tsconfig.base.json resolve to their sources.
 */
'use strict';

const fs = require('node:fs');
const Module = require('node:module');
const path = require('node:path');
const { transformSync } = require('@swc/core');
const swcOptions = require('./swc-options.cjs');

const root = path.resolve(__dirname, '..');
/** @type {Record<string, string[]>} */
const aliases = require(path.join(root, 'tsconfig.base.json')).compilerOptions.paths;

/** @type {{ _resolveFilename: (request: string, ...rest: unknown[]) => string }} */
const internals = /** @type {any} */ (Module);
const resolve = internals._resolveFilename;
internals._resolveFilename = function (request, ...rest) {
  const target = aliases[request]?.[0];
  return resolve.call(this, target ? path.join(root, target) : request, ...rest);
};

/** @type {Record<string, (module: { _compile(code: string, filename: string): void }, filename: string) => void>} */
const extensions = /** @type {any} */ (require).extensions;
extensions['.ts'] = (module, filename) => {
  const { code } = transformSync(fs.readFileSync(filename, 'utf8'), { ...swcOptions, filename });
  module._compile(code, filename);
};
