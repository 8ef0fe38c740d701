// Type-checked ESLint for the whole workspace, plus the layer rules of ARCHITECTURE.md §8:
// Nx tags fix which projects may import which, and the domain/ folder of every service stays pure.
import js from '@eslint/js';
import nx from '@nx/eslint-plugin';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** Packages that mean I/O or a framework; a pure domain/ folder imports none of them. */
export const FORBIDDEN_IN_DOMAIN = [
  '@nestjs/*',
  'typeorm',
  'typeorm/*',
  'pg',
  'pg-*',
  'kafkajs',
  '@eventstore/*',
  'fastify',
  'node:fs',
  'node:net',
  'node:http',
  '@handoff/testing',
];

/** The import rule of domain/: none of `forbidden`, and no other layer of the service. */
function domainImports(forbidden) {
  return [
    'error',
    {
      patterns: [
        {
          group: forbidden,
          message:
            'domain/ is pure: frameworks and I/O belong in application/, api/, messaging/ or projections/.',
        },
        {
          group: ['application', 'api', 'messaging', 'projections'].flatMap((layer) => [
            `**/${layer}`,
            `**/${layer}/**`,
          ]),
          message: 'domain/ imports only domain/.',
        },
      ],
    },
  ];
}

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      '.data/**',
      '.cache/**',
      '.nx/**',
      'bench-results/**',
      'coverage/**',
      // Deliberately broken files that tests/lint lints with ignore: false.
      'tests/lint/fixtures/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node },
    },
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { prefer: 'type-imports', fixStyle: 'inline-type-imports' },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      eqeqeq: ['error', 'always'],
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            // Outside consumers import contracts as a package of its own: it depends on nothing here.
            { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: [] },
            // type:testing is allowed for specs and benchmarks; production sources are kept off it below.
            {
              sourceTag: 'type:lib',
              onlyDependOnLibsWithTags: ['type:lib', 'type:contracts', 'type:testing'],
            },
            {
              sourceTag: 'type:testing',
              onlyDependOnLibsWithTags: ['type:lib', 'type:contracts', 'type:testing'],
            },
            // Services talk through Kafka only: a service never imports another service.
            {
              sourceTag: 'type:service',
              onlyDependOnLibsWithTags: ['type:lib', 'type:contracts', 'type:testing'],
            },
            {
              sourceTag: 'type:e2e',
              onlyDependOnLibsWithTags: ['type:lib', 'type:contracts', 'type:testing'],
            },
            { sourceTag: 'type:tooling', onlyDependOnLibsWithTags: [] },
          ],
        },
      ],
    },
  },
  {
    // The test harness is for specs and benchmarks only; production sources never import it.
    files: ['libs/*/src/**/*.ts', 'services/*/src/**/*.ts', 'contracts/src/**/*.ts'],
    ignores: ['**/*.spec.ts', 'libs/testing/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: '@handoff/testing', message: 'The test harness is for *.spec.ts and bench/ only.' },
          ],
        },
      ],
    },
  },
  {
    // domain/ holds pure deciders: no framework, no I/O, no other layer, no ambient clock or randomness.
    files: ['**/src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': domainImports(FORBIDDEN_IN_DOMAIN),
      'no-restricted-properties': [
        'error',
        {
          object: 'Date',
          property: 'now',
          message: 'Pass the clock in: domain code takes time as an input.',
        },
        { object: 'Math', property: 'random', message: 'Pass ids and randomness in as inputs.' },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: 'Pass the clock in: domain code takes time as an input.',
        },
        {
          selector: "MemberExpression[object.name='process'][property.name='env']",
          message: 'Configuration is read at the composition root only.',
        },
      ],
    },
  },
  {
    // The deciders' given/when/then specs sit next to them (STYLE.md) and use the test harness;
    // everything else the domain/ rule forbids stays forbidden in them.
    files: ['**/src/domain/**/*.spec.ts'],
    rules: {
      'no-restricted-imports': domainImports(FORBIDDEN_IN_DOMAIN.filter((pkg) => pkg !== '@handoff/testing')),
    },
  },
  {
    files: ['**/*.cjs', '**/*.mjs', '**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['**/*.spec.ts'],
    rules: {
      // jest's expect(...).rejects and mocks trip these without being wrong.
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  prettier,
);
