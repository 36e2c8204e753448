import PDFDocument from 'pdfkit';
import { describe, expect, it } from 'vitest';
import { documentOptions, speedUp } from '../../src/delivery/bill/pdfkit-speed.ts';
import { type BillModel, renderBill } from '../../src/delivery/bill/render.ts';
import { pdfText } from '../helpers/pdf.ts';

async function pdfOf(doc: PDFKit.PDFDocument, draw: () => void): Promise<Buffer> {
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve) => doc.on('end', () => resolve(Buffer.concat(chunks))));
  draw();
  doc.end();
  return done;
}

/** The same drawing on a plain pdfkit document and on a sped-up one. */
async function bothWays(draw: (doc: PDFKit.PDFDocument) => void): Promise<[Buffer, Buffer]> {
  const options = {
    size: 'A4',
    bufferPages: true,
    info: { CreationDate: new Date('2026-11-02T09:00:00Z') },
  } as const;
  const plain = new PDFDocument(options);
  const fast = new PDFDocument({ ...options, ...documentOptions() });
  const flush = speedUp(fast);
  return [
    await pdfOf(plain, () => draw(plain)),
    await pdfOf(fast, () => {
      draw(fast);
      flush();
    }),
  ];
}

function model(lines: number): BillModel {
  return {
    styleName: 'Full',
    base: 'full',
    itemiseCalls: false,
    draft: false,
    currency: 'GBP',
    account: {
      name: 'Acme Telecom Ltd',
      addressLines: ['1 Exchange Street', 'Leeds'],
      contactLines: ['VAT GB 123 4567 89'],
      paymentDetails: 'Sort code 12-34-56, account 12345678.',
      logo: null,
    },
    customer: {
      name: 'Bright Dental Ltd',
      addressLines: ['22 Park Row', 'Leeds'],
      accountNumber: 'BD-0042',
      vatNumber: null,
      reverseCharge: false,
    },
    invoice: {
      number: '1042',
      invoiceDate: '2026-11-02',
      dueDate: '2026-11-16',
      period: '2026-10-31',
      customerReference: 'Surgery phones',
      purchaseOrderNumber: 'PO-7781',
      message: null,
      net: `${lines}.00`,
      vat: `${lines / 5}.00`,
      reverseVat: '0.00',
      total: `${lines * 1.2}.00`,
      paid: '0.00',
      outstanding: `${lines * 1.2}.00`,
      categories: [{ label: 'Recurring charges', amount: `${lines}.00` }],
      vatBreakdown: [{ rate: '20', net: `${lines}.00`, vat: `${lines / 5}.00` }],
      callCount: 0,
      callMinutes: 0,
    },
    lines: Array.from({ length: lines }, (_, i) => ({
      // One with a word longer than the column: broken between characters, not run into the next column.
      description: `Line rental +44 113 496 ${String(1000 + i)} ${i === 7 ? 'X'.repeat(120) : '(SIP channel, unlimited UK calls bundle)'}`,
      period: '2026-11-01 – 2026-11-30',
      quantity: '',
      value: `1.${String(i % 100).padStart(2, '0')}`,
      vatRate: '20',
    })),
    linesTotal: '1234.56',
    callSummary: [],
    calls: [],
    callsNotListed: 0,
  };
}

describe('bill rendering', () => {
  it('writes the same PDF with the shared fonts and batched drawing as plain pdfkit', async () => {
    const [plain, fast] = await bothWays((doc) => {
      doc
        .font('Helvetica-Bold')
        .fontSize(14)
        .text('Acme Telecom Ltd · Invoice 1042', 48, 48, { width: 300, align: 'right' });
      doc
        .font('Helvetica')
        .fontSize(9)
        .text('Yealink T54W handset, AVATAR Wave “quoted” — VAT 20%', 48, 80, { width: 120 });
      doc.rect(48, 120, 200, 12).fill('#f2f2f2').fillColor('black');
      doc.font('Helvetica-Oblique').text('Thank you for your business.', 48, 140, { lineBreak: false });
      doc.addPage();
      doc.font('Helvetica').text('Page two: Tavern, AWAY, Yo-yo, LT 1,234.56', 48, 48);
      doc.switchToPage(0);
      doc.fontSize(8).text('Page 1 of 2', 48, 780, { lineBreak: false });
    });
    expect(fast.equals(plain)).toBe(true);
  });

  it('lays a long bill out over pages: every line, headings continued, totals, page numbers', async () => {
    const pdf = await renderBill(model(150));
    const { text, pages } = await pdfText(pdf);
    expect(pages).toBeGreaterThan(2);
    for (let i = 0; i < 150; i++) expect(text).toContain(`+44 113 496 ${String(1000 + i)}`);
    expect(text).toContain('Charges (continued)');
    expect(text).toContain('Total charges');
    expect(text).toContain('1,234.56');
    expect(text).toContain('180.00');
    expect(text).toContain(`Page ${pages} of ${pages}`);
    expect(text).toContain('Sort code 12-34-56');
    expect(text.replace(/\s+/g, '')).toContain('X'.repeat(120));
  });

  it('prints names beyond Western European letters (Polish, Czech, Greek, Cyrillic, ₹) in a face that has them', async () => {
    const bill = model(2);
    bill.customer.name = 'Zoë Łódź Ελληνικά Привет';
    bill.customer.addressLines = ['ul. Źródlana 7', 'Praha — Žižkov'];
    bill.lines[0]!.description = 'Roaming ₹ pack, Ωmega';
    const { text } = await pdfText(await renderBill(bill));
    for (const expected of [
      'Zoë Łódź Ελληνικά Привет',
      'ul. Źródlana 7',
      'Praha — Žižkov',
      'Roaming ₹ pack, Ωmega',
      'Acme Telecom Ltd',
    ]) {
      expect(text).toContain(expected);
    }
  });

  it("marks the VAT by rate of a reverse-charge bill as the customer's to account for, with its total", async () => {
    const bill = model(3);
    bill.customer.reverseCharge = true;
    bill.invoice.vat = '0.00';
    bill.invoice.vatBreakdown = [
      { rate: '20', net: '2.00', vat: '0.40' },
      { rate: '10', net: '1.00', vat: '0.10' },
    ];
    bill.invoice.net = '3.00';
    bill.invoice.reverseVat = '0.50';
    const { text } = await pdfText(await renderBill(bill));
    expect(text).toContain('VAT by rate (reverse charge: accounted for by the customer)');
    expect(text).toContain('Reverse charge VAT');
    expect(text).toMatch(/Total\s+3\.00\s+0\.50/);
  });
});
