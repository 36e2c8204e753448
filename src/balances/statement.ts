// The prepaid statement: when a prepaid customer's invoice is approved, the invoice is settled from the
// balance, and the ledger between this statement's settlement and the previous one is its statement:
// opening balance, top-ups received, calls (with their VAT, debited as they were rated), other movements,
// the settlement of this invoice, and the closing balance. opening + every movement = closing, exactly.
//
// VAT rule (README, "Prepaid balances"): VAT on usage. A top-up is a payment on account (prepaid credit that
// can be spent on supplies with different VAT treatment: rates per line, reverse charge), so it carries no
// VAT; each call is debited with the VAT on it as it is rated, so the balance always shows what is really
// left; the statement invoice is the VAT invoice, with VAT per rate rounded once per rate as on every
// invoice, and the settlement entry debits (or credits) the difference between the invoice's total and what
// its calls were debited: the other charges on it (line rental…) and the VAT rounding.
import type { Executor } from '../context.ts';
import type { BalanceEntryRow, EntryKind } from './repo.ts';
import { assert } from '../shared/errors.ts';
import { money, sum, type Money } from '../money/money.ts';
import { postToOne } from './post.ts';
import {
  debitedForInvoiceCalls,
  entryAtSeq,
  findSettlementEntry,
  lockBalances,
  previousSettlement,
  sumByKind,
} from './repo.ts';

export interface InvoiceToSettle {
  accountId: number;
  customerId: number;
  invoiceId: number;
  invoiceNumber: string;
  total: string;
}

/**
 * Settles an invoice being approved from the customer's ledger (in the approval's transaction, after the
 * customer and invoice locks). Returns whether the invoice is now paid from a prepaid balance: a postpaid
 * customer with a credit limit has the invoice counted as owed instead (its payments give the credit back).
 */
export async function settleInvoiceFromBalance(
  trx: Executor,
  invoice: InvoiceToSettle,
  now: Date,
): Promise<{ paidFromBalance: boolean } | undefined> {
  const [locked] = await lockBalances(trx, invoice.accountId, [invoice.customerId]);
  if (!locked) return undefined;
  if (await findSettlementEntry(trx, invoice.accountId, invoice.invoiceId))
    return { paidFromBalance: locked.billing_mode === 'prepaid' };
  const debited = money(
    await debitedForInvoiceCalls(trx, invoice.accountId, invoice.customerId, invoice.invoiceId),
  );
  // The invoice's total is what the customer owes for it; its calls have taken `-debited` already.
  const amount = money(invoice.total).negated().minus(debited);
  const prepaid = locked.billing_mode === 'prepaid';
  await postToOne(
    trx,
    invoice.accountId,
    locked,
    [
      {
        kind: 'invoice_settlement',
        amount,
        invoiceId: invoice.invoiceId,
        description: prepaid
          ? `statement invoice ${invoice.invoiceNumber}: total ${money(invoice.total).toFixed()}, calls already debited ${debited.negated().toFixed()}`
          : `invoice ${invoice.invoiceNumber}: total ${money(invoice.total).toFixed()} owed, calls already counted ${debited.negated().toFixed()}`,
      },
    ],
    now,
  );
  return { paidFromBalance: prepaid };
}

export interface Statement {
  invoiceId: number;
  currency: string;
  from: Date | null;
  to: Date;
  openingBalance: Money;
  topUps: Money;
  calls: Money;
  refunds: Money;
  adjustments: Money;
  payments: Money;
  settlement: Money;
  closingBalance: Money;
  entries: number;
}

const BALANCE_KINDS: readonly EntryKind[] = [
  'opening',
  'top_up',
  'call',
  'call_correction',
  'adjustment',
  'refund',
  'invoice_settlement',
  'payment',
];

export async function statementOfInvoice(
  db: Executor,
  accountId: number,
  invoiceId: number,
): Promise<Statement | undefined> {
  const settlement = await findSettlementEntry(db, accountId, invoiceId);
  if (!settlement) return undefined;
  const seq = Number(settlement.seq);
  const previous: BalanceEntryRow | undefined = await previousSettlement(
    db,
    accountId,
    settlement.customer_id,
    seq,
  );
  const afterSeq = previous ? Number(previous.seq) : 0;
  const opening = previous
    ? money(previous.balance_after)
    : afterSeq === 0
      ? money(0)
      : money((await entryAtSeq(db, accountId, settlement.customer_id, afterSeq))!.balance_after);
  const sums = await sumByKind(db, accountId, settlement.customer_id, afterSeq, seq);
  const of = (...kinds: EntryKind[]) => sum(kinds.map((k) => money(sums.get(k) ?? '0')));
  const statement: Statement = {
    invoiceId,
    currency: settlement.currency,
    from: previous ? previous.created_at : null,
    to: settlement.created_at,
    openingBalance: opening,
    topUps: of('top_up'),
    calls: of('call', 'call_correction'),
    refunds: of('refund'),
    adjustments: of('adjustment', 'opening'),
    payments: of('payment'),
    settlement: of('invoice_settlement'),
    closingBalance: money(settlement.balance_after),
    entries: seq - afterSeq,
  };
  const moved = of(...BALANCE_KINDS);
  assert(
    statement.openingBalance.plus(moved).equals(statement.closingBalance),
    `statement of invoice ${invoiceId} adds up`,
  );
  return statement;
}
