// Renders a bill as a PDF (pdfkit, A4, the built-in Helvetica; DejaVu Sans for other scripts). Input is a
// plain BillModel (see model.ts); this file only lays it out. Amounts are printed as they are stored, with
// thousands separators and the currency named at the top, so every figure on the page is the exact figure
// of the invoice.
//
// Speed: a bill of 200 lines (six pages) renders in about 10 ms (bench/pdf.ts). Table cells are not drawn
// with pdfkit's wrapping text() (a line wrapper per cell, and every string measured three or four times):
// each cell is measured once (widths are cached for the bill), wrapped here when it does not fit, and drawn
// line by line (writer.ts); pdfkit-speed.ts shares the fonts between documents and batches the drawing
// operations.
import PDFDocument from 'pdfkit';
import { documentOptions, speedUp } from './pdfkit-speed.ts';
import { MARGIN, Writer } from './writer.ts';

export interface BillLine {
  description: string;
  period: string;
  quantity: string;
  value: string;
  vatRate: string;
}

export interface BillModel {
  styleName: string;
  /** 'full': everything; 'summary': totals, VAT and payment details only. */
  base: 'full' | 'summary';
  itemiseCalls: boolean;
  /** An unsent invoice: marked DRAFT, no number. */
  draft: boolean;
  currency: string;
  account: {
    name: string;
    addressLines: string[];
    contactLines: string[];
    paymentDetails: string | null;
    logo: Buffer | null;
  };
  customer: {
    name: string;
    addressLines: string[];
    accountNumber: string | null;
    vatNumber: string | null;
    reverseCharge: boolean;
  };
  invoice: {
    number: string | null;
    invoiceDate: string | null;
    dueDate: string | null;
    period: string | null;
    customerReference: string | null;
    purchaseOrderNumber: string | null;
    message: string | null;
    net: string;
    vat: string;
    reverseVat: string;
    total: string;
    paid: string;
    outstanding: string;
    categories: { label: string; amount: string }[];
    vatBreakdown: { rate: string; net: string; vat: string }[];
    callCount: number;
    /** Billed minutes (the seconds the calls were billed for, in whole minutes), not their durations. */
    callMinutes: number;
  };
  lines: BillLine[];
  /** A prepaid customer's balance statement (opening, top-ups, calls, settlement, closing); absent otherwise. */
  statement?: { label: string; amount: string }[] | null;
  /** The sum of `lines` (the Charges table's total row); null leaves the row off. */
  linesTotal?: string | null;
  /** `minutes`: billed minutes. */
  callSummary: { destination: string; calls: number; minutes: number; charge: string }[];
  /** The sums of `callSummary` (its total row); null leaves the row off. */
  callSummaryTotal?: { calls: number; minutes: number; charge: string } | null;
  /** `duration`: how long the call lasted; `billed`: the time it was billed for (its increments applied). */
  calls: {
    start: string;
    number: string;
    destination: string;
    duration: string;
    billed: string;
    charge: string;
  }[];
  /** Calls left off the itemised list (it is bounded). */
  callsNotListed: number;
}

const GREY = '#555555';
const RULE = '#bbbbbb';
const SHADE = '#f2f2f2';
/** Space between a cell's text and the next column. */
const GAP = 8;

/** "1234567.5" -> "1,234,567.50"-style grouping of a decimal string, keeping its digits exactly. */
export function groupDigits(amount: string): string {
  const negative = amount.startsWith('-');
  const [whole, fraction] = (negative ? amount.slice(1) : amount).split('.') as [string, string | undefined];
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${negative ? '-' : ''}${grouped}${fraction !== undefined ? `.${fraction}` : ''}`;
}

interface Column {
  title: string;
  width: number;
  align?: 'left' | 'right';
}

export async function renderBill(model: BillModel): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'A4',
    margin: MARGIN,
    bufferPages: true,
    info: {
      Title: model.draft ? `Draft invoice for ${model.customer.name}` : `Invoice ${model.invoice.number}`,
      Author: model.account.name,
      Creator: 'Ringbill',
    },
    ...documentOptions(),
  });
  const flushContent = speedUp(doc);
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  const w = new Writer(doc);
  const width = w.width;
  const right = MARGIN + width;

  // ---- header: the logo (left), the account (right), then the invoice and who it is for
  let top = MARGIN;
  if (model.account.logo) {
    try {
      doc.image(model.account.logo, MARGIN, top, { fit: [160, 64] });
    } catch {
      // A logo pdfkit cannot read is left off rather than failing the bill.
    }
  }
  const sideWidth = width / 2;
  w.font('Helvetica-Bold', 14);
  doc.fillColor('black');
  let y = w.paragraph(model.account.name, right - sideWidth, top, sideWidth, 'right');
  w.font('Helvetica', 9);
  doc.fillColor(GREY);
  for (const line of [...model.account.addressLines, ...model.account.contactLines])
    y = w.paragraph(line, right - sideWidth, y, sideWidth, 'right');
  doc.fillColor('black');
  top = Math.max(y, model.account.logo ? MARGIN + 64 : 0) + 16;

  w.font('Helvetica-Bold', 20);
  w.line(model.draft ? 'DRAFT INVOICE' : 'INVOICE', MARGIN, top, width);
  y = top + w.lineHeight;
  if (model.customer.reverseCharge) {
    w.font('Helvetica', 9);
    y = w.paragraph('Reverse charge: VAT to be accounted for by the customer', MARGIN, y, width);
  }
  const detailsTop = y + 10;

  // Left: bill to. Right: the invoice's facts, labels left and values right-aligned.
  const leftWidth = width / 2 - 16;
  w.font('Helvetica-Bold', 10);
  y = w.paragraph('Bill to', MARGIN, detailsTop, leftWidth);
  w.font('Helvetica', 10);
  y = w.paragraph(model.customer.name, MARGIN, y, leftWidth);
  w.font('Helvetica', 9);
  doc.fillColor(GREY);
  for (const line of model.customer.addressLines) y = w.paragraph(line, MARGIN, y, leftWidth);
  if (model.customer.vatNumber)
    y = w.paragraph(`VAT number: ${model.customer.vatNumber}`, MARGIN, y, leftWidth);
  doc.fillColor('black');
  const leftBottom = y;

  const facts: [string, string | null][] = [
    ['Invoice number', model.invoice.number ?? 'not yet issued'],
    ['Invoice date', model.invoice.invoiceDate],
    ['Due date', model.invoice.dueDate],
    ['Usage and charges to', model.invoice.period],
    ['Account number', model.customer.accountNumber],
    ['Your reference', model.invoice.customerReference],
    ['Purchase order', model.invoice.purchaseOrderNumber],
  ];
  y = detailsTop;
  const factsX = MARGIN + width / 2;
  const labelWidth = 100;
  for (const [label, value] of facts) {
    if (value === null || value === '') continue;
    w.font('Helvetica', 9);
    doc.fillColor(GREY);
    w.line(label, factsX, y, labelWidth);
    doc.fillColor('black');
    w.font(label === 'Due date' ? 'Helvetica-Bold' : 'Helvetica', 9);
    const lines = w.wrap(value, width / 2 - labelWidth);
    for (const l of lines) {
      w.line(l, factsX + labelWidth, y, width / 2 - labelWidth, 'right');
      y += w.lineHeight + 2;
    }
  }
  doc.y = Math.max(leftBottom, y) + 14;

  if (model.invoice.message) {
    w.font('Helvetica-Oblique', 9);
    w.paragraph(model.invoice.message, MARGIN, doc.y, width);
    doc.y += 10;
  }

  // ---- summary: the charges by category and the totals
  const amountWidth = 120;
  const summaryRows: [string, string, boolean][] = [
    ...model.invoice.categories.map((c): [string, string, boolean] => [c.label, c.amount, false]),
    ['Net amount', model.invoice.net, true],
    ['VAT', model.invoice.vat, false],
  ];
  if (model.customer.reverseCharge)
    summaryRows.push(['Reverse charge VAT (for information)', model.invoice.reverseVat, false]);
  summaryRows.push(['Total', model.invoice.total, true]);
  if (model.invoice.paid !== zeroLike(model.invoice.paid))
    summaryRows.push(['Paid', model.invoice.paid, false]);
  summaryRows.push(['Amount due', model.invoice.outstanding, true]);
  w.font('Helvetica', 10);
  w.ensure(20 + Math.min(summaryRows.length, 6) * (w.lineHeight + 3));
  w.heading(`Summary (${model.currency})`);
  for (const [label, amount, bold] of summaryRows) {
    w.font(bold ? 'Helvetica-Bold' : 'Helvetica', 10);
    const rowHeight = w.lineHeight + 3;
    w.ensure(rowHeight);
    const rowY = doc.y;
    if (label === 'Net amount' || label === 'Total' || label === 'Amount due')
      rule(doc, MARGIN, right, rowY - 1.5);
    w.line(label, MARGIN, rowY + 1, width - amountWidth - GAP);
    w.line(groupDigits(amount), right - amountWidth, rowY + 1, amountWidth, 'right');
    doc.y = rowY + rowHeight;
  }
  if (model.invoice.callCount > 0) {
    w.font('Helvetica', 9);
    doc.fillColor(GREY);
    w.paragraph(
      `${groupDigits(String(model.invoice.callCount))} calls, ${groupDigits(String(model.invoice.callMinutes))} billed minutes`,
      MARGIN,
      doc.y + 2,
      width,
    );
    doc.fillColor('black');
  }
  doc.y += 12;

  // Under the reverse charge the VAT by rate is the customer's to account for, not charged on this bill.
  const reverse = model.customer.reverseCharge;
  table(
    w,
    reverse ? 'VAT by rate (reverse charge: accounted for by the customer)' : 'VAT by rate',
    [
      { title: 'Rate', width: width - 200 },
      { title: 'Net', width: 100, align: 'right' },
      { title: reverse ? 'Reverse charge VAT' : 'VAT', width: 100, align: 'right' },
    ],
    model.invoice.vatBreakdown.map((v) => [`${v.rate}%`, groupDigits(v.net), groupDigits(v.vat)]),
    {
      total:
        model.invoice.vatBreakdown.length > 1
          ? [
              'Total',
              groupDigits(model.invoice.net),
              groupDigits(reverse ? model.invoice.reverseVat : model.invoice.vat),
            ]
          : undefined,
    },
  );

  if (model.base === 'full') {
    if (model.lines.length > 0) {
      table(
        w,
        'Charges',
        [
          { title: 'Description', width: width - 276 },
          { title: 'Period', width: 116 },
          { title: 'Qty', width: 36, align: 'right' },
          { title: 'VAT', width: 44, align: 'right' },
          { title: 'Amount', width: 80, align: 'right' },
        ],
        model.lines.map((l) => [l.description, l.period, l.quantity, `${l.vatRate}%`, groupDigits(l.value)]),
        {
          total: model.linesTotal ? ['Total charges', '', '', '', groupDigits(model.linesTotal)] : undefined,
        },
      );
    }
    if (model.callSummary.length > 0) {
      const t = model.callSummaryTotal;
      table(
        w,
        'Calls by destination',
        [
          { title: 'Destination', width: width - 240 },
          { title: 'Calls', width: 60, align: 'right' },
          { title: 'Billed minutes', width: 100, align: 'right' },
          { title: 'Amount', width: 80, align: 'right' },
        ],
        model.callSummary.map((c) => [
          c.destination,
          groupDigits(String(c.calls)),
          groupDigits(String(c.minutes)),
          groupDigits(c.charge),
        ]),
        {
          total: t
            ? [
                'Total calls',
                groupDigits(String(t.calls)),
                groupDigits(String(t.minutes)),
                groupDigits(t.charge),
              ]
            : undefined,
        },
      );
    }
    if (model.itemiseCalls && model.calls.length > 0) {
      table(
        w,
        'Itemised calls',
        [
          { title: 'Date and time', width: 104 },
          { title: 'Number', width: 110 },
          { title: 'Destination', width: width - 404 },
          { title: 'Duration', width: 50, align: 'right' },
          { title: 'Billed', width: 50, align: 'right' },
          { title: 'Charge', width: 80, align: 'right' },
        ],
        model.calls.map((c) => [c.start, c.number, c.destination, c.duration, c.billed, c.charge]),
        { fontSize: 8 },
      );
      if (model.callsNotListed > 0) {
        w.font('Helvetica', 8);
        doc.fillColor(GREY);
        w.paragraph(
          `${groupDigits(String(model.callsNotListed))} further calls are in the call detail report.`,
          MARGIN,
          doc.y,
          width,
        );
        doc.fillColor('black');
        doc.y += 8;
      }
    }
  }

  if (model.statement && model.statement.length > 0) {
    table(
      w,
      'Prepaid balance statement',
      [
        { title: 'Balance', width: width - 120 },
        { title: model.currency, width: 120, align: 'right' },
      ],
      model.statement.map((r) => [r.label, r.amount]),
      { fontSize: 9 },
    );
  }

  if (model.account.paymentDetails) {
    w.font('Helvetica', 9);
    const lines = w.wrap(model.account.paymentDetails, width);
    // Keep the heading with the details (all of them when they fit on a page).
    w.ensure(20 + Math.min(lines.length, 8) * w.lineHeight);
    w.heading('How to pay');
    w.font('Helvetica', 9);
    w.paragraph(model.account.paymentDetails, MARGIN, doc.y, width);
  }

  // ---- footers: page numbers on every page
  const range = doc.bufferedPageRange();
  w.font('Helvetica', 8);
  doc.fillColor(GREY);
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    const label = `${model.account.name}${model.invoice.number ? ` · Invoice ${model.invoice.number}` : ''} · Page ${i - range.start + 1} of ${range.count}`;
    const footerY = doc.page.height - MARGIN - 10;
    const labelWidth = Math.min(w.measure(label), width);
    rule(doc, MARGIN, right, footerY - 6);
    doc.text(label, MARGIN + (width - labelWidth) / 2, footerY, { lineBreak: false });
  }
  flushContent();
  doc.end();
  return done;
}

function zeroLike(amount: string): string {
  return amount.replace(/\d/g, '0').replace(/^-/, '');
}

function rule(doc: PDFKit.PDFDocument, from: number, to: number, y: number): void {
  doc.moveTo(from, y).lineTo(to, y).strokeColor(RULE).lineWidth(0.5).stroke();
}

/**
 * A table under its heading, continuing on new pages with the heading ("continued") and the column titles
 * repeated; the heading is never left alone at the foot of a page. Rows are shaded alternately; an
 * optional total row closes the table.
 */
function table(
  w: Writer,
  title: string,
  columns: Column[],
  rows: string[][],
  options: { fontSize?: number; total?: string[] | undefined } = {},
): void {
  const doc = w.doc;
  const fontSize = options.fontSize ?? 9;
  const right = MARGIN + w.width;
  const textWidth = (c: Column) => c.width - GAP;
  const textX = (c: Column, x: number) => (c.align === 'right' ? x + GAP : x);

  const drawHeader = (caption: string) => {
    w.heading(caption);
    w.font('Helvetica-Bold', fontSize);
    doc.fillColor(GREY);
    let x = MARGIN;
    const y = doc.y;
    for (const c of columns) {
      w.line(c.title, textX(c, x), y, textWidth(c), c.align);
      x += c.width;
    }
    doc.fillColor('black');
    const lineY = y + w.lineHeight + 1;
    rule(doc, MARGIN, right, lineY);
    doc.y = lineY + 2;
    w.font('Helvetica', fontSize);
  };

  const layout = (row: string[]): string[][] =>
    row.map((cell, i) => (cell === '' ? [] : w.wrap(cell, textWidth(columns[i]!))));
  const drawRow = (cells: string[][], height: number, shade: boolean) => {
    const y = doc.y;
    if (shade) {
      doc.rect(MARGIN, y, w.width, height).fill(SHADE);
      doc.fillColor('black');
    }
    const lh = w.lineHeight;
    let x = MARGIN;
    cells.forEach((lines, i) => {
      const c = columns[i]!;
      lines.forEach((l, k) => w.line(l, textX(c, x), y + 2 + k * lh, textWidth(c), c.align));
      x += c.width;
    });
    doc.y = y + height;
  };

  // Heading, column titles and the first row (or the whole of a short table) kept together.
  w.font('Helvetica', fontSize);
  const lh = w.lineHeight;
  const rowHeight = (cells: string[][]) => Math.max(1, ...cells.map((l) => l.length)) * lh + 3;
  const headerHeight = 11 * 1.16 + 3 + lh + 3;
  const totalHeight = options.total ? lh + 6 : 0;
  // A short table (up to a third of a page) is kept whole; a longer one starts with at least three rows.
  const short =
    rows.length <= 20 ? rows.reduce((h, row) => h + rowHeight(layout(row)), 0) + totalHeight : Infinity;
  const start = rows.slice(0, 3).reduce((h, row) => h + rowHeight(layout(row)), 0);
  w.ensure(headerHeight + (short <= 260 ? short : start));
  drawHeader(title);

  rows.forEach((row, index) => {
    const cells = layout(row);
    const height = rowHeight(cells);
    if (doc.y + height > w.bottom) {
      w.newPage();
      drawHeader(`${title} (continued)`);
    }
    drawRow(cells, height, index % 2 === 1);
  });

  if (options.total) {
    w.font('Helvetica-Bold', fontSize);
    const cells = layout(options.total);
    const height = rowHeight(cells) + 2;
    if (doc.y + height > w.bottom) {
      w.newPage();
      drawHeader(`${title} (continued)`);
      w.font('Helvetica-Bold', fontSize);
    }
    rule(doc, MARGIN, right, doc.y + 0.5);
    doc.y += 2;
    drawRow(cells, height - 2, false);
  }
  doc.y += 14;
}
