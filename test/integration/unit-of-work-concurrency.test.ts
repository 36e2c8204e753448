// Queries side by side inside one unit of work (src/db/unit-of-work.ts): the unit has one connection, and
// what runs on it (lone reads, lone writes each in a savepoint, joined transactions each a savepoint) must
// not interleave savepoints. A route that read its rows back with Promise.all answered 500 ("savepoint
// rb_q3 does not exist"): two lone statements had opened their savepoints one inside the other.
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { finishUnitOfWork, runInUnitOfWork } from '../../src/context.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';

type Scratch = {
  rb_uow_rows: { id: number; who: string };
};

let testDb: TestDatabase;
let db: Kysely<Scratch>;

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = testDb.database.db.withTables<Scratch>() as unknown as Kysely<Scratch>;
  await sql`create table rb_uow_rows (id int primary key, who text not null)`.execute(testDb.database.db);
});

afterAll(async () => {
  await testDb?.drop();
});

beforeEach(async () => {
  await sql`delete from rb_uow_rows`.execute(db);
});

/** Runs `fn` in a unit that then commits (or not); a unit whose `fn` throws rolls back. */
function inUnit<T>(fn: () => Promise<T>, commit = true): Promise<T> {
  return runInUnitOfWork(testDb.database.db, async (work) => {
    let result: T;
    try {
      result = await fn();
    } catch (error) {
      await finishUnitOfWork(work, { commit: false });
      throw error;
    }
    await finishUnitOfWork(work, { commit });
    return result;
  });
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

async function ids(): Promise<number[]> {
  const rows = await db.selectFrom('rb_uow_rows').select('id').orderBy('id').execute();
  return rows.map((r) => r.id);
}

function insert(executor: Kysely<Scratch>, id: number, who: string) {
  return executor.insertInto('rb_uow_rows').values({ id, who }).execute();
}

/** Fails the test instead of hanging it when the unit deadlocks. */
function within<T>(promise: Promise<T>, ms = 10_000): Promise<T> {
  return Promise.race([
    promise,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`still waiting after ${ms} ms`)), ms),
    ),
  ]);
}

describe('queries side by side in one unit of work', () => {
  it('runs raw and built reads side by side', async () => {
    await insert(db, 1, 'before');
    const [raw, built] = await within(
      inUnit(() =>
        Promise.all([
          Promise.all(
            Array.from({ length: 10 }, (_, i) =>
              sql<{ n: number }>`select ${i}::int as n from rb_uow_rows`.execute(db),
            ),
          ),
          Promise.all(Array.from({ length: 10 }, () => db.selectFrom('rb_uow_rows').select('who').execute())),
        ]),
      ),
    );
    expect(raw.map((r) => r.rows[0]!.n)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(built.every((rows) => rows.length === 1 && rows[0]!.who === 'before')).toBe(true);
  });

  it('commits lone writes made side by side, a refused one left out alone; or rolls them all back', async () => {
    await insert(db, 1, 'before');
    const writes = () =>
      Promise.allSettled([
        ...Array.from({ length: 10 }, (_, i) => insert(db, 100 + i, 'built')),
        insert(db, 1, 'a duplicate'),
        ...Array.from({ length: 10 }, (_, i) =>
          sql`insert into rb_uow_rows values (${200 + i}, 'raw')`.execute(db),
        ),
        sql`update rb_uow_rows set who = 'updated' where id = 1`.execute(db),
      ]);
    const settled = await within(inUnit(writes));
    const refused = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as { code?: string }] : []));
    expect(refused.map((e) => e.code)).toEqual(['23505']);
    expect(await ids()).toEqual([
      1,
      ...Array.from({ length: 10 }, (_, i) => 100 + i),
      ...Array.from({ length: 10 }, (_, i) => 200 + i),
    ]);
    expect(
      (await db.selectFrom('rb_uow_rows').select('who').where('id', '=', 1).executeTakeFirst())?.who,
    ).toBe('updated');

    await sql`delete from rb_uow_rows where id <> 1`.execute(db);
    await within(inUnit(writes, false));
    expect(await ids()).toEqual([1]);
  });

  it('rolls back alone a transaction that throws among others side by side, with lone writes between', async () => {
    const work = () =>
      Promise.allSettled([
        ...Array.from({ length: 6 }, (_, t) =>
          db.transaction().execute(async (trx) => {
            await insert(trx, 10 * (t + 1), `t${t}`);
            await tick();
            const [seen] = await trx
              .selectFrom('rb_uow_rows')
              .select('who')
              .where('id', '=', 10 * (t + 1))
              .execute();
            expect(seen?.who).toBe(`t${t}`);
            if (t === 2) throw new Error('transaction 2 fails');
            await insert(trx, 10 * (t + 1) + 1, `t${t}`);
          }),
        ),
        ...Array.from({ length: 6 }, async (_, i) => {
          await tick();
          await insert(db, 500 + i, 'lone');
        }),
        // A transaction whose statement is refused, caught inside it: the transaction cannot commit, and
        // rolls back alone.
        db.transaction().execute(async (trx) => {
          await insert(trx, 90, 'kept?');
          await insert(trx, 90, 'a duplicate').catch(() => undefined);
        }),
      ]);
    const settled = await within(inUnit(work));
    expect(settled.map((s) => s.status)).toEqual([
      ...['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled'],
      ...Array.from({ length: 6 }, () => 'fulfilled'),
      'rejected',
    ]);
    expect(await ids()).toEqual([10, 11, 20, 21, 40, 41, 50, 51, 60, 61, 500, 501, 502, 503, 504, 505]);

    await sql`delete from rb_uow_rows`.execute(db);
    await within(inUnit(work, false));
    expect(await ids()).toEqual([]);
  });

  it("runs a lone statement made inside a transaction's callback, and refuses a transaction opened inside another", async () => {
    await within(
      inUnit(async () => {
        await Promise.all([
          insert(db, 1, 'lone'),
          db.transaction().execute(async (trx) => {
            await insert(trx, 2, 'transaction');
            await Promise.all([
              insert(db, 3, 'lone, from inside'),
              sql`select 1`.execute(db),
              insert(trx, 4, 'transaction'),
            ]);
            await expect(db.transaction().execute(async () => undefined)).rejects.toThrow(
              'a transaction opened inside another transaction of the same unit of work',
            );
          }),
        ]);
      }),
    );
    expect(await ids()).toEqual([1, 2, 3, 4]);
  });

  it('rolls the unit back, with an error, when a read the code caught left its transaction aborted', async () => {
    await expect(
      within(
        inUnit(async () => {
          await insert(db, 1, 'lost with the unit');
          await db
            .selectFrom('rb_uow_rows')
            .select(sql<number>`1 / (id - id)`.as('boom'))
            .execute()
            .catch(() => undefined);
        }),
      ),
    ).rejects.toThrow('a read failed');
    expect(await ids()).toEqual([]);
  });
});
