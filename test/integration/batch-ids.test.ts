// A billing batch names its customers (or their invoices, features) by id with idsWithin
// (src/db/sql.ts): `= any(ids)` and the range from the lowest id to the highest. The range is only there
// for the planner: the rows are exactly the ids given, however they are spread or ordered, and never
// another account's.
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { useHarness } from '../helpers/harness.ts';
import { idsWithin } from '../../src/db/sql.ts';
import { lockCustomers } from '../../src/customers/repo.ts';

describe('ids of a batch (idsWithin)', () => {
  const h = useHarness();

  it('selects exactly the ids given: spread, unordered, repeated, one alone; another account’s never', async () => {
    const account = await h.account();
    const other = await h.account();
    const db = h.ctx.db;
    const make = async (accountId: number, n: number) =>
      (
        await sql<{ id: number }>`
          insert into customers (account_id, name, email)
          select ${accountId}, 'C' || g, 'c' || g || '@example.com' from generate_series(1, ${n}) as g
          returning id
        `.execute(db)
      ).rows.map((r) => Number(r.id));
    const mine = await make(account.id, 12);
    const theirs = await make(other.id, 3);

    const chosen = [mine[9]!, mine[0]!, mine[4]!, mine[9]!, mine[11]!];
    const rows = await sql<{ id: number }>`
      select id from customers where account_id = ${account.id} and ${idsWithin('id', chosen)} order by id
    `.execute(db);
    expect(rows.rows.map((r) => Number(r.id))).toEqual([mine[0], mine[4], mine[9], mine[11]]);

    // The same through a batch's own reader, with the other account's ids in the list.
    const locked = await db
      .transaction()
      .execute((trx) => lockCustomers(trx, account.id, [mine[3]!, ...theirs, mine[7]!]));
    expect(locked.map((c) => c.id)).toEqual([mine[3], mine[7]]);

    const one = await sql<{ id: number }>`
      select id from customers where account_id = ${account.id} and ${idsWithin('id', [mine[5]!])}
    `.execute(db);
    expect(one.rows.map((r) => Number(r.id))).toEqual([mine[5]]);

    expect(() => idsWithin('id', [])).toThrow(/no ids/);
  });
});
