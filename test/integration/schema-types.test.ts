// The schema types cannot drift from the migrations: the types generated from this run's freshly migrated
// database (the template every test database is copied from) must be exactly the committed
// src/db/schema.generated.ts. On a difference the test prints it; `npm run db:types` rewrites the file.
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GENERATED_PATH, generateSchemaTypes, lineDiff, listedValues } from '../../scripts/db-types.ts';
import { createTestDatabase, testDbKind, type TestDatabase } from '../helpers/db.ts';

let testDb: TestDatabase;
beforeAll(async () => {
  testDb = await createTestDatabase();
});
afterAll(async () => {
  await testDb.drop();
});

describe(`schema types (${testDbKind()})`, () => {
  it('the committed generated types are what the migrated database gives', async () => {
    const generated = await generateSchemaTypes(testDb.database.db);
    const committed = await readFile(GENERATED_PATH, 'utf8');
    const diff = generated === committed ? '' : lineDiff(committed, generated);
    expect(
      diff,
      `src/db/schema.generated.ts differs from the migrations (- committed, + generated); run npm run db:types\n${diff}`,
    ).toBe('');
  });

  it('reads the values of a one-column CHECK ... IN list, and nothing else', () => {
    expect(listedValues('status', "CHECK ((status = ANY (ARRAY['a'::text, 'it''s'::text])))")).toEqual([
      'a',
      "it's",
    ]);
    expect(listedValues('kind', "CHECK ((kind = 'call'::text))")).toEqual(['call']);
    expect(listedValues('level', 'CHECK (((level >= 1) AND (level <= 5)))')).toBeUndefined();
    expect(
      listedValues('status', "CHECK (((status = ANY (ARRAY['a'::text])) OR (x IS NULL)))"),
    ).toBeUndefined();
  });
});
