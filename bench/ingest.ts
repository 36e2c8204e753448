// Benchmark: `ringbill import calls` end to end (read the CSV, parse, allocate, rate, deduplicate, store)
// on PGlite and on PostgreSQL, against a raw COPY of the same file into a plain table in the same
// database in the same run (the physical limit).
//
//   npx tsx bench/ingest.ts [--lines N] [--numbers N] [--prefixes N] [--only pglite|postgres] [--no-reimport]
//                           [--format ringbill|asterisk|freeswitch|opensips|cgrates|all (comma-separated)]
//                           [--keep DIR]   (keep the generated files in DIR)
//                           [--rounds N]   (run the formats N times in turn; each keeps its best round)
//                           [--cpu-prof DIR] (a CPU profile of this process during each import, .cpuprofile)
//
// The storage floor (the reference the goal is measured against): after the first import of a format, the
// rows it stored (every table the import writes a row per call to: calls, and call_transactions when the
// schema has a second row per call) are copied out, the tables emptied, and the same rows COPYed straight
// back in one transaction, every index in place: what storing these calls costs with no reading, checking,
// rating, deduplication or feed at all. Shown as the file's lines over its seconds (as the import's calls/s
// are), with the ratio of the two times.
//
// Each import's CPU time in this process (process.cpuUsage: the reading, checking, rating and COPY text;
// on PostgreSQL not the server's work, on PGlite the database's too) is shown next to its wall time, and
// the table gives each format's median over the rounds: on a shared machine, where wall time follows the
// load of others, it is the steadier figure of what a format costs. On a PostgreSQL server on this machine
// the CPU time of its processes serving the bench's database (from /proc) is shown too: on two cores the
// import's speed is bounded by both together.
//
// --format: the same calls written as that switch writes them (Asterisk's Master.csv with every field
// quoted, FreeSWITCH mod_cdr_csv's example template, an OpenSIPS acc export, CGRateS's default export),
// imported with --format and compared with Ringbill's own CSV of the same calls in the same run (the
// ringbill format always runs first). Numbers are written as switches dial them (00 and the digits), so
// the number plan works on every line. Goal: within 10% of the ringbill format's speed, memory as flat.
//
// The data: an account in Europe/London; customers with features whose phone numbers are the calls'
// numbers (10,000 by default); a default rate card of 20,000 prefixes (a tenth with peak/off-peak/weekend
// rates, some without a weekend rate) and a second card on a tenth of the customers; CDRs through October
// 2026 in the order a switch writes them (by end time), from those numbers (and a few percent from numbers no feature has), outbound and inbound, to numbers
// under the card's prefixes (and some under none), about 1.5% bad lines and 1% duplicates (repeats of an
// earlier line, in the same batch or far back). Memory: resident set size and JS heap sampled during the
// import (streamed: it stays flat however long the file; try --lines 10000000).
//
// PostgreSQL: BENCH_DATABASE_URL, else TEST_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/test
// (a fresh database is made for the run and dropped after). Not part of the test run.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import pg from 'pg';
import { Session } from 'node:inspector/promises';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { createAccount } from '../src/api-keys/create-account.ts';
import { importCallsFile } from '../src/calls/import-file.ts';
import type { IngestSummary } from '../src/calls/ingest.ts';
import { createCtx, type Ctx } from '../src/context.ts';
import { REACTIONS } from '../src/reactions.ts';
import { openPglite, openPostgres, type Database } from '../src/db/connection.ts';
import { migrate } from '../src/db/migrate.ts';
import { localServerCpu, type ServerCpu } from './kit.ts';
import { importRates } from '../src/rate-cards/import-rates.ts';
import { parseRatesCsv } from '../src/rate-cards/rate-csv.ts';

const { values: args } = parseArgs({
  options: {
    lines: { type: 'string', default: '1000000' },
    numbers: { type: 'string', default: '10000' },
    prefixes: { type: 'string', default: '20000' },
    only: { type: 'string' },
    'no-reimport': { type: 'boolean' },
    keep: { type: 'string' },
    format: { type: 'string', default: 'ringbill' },
    rounds: { type: 'string', default: '1' },
    'cpu-prof': { type: 'string' },
  },
});
const SWITCH_BENCH_FORMATS = ['asterisk', 'freeswitch', 'opensips', 'cgrates'] as const;
type BenchFormat = 'ringbill' | (typeof SWITCH_BENCH_FORMATS)[number];
const FORMATS: BenchFormat[] = [
  'ringbill',
  ...(args.format === 'all'
    ? SWITCH_BENCH_FORMATS
    : (args.format.split(',').map((f) => f.trim()) as BenchFormat[])
  ).filter((f) => f !== 'ringbill'),
];
for (const f of FORMATS)
  if (f !== 'ringbill' && !(SWITCH_BENCH_FORMATS as readonly string[]).includes(f))
    throw new Error(`--format: ${f} is not one of ringbill, ${SWITCH_BENCH_FORMATS.join(', ')}, all`);
const LINES = Number(args.lines);
const NUMBERS = Number(args.numbers);
const PREFIXES = Number(args.prefixes);
const REIMPORT = !args['no-reimport'];
const ROUNDS = Math.max(1, Number(args.rounds));
const FEATURES_PER_CUSTOMER = 5;
const ADMIN_URL =
  process.env.BENCH_DATABASE_URL ||
  process.env.TEST_DATABASE_URL ||
  'postgres://postgres@127.0.0.1:5432/test';
const NOW = new Date('2026-11-02T09:00:00Z');

// ---------------------------------------------------------------------------------------------------
// Deterministic data: every line is a pure function of its index, so a duplicate can repeat any earlier
// line without the generator keeping them.

/** 32-bit hash of an integer and a salt (splitmix-like). */
function hash(n: number, salt: number): number {
  let x = (n * 0x9e3779b1 + salt * 0x85ebca6b) | 0;
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  return (x ^ (x >>> 16)) >>> 0;
}

const COUNTRY_CODES = [
  '1',
  '7',
  '20',
  '27',
  '30',
  '31',
  '32',
  '33',
  '34',
  '36',
  '39',
  '40',
  '41',
  '43',
  '44',
  '45',
  '46',
  '47',
  '48',
  '49',
  '51',
  '52',
  '54',
  '55',
  '56',
  '57',
  '60',
  '61',
  '62',
  '63',
  '64',
  '65',
  '66',
  '81',
  '82',
  '84',
  '86',
  '90',
  '91',
  '92',
  '234',
  '254',
  '351',
  '353',
  '358',
  '420',
  '852',
  '971',
  '972',
];

interface CardRate {
  prefix: string;
  destination: string;
  kind: 'all' | 'bands' | 'weekdays';
}

/** The card's prefixes: every country code, then longer prefixes under them, none under 999. */
function makePrefixes(count: number): CardRate[] {
  const seen = new Set<string>();
  const out: CardRate[] = [];
  const add = (prefix: string, destination: string, salt: number) => {
    if (seen.has(prefix)) return;
    seen.add(prefix);
    const h = hash(salt, 7) % 100;
    out.push({ prefix, destination, kind: h < 9 ? 'bands' : h < 10 ? 'weekdays' : 'all' });
  };
  for (const cc of COUNTRY_CODES) add(cc, `Country ${cc}`, Number(cc));
  for (let i = 0; out.length < count; i++) {
    const cc = COUNTRY_CODES[hash(i, 1) % COUNTRY_CODES.length]!;
    const extra = 1 + (hash(i, 2) % 5);
    let digits = '';
    for (let k = 0; k < extra; k++) digits += String(hash(i, 10 + k) % 10);
    const kind = hash(i, 3) % 3 === 0 ? 'Mobile' : 'Fixed';
    add(cc + digits, `Country ${cc} ${kind} ${digits.slice(0, 2)}`, i + 1000);
  }
  return out;
}

const INCREMENTS = [
  [60, 60],
  [30, 6],
  [1, 1],
] as const;

function rateCardCsv(prefixes: CardRate[], factor: number): string {
  const lines = [
    'prefix,destination,rate_per_minute,connection_fee,minimum_charge,initial_increment_s,subsequent_increment_s,band,cost_per_minute',
  ];
  prefixes.forEach((p, i) => {
    const perMinute = (10 + (hash(i, 20) % 5000)) * factor; // in ten-thousandths
    const [initial, subsequent] = INCREMENTS[hash(i, 21) % INCREMENTS.length]!;
    const fee = hash(i, 22) % 4 === 0 ? '0.0100' : '0';
    const minimum = hash(i, 23) % 5 === 0 ? '0.0200' : '0';
    const rate = (tenThousandths: number) => (tenThousandths / 10_000).toFixed(4);
    const line = (band: string, r: number) =>
      `${p.prefix},"${p.destination}",${rate(r)},${fee},${minimum},${initial},${subsequent},${band},${rate(Math.floor(r * 0.4))}`;
    if (p.kind === 'all') lines.push(line('all', perMinute));
    else {
      lines.push(line('peak', perMinute), line('offpeak', Math.floor(perMinute * 0.6)));
      if (p.kind === 'bands') lines.push(line('weekend', Math.floor(perMinute * 0.4)));
    }
  });
  return `${lines.join('\n')}\n`;
}

const CARRIERS = ['BT', 'Colt', 'Gamma', 'Vodafone', 'Telia'];
const OCTOBER_MS = Date.UTC(2026, 9, 1);
const MONTH_S = 31 * 24 * 3600;

function ourNumber(i: number): string {
  return `+441130${String(i).padStart(6, '0')}`;
}

function dialled(prefixes: CardRate[], n: number): string {
  const h = hash(n, 30) % 100;
  if (h < 2) return `+999${String(hash(n, 31) % 100_000_000).padStart(8, '0')}`; // no rate matches
  const p = prefixes[hash(n, 32) % prefixes.length]!.prefix;
  let digits = p;
  for (let k = 0; digits.length < 11; k++) digits += String(hash(n, 40 + k) % 10);
  return `+${digits}`;
}

type LineKind = 'good' | 'bad' | 'dup';

function lineKind(n: number): LineKind {
  const h = hash(n, 50) % 1000;
  if (h < 15) return 'bad';
  if (h < 25 && n > 0) return 'dup';
  return 'good';
}

interface BenchCall {
  n: number;
  own: string;
  other: string;
  inbound: boolean;
  status: 'completed' | 'missed' | 'busy' | 'failed';
  durationS: number;
  startMs: number;
  localStart: boolean;
  carrier: string;
}

/** The call of line n, whatever the format it is written in. */
function callAt(prefixes: CardRate[], n: number): BenchCall {
  const h = hash(n, 60);
  const allocated = h % 100 >= 4;
  const own = allocated
    ? ourNumber(hash(n, 61) % NUMBERS)
    : `+441140${String(hash(n, 61) % 1000).padStart(6, '0')}`;
  const inbound = hash(n, 62) % 10 === 0;
  const other = dialled(prefixes, n);
  const s = hash(n, 63) % 100;
  const status = s < 80 ? 'completed' : s < 90 ? 'missed' : s < 95 ? 'busy' : 'failed';
  const durationS = status === 'completed' ? 1 + (hash(n, 64) % 40) * (hash(n, 65) % 90) : 0;
  const startMs =
    OCTOBER_MS + Math.max(0, Math.floor((n / LINES) * MONTH_S) - durationS - (hash(n, 66) % 60)) * 1000;
  return {
    n,
    own,
    other,
    inbound,
    status,
    durationS,
    startMs,
    localStart: hash(n, 67) % 20 === 0,
    carrier: CARRIERS[hash(n, 68) % CARRIERS.length]!,
  };
}

const hex = (n: number, salt: number, length: number) => {
  let out = '';
  for (let k = 0; out.length < length; k++)
    out += hash(n, salt + k)
      .toString(16)
      .padStart(8, '0');
  return out.slice(0, length);
};
/** "2026-10-05 10:00:00" (UTC: the switch formats are imported with timezone UTC). */
const wall = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
const YESTERDAY = 'yesterday';
/** As switches dial: 00 then the digits of an international number. */
const dialledAs = (number: string) => `00${number.slice(1)}`;
const AST_DISPOSITION = {
  completed: 'ANSWERED',
  missed: 'NO ANSWER',
  busy: 'BUSY',
  failed: 'FAILED',
} as const;
const FS_CAUSE = {
  completed: 'NORMAL_CLEARING',
  missed: 'NO_ANSWER',
  busy: 'USER_BUSY',
  failed: 'CALL_REJECTED',
} as const;
const SIP_CODE = { completed: '200', missed: '487', busy: '486', failed: '503' } as const;

function formatCall(format: BenchFormat, c: BenchCall, badStart = false): string {
  const from = c.inbound ? c.other : c.own;
  const to = c.inbound ? c.own : c.other;
  const answered = c.status === 'completed';
  const answerMs = c.startMs + 3000;
  const endMs = answerMs + c.durationS * 1000;
  switch (format) {
    case 'asterisk': {
      const uniqueid = `${Math.floor(c.startMs / 1000)}.${c.n}`;
      const q = (v: string) => `"${v.replaceAll('"', '""')}"`;
      return [
        q('acme'),
        q(from.slice(1)),
        q(dialledAs(to)),
        q('from-internal'),
        q(`"Line" <${from.slice(1)}>`),
        q(`PJSIP/line-${c.n}`),
        q(`PJSIP/trunk-${c.n}`),
        q('Dial'),
        q(`PJSIP/${dialledAs(to)}@trunk,60`),
        q(badStart ? YESTERDAY : wall(c.startMs)),
        answered ? q(wall(answerMs)) : '',
        q(wall(endMs)),
        String(c.durationS + 3),
        String(c.durationS),
        q(AST_DISPOSITION[c.status]),
        q('DOCUMENTATION'),
        q(uniqueid),
        q(''),
      ].join(',');
    }
    case 'freeswitch': {
      const uuid = `${hex(c.n, 90, 8)}-${hex(c.n, 91, 4)}-4${hex(c.n, 92, 3)}-a${hex(c.n, 93, 3)}-${hex(c.n, 94, 12)}`;
      const q = (v: string) => `"${v.replaceAll('"', '""')}"`;
      return [
        q('Line'),
        q(from),
        q(to),
        q('public'),
        q(badStart ? YESTERDAY : wall(c.startMs)),
        q(answered ? wall(answerMs) : ''),
        q(wall(endMs)),
        q(String(c.durationS + 3)),
        q(String(c.durationS)),
        q(FS_CAUSE[c.status]),
        q(uuid),
        q(''),
        q('acme'),
        q('PCMA'),
        q('PCMA'),
      ].join(',');
    }
    case 'opensips':
      return [
        c.n,
        'INVITE',
        hex(c.n, 95, 8),
        hex(c.n, 96, 8),
        `${hex(c.n, 97, 12)}@10.0.0.5`,
        SIP_CODE[c.status],
        answered ? 'OK' : 'Failed',
        badStart ? YESTERDAY : wall(answered ? answerMs : c.startMs),
        c.durationS,
        c.durationS * 1000,
        3,
        wall(c.startMs),
        from.slice(1),
        dialledAs(to),
      ].join(',');
    case 'cgrates': {
      const iso = (ms: number) => `${new Date(ms).toISOString().slice(0, 19)}Z`;
      return [
        hex(c.n, 98, 40),
        '10.0.0.5',
        '*default',
        '*voice',
        `${hex(c.n, 99, 8)}-${c.n}`,
        '*rated',
        'cgrates.org',
        'call',
        from.slice(1),
        from.slice(1),
        dialledAs(to),
        badStart ? YESTERDAY : iso(c.startMs),
        answered ? iso(answerMs) : '0001-01-01T00:00:00Z',
        `${c.durationS * 1_000_000_000}`,
        '0.1',
      ].join(',');
    }
    case 'ringbill': {
      const iso = new Date(c.startMs).toISOString();
      const start = c.localStart ? `${iso.slice(0, 10)} ${iso.slice(11, 19)}` : `${iso.slice(0, 19)}Z`;
      return `cdr-${c.n},${from},${to},${start},${c.durationS},${c.status},${c.inbound ? 'inbound' : 'outbound'},${c.carrier}`;
    }
  }
}

const FORMAT_HEADER: Record<BenchFormat, string | undefined> = {
  ringbill: 'call_id,from,to,start_time,duration_s,status,direction,carrier',
  asterisk: undefined,
  freeswitch: undefined,
  opensips:
    'id,method,from_tag,to_tag,callid,sip_code,sip_reason,time,duration,ms_duration,setuptime,created,src_user,dst_user',
  cgrates: undefined,
};
const FORMAT_COLUMNS: Record<BenchFormat, number> = {
  ringbill: 8,
  asterisk: 18,
  freeswitch: 15,
  opensips: 14,
  cgrates: 15,
};

/** A line with one bad field, in the format's own columns: a start time no switch writes. */
function badFormatLine(format: BenchFormat, prefixes: CardRate[], n: number): string {
  if (format === 'ringbill') return badLine(n);
  return formatCall(format, { ...callAt(prefixes, n), status: 'completed' }, true);
}

/** A line with one bad field (always 8 columns, so the raw COPY into text columns takes it too). */
function badLine(n: number): string {
  const start = '2026-10-05T10:00:00Z';
  switch (hash(n, 70) % 7) {
    case 0:
      return `cdr-${n},+441130000001,+4420794600,2026-13-45T10:00:00Z,60,completed,outbound,BT`;
    case 1:
      return `cdr-${n},+441130000001,+4420794600,${start},-5,completed,outbound,BT`;
    case 2:
      return `cdr-${n},+441130000001,not-a-number,${start},60,completed,outbound,BT`;
    case 3:
      return `cdr-${n},+441130000001,+4420794600,${start},60,ringing,outbound,BT`;
    case 4:
      return `,+441130000001,+4420794600,${start},60,completed,outbound,BT`;
    case 5:
      return `cdr-${n},+441130000001,+4420794600,${start},60,completed,sideways,BT`;
    default:
      return `cdr-${n},+441130000001,+4420794600,yesterday,60,completed,outbound,BT`;
  }
}

interface Expected {
  lines: number;
  good: number;
  bad: number;
  duplicates: number;
}

/** Writes the CDR file; returns what an import should find in it. */
async function writeCdrs(
  path: string,
  prefixes: CardRate[],
  lines: number,
  format: BenchFormat = 'ringbill',
): Promise<Expected> {
  const out = createWriteStream(path);
  const expected: Expected = { lines, good: 0, bad: 0, duplicates: 0 };
  const header = FORMAT_HEADER[format];
  let chunk = header === undefined ? '' : `${header}\n`;
  const goodLine = (_: CardRate[], n: number) => formatCall(format, callAt(prefixes, n));
  for (let n = 0; n < lines; n++) {
    const kind = lineKind(n);
    if (kind === 'bad') {
      expected.bad += 1;
      chunk += `${badFormatLine(format, prefixes, n)}\n`;
      continue;
    }
    if (kind === 'dup') {
      // Half repeat a line of the same batch, half one from anywhere before.
      const back = hash(n, 80) % 2 === 0 ? 1 + (hash(n, 81) % Math.min(n, 2000)) : 1 + (hash(n, 81) % n);
      const earlier = n - back;
      if (lineKind(earlier) === 'good') {
        expected.duplicates += 1;
        chunk += `${goodLine(prefixes, earlier)}\n`;
        continue;
      }
    }
    expected.good += 1;
    chunk += `${goodLine(prefixes, n)}\n`;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
  return expected;
}

// ---------------------------------------------------------------------------------------------------

async function seconds<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const start = process.hrtime.bigint();
  const value = await fn();
  return [Number(process.hrtime.bigint() - start) / 1e9, value];
}

interface Memory {
  rssStartMb: number;
  rssPeakMb: number;
  rssEndMb: number;
  heapPeakMb: number;
}

/** Samples memory while fn runs. */
async function withMemory<T>(fn: () => Promise<T>): Promise<[Memory, T]> {
  const mb = (n: number) => n / (1024 * 1024);
  const start = process.memoryUsage();
  let rssPeak = start.rss;
  let heapPeak = start.heapUsed;
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    if (m.rss > rssPeak) rssPeak = m.rss;
    if (m.heapUsed > heapPeak) heapPeak = m.heapUsed;
  }, 50);
  try {
    const value = await fn();
    const end = process.memoryUsage();
    return [
      {
        rssStartMb: mb(start.rss),
        rssPeakMb: mb(Math.max(rssPeak, end.rss)),
        rssEndMb: mb(end.rss),
        heapPeakMb: mb(Math.max(heapPeak, end.heapUsed)),
      },
      value,
    ];
  } finally {
    clearInterval(timer);
  }
}

interface Files {
  format: BenchFormat;
  cdrs: string;
  rates: string;
  wholesale: string;
  expected: Expected;
  bytes: number;
}

/** Account, rate cards (through the rate import use case, as `ringbill import rates` does), customers and features. */
async function setUp(ctx: Ctx, files: Files): Promise<number> {
  const { account } = await createAccount(ctx, {
    name: 'bench ingest',
    timezone: 'Europe/London',
    currency: 'GBP',
  });
  const standard = await importRates(
    ctx,
    account.id,
    { name: 'Standard' },
    parseRatesCsv(await readFile(files.rates, 'utf8')),
    {
      effectiveFrom: '2026-01-01',
      makeDefault: true,
      source: 'rates.csv',
    },
  );
  const wholesale = await importRates(
    ctx,
    account.id,
    { name: 'Wholesale' },
    parseRatesCsv(await readFile(files.wholesale, 'utf8')),
    {
      effectiveFrom: '2026-01-01',
      source: 'wholesale.csv',
    },
  );
  if (standard.rejected.length + wholesale.rejected.length > 0)
    throw new Error(
      `rate card lines refused: ${JSON.stringify(standard.rejected[0] ?? wholesale.rejected[0])}`,
    );
  const customers = Math.ceil(NUMBERS / FEATURES_PER_CUSTOMER);
  await sql`
    insert into customers (account_id, name, email, rate_card_id)
    select ${account.id}, 'Customer ' || g, 'billing' || g || '@example.com', case when g % 10 = 0 then ${wholesale.rateCard.id}::bigint end
    from generate_series(1, ${customers}) g
  `.execute(ctx.db);
  await sql`
    insert into features (account_id, customer_id, name, phone_number, recurring_value, recurring_frequency, billing, start_date)
    select c.account_id, c.id, 'Line', '+441130' || lpad((row_number() over (order by c.id, g) - 1)::text, 6, '0'), 12.50, 'monthly', 'advance', date '2026-01-01'
    from customers c, generate_series(1, ${FEATURES_PER_CUSTOMER}) g
    where c.account_id = ${account.id}
    order by c.id, g
    limit ${NUMBERS}
  `.execute(ctx.db);
  await sql`vacuum analyze`.execute(ctx.db);
  return account.id;
}

interface Result {
  database: string;
  format: BenchFormat;
  run: string;
  rows: number;
  importSeconds: number;
  /** CPU seconds of this process in each round's import (user + system). */
  cpuSeconds: number[];
  /** PostgreSQL: CPU seconds of the server's processes serving the bench's database, in each round's import. */
  serverCpuSeconds: number[];
  copySeconds: number;
  copyRows: number;
  /** The storage floor: the same stored rows COPYed straight into the import's tables (see the header). */
  floorSeconds: number | undefined;
  floorServerCpuSeconds: number | undefined;
  memory: Memory;
  summary: IngestSummary;
}

/** Checks the summary against what the generator wrote, and the table against the summary. */
async function check(
  ctx: Ctx,
  accountId: number,
  files: Files,
  summary: IngestSummary,
  first: boolean,
): Promise<void> {
  const e = files.expected;
  const stored = await sql<{
    n: number;
  }>`select count(*)::int as n from calls where account_id = ${accountId}`.execute(ctx.db);
  const problems: string[] = [];
  if (summary.received !== e.lines) problems.push(`received ${summary.received}, expected ${e.lines}`);
  if (summary.rejected !== e.bad) problems.push(`rejected ${summary.rejected}, expected ${e.bad}`);
  if (first && summary.inserted !== e.good) problems.push(`inserted ${summary.inserted}, expected ${e.good}`);
  if (first && summary.duplicates !== e.duplicates)
    problems.push(`duplicates ${summary.duplicates}, expected ${e.duplicates}`);
  if (!first && summary.inserted !== 0) problems.push(`re-import inserted ${summary.inserted}`);
  if (Number(stored.rows[0]!.n) !== e.good)
    problems.push(`${stored.rows[0]!.n} calls stored, expected ${e.good}`);
  if (problems.length > 0) throw new Error(`import result is wrong: ${problems.join('; ')}`);
}

function describeSummary(s: IngestSummary): string {
  const reasons = Object.entries(s.unratedReasons)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return `received ${s.received}, new ${s.inserted}, duplicates ${s.duplicates}, refused ${s.rejected}; rated ${s.rated}, free ${s.free}, unrated ${s.unrated} (${reasons}), unallocated ${s.unallocated}; charges ${s.chargeTotal}`;
}

/** CPU seconds the server's processes used between two samples (a process that ended between them is missed). */
function serverCpuBetween(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  for (const [pid, seconds] of after) total += seconds - (before.get(pid) ?? 0);
  return total;
}

async function timeImport(
  ctx: Ctx,
  database: Database,
  accountId: number,
  files: Files,
  run: string,
  first: boolean,
  serverCpu: ServerCpu | undefined,
): Promise<Omit<Result, 'copySeconds' | 'copyRows' | 'floorSeconds' | 'floorServerCpuSeconds'>> {
  await database.exec('checkpoint');
  process.stdout.write(`  ${database.kind}: import calls, ${files.format} (${run})... `);
  // The switch formats write UTC wall times (no offset): the switch's time zone is UTC.
  const options = files.format === 'ringbill' ? {} : { format: files.format, timezone: 'UTC' };
  const profiler = args['cpu-prof'] === undefined ? undefined : new Session();
  if (profiler) {
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.setSamplingInterval', { interval: 500 });
    await profiler.post('Profiler.start');
  }
  const serverBefore = await serverCpu?.();
  const cpu = process.cpuUsage();
  const [memory, [importSeconds, summary]] = await withMemory(() =>
    seconds(() => importCallsFile(ctx, accountId, files.cdrs, () => {}, options)),
  );
  const used = process.cpuUsage(cpu);
  if (profiler) {
    const { profile } = await profiler.post('Profiler.stop');
    profiler.disconnect();
    await mkdir(args['cpu-prof']!, { recursive: true });
    const path = join(
      args['cpu-prof']!,
      `ingest-${database.kind}-${files.format}-${first ? 'new' : 'reimport'}-${Date.now()}.cpuprofile`,
    );
    await writeFile(path, JSON.stringify(profile));
    process.stdout.write(`(profile ${path}) `);
  }
  const cpuSeconds = (used.user + used.system) / 1e6;
  const serverCpuSeconds =
    serverBefore === undefined ? [] : [serverCpuBetween(serverBefore, await serverCpu!())];
  process.stdout.write(
    `${importSeconds.toFixed(2)} s (CPU ${cpuSeconds.toFixed(2)} s${serverCpuSeconds.length > 0 ? `, server ${serverCpuSeconds[0]!.toFixed(2)} s` : ''}), ${Math.round(files.expected.lines / importSeconds).toLocaleString('en')} lines/s; RSS ${memory.rssStartMb.toFixed(0)} -> peak ${memory.rssPeakMb.toFixed(0)} MB, JS heap peak ${memory.heapPeakMb.toFixed(0)} MB\n    ${describeSummary(summary)}\n`,
  );
  await check(ctx, accountId, files, summary, first);
  return {
    database: database.kind,
    format: files.format,
    run,
    rows: files.expected.lines,
    importSeconds,
    cpuSeconds: [cpuSeconds],
    serverCpuSeconds,
    memory,
    summary,
  };
}

/** The physical limit: COPY of the file as it is into a plain table with its columns. Best of two. */
async function rawCopy(
  database: Database,
  files: Files,
  copyFile: (files: Files) => Promise<void>,
): Promise<number> {
  const columns = Array.from({ length: FORMAT_COLUMNS[files.format] }, (_, i) => `c${i + 1} text`).join(', ');
  await database.exec(`drop table if exists raw_cdrs; create table raw_cdrs (${columns})`);
  let best = Infinity;
  for (let i = 0; i < 2; i++) {
    await database.exec('truncate raw_cdrs; checkpoint');
    const [s] = await seconds(() => copyFile(files));
    best = Math.min(best, s);
  }
  const copied = await sql<{ n: number }>`select count(*)::int as n from raw_cdrs`.execute(database.db);
  if (Number(copied.rows[0]!.n) !== LINES)
    throw new Error(`raw COPY took ${copied.rows[0]!.n} rows of ${LINES}`);
  await database.exec('drop table raw_cdrs');
  return best;
}

/** Tables the import writes a row per call to: the storage floor copies their rows out and back in. */
const FLOOR_TABLES = ['calls', 'call_transactions'] as const;

/**
 * Copies out the rows the import stored in FLOOR_TABLES, empties those tables, and COPYs the same rows back
 * in one transaction (indexes in place); returns the seconds the COPYs and the commit took.
 */
type StorageFloor = () => Promise<number>;

async function measureFloor(
  database: Database,
  floor: StorageFloor,
  serverCpu: ServerCpu | undefined,
): Promise<{ seconds: number; serverCpuSeconds: number | undefined }> {
  process.stdout.write(`  ${database.kind}: storage floor (the stored rows COPYed straight back in)... `);
  const serverBefore = await serverCpu?.();
  const s = await floor();
  const serverCpuSeconds =
    serverBefore === undefined ? undefined : serverCpuBetween(serverBefore, await serverCpu!());
  return { seconds: s, serverCpuSeconds };
}

async function benchDatabase(
  database: Database,
  all: Files[],
  copyFile: (files: Files) => Promise<void>,
  floor: StorageFloor,
  serverCpu?: ServerCpu,
): Promise<Result[]> {
  const ctx = createCtx(database, () => NOW, { reactions: REACTIONS });
  await migrate(database);
  process.stdout.write(
    `  ${database.kind}: setting up the account, two ${PREFIXES}-prefix rate cards, ${NUMBERS} numbers... `,
  );
  const [setupSeconds, accountId] = await seconds(() => setUp(ctx, all[0]!));
  process.stdout.write(`${setupSeconds.toFixed(1)} s\n`);
  const results: Result[] = [];
  const copySeconds = new Map<BenchFormat, number>();
  // Rounds alternate the formats (ringbill, asterisk, …, ringbill, asterisk, …) and each format keeps its
  // best round, so a machine whose load changes during the run does not favour whichever format ran first.
  for (let round = 1; round <= ROUNDS; round++) {
    if (ROUNDS > 1)
      console.log(
        `  ${database.kind}: round ${round} of ${ROUNDS} (load average ${loadavg()[0]!.toFixed(2)})`,
      );
    for (const files of all) {
      // Each format's calls into the same empty tables.
      await database.exec('truncate calls, call_transactions, rejected_rows');
      await database.exec('vacuum analyze calls');
      if (!copySeconds.has(files.format)) {
        process.stdout.write(`  ${database.kind}: raw COPY of the ${files.format} file... `);
        const s = await rawCopy(database, files, copyFile);
        copySeconds.set(files.format, s);
        process.stdout.write(
          `${s.toFixed(2)} s, ${Math.round(files.expected.lines / s).toLocaleString('en')} rows/s\n`,
        );
      }
      const copy = { copySeconds: copySeconds.get(files.format)!, copyRows: files.expected.lines };
      const imported = await timeImport(ctx, database, accountId, files, 'new calls', true, serverCpu);
      const measured = await measureFloor(database, floor, serverCpu);
      process.stdout.write(
        `${measured.seconds.toFixed(2)} s${measured.serverCpuSeconds === undefined ? '' : ` (server ${measured.serverCpuSeconds.toFixed(2)} s)`}, ${Math.round(files.expected.lines / measured.seconds).toLocaleString('en')} lines/s; the import took ${(imported.importSeconds / measured.seconds).toFixed(2)}x as long\n`,
      );
      await check(ctx, accountId, files, imported.summary, true);
      keepBest(results, {
        ...imported,
        ...copy,
        floorSeconds: measured.seconds,
        floorServerCpuSeconds: measured.serverCpuSeconds,
      });
      if (REIMPORT)
        keepBest(results, {
          ...(await timeImport(
            ctx,
            database,
            accountId,
            files,
            're-import: all already stored',
            false,
            serverCpu,
          )),
          ...copy,
          floorSeconds: undefined,
          floorServerCpuSeconds: undefined,
        });
    }
  }
  return results;
}

/** Keeps the faster of a format's runs (same database, format and kind of run), and the CPU time of all. */
function keepBest(results: Result[], result: Result): void {
  const at = results.findIndex(
    (r) => r.database === result.database && r.format === result.format && r.run === result.run,
  );
  if (at === -1) results.push(result);
  else {
    const cpuSeconds = [...results[at]!.cpuSeconds, ...result.cpuSeconds];
    const serverCpuSeconds = [...results[at]!.serverCpuSeconds, ...result.serverCpuSeconds];
    results[at] = {
      ...(result.importSeconds < results[at]!.importSeconds ? result : results[at]!),
      cpuSeconds,
      serverCpuSeconds,
    };
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function benchPglite(all: Files[]): Promise<Result[]> {
  const dir = await mkdtemp(join(tmpdir(), 'ringbill-bench-'));
  const database = await openPglite({ dataDir: join(dir, 'pgdata') });
  try {
    // PGlite copies from a blob in memory: the file goes in pieces of about 32 MB, cut at line ends.
    const copyFile = async (files: Files) => {
      const pglite = database.pglite!;
      let pending = '';
      let header = FORMAT_HEADER[files.format] !== undefined;
      const send = async (text: string) => {
        await pglite.query(`copy raw_cdrs from '/dev/blob' (format csv${header ? ', header' : ''})`, [], {
          blob: new Blob([text]),
        });
        header = false;
      };
      for await (const chunk of createReadStream(files.cdrs, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
        pending += chunk as string;
        if (pending.length >= 32 << 20) {
          const cut = pending.lastIndexOf('\n') + 1;
          await send(pending.slice(0, cut));
          pending = pending.slice(cut);
        }
      }
      if (pending.length > 0) await send(pending);
    };
    const floor: StorageFloor = async () => {
      const pglite = database.pglite!;
      const blobs: Blob[] = [];
      for (const table of FLOOR_TABLES) {
        const out = await pglite.query(`copy ${table} to '/dev/blob'`);
        blobs.push(out.blob ?? new Blob([]));
      }
      await database.exec(`truncate ${FLOOR_TABLES.join(', ')}; checkpoint`);
      const [s] = await seconds(async () => {
        await pglite.exec('begin');
        for (const [i, table] of FLOOR_TABLES.entries())
          await pglite.query(`copy ${table} from '/dev/blob'`, [], { blob: blobs[i]! });
        await pglite.exec('commit');
      });
      return s;
    };
    return await benchDatabase(database, all, copyFile, floor);
  } finally {
    await database.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function benchPostgres(all: Files[]): Promise<Result[]> {
  const name = `ringbill_bench_${Date.now()}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const database = await openPostgres({ connectionString: url.toString() });
  try {
    const copyFile = async (files: Files) => {
      const client = await database.pool!.connect();
      try {
        const header = FORMAT_HEADER[files.format] !== undefined ? ', header' : '';
        await pipeline(
          createReadStream(files.cdrs, { highWaterMark: 1 << 16 }),
          client.query(copyFrom(`copy raw_cdrs from stdin (format csv${header})`)),
        );
      } finally {
        client.release();
      }
    };
    const serverCpu = localServerCpu(admin, name, url.hostname);
    const floor: StorageFloor = async () => {
      const client = await database.pool!.connect();
      const floorDir = await mkdtemp(join(tmpdir(), 'ringbill-floor-'));
      try {
        for (const table of FLOOR_TABLES)
          await pipeline(
            client.query(copyTo(`copy ${table} to stdout`)),
            createWriteStream(join(floorDir, table)),
          );
        await client.query(`truncate ${FLOOR_TABLES.join(', ')}`);
        await client.query('checkpoint');
        const [s] = await seconds(async () => {
          await client.query('begin');
          for (const table of FLOOR_TABLES)
            await pipeline(
              createReadStream(join(floorDir, table), { highWaterMark: 1 << 16 }),
              client.query(copyFrom(`copy ${table} from stdin`)),
            );
          await client.query('commit');
        });
        return s;
      } finally {
        client.release();
        await rm(floorDir, { recursive: true, force: true });
      }
    };
    return await benchDatabase(database, all, copyFile, floor, serverCpu);
  } finally {
    await database.close();
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

const dir = args.keep ?? (await mkdtemp(join(tmpdir(), 'ringbill-ingest-')));
await mkdir(dir, { recursive: true });
try {
  console.log(
    `Ingest benchmark: ${LINES.toLocaleString('en')} CDR lines, ${PREFIXES.toLocaleString('en')}-prefix rate cards, ${NUMBERS.toLocaleString('en')} numbers on features; formats ${FORMATS.join(', ')}; load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(', ')} (${cpus().length} CPUs)`,
  );
  const prefixes = makePrefixes(PREFIXES);
  const rates = join(dir, 'rates.csv');
  const wholesale = join(dir, 'wholesale.csv');
  await writeFile(rates, rateCardCsv(prefixes, 1));
  await writeFile(wholesale, rateCardCsv(prefixes, 0.8));
  const all: Files[] = [];
  for (const format of FORMATS) {
    const cdrs = join(dir, `cdrs-${format}.csv`);
    const [genSeconds, expected] = await seconds(() => writeCdrs(cdrs, prefixes, LINES, format));
    const bytes = (await stat(cdrs)).size;
    all.push({ format, cdrs, rates, wholesale, expected, bytes });
    console.log(
      `  generated ${cdrs}: ${(bytes / 1e6).toFixed(0)} MB in ${genSeconds.toFixed(1)} s; ${expected.good} new calls, ${expected.duplicates} duplicates, ${expected.bad} bad lines`,
    );
  }

  const results: Result[] = [];
  if (args.only === undefined || args.only === 'pglite') results.push(...(await benchPglite(all)));
  if (args.only === undefined || args.only === 'postgres') results.push(...(await benchPostgres(all)));

  console.log('');
  console.log(
    `Load average at the end: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(', ')} (${cpus().length} CPUs)`,
  );
  console.log(
    '| database | format | import | rows | seconds | calls/s | storage floor calls/s | ratio to the floor | vs ringbill format | CPU s (median) | CPU vs ringbill | server CPU s (median) | server CPU vs ringbill | floor server CPU s | raw COPY rows/s | ratio to raw COPY | peak RSS (start) | peak JS heap |',
  );
  console.log(
    '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const r of results) {
    const perSecond = r.rows / r.importSeconds;
    const copyPerSecond = r.copyRows / r.copySeconds;
    const reference = results.find(
      (x) => x.database === r.database && x.run === r.run && x.format === 'ringbill',
    );
    const versus = reference
      ? `${((r.importSeconds / reference.importSeconds - 1) * 100).toFixed(1)}% time`
      : '';
    const cpu = median(r.cpuSeconds);
    const cpuVersus = reference ? `${((cpu / median(reference.cpuSeconds) - 1) * 100).toFixed(1)}%` : '';
    const server = r.serverCpuSeconds.length > 0 ? median(r.serverCpuSeconds) : undefined;
    const serverVersus =
      server !== undefined && reference && reference.serverCpuSeconds.length > 0
        ? `${((server / median(reference.serverCpuSeconds) - 1) * 100).toFixed(1)}%`
        : '';
    console.log(
      `| ${r.database} | ${r.format} | ${r.run} | ${r.rows.toLocaleString('en')} | ${r.importSeconds.toFixed(2)} | ${Math.round(perSecond).toLocaleString('en')} | ${r.floorSeconds === undefined ? '' : Math.round(r.rows / r.floorSeconds).toLocaleString('en')} | ${r.floorSeconds === undefined ? '' : `${(r.importSeconds / r.floorSeconds).toFixed(2)}x`} | ${r.format === 'ringbill' ? '(reference)' : versus} | ${cpu.toFixed(2)} | ${r.format === 'ringbill' ? '(reference)' : cpuVersus} | ${server === undefined ? '' : server.toFixed(2)} | ${r.format === 'ringbill' || server === undefined ? '' : serverVersus} | ${r.floorServerCpuSeconds === undefined ? '' : r.floorServerCpuSeconds.toFixed(2)} | ${Math.round(copyPerSecond).toLocaleString('en')} | ${(r.importSeconds / r.copySeconds).toFixed(2)}x | ${r.memory.rssPeakMb.toFixed(0)} MB (${r.memory.rssStartMb.toFixed(0)}) | ${r.memory.heapPeakMb.toFixed(0)} MB |`,
    );
  }
  console.log(
    "\nGoals: at least 100,000 calls/s on PostgreSQL, within 1.25x of the storage floor (the import's own rows COPYed straight into its tables, indexes in place); memory flat however long the file; each switch format within 10% of the ringbill format's time.",
  );
} finally {
  if (!args.keep) await rm(dir, { recursive: true, force: true });
}
