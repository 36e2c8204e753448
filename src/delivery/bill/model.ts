// Gathers what a bill shows from the database into a BillModel for the renderer.
import type { Executor } from '../../context.ts';
import type { AccountRow } from '../../accounts/repo.ts';
import type { CustomerRow } from '../../customers/repo.ts';
import type { InvoiceRow } from '../../invoices/repo.ts';
import type { BillingTransactionRow } from '../../invoices/transactions-repo.ts';
import { outstanding } from '../../invoices/status.ts';
import { addDays, dateInZone } from '../../shared/dates.ts';
import {
  currencyMinorDigits,
  formatAmount,
  formatAmountAtLeast,
  formatDecimal,
  money,
  sum,
} from '../../money/money.ts';
import { TYPE_LABELS, type TransactionType } from '../../shared/transaction-types.ts';
import type { BillStyle } from '../../delivery-settings/bill-styles.ts';
import { MAX_ITEMISED_CALLS } from '../repo.ts';
import { invoiceCalls } from '../../calls/repo.ts';
import { invoiceLines } from '../../invoices/invoice-charges-repo.ts';
import type { BillModel } from './render.ts';
import { statementOfInvoice } from '../../balances/statement.ts';

/** A prepaid statement's rows for the bill (null when the invoice is not one). */
async function statementLines(
  db: Executor,
  accountId: number,
  invoiceId: number,
  digits: number,
): Promise<{ label: string; amount: string }[] | null> {
  const s = await statementOfInvoice(db, accountId, invoiceId);
  if (!s) return null;
  const m = (v: ReturnType<typeof money>) => formatAmountAtLeast(v.toFixed(), digits);
  const rows = [
    {
      label: `Opening balance${s.from ? ` (${s.from.toISOString().slice(0, 10)})` : ''}`,
      amount: m(s.openingBalance),
    },
    { label: 'Top-ups received', amount: m(s.topUps) },
    { label: 'Calls, VAT included', amount: m(s.calls) },
  ];
  if (!s.refunds.isZero()) rows.push({ label: 'Refunds', amount: m(s.refunds) });
  if (!s.adjustments.isZero()) rows.push({ label: 'Adjustments', amount: m(s.adjustments) });
  if (!s.payments.isZero()) rows.push({ label: 'Payments', amount: m(s.payments) });
  rows.push({ label: 'This invoice, less the calls already debited', amount: m(s.settlement) });
  rows.push({ label: `Closing balance (${s.to.toISOString().slice(0, 10)})`, amount: m(s.closingBalance) });
  return rows;
}

const CATEGORY_LABELS: [keyof InvoiceRow, string][] = [
  ['charges_recurring', 'Recurring charges'],
  ['charges_one_off', 'One-off charges'],
  ['charges_calls', 'Call charges'],
  ['charges_carrier_provided', 'Carrier provided charges'],
  ['charges_manual', 'Manual charges'],
  ['charges_manual_billing', 'Manual billing fee'],
  ['charges_low_usage', 'Low usage fee'],
  ['charges_late', 'Late payment fees'],
  ['charges_interest', 'Interest'],
  ['charges_refunds', 'Refunds'],
  ['charges_discount', 'Discounts'],
];

function addressLines(row: {
  address_line1: string | null;
  address_line2: string | null;
  city: string | null;
  region: string | null;
  postcode: string | null;
  country: string | null;
}): string[] {
  return [
    row.address_line1,
    row.address_line2,
    [row.city, row.region].filter(Boolean).join(', '),
    row.postcode,
    row.country,
  ].filter((l): l is string => typeof l === 'string' && l.trim() !== '');
}

function period(line: Pick<BillingTransactionRow, 'start_date' | 'end_date' | 'transaction_date'>): string {
  if (line.start_date && line.end_date)
    return line.start_date === line.end_date ? line.start_date : `${line.start_date} – ${line.end_date}`;
  return line.start_date ?? line.transaction_date;
}

function duration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = String(seconds % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

export async function buildBillModel(
  db: Executor,
  account: AccountRow,
  customer: CustomerRow,
  invoice: InvoiceRow,
  style: BillStyle,
): Promise<BillModel> {
  const digits = currencyMinorDigits(account.currency);
  const m = (v: string) => formatAmount(v, digits);
  const lines = await invoiceLines(db, account.id, invoice.id);
  const callLines = lines.filter((l) => l.origin === 'calls');
  const otherLines = lines.filter((l) => l.origin !== 'calls');

  const byDestination = new Map<
    string,
    { calls: number; minutes: number; charge: ReturnType<typeof money> }
  >();
  for (const l of callLines) {
    const key = l.call_destination ?? l.description ?? 'Calls';
    const entry = byDestination.get(key) ?? { calls: 0, minutes: 0, charge: money(0) };
    entry.calls += l.call_count ?? 0;
    entry.minutes += Number(l.call_minutes ?? 0);
    entry.charge = entry.charge.plus(l.value);
    byDestination.set(key, entry);
  }

  // By destination, in alphabetical order.
  const callSummary = style.showCallSummary
    ? [...byDestination.entries()].sort(([a], [b]) => a.localeCompare(b, 'en'))
    : [];

  const itemised =
    style.base === 'full' && style.itemiseCalls
      ? await invoiceCalls(db, account.id, invoice.id, MAX_ITEMISED_CALLS)
      : { calls: [], total: 0 };
  // Call charges keep their sub-penny precision; printed with one number of decimals so that they line up.
  const chargeDecimals = itemised.calls.reduce(
    (d, c) => (c.charge === null ? d : Math.max(d, money(c.charge).decimalPlaces())),
    digits,
  );
  const contact = [
    account.email,
    account.phone,
    account.vat_number ? `VAT ${account.vat_number}` : null,
    account.company_number ? `Company ${account.company_number}` : null,
  ];
  return {
    styleName: style.name,
    base: style.base,
    itemiseCalls: style.itemiseCalls,
    draft: invoice.approved_at === null,
    currency: account.currency,
    account: {
      name: account.name,
      addressLines: addressLines(account),
      contactLines: contact.filter((c): c is string => Boolean(c)),
      paymentDetails: account.payment_details,
      logo: account.logo ? Buffer.from(account.logo) : null,
    },
    customer: {
      name: customer.name,
      addressLines: addressLines(customer),
      accountNumber: customer.account_number,
      vatNumber: customer.vat_number,
      reverseCharge: customer.reverse_charge,
    },
    invoice: {
      number: invoice.invoice_number,
      invoiceDate: invoice.invoice_date,
      dueDate: invoice.due_date,
      period: invoice.cutoff_date ? addDays(invoice.cutoff_date, -1) : null,
      customerReference: invoice.customer_reference ?? customer.customer_reference,
      purchaseOrderNumber: invoice.purchase_order_number ?? customer.purchase_order_number,
      message: invoice.invoice_message,
      net: m(invoice.invoice_amount),
      vat: m(invoice.invoice_vat),
      reverseVat: m(invoice.invoice_reverse_vat),
      total: m(invoice.total),
      paid: m(invoice.paid_amount),
      outstanding: m(outstanding(invoice)),
      categories: CATEGORY_LABELS.filter(([column]) => !money(invoice[column] as string).isZero()).map(
        ([column, label]) => ({
          label,
          amount: m(invoice[column] as string),
        }),
      ),
      vatBreakdown: invoice.vat_breakdown.map((v) => ({ rate: v.rate, net: m(v.net), vat: m(v.vat) })),
      callCount: invoice.call_count,
      callMinutes: invoice.call_minutes,
    },
    lines: otherLines.map((l) => ({
      description: l.description ?? TYPE_LABELS[l.transaction_type as TransactionType] ?? l.transaction_type,
      period: period(l),
      quantity: l.call_count
        ? String(l.call_count)
        : l.feature_count && l.feature_count > 1
          ? String(l.feature_count)
          : '',
      value: m(l.value),
      vatRate: formatDecimal(l.vat_rate),
    })),
    linesTotal: otherLines.length > 0 ? m(sum(otherLines.map((l) => money(l.value))).toFixed()) : null,
    callSummary: callSummary.map(([destination, e]) => ({
      destination,
      calls: e.calls,
      minutes: e.minutes,
      charge: m(e.charge.toFixed()),
    })),
    callSummaryTotal:
      callSummary.length > 1
        ? {
            calls: callSummary.reduce((n, [, e]) => n + e.calls, 0),
            minutes: callSummary.reduce((n, [, e]) => n + e.minutes, 0),
            charge: m(sum(callSummary.map(([, e]) => e.charge)).toFixed()),
          }
        : null,
    calls: itemised.calls.map((c) => ({
      start: `${dateInZone(c.start_time, account.timezone)} ${c.start_time.toLocaleTimeString('en-GB', { timeZone: account.timezone, hour12: false })}`,
      number: c.direction === 'outbound' ? c.to_number : c.from_number,
      destination: c.destination ?? '',
      duration: duration(c.duration_s),
      billed: c.billable_s === null ? '' : duration(c.billable_s),
      charge: c.charge === null ? '' : formatAmount(c.charge, chargeDecimals),
    })),
    callsNotListed: Math.max(itemised.total - itemised.calls.length, 0),
    statement: await statementLines(db, account.id, invoice.id, digits),
  };
}
