// @ts-check
/**
 * How the workspace compiles TypeScript without tsc: the same options for jest (@swc/jest) and
 * for plain node (scripts/ts-register.cjs), so tests and benchmarks run the same code.
 * Decorator metadata is on: NestJS dependency injection reads it.
 */
'use strict';

module.exports = {
  jsc: {
    target: /** @type {const} */ ('es2022'),
    parser: { syntax: /** @type {const} */ ('typescript'), decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    keepClassNames: true,
  },
  module: { type: /** @type {const} */ ('commonjs') },
  sourceMaps: /** @type {const} */ ('inline'),
};
