// A manual top-up (a bank transfer, cash, a cheque…): the money is already received, so the top-up is
// completed at once and credited to the balance in the same transaction. Only prepaid customers are topped
// up: a postpaid customer's payments go against invoices.
import type { Ctx, Executor } from '../context.ts';
import type { BalanceEntryRow, TopUpMethod, TopUpRow } from './repo.ts';
import { DomainError, invalid, notFound } from '../shared/errors.ts';
import { currencyMinorDigits, formatAmount, isDecimalString, money } from '../money/money.ts';
import { postToOne } from './post.ts';
import {
  findCustomerTerms,
  insertBalanceRow,
  insertTopUp,
  lockBalances,
  type CustomerTerms,
} from './repo.ts';

export const MANUAL_METHODS = [
  'bank_transfer',
  'cash',
  'cheque',
  'card',
  'direct_debit',
  'other',
] as const satisfies readonly TopUpMethod[];
export type ManualMethod = (typeof MANUAL_METHODS)[number];

/** Most a single top-up may be (a typing mistake of a few zeros is refused rather than credited). */
export const MAX_TOP_UP = '1000000';

export interface ManualTopUpInput {
  amount: string;
  method?: ManualMethod | undefined;
  reference?: string | undefined;
  notes?: string | undefined;
}

/** Checks a top-up amount: positive, exact to the currency's minor unit, within MAX_TOP_UP. */
export function topUpAmount(value: string, currency: string, field = 'amount'): string {
  const digits = currencyMinorDigits(currency);
  if (!isDecimalString(value, digits) || !money(value).greaterThan(0)) {
    throw invalid(
      field,
      `must be a positive amount with at most ${digits} decimal places, as a string ("20.00")`,
    );
  }
  if (money(value).greaterThan(MAX_TOP_UP)) throw invalid(field, `must be at most ${MAX_TOP_UP}`);
  return formatAmount(value, digits);
}

/** The customer, checked to be prepaid (top-ups are for prepaid balances). */
export async function prepaidCustomer(
  db: Executor,
  accountId: number,
  customerId: number,
): Promise<CustomerTerms> {
  const customer = await findCustomerTerms(db, accountId, customerId);
  if (!customer) throw notFound('Customer', customerId);
  if (customer.billing_mode !== 'prepaid') {
    throw new DomainError(
      'conflict',
      `customer ${customerId} is postpaid: record payments against its invoices, or make it prepaid (billingMode) first`,
    );
  }
  return customer;
}

/** Credits a completed top-up to the balance (the caller's transaction; the balance row is locked here). */
export async function creditTopUp(
  trx: Executor,
  accountId: number,
  topUp: TopUpRow,
  now: Date,
): Promise<BalanceEntryRow> {
  await insertBalanceRow(trx, accountId, topUp.customer_id, topUp.currency, now);
  const [locked] = await lockBalances(trx, accountId, [topUp.customer_id]);
  const posted = await postToOne(
    trx,
    accountId,
    locked!,
    [
      {
        kind: 'top_up',
        amount: money(topUp.amount),
        topUpId: topUp.id,
        paymentId: topUp.payment_id,
        description: topUpDescription(topUp),
      },
    ],
    now,
  );
  return posted.entries[0]!;
}

function topUpDescription(topUp: TopUpRow): string {
  const how =
    topUp.method === 'auto'
      ? 'automatic top-up'
      : topUp.method === 'payment_request'
        ? 'top-up paid by link'
        : `top-up by ${topUp.method.replace('_', ' ')}`;
  return topUp.reference ? `${how} (${topUp.reference})` : how;
}

export async function topUpManually(
  ctx: Ctx,
  accountId: number,
  customerId: number,
  input: ManualTopUpInput,
): Promise<{ topUp: TopUpRow; entry: BalanceEntryRow }> {
  if (input.reference !== undefined && input.reference.length > 200)
    throw invalid('reference', 'at most 200 characters');
  if (input.notes !== undefined && input.notes.length > 2000)
    throw invalid('notes', 'at most 2000 characters');
  return ctx.db.transaction().execute(async (trx) => {
    const customer = await prepaidCustomer(trx, accountId, customerId);
    const amount = topUpAmount(input.amount, customer.currency);
    const now = ctx.now();
    const topUp = await insertTopUp(trx, {
      account_id: accountId,
      customer_id: customerId,
      method: input.method ?? 'bank_transfer',
      amount,
      currency: customer.currency,
      status: 'completed',
      reference: input.reference?.trim() || null,
      notes: input.notes?.trim() || null,
      request_id: null,
      created_at: now,
      completed_at: now,
    });
    const entry = await creditTopUp(trx, accountId, topUp, now);
    return { topUp, entry };
  });
}
