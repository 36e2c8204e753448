// Renders a bill as a PDF (pdfkit, A4, the built-in Helvetica). Input is a plain BillModel (see model.ts);
// this file only lays it out. Amounts are printed as they are stored, with thousands separators and the
// currency named at the top, so every figure on the page is the exact figure of the invoice.
import PDFDocument from 'pdfkit';

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
    callMinutes: number;
  };
  lines: BillLine[];
  callSummary: { destination: string; calls: number; minutes: number; charge: string }[];
  calls: { start: string; number: string; destination: string; duration: string; charge: string }[];
  /** Calls left off the itemised list (it is bounded). */
  callsNotListed: number;
}

const MARGIN = 48;
const GREY = '#555555';
const RULE = '#cccccc';

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
  });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  const width = doc.page.width - 2 * MARGIN;
  const bottom = () => doc.page.height - MARGIN - 30;

  // ---- header: the account, then the invoice and who it is for
  let top = MARGIN;
  if (model.account.logo) {
    try {
      doc.image(model.account.logo, MARGIN, top, { fit: [140, 60] });
    } catch {
      // A logo pdfkit cannot read is left off rather than failing the bill.
    }
  }
  doc.font('Helvetica-Bold').fontSize(14).text(model.account.name, MARGIN, top, { width, align: 'right' });
  doc.font('Helvetica').fontSize(9).fillColor(GREY);
  for (const line of [...model.account.addressLines, ...model.account.contactLines]) doc.text(line, { width, align: 'right' });
  doc.fillColor('black');
  top = Math.max(doc.y, MARGIN + 64) + 16;

  doc.font('Helvetica-Bold').fontSize(20).text(model.draft ? 'DRAFT INVOICE' : 'INVOICE', MARGIN, top);
  if (model.customer.reverseCharge) {
    doc.font('Helvetica').fontSize(9).text('Reverse charge: VAT to be accounted for by the customer', MARGIN, doc.y);
  }
  const detailsTop = doc.y + 10;
  doc.font('Helvetica-Bold').fontSize(10).text('Bill to', MARGIN, detailsTop);
  doc.font('Helvetica').fontSize(10).text(model.customer.name);
  doc.fontSize(9).fillColor(GREY);
  for (const line of model.customer.addressLines) doc.text(line);
  if (model.customer.vatNumber) doc.text(`VAT number: ${model.customer.vatNumber}`);
  doc.fillColor('black');
  const leftBottom = doc.y;

  const facts: [string, string | null][] = [
    ['Invoice number', model.invoice.number ?? 'not yet issued'],
    ['Invoice date', model.invoice.invoiceDate],
    ['Due date', model.invoice.dueDate],
    ['Billing period', model.invoice.period],
    ['Account number', model.customer.accountNumber],
    ['Your reference', model.invoice.customerReference],
    ['Purchase order', model.invoice.purchaseOrderNumber],
    ['Bill style', model.styleName],
  ];
  let y = detailsTop;
  const factsX = MARGIN + width / 2;
  for (const [label, value] of facts) {
    if (value === null) continue;
    doc.font('Helvetica').fontSize(9).fillColor(GREY).text(label, factsX, y, { width: 110 });
    doc.fillColor('black').text(value, factsX + 110, y, { width: width / 2 - 110, align: 'right' });
    y += 14;
  }
  doc.y = Math.max(leftBottom, y) + 14;

  if (model.invoice.message) {
    doc.font('Helvetica-Oblique').fontSize(9).text(model.invoice.message, MARGIN, doc.y, { width });
    doc.moveDown(0.8);
  }

  // ---- summary
  heading(doc, `Summary (${model.currency})`);
  const summaryRows: [string, string, boolean][] = [
    ...model.invoice.categories.map((c): [string, string, boolean] => [c.label, c.amount, false]),
    ['Net amount', model.invoice.net, true],
    ['VAT', model.invoice.vat, false],
  ];
  if (model.customer.reverseCharge) summaryRows.push(['Reverse charge VAT (for information)', model.invoice.reverseVat, false]);
  summaryRows.push(['Total', model.invoice.total, true]);
  if (model.invoice.paid !== zeroLike(model.invoice.paid)) summaryRows.push(['Paid', model.invoice.paid, false]);
  summaryRows.push(['Amount due', model.invoice.outstanding, true]);
  for (const [label, amount, bold] of summaryRows) {
    ensureSpace(doc, 14, bottom);
    const rowY = doc.y;
    doc.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(10).text(label, MARGIN, rowY, { width: width - 120 });
    doc.text(groupDigits(amount), MARGIN + width - 120, rowY, { width: 120, align: 'right' });
    doc.y = rowY + 14;
  }
  if (model.invoice.callCount > 0) {
    doc.font('Helvetica').fontSize(9).fillColor(GREY).text(`${model.invoice.callCount} calls, ${model.invoice.callMinutes} minutes`, MARGIN, doc.y + 2);
    doc.fillColor('black');
  }
  doc.moveDown(0.8);

  heading(doc, 'VAT by rate');
  table(
    doc,
    [
      { title: 'Rate', width: width - 240 },
      { title: 'Net', width: 120, align: 'right' },
      { title: 'VAT', width: 120, align: 'right' },
    ],
    model.invoice.vatBreakdown.map((v) => [`${v.rate}%`, groupDigits(v.net), groupDigits(v.vat)]),
    bottom,
  );

  if (model.base === 'full') {
    if (model.lines.length > 0) {
      heading(doc, 'Charges');
      table(
        doc,
        [
          { title: 'Description', width: width - 330 },
          { title: 'Period', width: 120 },
          { title: 'Qty', width: 40, align: 'right' },
          { title: 'VAT', width: 50, align: 'right' },
          { title: 'Amount', width: 120, align: 'right' },
        ],
        model.lines.map((l) => [l.description, l.period, l.quantity, `${l.vatRate}%`, groupDigits(l.value)]),
        bottom,
      );
    }
    if (model.callSummary.length > 0) {
      heading(doc, 'Calls by destination');
      table(
        doc,
        [
          { title: 'Destination', width: width - 260 },
          { title: 'Calls', width: 70, align: 'right' },
          { title: 'Minutes', width: 70, align: 'right' },
          { title: 'Amount', width: 120, align: 'right' },
        ],
        model.callSummary.map((c) => [c.destination, String(c.calls), String(c.minutes), groupDigits(c.charge)]),
        bottom,
      );
    }
    if (model.itemiseCalls && model.calls.length > 0) {
      heading(doc, 'Itemised calls');
      table(
        doc,
        [
          { title: 'Date and time', width: 110 },
          { title: 'Number', width: 110 },
          { title: 'Destination', width: width - 370 },
          { title: 'Duration', width: 60, align: 'right' },
          { title: 'Charge', width: 90, align: 'right' },
        ],
        model.calls.map((c) => [c.start, c.number, c.destination, c.duration, c.charge]),
        bottom,
        8,
      );
      if (model.callsNotListed > 0) {
        doc.font('Helvetica').fontSize(8).fillColor(GREY).text(`${model.callsNotListed} further calls are in the call detail report.`, MARGIN, doc.y + 4);
        doc.fillColor('black');
      }
    }
  }

  if (model.account.paymentDetails) {
    doc.moveDown(0.8);
    heading(doc, 'How to pay');
    doc.font('Helvetica').fontSize(9).text(model.account.paymentDetails, MARGIN, doc.y, { width });
  }

  // ---- footers: page numbers on every page
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    const label = `${model.account.name}${model.invoice.number ? ` · Invoice ${model.invoice.number}` : ''} · Page ${i - range.start + 1} of ${range.count}`;
    doc.font('Helvetica').fontSize(8).fillColor(GREY).text(label, MARGIN, doc.page.height - MARGIN - 10, { width, align: 'center', lineBreak: false });
  }
  doc.end();
  return done;
}

function zeroLike(amount: string): string {
  return amount.replace(/\d/g, '0').replace(/^-/, '');
}

function heading(doc: PDFKit.PDFDocument, text: string): void {
  if (doc.y > doc.page.height - MARGIN - 90) doc.addPage();
  doc.font('Helvetica-Bold').fontSize(11).fillColor('black').text(text, MARGIN, doc.y);
  doc.moveDown(0.3);
}

function ensureSpace(doc: PDFKit.PDFDocument, height: number, bottom: () => number): void {
  if (doc.y + height > bottom()) {
    doc.addPage();
    doc.y = MARGIN;
  }
}

/** A simple table that continues on new pages, repeating its header. */
function table(doc: PDFKit.PDFDocument, columns: Column[], rows: string[][], bottom: () => number, fontSize = 9): void {
  const drawHeader = () => {
    let x = MARGIN;
    const y = doc.y;
    doc.font('Helvetica-Bold').fontSize(fontSize).fillColor(GREY);
    for (const c of columns) {
      doc.text(c.title, x, y, { width: c.width - 4, align: c.align ?? 'left', lineBreak: false });
      x += c.width;
    }
    doc.fillColor('black');
    const lineY = y + fontSize + 3;
    doc.moveTo(MARGIN, lineY).lineTo(x, lineY).strokeColor(RULE).lineWidth(0.5).stroke();
    doc.y = lineY + 3;
  };
  ensureSpace(doc, fontSize * 3, bottom);
  drawHeader();
  doc.font('Helvetica').fontSize(fontSize);
  for (const row of rows) {
    const height = Math.max(...row.map((cell, i) => doc.heightOfString(cell, { width: columns[i]!.width - 4 })), fontSize + 2);
    if (doc.y + height > bottom()) {
      doc.addPage();
      doc.y = MARGIN;
      drawHeader();
      doc.font('Helvetica').fontSize(fontSize);
    }
    const y = doc.y;
    let x = MARGIN;
    row.forEach((cell, i) => {
      const c = columns[i]!;
      doc.text(cell, x, y, { width: c.width - 4, align: c.align ?? 'left' });
      x += c.width;
    });
    doc.y = y + height + 2;
  }
  doc.moveDown(0.6);
}
