// Discounts and fees on an invoice: made from everything else on it, after its charges, recurring
// charges and call charges are in place, and made again whenever the invoice is completed again (or
// `reapplyDiscountPlans` asks), so they always match what they are computed from.
import type { Executor } from '../context.ts';
import type { AccountRow } from '../accounts/repo.ts';
import { plansOfCustomers } from '../customers/repo.ts';
import { discountLines, parseDiscountRules } from '../discounts/rules.ts';
import {
  lowUsageFee,
  manualBillingFee,
  overdueFees,
  type FeeLine,
  type FeeSettings,
  type OverdueInvoice,
} from '../fees/fees.ts';
import { markFeesCharged, overdueInvoices, unmarkFeesCharged } from './fees-repo.ts';
import { addDays, type IsoDate } from '../shared/dates.ts';
import { type Money, money } from '../money/money.ts';
import { deleteExtrasOf, type GeneratedCharge } from './transactions-repo.ts';
import { discountableLines, type MovedGroup } from './invoice-charges-repo.ts';
import type { TransactionType } from '../shared/transaction-types.ts';

/** Deletes the discounts and fees on these invoices; returns what they summed, and undoes their marks. */
export async function removeExtras(
  trx: Executor,
  accountId: number,
  invoiceIds: number[],
): Promise<MovedGroup[]> {
  if (invoiceIds.length === 0) return [];
  const rows = await deleteExtrasOf(trx, accountId, invoiceIds);
  await unmarkFeesCharged(
    trx,
    accountId,
    rows
      .filter((r) => r.transaction_type === 'lateFee' && r.source_invoice_id !== null)
      .map((r) => Number(r.source_invoice_id)),
    rows
      .filter(
        (r) => r.transaction_type === 'interest' && r.source_invoice_id !== null && r.start_date !== null,
      )
      .map((r) => ({ invoiceId: Number(r.source_invoice_id), from: r.start_date! })),
  );
  return rows.map((r) => ({
    invoiceId: Number(r.invoice_id),
    type: r.transaction_type as TransactionType,
    vatRate: r.vat_rate,
    value: String(r.value),
    callCount: 0,
    callMinutes: 0,
  }));
}

function feeSettings(account: AccountRow): FeeSettings {
  return {
    lateFee: account.late_fee,
    interestRate: account.interest_rate,
    lowUsageMinimum: account.low_usage_minimum,
    manualBillingFee: account.manual_billing_fee,
  };
}

/**
 * The discount and fee lines for each invoice: discounts from the customer's plan; a low-usage fee on
 * what is left below the minimum spend; a manual billing fee for bills by post; late fees and interest on
 * the customer's overdue invoices (marked as charged on them).
 */
export async function makeExtras(
  trx: Executor,
  account: AccountRow,
  customers: readonly { id: number; bill_delivery: 'email' | 'post' }[],
  invoiceByCustomer: ReadonlyMap<number, number>,
  netBefore: ReadonlyMap<number, string>,
  cutoff: IsoDate,
  minorDigits: number,
  now: Date,
): Promise<GeneratedCharge[]> {
  const accountId = account.id;
  const customerIds = customers.map((c) => c.id).filter((id) => invoiceByCustomer.has(id));
  const plans = await plansOfCustomers(trx, accountId, customerIds);
  const lines = await discountableLines(
    trx,
    accountId,
    [...plans.keys()].map((c) => invoiceByCustomer.get(c)!),
  );
  const settings = feeSettings(account);
  // Overdue invoices only ever give late fees and interest: without either setting there is nothing to look up.
  const overdue =
    settings.lateFee || settings.interestRate
      ? await overdueInvoices(trx, accountId, customerIds, cutoff)
      : new Map<number, OverdueInvoice[]>();
  const lastDay = addDays(cutoff, -1);
  const out: GeneratedCharge[] = [];
  const lateFeesCharged: number[] = [];
  const interestCharged: { invoiceId: number; until: IsoDate }[] = [];
  const charge = (
    customerId: number,
    invoiceId: number,
    origin: 'discount' | 'fee',
    type: TransactionType,
    description: string,
    value: string,
    vatRate: string,
    extra: Partial<GeneratedCharge> = {},
  ): GeneratedCharge => ({
    accountId,
    customerId,
    featureId: null,
    invoiceId,
    origin,
    type,
    description,
    transactionDate: lastDay,
    billDate: lastDay,
    startDate: null,
    endDate: null,
    value,
    vatRate,
    valueCarrier: null,
    callCount: null,
    callMinutes: null,
    callDestination: null,
    ...extra,
  });
  for (const customer of customers) {
    const invoiceId = invoiceByCustomer.get(customer.id);
    if (invoiceId === undefined) continue;
    // The net after discounts, worked out only when something needs it (a discount plan, a minimum spend).
    let net: Money | undefined;
    const rules = plans.get(customer.id);
    if (rules !== undefined) {
      net = money(netBefore.get(invoiceId) ?? '0');
      for (const d of discountLines(parseDiscountRules(rules), lines.get(invoiceId) ?? [], minorDigits)) {
        out.push(charge(customer.id, invoiceId, 'discount', 'discount', d.description, d.value, d.vatRate));
        net = net.plus(d.value);
      }
    }
    const fees: FeeLine[] = [];
    if (settings.lowUsageMinimum) {
      const low = lowUsageFee(
        (net ?? money(netBefore.get(invoiceId) ?? '0')).toFixed(),
        settings,
        minorDigits,
      );
      if (low) fees.push(low);
    }
    const manual = manualBillingFee(customer.bill_delivery === 'post', settings, minorDigits);
    if (manual) fees.push(manual);
    fees.push(...overdueFees(overdue.get(customer.id) ?? [], settings, cutoff, minorDigits));
    for (const fee of fees) {
      out.push(
        charge(
          customer.id,
          invoiceId,
          'fee',
          fee.type,
          fee.description,
          fee.value,
          account.default_vat_rate,
          {
            sourceInvoiceId: fee.sourceInvoiceId,
            startDate: fee.startDate,
            endDate: fee.endDate,
          },
        ),
      );
      if (fee.type === 'lateFee' && fee.sourceInvoiceId !== null) lateFeesCharged.push(fee.sourceInvoiceId);
      if (fee.type === 'interest' && fee.sourceInvoiceId !== null)
        interestCharged.push({ invoiceId: fee.sourceInvoiceId, until: cutoff });
    }
  }
  await markFeesCharged(trx, accountId, lateFeesCharged, interestCharged, now);
  return out;
}

/** Customers owed a late fee or interest at this cut-off (an invoice is made for that alone). */
export async function customersWithFeesDue(
  trx: Executor,
  account: AccountRow,
  customerIds: number[],
  cutoff: IsoDate,
  minorDigits: number,
): Promise<number[]> {
  const settings = feeSettings(account);
  if (!settings.lateFee && !settings.interestRate) return [];
  const overdue = await overdueInvoices(trx, account.id, customerIds, cutoff);
  return [...overdue.entries()]
    .filter(([, list]) => overdueFees(list, settings, cutoff, minorDigits).length > 0)
    .map(([customerId]) => customerId);
}
