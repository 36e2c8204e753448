// Previews for the console's settings: a bill style rendered as the PDF a customer would get, and a message
// template filled in as the email would read, both with sample figures for a sample customer and with the
// account's own name, address, logo and payment details. They go through the renderers real bills and
// emails use (renderBill, fillTemplate), so what the preview shows is what is sent. Nothing is written.
import type { AccountRow } from '../accounts/repo.ts';
import type { Executor } from '../context.ts';
import { currencyMinorDigits, formatAmount } from '../money/money.ts';
import { addDays, dateInZone } from '../shared/dates.ts';
import { resolveBillStyle } from '../delivery-settings/bill-styles.ts';
import { fillTemplate, PLACEHOLDERS, type MessageTemplate } from '../delivery-settings/templates.ts';
import { renderBill, type BillModel } from './bill/render.ts';

/** Whole amounts, so that every currency (JPY has no minor unit) prints them without rounding. */
const SAMPLE = {
  customer: 'Sample Customer Ltd',
  lines: [
    { description: 'Line rental: Reception', value: '12', vatRate: '20' },
    { description: 'Broadband', value: '25', vatRate: '20' },
  ],
  calls: { destination: 'UK mobile', calls: 210, minutes: 315, charge: '63' },
  net: '100',
  vat: '20',
  total: '120',
} as const;

function sampleDates(account: AccountRow, now: Date) {
  const invoiceDate = dateInZone(now, account.timezone);
  return {
    invoiceDate,
    dueDate: addDays(invoiceDate, account.payment_terms_days),
    number: `${account.invoice_prefix}${account.invoice_next_number}`,
  };
}

function addressLines(a: AccountRow): string[] {
  return [
    a.address_line1,
    a.address_line2,
    [a.city, a.region].filter(Boolean).join(', '),
    a.postcode,
    a.country,
  ].filter((l): l is string => typeof l === 'string' && l.trim() !== '');
}

/** The bill a customer would get in this style (a sample invoice, the account's details): a PDF. */
export async function previewBill(
  db: Executor,
  account: AccountRow,
  styleName: string,
  now: Date,
): Promise<Buffer> {
  const style = await resolveBillStyle(db, account.id, styleName, 'style');
  const digits = currencyMinorDigits(account.currency);
  const m = (v: string) => formatAmount(v, digits);
  const dates = sampleDates(account, now);
  const model: BillModel = {
    styleName: style.name,
    base: style.base,
    itemiseCalls: style.itemiseCalls,
    draft: false,
    currency: account.currency,
    account: {
      name: account.name,
      addressLines: addressLines(account),
      contactLines: [
        account.email,
        account.phone,
        account.vat_number ? `VAT ${account.vat_number}` : null,
        account.company_number ? `Company ${account.company_number}` : null,
      ].filter((c): c is string => Boolean(c)),
      paymentDetails: account.payment_details,
      logo: account.logo ? Buffer.from(account.logo) : null,
    },
    customer: {
      name: SAMPLE.customer,
      addressLines: ['1 Sample Street', 'Leeds', 'LS1 1AA'],
      accountNumber: 'SAMPLE-001',
      vatNumber: null,
      reverseCharge: false,
    },
    invoice: {
      number: dates.number,
      invoiceDate: dates.invoiceDate,
      dueDate: dates.dueDate,
      period: addDays(dates.invoiceDate, -1),
      customerReference: null,
      purchaseOrderNumber: null,
      message: 'This is a preview with sample figures.',
      net: m(SAMPLE.net),
      vat: m(SAMPLE.vat),
      reverseVat: m('0'),
      total: m(SAMPLE.total),
      paid: m('0'),
      outstanding: m(SAMPLE.total),
      categories: [
        { label: 'Recurring charges', amount: m('37') },
        { label: 'Call charges', amount: m(SAMPLE.calls.charge) },
      ],
      vatBreakdown: [{ rate: '20', net: m(SAMPLE.net), vat: m(SAMPLE.vat) }],
      callCount: SAMPLE.calls.calls,
      callMinutes: SAMPLE.calls.minutes,
    },
    lines: SAMPLE.lines.map((l) => ({
      description: l.description,
      period: '',
      quantity: '',
      value: m(l.value),
      vatRate: l.vatRate,
    })),
    linesTotal: m('37'),
    callSummary: style.showCallSummary
      ? [
          {
            destination: SAMPLE.calls.destination,
            calls: SAMPLE.calls.calls,
            minutes: SAMPLE.calls.minutes,
            charge: m(SAMPLE.calls.charge),
          },
        ]
      : [],
    callSummaryTotal: null,
    calls:
      style.base === 'full' && style.itemiseCalls
        ? [
            {
              start: `${dates.invoiceDate} 09:15:02`,
              number: '+447700900123',
              destination: SAMPLE.calls.destination,
              duration: '1:30',
              billed: '2:00',
              charge: m('1'),
            },
          ]
        : [],
    callsNotListed: style.base === 'full' && style.itemiseCalls ? SAMPLE.calls.calls - 1 : 0,
    statement: null,
  };
  return renderBill(model);
}

export interface MessagePreview {
  subject: string;
  text: string;
  /** {{names}} the template uses that are not placeholders: they would reach the customer as written. */
  unknown: string[];
}

/** The email a customer would get with this subject and body (sample invoice, the account's name). */
export function previewMessage(account: AccountRow, template: MessageTemplate, now: Date): MessagePreview {
  const digits = currencyMinorDigits(account.currency);
  const dates = sampleDates(account, now);
  const values: Record<(typeof PLACEHOLDERS)[number], string> = {
    accountName: account.name,
    customerName: SAMPLE.customer,
    invoiceNumber: dates.number,
    invoiceDate: dates.invoiceDate,
    dueDate: dates.dueDate,
    total: formatAmount(SAMPLE.total, digits),
    outstanding: formatAmount(SAMPLE.total, digits),
    currency: account.currency,
    customerReference: 'REF-1234',
    purchaseOrderNumber: 'PO-5678',
  };
  const unknown = new Set<string>();
  for (const match of `${template.subject}\n${template.body}`.matchAll(/\{\{\s*(\w*)\s*\}\}/g))
    if (!(PLACEHOLDERS as readonly string[]).includes(match[1]!)) unknown.add(match[0]);
  return {
    subject: fillTemplate(template.subject, values),
    text: fillTemplate(template.body, values),
    unknown: [...unknown],
  };
}
