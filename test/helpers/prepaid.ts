// Shared set-up for the prepaid tests: a prepaid customer with a line and a rate card, top-ups, and a
// ledger check that every entry follows from the one before it.
import { expect } from 'vitest';
import type { Ctx } from '../../src/context.ts';
import { allEntries, findBalance } from '../../src/balances/repo.ts';
import { money } from '../../src/money/money.ts';
import { makeCustomer, makeFeature, type Api, type TestAccount } from './harness.ts';

export async function prepaidCustomer(api: Api, overrides: Record<string, unknown> = {}): Promise<any> {
  return makeCustomer(api, {
    billingMode: 'prepaid',
    accountNumber: `P${Math.floor(Math.random() * 1e9)}`,
    ...overrides,
  });
}

export async function topUp(api: Api, customerId: string, amount: string): Promise<any> {
  const res = await api.post(`/customers/${customerId}/balance/topUps`, { amount, reference: 'test' });
  if (res.status !== 201) throw new Error(`top-up: ${res.status} ${res.text}`);
  return res.body;
}

/**
 * A rate card with UK landlines at 0.06 a minute (60/60, no fee) and mobiles at 0.12 a minute with a 0.05
 * connection fee (per second after the first 30), the account's default.
 */
export async function rateCard(api: Api): Promise<any> {
  const res = await api.post('/rateCards', {
    name: `Prepaid ${Math.random().toString(36).slice(2, 8)}`,
    isDefault: true,
  });
  if (res.status !== 201) throw new Error(`rate card: ${res.status} ${res.text}`);
  const rates = await api.request('PUT', `/rateCards/${res.body.id}/rates`, {
    effectiveFrom: '2026-01-01',
    rates: [
      {
        prefix: '44',
        destination: 'United Kingdom',
        ratePerMinute: '0.06',
        initialIncrementS: 60,
        subsequentIncrementS: 60,
      },
      {
        prefix: '447',
        destination: 'UK mobile',
        ratePerMinute: '0.12',
        connectionFee: '0.05',
        initialIncrementS: 30,
        subsequentIncrementS: 1,
      },
    ],
  });
  if (rates.status >= 300) throw new Error(`rates: ${rates.status} ${rates.text}`);
  return res.body;
}

/** A prepaid customer with a line on +44 113 496 0NNN and a rate card; VAT 0 unless given. */
export async function prepaidLine(
  account: TestAccount,
  options: { number?: string; vatRate?: string; customer?: Record<string, unknown> } = {},
) {
  const customer = await prepaidCustomer(account.api, options.customer);
  const number = options.number ?? `+44113496${String(Math.floor(Math.random() * 10_000)).padStart(4, '0')}`;
  const feature = await makeFeature(account.api, customer.id, {
    phoneNumber: number,
    startDate: '2026-01-01',
    vatRate: options.vatRate ?? '0',
  });
  return { customer, feature, number };
}

/** Every entry follows from the one before (running totals), seq has no gaps, and the row is their sum. */
export async function expectLedgerConsistent(ctx: Ctx, accountId: number, customerId: number): Promise<void> {
  const entries = await allEntries(ctx.db, accountId, customerId);
  let balance = money(0);
  let reserved = money(0);
  entries.forEach((e, i) => {
    expect(Number(e.seq)).toBe(i + 1);
    if (e.kind === 'reservation' || e.kind === 'release') reserved = reserved.minus(e.amount);
    else balance = balance.plus(e.amount);
    expect(money(e.balance_after).equals(balance), `entry ${e.seq} balance`).toBe(true);
    expect(money(e.reserved_after).equals(reserved), `entry ${e.seq} reserved`).toBe(true);
    expect(reserved.isNegative()).toBe(false);
  });
  const row = await findBalance(ctx.db, accountId, customerId);
  if (!row) {
    expect(entries).toHaveLength(0);
    return;
  }
  expect(money(row.balance).equals(balance)).toBe(true);
  expect(money(row.reserved).equals(reserved)).toBe(true);
  expect(Number(row.entries)).toBe(entries.length);
}
