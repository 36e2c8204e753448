// The architecture rules of src/ (CONTRIBUTING.md, "Dependency rules"), checked by `npm run deps` and by
// test/unit/dependency-rules.test.ts. Import cycles are checked on the graph the code runs with, without
// type-only imports: .dependency-cruiser-cycles.cjs. Paths are relative to the repository root; the fixture tree in
// test/fixtures/dependency-rules/ has the same layout under its own src/, so the patterns match from the
// first `src/` of a path: `(^|/)src/`.

/** A repository: `repo.ts` or `<name>-repo.ts`, the only files that build queries. */
const REPOSITORY = '/(repo|[a-z-]+-repo)\\.ts$';

module.exports = {
  forbidden: [
    {
      name: 'domain-imports-surface',
      severity: 'error',
      comment:
        'Only the surfaces (src/http/, src/cli/) may import src/http/. The domain returns domain values; ' +
        'a surface maps them to its wire shape.',
      from: { path: '(?:^|/)src/', pathNot: '(?:^|/)src/(http|cli)/' },
      to: { path: '(?:^|/)src/http/' },
    },
    {
      name: 'surface-imports-surface',
      severity: 'error',
      comment:
        'A surface (a folder under src/http/ other than kit/, or src/cli/) never imports another surface. ' +
        'Helpers shared by surfaces live in src/http/kit/. Surfaces are composed one level up: only files ' +
        'directly in src/http/ (the server factory) import surface folders, and the CLI reaches the HTTP ' +
        'layer only through those files.',
      from: { path: '(?:^|/)src/(http/[^/]+/|cli/)' },
      to: {
        path: '(?:^|/)src/(http/[^/]+/|cli/)',
        // $1 is the importing surface ("http/backend/", "cli/"): its own files and the kit stay allowed
        pathNot: ['(?:^|/)src/$1', '(?:^|/)src/http/kit/'],
      },
    },
    {
      name: 'database-outside-repositories',
      severity: 'error',
      comment:
        'Only repositories (repo.ts, *-repo.ts) and src/db/ import kysely or the schema types (src/db/schema*), ' +
        'value or type. Use cases pass the executor they get from src/db/executor.ts to repository functions.',
      from: { path: '(?:^|/)src/', pathNot: ['(?:^|/)src/db/', REPOSITORY] },
      to: { path: ['(?:^|/)node_modules/kysely/', '(?:^|/)src/db/schema[^/]*\\.ts$'] },
    },
    {
      name: 'money-imports-only-money',
      severity: 'error',
      comment: 'src/money/ is the one money module: it imports only itself, decimal.js and node builtins.',
      from: { path: '(?:^|/)src/money/' },
      to: {
        pathNot: ['(?:^|/)src/money/', '(?:^|/)node_modules/decimal\\.js/'],
        dependencyTypesNot: ['core'],
      },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import that does not resolve to a file.',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
