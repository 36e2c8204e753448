// Renders a bill as a PDF (pdfkit, A4, the built-in Helvetica; DejaVu Sans for other scripts). Input is a
// plain BillModel (see model.ts); this file only lays it out. Amounts are printed as they are stored, with
// thousands separators and the currency named at the top, so every figure on the page is the exact figure
// of the invoice.
//
// Speed: a bill of 200 lines (six pages) renders in about 10 ms (bench/pdf.ts). Table cells are not drawn
// with pdfkit's wrapping text() (a line wrapper per cell, and every string measured three or four times):
// each cell is measured once (widths are cached for the bill), wrapped here when it does not fit, and drawn
// line by line; pdfkit-speed.ts shares the fonts between documents and batches the drawing operations.
//
// Helvetica only has the characters of Western European languages (WinAnsi). A string with any other
// (a Polish, Czech, Greek or Cyrillic name, a ₹) is set in DejaVu Sans instead, embedded only in bills
// that need it. Scripts DejaVu Sans lacks (Chinese, Japanese, emoji) still print as missing glyphs.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import PDFDocument from 'pdfkit';
import { documentOptions, type FontName, speedUp } from './pdfkit-speed.ts';

/** Characters the standard fonts can print: Latin-1 and the extra letters of Windows-1252. */
const NOT_WIN_ANSI = /[^\t\n\x20-\x7e\xa0-\xff€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ]/;

let unicodeFontDir: string | undefined;
/** The DejaVu Sans face standing in for a Helvetica face. */
function unicodeFont(name: FontName): string {
  unicodeFontDir ??= join(dirname(createRequire(import.meta.url).resolve('dejavu-fonts-ttf/package.json')), 'ttf');
  const file = name === 'Helvetica-Bold' ? 'DejaVuSans-Bold.ttf' : name === 'Helvetica-Oblique' ? 'DejaVuSans-Oblique.ttf' : 'DejaVuSans.ttf';
  return join(unicodeFontDir, file);
}

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
  /** The sum of `lines` (the Charges table's total row); null leaves the row off. */
  linesTotal?: string | null;
  callSummary: { destination: string; calls: number; minutes: number; charge: string }[];
  /** The sums of `callSummary` (its total row); null leaves the row off. */
  callSummaryTotal?: { calls: number; minutes: number; charge: string } | null;
  calls: { start: string; number: string; destination: string; duration: string; charge: string }[];
  /** Calls left off the itemised list (it is bounded). */
  callsNotListed: number;
}

const MARGIN = 48;
const GREY = '#555555';
const RULE = '#bbbbbb';
const SHADE = '#f2f2f2';
/** Space between a cell's text and the next column. */
const GAP = 8;
/** Room kept at the foot of every page for the footer line. */
const FOOTER = 30;

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


/** pdfkit's internal single-line text drawing (what text() ends in after measuring and wrapping). */
interface FragmentDrawing {
  _fragment(text: string, x: number, y: number, options: { textWidth: number; wordCount: number }): void;
}

/**
 * The page being written, with text measured once per string and font (per bill: a long-running server
 * keeps no cache between bills).
 */
class Writer {
  readonly doc: PDFKit.PDFDocument;
  readonly width: number;
  private fontName: FontName = 'Helvetica';
  private size = 9;
  /** Widths at 1 point, by font and string. */
  private readonly widths = new Map<FontName, Map<string, number>>();
  private fontWidths = new Map<string, number>();
  /** Texts only the DejaVu Sans stand-in can print. */
  private readonly unicodeTexts = new Set<string>();

  constructor(doc: PDFKit.PDFDocument) {
    this.doc = doc;
    this.width = doc.page.width - 2 * MARGIN;
  }

  get bottom(): number {
    return this.doc.page.height - MARGIN - FOOTER;
  }

  font(name: FontName, size: number): this {
    this.fontName = name;
    this.size = size;
    let widths = this.widths.get(name);
    if (!widths) this.widths.set(name, (widths = new Map()));
    this.fontWidths = widths;
    this.doc.font(name).fontSize(size);
    return this;
  }

  /** Height of one line of text in the current font, gap included (what pdfkit advances by). */
  get lineHeight(): number {
    return this.doc.currentLineHeight(true);
  }

  measure(text: string): number {
    let perPoint = this.fontWidths.get(text);
    if (perPoint === undefined) {
      if (NOT_WIN_ANSI.test(text)) {
        this.unicodeTexts.add(text);
        this.useUnicodeFont(true);
        perPoint = this.doc.widthOfString(text) / this.size;
        this.useUnicodeFont(false);
      } else {
        perPoint = this.doc.widthOfString(text) / this.size;
      }
      this.fontWidths.set(text, perPoint);
    }
    return perPoint * this.size;
  }

  /** Switches to the DejaVu Sans stand-in of the current face, or back. */
  private useUnicodeFont(on: boolean): void {
    this.doc.font(on ? unicodeFont(this.fontName) : this.fontName).fontSize(this.size);
  }

  /** Greedy word wrap to `width`; a word longer than a line is broken between characters. */
  wrap(text: string, width: number): string[] {
    const out: string[] = [];
    for (const paragraph of text.split('\n')) {
      if (this.measure(paragraph) <= width) {
        out.push(paragraph);
        continue;
      }
      let line = '';
      for (const word of paragraph.split(/\s+/).filter(Boolean)) {
        const candidate = line === '' ? word : `${line} ${word}`;
        if (this.measure(candidate) <= width) {
          line = candidate;
          continue;
        }
        if (line !== '') out.push(line);
        line = word;
        while (this.measure(line) > width && line.length > 1) {
          let cut = line.length - 1;
          while (cut > 1 && this.measure(line.slice(0, cut)) > width) cut--;
          out.push(line.slice(0, cut));
          line = line.slice(cut);
        }
      }
      out.push(line);
    }
    return out;
  }

  /** One line of text, no wrapping, its left edge at x (or its right edge at x + width when right-aligned). */
  line(text: string, x: number, y: number, width: number, align: 'left' | 'right' = 'left'): void {
    if (text === '') return;
    const textWidth = this.measure(text);
    const left = align === 'right' ? x + width - textWidth : x;
    const doc = this.doc as PDFKit.PDFDocument & Partial<FragmentDrawing>;
    // measure() saw the text first and noted whether it needs the stand-in face.
    const unicode = this.unicodeTexts.size > 0 && this.unicodeTexts.has(text);
    if (unicode) this.useUnicodeFont(true);
    if (typeof doc._fragment === 'function') {
      // What text(s, x, y, { lineBreak: false }) ends in, without measuring the string twice more.
      doc._fragment(text, left, y, { textWidth, wordCount: 1 });
    } else {
      doc.text(text, left, y, { lineBreak: false });
    }
    if (unicode) this.useUnicodeFont(false);
  }

  /** A block of wrapped text across the page; returns where it ended. */
  paragraph(text: string, x: number, y: number, width: number, align: 'left' | 'right' = 'left'): number {
    const lh = this.lineHeight;
    for (const l of this.wrap(text, width)) {
      if (y + lh > this.bottom) {
        this.newPage();
        y = MARGIN;
      }
      this.line(l, x, y, width, align);
      y += lh;
    }
    this.doc.y = y;
    return y;
  }

  newPage(): void {
    this.doc.addPage();
    this.doc.y = MARGIN;
    this.doc.font(this.fontName).fontSize(this.size);
  }

  /** Starts a new page unless `height` fits above the footer. */
  ensure(height: number): void {
    if (this.doc.y + height > this.bottom) this.newPage();
  }

  heading(text: string): void {
    this.font('Helvetica-Bold', 11);
    this.doc.fillColor('black');
    this.line(text, MARGIN, this.doc.y, this.width);
    this.doc.y += this.lineHeight + 3;
  }
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
  for (const line of [...model.account.addressLines, ...model.account.contactLines]) y = w.paragraph(line, right - sideWidth, y, sideWidth, 'right');
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
  if (model.customer.vatNumber) y = w.paragraph(`VAT number: ${model.customer.vatNumber}`, MARGIN, y, leftWidth);
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
  if (model.customer.reverseCharge) summaryRows.push(['Reverse charge VAT (for information)', model.invoice.reverseVat, false]);
  summaryRows.push(['Total', model.invoice.total, true]);
  if (model.invoice.paid !== zeroLike(model.invoice.paid)) summaryRows.push(['Paid', model.invoice.paid, false]);
  summaryRows.push(['Amount due', model.invoice.outstanding, true]);
  w.font('Helvetica', 10);
  w.ensure(20 + Math.min(summaryRows.length, 6) * (w.lineHeight + 3));
  w.heading(`Summary (${model.currency})`);
  for (const [label, amount, bold] of summaryRows) {
    w.font(bold ? 'Helvetica-Bold' : 'Helvetica', 10);
    const rowHeight = w.lineHeight + 3;
    w.ensure(rowHeight);
    const rowY = doc.y;
    if (label === 'Net amount' || label === 'Total' || label === 'Amount due') rule(doc, MARGIN, right, rowY - 1.5);
    w.line(label, MARGIN, rowY + 1, width - amountWidth - GAP);
    w.line(groupDigits(amount), right - amountWidth, rowY + 1, amountWidth, 'right');
    doc.y = rowY + rowHeight;
  }
  if (model.invoice.callCount > 0) {
    w.font('Helvetica', 9);
    doc.fillColor(GREY);
    w.paragraph(
      `${groupDigits(String(model.invoice.callCount))} calls, ${groupDigits(String(model.invoice.callMinutes))} minutes`,
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
          ? ['Total', groupDigits(model.invoice.net), groupDigits(reverse ? model.invoice.reverseVat : model.invoice.vat)]
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
        { total: model.linesTotal ? ['Total charges', '', '', '', groupDigits(model.linesTotal)] : undefined },
      );
    }
    if (model.callSummary.length > 0) {
      const t = model.callSummaryTotal;
      table(
        w,
        'Calls by destination',
        [
          { title: 'Destination', width: width - 220 },
          { title: 'Calls', width: 70, align: 'right' },
          { title: 'Minutes', width: 70, align: 'right' },
          { title: 'Amount', width: 80, align: 'right' },
        ],
        model.callSummary.map((c) => [c.destination, groupDigits(String(c.calls)), groupDigits(String(c.minutes)), groupDigits(c.charge)]),
        { total: t ? ['Total calls', groupDigits(String(t.calls)), groupDigits(String(t.minutes)), groupDigits(t.charge)] : undefined },
      );
    }
    if (model.itemiseCalls && model.calls.length > 0) {
      table(
        w,
        'Itemised calls',
        [
          { title: 'Date and time', width: 104 },
          { title: 'Number', width: 110 },
          { title: 'Destination', width: width - 354 },
          { title: 'Duration', width: 60, align: 'right' },
          { title: 'Charge', width: 80, align: 'right' },
        ],
        model.calls.map((c) => [c.start, c.number, c.destination, c.duration, c.charge]),
        { fontSize: 8 },
      );
      if (model.callsNotListed > 0) {
        w.font('Helvetica', 8);
        doc.fillColor(GREY);
        w.paragraph(`${groupDigits(String(model.callsNotListed))} further calls are in the call detail report.`, MARGIN, doc.y, width);
        doc.fillColor('black');
        doc.y += 8;
      }
    }
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
function table(w: Writer, title: string, columns: Column[], rows: string[][], options: { fontSize?: number; total?: string[] | undefined } = {}): void {
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

  const layout = (row: string[]): string[][] => row.map((cell, i) => (cell === '' ? [] : w.wrap(cell, textWidth(columns[i]!))));
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
  const short = rows.length <= 20 ? rows.reduce((h, row) => h + rowHeight(layout(row)), 0) + totalHeight : Infinity;
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
