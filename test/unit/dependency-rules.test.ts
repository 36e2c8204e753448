// The dependency rules of .dependency-cruiser.cjs (CONTRIBUTING.md, "Dependency rules"): src/ breaks none
// of them, and each rule fires on a fixture tree built to break it (so a rule that silently matches
// nothing fails here).
import { describe, expect, it } from 'vitest';
import { cruise, type ICruiseResult, type IViolation } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';
import { measure } from '../../scripts/module-graph.ts';

/** The violations of both configurations, as `npm run deps` runs them. */
async function violationsOf(root: string): Promise<IViolation[]> {
  const found: IViolation[] = [];
  for (const config of ['./.dependency-cruiser.cjs', './.dependency-cruiser-cycles.cjs']) {
    const options = await extractDepcruiseOptions(config);
    const result = await cruise([root], { ...options, validate: true }, undefined, {
      tsConfig: extractTSConfig('tsconfig.json'),
    });
    found.push(...(result.output as ICruiseResult).summary.violations);
  }
  return found;
}

/** One line per violation, the way `npm run deps` shows it: rule, what imports what. */
function describeViolation(v: IViolation): string {
  const cycle = v.cycle?.map((c) => c.name).join(' -> ');
  return `${v.rule.name}: ${v.from} -> ${cycle ?? v.to}`;
}

const FIXTURE = 'test/fixtures/dependency-rules/src';

describe('dependency rules', () => {
  it('src/ breaks none of them', { timeout: 120_000 }, async () => {
    const violations = await violationsOf('src');
    expect(violations.map(describeViolation)).toEqual([]);
  });

  // delta and epsilon import each other, one way by a type-only import: not a cycle (nothing listed)
  it('each rule fires on the fixture tree that breaks it', { timeout: 60_000 }, async () => {
    const found = (await violationsOf(FIXTURE))
      .map((v) => ({
        rule: v.rule.name,
        from: v.from.replace(`${FIXTURE}/`, ''),
        to: v.to.replace(`${FIXTURE}/`, ''),
      }))
      .map((v) => `${v.rule}: ${v.from} -> ${v.to.replace(/^.*node_modules\/(kysely)\/.*$/, '$1')}`)
      .sort();
    expect(found).toEqual([
      'database-outside-repositories: alpha/use-case.ts -> db/schema.ts',
      'database-outside-repositories: alpha/use-case.ts -> kysely',
      'domain-imports-surface: alpha/use-case.ts -> http/backend/view.ts',
      'module-cycle: beta -> gamma',
      'module-cycle: gamma -> beta',
      'money-imports-only-money: money/amount.ts -> alpha/repo.ts',
      'surface-imports-surface: cli/program.ts -> http/backend/view.ts',
      'surface-imports-surface: http/feed/route.ts -> http/backend/view.ts',
    ]);
  });

  it('the top-level modules of src/ form no cycle through value imports', { timeout: 120_000 }, async () => {
    // The folder rule above sees folders; this also sees the files directly in src/ (context.ts, jobs.ts).
    const measured = await measure();
    expect(measured.components).toEqual([]);
    expect(measured.sqlOutsideRepos.map((s) => `${s.file}:${s.line}`)).toEqual([]);
  });
});
