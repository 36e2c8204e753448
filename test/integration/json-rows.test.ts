// Billing batches read their hot rows as one JSON text each (jsonRowSql in src/db/sql.ts): locked customers,
// recurring features and unsent invoices' stored totals. Those readers must give exactly what the driver
// gives for the same columns read field by field, on each engine: numerics as PostgreSQL writes them (every
// digit), dates as 'YYYY-MM-DD', booleans, nulls, text with quotes and newlines, jsonb parsed.
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { useHarness } from '../helpers/harness.ts';
import { fromJsonRow, jsonRowSql } from '../../src/db/sql.ts';
import { lockCustomers } from '../../src/customers/repo.ts';
import { recurringFeatures, RECURRING_FEATURE_COLUMNS } from '../../src/features/repo.ts';
import { findUnsentInvoiceTotals } from '../../src/invoices/repo.ts';
import { attachQualifying } from '../../src/invoices/invoice-charges-repo.ts';
import { STORED_TOTALS_COLUMNS } from '../../src/invoices/stored-totals-repo.ts';

describe('rows read as JSON text', () => {
  const h = useHarness();

  it('lockCustomers, recurringFeatures, findUnsentInvoiceTotals and the invoices attachQualifying makes answer what the driver reads field by field', async () => {
    const account = await h.account();
    const db = h.ctx.db;
    const customers = await sql<{ id: number }>`
      insert into customers (account_id, name, email, reverse_charge, bill_delivery)
      values (${account.id}, 'A "quoted" name' || chr(10) || 'second line', 'a@example.com', true, 'post'),
             (${account.id}, 'B', 'b@example.com', false, 'email')
      returning id
    `.execute(db);
    const ids = customers.rows.map((r) => Number(r.id));
    await sql`
      insert into features (account_id, customer_id, name, recurring_value, recurring_frequency, billing, start_date,
                            end_date, billed_until, vat_rate)
      values (${account.id}, ${ids[0]}, 'Line "1" \\ é', 12.345678, 'monthly', 'advance', date '2026-01-31',
              date '2026-12-31', date '2026-11-30', 17.5),
             (${account.id}, ${ids[1]}, 'Line 2', 0.10, 'annually', 'arrears', date '2024-02-29', null, null, null)
    `.execute(db);
    await sql`
      insert into invoices (account_id, customer_id, charges_one_off, charges_recurring, charges_calls, charges_refunds,
                            charges_discount, vat_breakdown, call_count, call_minutes)
      values (${account.id}, ${ids[0]}, 123456789012.34, 0, 0.000001, -5.50, -0.01,
              '[{"rate":"20","net":"123456789012.33","vat":"24691357802.47"},{"rate":"0","net":"0.00","vat":"0.00"}]',
              4000000000, 12)
    `.execute(db);

    const customersByDriver = await db
      .selectFrom('customers')
      .select(['id', 'reverse_charge', 'rate_card_id', 'bill_delivery'])
      .where('account_id', '=', account.id)
      .orderBy('id')
      .execute();
    expect(await lockCustomers(db, account.id, ids)).toEqual(customersByDriver);

    const featuresByDriver = await db
      .selectFrom('features')
      .select(RECURRING_FEATURE_COLUMNS)
      .where('account_id', '=', account.id)
      .orderBy('id')
      .execute();
    expect(featuresByDriver.map((f) => f.recurring_value)).toEqual(['12.345678', '0.100000']);
    expect(await recurringFeatures(db, account.id, ids)).toEqual(featuresByDriver);

    const { made } = await attachQualifying(
      db,
      account.id,
      [],
      { by: 'billDate', before: '2026-11-01' },
      new Date(),
      [ids[1]!],
    );
    const totalsByDriver = await db
      .selectFrom('invoices')
      .select(STORED_TOTALS_COLUMNS)
      .where('account_id', '=', account.id)
      .orderBy('id')
      .execute();
    expect(totalsByDriver[0]!.charges_one_off).toBe('123456789012.34');
    expect(totalsByDriver[0]!.charges_calls).toBe('0.000001');
    const found = await findUnsentInvoiceTotals(db, account.id, ids);
    expect(found.sort((a, b) => a.id - b.id)).toEqual(totalsByDriver);
    expect(made).toEqual([totalsByDriver[1]]);
  });

  it('refuses an integer past 2^53 rather than answer it rounded', async () => {
    const big = await sql<{ row: string }>`
      select ${jsonRowSql('v', ['n'], new Set())} as row from (select 9007199254740993::bigint as n) as v
    `.execute(h.ctx.db);
    expect(() => fromJsonRow(big.rows[0]!.row, ['n'])).toThrow(/past the integers/);
    const exact = await sql<{ row: string }>`
      select ${jsonRowSql('v', ['n'], new Set(['n']))} as row from (select 9007199254740993::bigint as n) as v
    `.execute(h.ctx.db);
    expect(fromJsonRow(exact.rows[0]!.row, ['n'])).toEqual({ n: '9007199254740993' });
  });
});
