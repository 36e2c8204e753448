// A customer's balance as the API shows it: balance, reserved, available, the credit terms, spend today and
// this month, and the automatic top-up. A customer not under credit control (postpaid, no limit) has no
// ledger: zero balance and nothing limits what is available.
import type { Ctx, Executor } from '../context.ts';
import { dateInZone } from '../shared/dates.ts';
import { notFound } from '../shared/errors.ts';
import { money, type Money } from '../money/money.ts';
import { availableOf, creditUsedPercent, type CreditTerms } from './ledger.ts';
import { findBalance, findCustomerTerms, type CustomerTerms, type LockedBalance } from './repo.ts';

export interface BalanceState {
  customer: CustomerTerms;
  row: LockedBalance | undefined;
  terms: CreditTerms;
  balance: Money;
  reserved: Money;
  available: Money | null;
  creditUsedPercent: Money | null;
  spentToday: Money;
  spentThisMonth: Money;
}

export function balanceStateOf(
  customer: CustomerTerms,
  row: LockedBalance | undefined,
  now: Date,
): BalanceState {
  const terms: CreditTerms = {
    mode: customer.billing_mode,
    creditLimit: customer.credit_limit,
    overdraft: customer.overdraft,
  };
  const totals = { balance: money(row?.balance ?? '0'), reserved: money(row?.reserved ?? '0') };
  const today = dateInZone(now, customer.timezone);
  return {
    customer,
    row,
    terms,
    ...totals,
    available:
      row === undefined && terms.mode === 'postpaid' && terms.creditLimit === null
        ? null
        : availableOf(totals, terms),
    creditUsedPercent: creditUsedPercent(totals, terms),
    spentToday: row && row.spend_day === today ? money(row.spend_day_amount) : money(0),
    spentThisMonth: row && row.spend_month === today.slice(0, 7) ? money(row.spend_month_amount) : money(0),
  };
}

export async function readBalance(
  db: Executor,
  accountId: number,
  customerId: number,
  now: Date,
): Promise<BalanceState> {
  const customer = await findCustomerTerms(db, accountId, customerId);
  if (!customer) throw notFound('Customer', customerId);
  return balanceStateOf(customer, await findBalance(db, accountId, customerId), now);
}

export function getBalance(ctx: Ctx, accountId: number, customerId: number): Promise<BalanceState> {
  return readBalance(ctx.db, accountId, customerId, ctx.now());
}
