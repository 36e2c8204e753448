// The prepaid surface's wire views: a balance, its entries, top-ups and reservations. camelCase, amounts as
// decimal strings with at least the currency's decimals (call debits keep their sub-penny precision).
import { z } from 'zod';
import type { BalanceState } from '../../balances/get-balance.ts';
import type { BalanceEntryRow, TopUpRow } from '../../balances/repo.ts';
import { currencyMinorDigits, formatAmountAtLeast, money } from '../../money/money.ts';
import { percentForDisplay } from '../../money/rounding.ts';
import { amount, idString } from './schemas.ts';

const idOrNull = (v: number | null) => (v === null ? null : String(v));
const fmt = (value: string, currency: string) =>
  formatAmountAtLeast(money(value).toFixed(), currencyMinorDigits(currency));

export const balanceView = z
  .object({
    customerID: idString,
    billingMode: z.enum(['postpaid', 'prepaid']),
    currency: z.string(),
    balance: amount.meta({ description: 'The sum of the ledger entries (negative: owed)' }),
    reserved: amount.meta({ description: 'Held for calls in progress (authorised, not yet settled)' }),
    available: amount.nullable().meta({
      description:
        'What can still be spent: prepaid balance + overdraft - reserved; postpaid creditLimit + balance - reserved; null when nothing limits it',
    }),
    creditLimit: amount.nullable(),
    overdraft: amount,
    creditUsedPercent: z.string().nullable().meta({
      description:
        'Credit used as a percentage of the credit limit (prepaid: of the overdraft), two decimals',
    }),
    spentToday: amount,
    spentThisMonth: amount,
    autoTopUp: z.object({
      enabled: z.boolean(),
      threshold: amount.nullable(),
      amount: amount.nullable(),
      cardLast4: z.string().nullable(),
      hasCard: z.boolean(),
    }),
    entries: z.number().int().meta({ description: 'How many ledger entries there are' }),
    updated: z.string().nullable(),
  })
  .meta({ id: 'Balance' });

export function toBalanceView(s: BalanceState): z.infer<typeof balanceView> {
  const c = s.customer.currency;
  return {
    customerID: String(s.customer.id),
    billingMode: s.customer.billing_mode,
    currency: c,
    balance: fmt(s.balance.toFixed(), c),
    reserved: fmt(s.reserved.toFixed(), c),
    available: s.available === null ? null : fmt(s.available.toFixed(), c),
    creditLimit: s.customer.credit_limit === null ? null : fmt(s.customer.credit_limit, c),
    overdraft: fmt(s.customer.overdraft, c),
    creditUsedPercent: s.creditUsedPercent === null ? null : percentForDisplay(s.creditUsedPercent),
    spentToday: fmt(s.spentToday.toFixed(), c),
    spentThisMonth: fmt(s.spentThisMonth.toFixed(), c),
    autoTopUp: {
      enabled: s.row?.auto_top_up_enabled ?? false,
      threshold: s.row?.auto_top_up_threshold ? fmt(s.row.auto_top_up_threshold, c) : null,
      amount: s.row?.auto_top_up_amount ? fmt(s.row.auto_top_up_amount, c) : null,
      cardLast4: s.row?.auto_top_up_card_last4 ?? null,
      hasCard: (s.row?.auto_top_up_card_token ?? null) !== null,
    },
    entries: Number(s.row?.entries ?? 0),
    updated: s.row ? s.row.updated_at.toISOString() : null,
  };
}

export const entryView = z
  .object({
    id: idString,
    seq: z
      .number()
      .int()
      .meta({ description: "The entry's number in the customer's ledger: 1, 2, 3… with no gaps" }),
    type: z.enum([
      'opening',
      'top_up',
      'call',
      'call_correction',
      'reservation',
      'release',
      'adjustment',
      'refund',
      'invoice_settlement',
      'payment',
    ]),
    amount: amount.meta({
      description:
        'The change to what is available: reservation and release entries move `reserved`, the others move `balance`',
    }),
    vatAmount: amount.nullable().meta({ description: 'The VAT included in a call debit' }),
    currency: z.string(),
    balance: amount.meta({ description: 'The balance after this entry' }),
    reserved: amount.meta({ description: 'Reserved after this entry' }),
    callID: idString.nullable(),
    reservationID: idString.nullable(),
    invoiceID: idString.nullable(),
    topUpID: idString.nullable(),
    paymentID: idString.nullable(),
    description: z.string().nullable(),
    created: z.string(),
  })
  .meta({ id: 'BalanceEntry' });

export function toEntryView(e: BalanceEntryRow): z.infer<typeof entryView> {
  return {
    id: String(e.id),
    seq: Number(e.seq),
    type: e.kind,
    amount: fmt(e.amount, e.currency),
    vatAmount: e.vat_amount === null ? null : fmt(e.vat_amount, e.currency),
    currency: e.currency,
    balance: fmt(e.balance_after, e.currency),
    reserved: fmt(e.reserved_after, e.currency),
    callID: idOrNull(e.call_id),
    reservationID: idOrNull(e.reservation_id),
    invoiceID: idOrNull(e.invoice_id),
    topUpID: idOrNull(e.top_up_id),
    paymentID: idOrNull(e.payment_id),
    description: e.description,
    created: e.created_at.toISOString(),
  };
}

export const ENTRY_CSV_COLUMNS = [
  'id',
  'seq',
  'type',
  'amount',
  'vatAmount',
  'currency',
  'balance',
  'reserved',
  'callID',
  'reservationID',
  'invoiceID',
  'topUpID',
  'paymentID',
  'description',
  'created',
] as const;

export const topUpView = z
  .object({
    id: idString,
    customerID: idString,
    method: z.enum([
      'bank_transfer',
      'cash',
      'cheque',
      'card',
      'direct_debit',
      'other',
      'payment_request',
      'auto',
    ]),
    amount,
    currency: z.string(),
    status: z.enum(['pending', 'completed', 'failed', 'cancelled']),
    reference: z.string().nullable(),
    notes: z.string().nullable(),
    paymentRequestID: idString.nullable(),
    paymentID: idString.nullable(),
    url: z.string().nullable().meta({ description: 'The payment page link of a top-up paid by link' }),
    failureReason: z.string().nullable(),
    created: z.string(),
    completed: z.string().nullable(),
  })
  .meta({ id: 'TopUp' });

export function toTopUpView(t: TopUpRow, url: string | null = null): z.infer<typeof topUpView> {
  return {
    id: String(t.id),
    customerID: String(t.customer_id),
    method: t.method,
    amount: fmt(t.amount, t.currency),
    currency: t.currency,
    status: t.status,
    reference: t.reference,
    notes: t.notes,
    paymentRequestID: idOrNull(t.request_id),
    paymentID: idOrNull(t.payment_id),
    url,
    failureReason: t.failure_reason,
    created: t.created_at.toISOString(),
    completed: t.completed_at ? t.completed_at.toISOString() : null,
  };
}
