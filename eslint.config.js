// ESLint for the whole tree: `npm run lint` (formatting is Prettier's: `npm run format:check`).
// TypeScript files get typescript-eslint's type-checked recommended rules (no floating promises, no unsafe
// `any`, ...) plus exhaustive switches; the few plain JavaScript files (the bin shim, the console's browser
// script, the Asterisk example, this file) get ESLint's recommended rules only, since no tsconfig types them.
// eslint-config-prettier comes last: it turns off every rule that would argue with the formatter.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import prettier from 'eslint-config-prettier/flat';
import tseslint from 'typescript-eslint';

/** Globals of the plain JavaScript files (the `globals` package is not a dependency; these few are enough). */
const nodeGlobals = {
  process: 'readonly',
  Buffer: 'readonly',
  console: 'readonly',
  URL: 'readonly',
  URLSearchParams: 'readonly',
  fetch: 'readonly',
  AbortSignal: 'readonly',
  setTimeout: 'readonly',
  clearTimeout: 'readonly',
  setInterval: 'readonly',
  clearInterval: 'readonly',
};
const browserGlobals = {
  window: 'readonly',
  document: 'readonly',
  console: 'readonly',
  FormData: 'readonly',
  ResizeObserver: 'readonly',
  URLSearchParams: 'readonly',
  XMLHttpRequest: 'readonly',
  // loaded by the console's page before console.js (src/http/console/html.ts)
  uPlot: 'readonly',
  htmx: 'readonly',
};

export default defineConfig(
  // test/generated/: written by `npm run openapi:types` from the OpenAPI document (checked by a test, not by hand).
  globalIgnores(['data/', 'coverage/', '.bench/', '.build/', '.test-cache/', 'scratch/', 'test/generated/']),
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // A switch over a union or an enum names every member, or has a default that says why it may not.
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { requireDefaultForNonUnion: true }],
      // Off: an async function without `await` is deliberate here. Fastify plugins and hooks are async so
      // that Fastify waits on their promise (without `async` a plugin must call `done`), and implementations
      // of Promise-returning interfaces are async so that a throw becomes a rejection. The mistake the rule
      // aims at, a promise left unawaited, is no-floating-promises' and no-misused-promises' job.
      '@typescript-eslint/require-await': 'off',
      // Names starting with `_` are unused on purpose (a parameter a signature needs, a property left out of a
      // rest: `const { key: _key, ...view } = row`), as tsc's noUnusedLocals already allows.
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
    },
  },
  {
    // Tests read the JSON bodies of the API under test (`Res<T = any>` in test/helpers/harness.ts,
    // `makeCustomer()`...) and assert them whole with toEqual/toStrictEqual, and vitest types its asymmetric
    // matchers (`expect.any(String)`, `expect.stringContaining()`) as `any`. A type on each body would be an
    // unchecked cast that proves nothing the assertion does not, so the `any` rules stay for src/, bench/ and
    // scripts/ only; every other rule (floating promises, exhaustive switches...) holds in tests too.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { sourceType: 'module', globals: nodeGlobals },
  },
  {
    // dependency-cruiser reads CommonJS configuration files.
    files: ['**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { ...nodeGlobals, module: 'writable', require: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['src/http/console/assets/console.js'],
    languageOptions: { sourceType: 'script', globals: browserGlobals },
  },
  prettier,
);
