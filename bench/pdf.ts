// Benchmark: PDF bills through the renderer the server uses (src/delivery/bill/render.ts, renderBill), for
// 1,000 different invoices of 200 billing lines each in the Full style: line rental on 25 numbers, one-off
// and carrier charges, a refund and discounts, and call charges by number and destination, at 20%, 5% and
// 0% VAT. The models are made in memory the way src/delivery/bill/model.ts makes them from the database
// (call lines summed by destination, the other lines itemised), so only the rendering is measured.
//
//   npx tsx bench/pdf.ts [--invoices N] [--lines N] [--style full|summary|itemised] [--calls N]
//                        [--out FILE]   (also write the first invoice's bill to FILE)
//
// Single-threaded, as the server renders one bill at a time, so invoices per second is per core. Also
// printed: invoices per second of CPU time used by the process (garbage collector threads included), and
// the median and best rates of batches of 50 (on a shared machine the best batch is what a free core does).
// The reference, in the same run: bare pdfkit (as installed, none of the renderer's speed-ups) writing
// the same text (every string and number of each invoice's model) in Helvetica, one line each, on A4 pages:
// the least a bill must do, without the layout (tables, wrapping, totals, headers on every page).
// Not part of the test run.
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import PDFDocument from 'pdfkit';
import type { BillModel } from '../src/delivery/bill/render.ts';
import { renderBill } from '../src/delivery/bill/render.ts';
import { formatAmount, formatDecimal, money, sum, type Money } from '../src/money/money.ts';
import { roundLine } from '../src/money/rounding.ts';

const { values: args } = parseArgs({
  options: {
    invoices: { type: 'string', default: '1000' },
    lines: { type: 'string', default: '200' },
    style: { type: 'string', default: 'full' },
    calls: { type: 'string', default: '500' },
    out: { type: 'string' },
  },
});
const INVOICES = Number(args.invoices);
const LINES = Number(args.lines);
const STYLE = args.style as 'full' | 'summary' | 'itemised';
const ITEMISED_CALLS = Number(args.calls);
if (!['full', 'summary', 'itemised'].includes(STYLE)) throw new Error('--style: full, summary or itemised');

/** Deterministic pseudo-random numbers (mulberry32). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ (t + t);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const COMPANIES = [
  'Bright Dental Ltd',
  'Harbour View Lettings',
  'Northgate Veterinary Group',
  'Kestrel Logistics Ltd',
  'St Anne’s Medical Centre',
  'Pennine Accountancy LLP',
  'Oakfield Primary School',
  'Riverside Motors (Leeds) Ltd',
];
const STREETS = [
  '14 Park Square East',
  'Unit 7, Thorp Arch Estate',
  '2nd Floor, 31 Wellington Street',
  'The Old Mill, Canal Road',
];
const TOWNS: [string, string][] = [
  ['Leeds', 'LS1 2NE'],
  ['Wetherby', 'LS23 7BJ'],
  ['Bradford', 'BD1 5AH'],
  ['Harrogate', 'HG1 1DP'],
];
const DESTINATIONS: [string, number][] = [
  ['UK landlines', 0.012],
  ['UK mobiles', 0.045],
  ['UK non-geographic 03', 0.015],
  ['UK non-geographic 0845', 0.09],
  ['Ireland', 0.03],
  ['France', 0.028],
  ['Germany', 0.026],
  ['USA and Canada', 0.018],
  ['Spain mobiles', 0.11],
  ['India', 0.065],
  ['Australia', 0.04],
  ['Directory enquiries 118', 1.5],
];
const ONE_OFFS: [string, number, string][] = [
  ['Yealink T54W handset', 129.0, '20'],
  ['Installation visit', 95.0, '20'],
  ['Number port-in', 15.0, '20'],
  ['Call recording archive export', 35.0, '20'],
  ['Printed user guides', 12.5, '0'],
  ['Domestic energy surcharge (site 2)', 18.4, '5'],
];

function amount(rand: () => number, min: number, max: number): Money {
  return roundLine(money((min + rand() * (max - min)).toFixed(2)), 2);
}

/** One invoice's bill model, as buildBillModel would make it. */
function makeModel(n: number): BillModel {
  const rand = random(n + 1);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
  const fmt = (m: Money) => formatAmount(m, 2);
  const numbers = Array.from(
    { length: 25 },
    (_, i) => `+44 113 496 ${String(1000 + ((n * 37 + i * 11) % 9000)).padStart(4, '0')}`,
  );
  const lines: {
    description: string;
    period: string;
    quantity: string;
    value: Money;
    vatRate: string;
    destination?: string;
    calls?: number;
    minutes?: number;
  }[] = [];

  // Call charge lines: one per number and destination, as the calls summary makes them.
  const callLines = Math.round(LINES * 0.35);
  for (let i = 0; i < callLines; i++) {
    const [destination, rate] = DESTINATIONS[(i * 7 + n) % DESTINATIONS.length]!;
    const calls = 1 + Math.floor(rand() * 120);
    const minutes = calls * (1 + Math.floor(rand() * 6));
    lines.push({
      description: `${numbers[i % numbers.length]}: calls to ${destination}`,
      period: '2026-10-01 – 2026-10-31',
      quantity: String(calls),
      value: roundLine(money(String(rate)).times(minutes), 2),
      vatRate: '20',
      destination,
      calls,
      minutes,
    });
  }
  // The rest itemised: line rental (this month in advance, and pro-rata parts), one-offs, refunds, discounts.
  for (let i = 0; lines.length < LINES; i++) {
    const kind = i % 10;
    if (kind < 6) {
      const number = numbers[i % numbers.length]!;
      lines.push({
        description: `Line rental ${number} (SIP channel, unlimited UK calls bundle)`,
        period: '2026-11-01 – 2026-11-30',
        quantity: '',
        value: amount(rand, 8, 30),
        vatRate: '20',
      });
    } else if (kind === 6) {
      lines.push({
        description: 'Hosted PBX user licence',
        period: '2026-11-01 – 2026-11-30',
        quantity: String(1 + Math.floor(rand() * 40)),
        value: amount(rand, 20, 400),
        vatRate: '20',
      });
    } else if (kind === 7) {
      const [description, value, vat] = pick(ONE_OFFS);
      lines.push({
        description,
        period: `2026-10-${String(1 + Math.floor(rand() * 30)).padStart(2, '0')}`,
        quantity: '',
        value: money(value.toFixed(2)),
        vatRate: vat,
      });
    } else if (kind === 8) {
      lines.push({
        description: 'Carrier provided charge: emergency services line maintenance',
        period: '2026-10-31',
        quantity: '',
        value: amount(rand, 1, 9),
        vatRate: '0',
      });
    } else {
      lines.push({
        description:
          rand() < 0.5 ? 'Refund: line rental overlap after number port' : 'Discount: 500 free UK minutes',
        period: '2026-10-31',
        quantity: '',
        value: amount(rand, 1, 25).negated(),
        vatRate: '20',
      });
    }
  }

  const byRate = new Map<string, Money>();
  for (const l of lines) byRate.set(l.vatRate, (byRate.get(l.vatRate) ?? money(0)).plus(l.value));
  const vatBreakdown = [...byRate.entries()]
    .sort((a, b) => Number(b[0]) - Number(a[0]))
    .map(([rate, net]) => ({ rate, net, vat: roundLine(net.times(rate).dividedBy(100), 2) }));
  const net = sum(vatBreakdown.map((v) => v.net));
  const vat = sum(vatBreakdown.map((v) => v.vat));
  const total = net.plus(vat);
  const category = (pred: (l: (typeof lines)[number]) => boolean) =>
    sum(lines.filter(pred).map((l) => l.value));
  const categories = [
    {
      label: 'Recurring charges',
      amount: category((l) => l.description.startsWith('Line rental') || l.description.startsWith('Hosted')),
    },
    { label: 'One-off charges', amount: category((l) => ONE_OFFS.some(([d]) => d === l.description)) },
    { label: 'Call charges', amount: category((l) => l.destination !== undefined) },
    { label: 'Carrier provided charges', amount: category((l) => l.description.startsWith('Carrier')) },
    { label: 'Refunds', amount: category((l) => l.description.startsWith('Refund')) },
    { label: 'Discounts', amount: category((l) => l.description.startsWith('Discount')) },
  ].filter((c) => !c.amount.isZero());

  const callSummary = new Map<string, { calls: number; minutes: number; charge: Money }>();
  for (const l of lines) {
    if (l.destination === undefined) continue;
    const e = callSummary.get(l.destination) ?? { calls: 0, minutes: 0, charge: money(0) };
    e.calls += l.calls!;
    e.minutes += l.minutes!;
    e.charge = e.charge.plus(l.value);
    callSummary.set(l.destination, e);
  }
  const calls =
    STYLE === 'itemised'
      ? Array.from({ length: ITEMISED_CALLS }, (_, i) => {
          const [destination, rate] = DESTINATIONS[Math.floor(rand() * DESTINATIONS.length)]!;
          const seconds = 5 + Math.floor(rand() * 900);
          const day = 1 + Math.floor((i / ITEMISED_CALLS) * 31);
          return {
            start: `2026-10-${String(day).padStart(2, '0')} ${String(8 + Math.floor(rand() * 10)).padStart(2, '0')}:${String(Math.floor(rand() * 60)).padStart(2, '0')}:${String(Math.floor(rand() * 60)).padStart(2, '0')}`,
            number: `+44 7700 9${String(Math.floor(rand() * 100000)).padStart(5, '0')}`,
            destination,
            duration: `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`,
            billed: `${Math.ceil(seconds / 60)}:00`,
            charge: money(String(rate))
              .times(Math.ceil(seconds / 60))
              .toFixed(4),
          };
        })
      : [];
  const [town, postcode] = TOWNS[n % TOWNS.length]!;
  const callCount = [...callSummary.values()].reduce((a, e) => a + e.calls, 0);
  const callMinutes = [...callSummary.values()].reduce((a, e) => a + e.minutes, 0);
  return {
    styleName: STYLE === 'full' ? 'Full' : STYLE === 'summary' ? 'Summary' : 'Itemised',
    base: STYLE === 'summary' ? 'summary' : 'full',
    itemiseCalls: STYLE === 'itemised',
    draft: false,
    currency: 'GBP',
    account: {
      name: 'Acme Telecom Ltd',
      addressLines: ['Suite 4, Brunswick Court', 'Bridge Street', 'Leeds', 'LS2 7QU', 'United Kingdom'],
      contactLines: [
        'billing@acmetelecom.example',
        '+44 113 496 0999',
        'VAT GB 123 4567 89',
        'Company 09876543',
      ],
      paymentDetails:
        'Bank transfer to Acme Telecom Ltd, sort code 40-12-34, account 12345678, quoting your invoice number. Direct Debit customers: the amount due will be collected on or after the due date.',
      logo: null,
    },
    customer: {
      name: `${COMPANIES[n % COMPANIES.length]!}${n >= COMPANIES.length ? ` (site ${Math.floor(n / COMPANIES.length) + 1})` : ''}`,
      addressLines: [STREETS[n % STREETS.length]!, town, postcode, 'United Kingdom'],
      accountNumber: `ACME-${String(10000 + n)}`,
      vatNumber: n % 3 === 0 ? `GB ${String(100000000 + n * 7919).slice(0, 9)}` : null,
      reverseCharge: false,
    },
    invoice: {
      number: String(2000 + n),
      invoiceDate: '2026-11-02',
      dueDate: '2026-11-16',
      period: 'to 2026-10-31',
      customerReference: n % 2 === 0 ? `PO-REF-${n}` : null,
      purchaseOrderNumber: n % 4 === 0 ? `4500${String(n).padStart(6, '0')}` : null,
      message:
        n % 5 === 0 ? 'Thank you for your business. From 1 December our support line opens at 07:30.' : null,
      net: fmt(net),
      vat: fmt(vat),
      reverseVat: '0.00',
      total: fmt(total),
      paid: '0.00',
      outstanding: fmt(total),
      categories: categories.map((c) => ({ label: c.label, amount: fmt(c.amount) })),
      vatBreakdown: vatBreakdown.map((v) => ({ rate: v.rate, net: fmt(v.net), vat: fmt(v.vat) })),
      callCount,
      callMinutes,
    },
    lines: lines
      .filter((l) => l.destination === undefined)
      .map((l) => ({
        description: l.description,
        period: l.period,
        quantity: l.quantity,
        value: fmt(l.value),
        vatRate: formatDecimal(l.vatRate),
      })),
    linesTotal: fmt(sum(lines.filter((l) => l.destination === undefined).map((l) => l.value))),
    callSummary: [...callSummary.entries()]
      .sort(([a], [b]) => a.localeCompare(b, 'en'))
      .map(([destination, e]) => ({
        destination,
        calls: e.calls,
        minutes: e.minutes,
        charge: fmt(e.charge),
      })),
    callSummaryTotal: {
      calls: callCount,
      minutes: callMinutes,
      charge: fmt(sum([...callSummary.values()].map((e) => e.charge))),
    },
    calls,
    callsNotListed: 0,
  };
}

console.log(
  `PDF bill benchmark: ${INVOICES.toLocaleString('en')} invoices of ${LINES} billing lines, ${STYLE} style${STYLE === 'itemised' ? ` (${ITEMISED_CALLS} calls listed)` : ''}`,
);
const models = Array.from({ length: INVOICES }, (_, i) => makeModel(i));
if (args.out) await writeFile(args.out, await renderBill(models[0]!));

// Warm up (module loading, the standard fonts' metrics, JIT), then measure.
for (let i = 0; i < Math.min(20, INVOICES); i++) await renderBill(models[i]!);
const cpuStart = process.cpuUsage();
const start = process.hrtime.bigint();
let bytes = 0;
let pages = 0;
// Batches of 50 are timed too: on a shared machine the fastest batch shows what one free core does.
const BATCH = 50;
const batchRates: number[] = [];
let batchStart = process.hrtime.bigint();
for (const [i, model] of models.entries()) {
  const pdf = await renderBill(model);
  bytes += pdf.length;
  pages += pageCount(pdf);
  if ((i + 1) % BATCH === 0) {
    const now = process.hrtime.bigint();
    batchRates.push(BATCH / (Number(now - batchStart) / 1e9));
    batchStart = now;
  }
}
batchRates.sort((a, b) => a - b);
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
const cpu = process.cpuUsage(cpuStart);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;

/** Every string and number in a model, in order: the text a bill of it shows. */
function texts(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (typeof value === 'number') out.push(String(value));
  else if (Array.isArray(value)) for (const v of value) texts(v, out);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) texts(v, out);
  return out;
}

/** The reference: bare pdfkit placing the model's text, a line each, on A4 pages. */
function referencePdf(model: BillModel): Promise<Buffer> {
  const doc = new PDFDocument({ size: 'A4', margin: 40 });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve) => doc.on('end', () => resolve(Buffer.concat(chunks))));
  doc.font('Helvetica').fontSize(8);
  let y = 40;
  for (const text of texts(model)) {
    if (y > 790) {
      doc.addPage();
      y = 40;
    }
    doc.text(text, 40, y, { lineBreak: false, width: 515 });
    y += 11;
  }
  doc.end();
  return done;
}

for (let i = 0; i < Math.min(20, INVOICES); i++) await referencePdf(models[i]!);
const refCpuStart = process.cpuUsage();
const refStart = process.hrtime.bigint();
let refPages = 0;
for (const model of models) refPages += pageCount(await referencePdf(model));
const refSeconds = Number(process.hrtime.bigint() - refStart) / 1e9;
const refCpu = process.cpuUsage(refCpuStart);
const refCpuSeconds = (refCpu.user + refCpu.system) / 1e6;

/** The page tree's /Count (pdfkit writes one /Count: the root /Pages object's, near the end). */
function pageCount(pdf: Buffer): number {
  return Number(
    /\/Count (\d+)/.exec(pdf.toString('latin1', Math.max(0, pdf.length - 4096)))?.[1] ??
      /\/Count (\d+)/.exec(pdf.toString('latin1'))?.[1] ??
      0,
  );
}

console.log('');
const median = batchRates.length > 0 ? batchRates[Math.floor(batchRates.length / 2)]!.toFixed(0) : '-';
const best = batchRates.length > 0 ? batchRates[batchRates.length - 1]!.toFixed(0) : '-';
console.log(
  `| invoices | pages | seconds | invoices/s | CPU seconds | invoices/s per CPU second | batches of ${BATCH}: median, best invoices/s | pages/s | average size |`,
);
console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
console.log(
  `| ${INVOICES} | ${pages} | ${seconds.toFixed(2)} | ${(INVOICES / seconds).toFixed(0)} | ${cpuSeconds.toFixed(2)} | ${(INVOICES / cpuSeconds).toFixed(0)} | ${median}, ${best} | ${(pages / seconds).toFixed(0)} | ${(bytes / INVOICES / 1024).toFixed(1)} KiB |`,
);
console.log(
  `\nreference (bare pdfkit, the same text a line each, no layout): ${(INVOICES / refSeconds).toFixed(0)} invoices/s, ${(INVOICES / refCpuSeconds).toFixed(0)} per CPU second, ${refPages} pages; the renderer takes ${(cpuSeconds / refCpuSeconds).toFixed(2)}x its CPU time`,
);
console.log(
  '\nGoal: at least 100 invoices per second per core. A bill renders on one thread, so invoices/s is per core;',
);
console.log("CPU seconds also count the garbage collector's helper threads.");
