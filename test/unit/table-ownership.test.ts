// One owner per table (CONTRIBUTING.md rule 2): only the owning module's repository names a table; other
// modules call its functions or compose the query pieces it exports. `npm run modules -- --check` (run by
// `npm run check`) fails on a table queried from two modules; this proves the check sees both query
// builder calls and raw SQL (on a fixture built to break it) and that src/ passes.
import { describe, expect, it } from 'vitest';
import { describeSharedTables, sharedTablesIn } from '../../scripts/module-graph.ts';

const FIXTURE = 'test/fixtures/table-ownership/src';

describe('one owning module per table', () => {
  it('fires on a table another module queries, by the builder or in raw SQL', () => {
    const shared = sharedTablesIn(FIXTURE);
    expect(shared).toEqual([
      {
        table: 'alpha_items',
        modules: { alpha: [`${FIXTURE}/alpha/repo.ts`], gamma: [`${FIXTURE}/gamma/repo.ts`] },
      },
      {
        table: 'beta_things',
        modules: { beta: [`${FIXTURE}/beta/repo.ts`], gamma: [`${FIXTURE}/gamma/repo.ts`] },
      },
    ]);
    const message = describeSharedTables(shared);
    expect(message).toContain('table alpha_items is queried from 2 modules');
    expect(message).toContain(`  gamma: ${FIXTURE}/gamma/repo.ts`);
  });

  // Every table has one owner (CONTRIBUTING.md rule 2): no module names another module's table.
  it('src/ shares no table', () => {
    expect(describeSharedTables(sharedTablesIn('src'))).toBe('');
  });
});
