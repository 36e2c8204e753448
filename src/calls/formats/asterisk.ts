// Asterisk's call records. Written from Asterisk's own source:
//   cdr/cdr_csv.c build_csv_record(): Master.csv, no header, every text field quoted, in this order:
//     accountcode, src, dst, dcontext, clid, channel, dstchannel, lastapp, lastdata, start, answer, end,
//     duration, billsec, disposition, amaflags, then uniqueid (cdr.conf loguniqueid=yes), userfield
//     (loguserfield=yes), and peeraccount, linkedid, sequence (newcdrcolumns=yes): 16 to 21 columns.
//     Times are "%Y-%m-%d %T" in the server's local time (usegmtime=yes: GMT).
//   configs/samples/cdr_custom.conf.sample: the legacy Master.csv mapping, 19 columns: clid, src, dst,
//     dcontext, channel, dstchannel, lastapp, lastdata, start, answer, end, duration, billsec, disposition,
//     amaflags, accountcode, uniqueid, userfield, sequence; advanced mappings with any field list, a header
//     written by you, times as start(int64) or start(double) epochs, or format = json (one object a line).
//   cdr/cdr_manager.c: the AMI "Cdr" event (Source, Destination, StartTime, AnswerTime, EndTime,
//     BillableSeconds, Disposition, UniqueID, DestinationChannel…), taken as JSON by the push endpoint.
//   The cdr table of cdr_pgsql / cdr_adaptive_odbc exports: calldate for the start.
//   main/cdr.c ast_cdr_disp2str(): ANSWERED, NO ANSWER, BUSY, FAILED, CONGESTION, CANCEL.
//
// The call id. Asterisk 12 and later write several records for one channel (one per dialled party, one per
// bridge), all with the channel's uniqueid: in real Master.csv files an ANSWERED record of 0 seconds and
// the ANSWERED record of the conversation share it. So the id is the uniqueid (after the linkedid and a
// "/" when the record has a linkedid of another channel) followed by "#" and a fingerprint of what tells
// those records apart (start, answer, end, billsec, disposition, dst, dstchannel, as written): the same
// record always gets the same id, in a file sent again or pushed live, and two records of one channel get
// two. Without a uniqueid column the channel name stands in for it.
import type { RawCall } from '../call-input.ts';
import {
  asteriskStatus,
  column,
  type FormatContext,
  field,
  fingerprint,
  headerKey,
  readParties,
  type RecordReader,
  startTime,
  statelessReader,
  switchCall,
} from './record.ts';
import { readSeconds } from './switch-time.ts';

/** What one Asterisk record says, as text. */
export interface AsteriskValues {
  src: string;
  dst: string;
  start: string;
  answer: string;
  end: string;
  billsec: string;
  disposition: string;
  uniqueid: string;
  linkedid: string;
  channel: string;
  dstchannel: string;
}

const MAX_CALL_ID = 200;

/** One Asterisk record as a call, or the reason it is refused. */
export function asteriskCall(v: AsteriskValues, ctx: FormatContext): RawCall | string {
  const status = asteriskStatus(v.disposition);
  if (status === undefined)
    return `disposition: "${v.disposition.slice(0, 40)}" is not one Asterisk writes (ANSWERED, NO ANSWER, BUSY, FAILED, CONGESTION, CANCEL)`;
  const start = startTime('start', v.start, ctx);
  if (typeof start !== 'number') return start.error;
  const billsec = readSeconds(v.billsec);
  if (billsec < 0) return `billsec: "${v.billsec.slice(0, 40)}" is not a whole number of seconds`;
  const base = v.uniqueid !== '' ? v.uniqueid : v.channel;
  if (base === '')
    return 'uniqueid: is empty, and so is channel: nothing tells this call apart (set loguniqueid=yes in cdr.conf)';
  const linked = v.linkedid !== '' && v.linkedid !== v.uniqueid ? `${v.linkedid}/` : '';
  const tag = fingerprint([v.start, v.answer, v.end, v.billsec, v.disposition, v.dst, v.dstchannel]);
  const callId = `${linked}${base}`.slice(0, MAX_CALL_ID - 9) + `#${tag}`;
  const parties = readParties(v.src, v.dst, ctx.numbers);
  return switchCall(callId, parties, start, billsec, status, undefined, ctx.iso);
}

// ---------------------------------------------------------------------------------------------------
// Files with a header: the names Asterisk gives the fields (cdr_custom, database exports, the AMI event).

const NAMES = {
  src: ['src', 'source', 'callerid_num', 'callernum'],
  dst: ['dst', 'destination', 'exten'],
  start: ['start', 'calldate', 'starttime', 'start_time'],
  answer: ['answer', 'answertime', 'answer_time'],
  end: ['end', 'endtime', 'end_time'],
  billsec: ['billsec', 'billableseconds', 'billable_seconds'],
  disposition: ['disposition'],
  uniqueid: ['uniqueid', 'unique_id'],
  linkedid: ['linkedid', 'linked_id'],
  channel: ['channel'],
  dstchannel: ['dstchannel', 'destinationchannel', 'destination_channel'],
} as const satisfies Record<keyof AsteriskValues, readonly string[]>;

const REQUIRED: (keyof AsteriskValues)[] = ['dst', 'start', 'billsec', 'disposition'];

type Indexes = Record<keyof AsteriskValues, number>;

/** The columns of an Asterisk header; undefined when it is not one. */
export function asteriskHeader(
  record: readonly string[],
): { indexes: Indexes; missing: string[] } | undefined {
  const keys = record.map(headerKey);
  const indexes = {} as Indexes;
  for (const [name, aliases] of Object.entries(NAMES) as [keyof AsteriskValues, readonly string[]][])
    indexes[name] = column(keys, ...aliases);
  // "source" is the AMI's name for src, but a column of that name next to a src column is something else.
  if (keys.includes('src')) indexes.src = keys.indexOf('src');
  const known = Object.values(indexes).filter((i) => i !== -1).length;
  if (known < 3 || (indexes.billsec === -1 && indexes.disposition === -1)) return undefined;
  return { indexes, missing: REQUIRED.filter((name) => indexes[name] === -1) };
}

function valuesAt(record: readonly string[], i: Indexes): AsteriskValues {
  return {
    src: field(record, i.src),
    dst: field(record, i.dst),
    start: field(record, i.start),
    answer: field(record, i.answer),
    end: field(record, i.end),
    billsec: field(record, i.billsec),
    disposition: field(record, i.disposition),
    uniqueid: field(record, i.uniqueid),
    linkedid: field(record, i.linkedid),
    channel: field(record, i.channel),
    dstchannel: field(record, i.dstchannel),
  };
}

export function asteriskHeaderReader(
  indexes: Indexes,
  width: number,
  ctx: FormatContext,
): RecordReader<string[]> {
  return statelessReader((record) => {
    if (record.length !== width) return `expected ${width} columns as in the header, found ${record.length}`;
    return asteriskCall(valuesAt(record, indexes), ctx);
  });
}

// ---------------------------------------------------------------------------------------------------
// Master.csv without a header: the layout is chosen for each record by its width (cdr.conf options can
// change between records of one file), and for 17 and 20 columns by whether column 17 is a uniqueid.

/** A uniqueid: [system name-]epoch.sequence (main/channel.c). */
const UNIQUEID = /^(?:[\w.-]+-)?\d{9,11}\.\d+$/;
/** A time as the start column holds it: "2024-01-28 02:04:06", an epoch, or ISO. */
const TIME_LIKE = /^(\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}|\d{9,11}(\.\d+)?$)/;

function layout(o: Partial<Indexes>): Indexes {
  return {
    src: -1,
    dst: -1,
    start: -1,
    answer: -1,
    end: -1,
    billsec: -1,
    disposition: -1,
    uniqueid: -1,
    linkedid: -1,
    channel: -1,
    dstchannel: -1,
    ...o,
  };
}

const CSV_BASE = {
  src: 1,
  dst: 2,
  channel: 5,
  dstchannel: 6,
  start: 9,
  answer: 10,
  end: 11,
  billsec: 13,
  disposition: 14,
};
const CDR_CSV = {
  base: layout(CSV_BASE),
  uniqueid17: layout({ ...CSV_BASE, uniqueid: 16 }),
  uniqueid18: layout({ ...CSV_BASE, uniqueid: 16 }),
  new19: layout({ ...CSV_BASE, linkedid: 17 }),
  new20: layout({ ...CSV_BASE, linkedid: 18 }),
  uniqueidNew20: layout({ ...CSV_BASE, uniqueid: 16, linkedid: 18 }),
  uniqueidNew21: layout({ ...CSV_BASE, uniqueid: 16, linkedid: 19 }),
};
const CDR_CUSTOM_19 = layout({
  src: 1,
  dst: 2,
  channel: 4,
  dstchannel: 5,
  start: 8,
  answer: 9,
  end: 10,
  billsec: 12,
  disposition: 13,
  uniqueid: 16,
});

/** The layout of a header-less Asterisk record, with its name; undefined when it is none. */
function isTime(record: readonly string[], i: number): boolean {
  const value = field(record, i);
  // The common "YYYY-MM-DD HH:MM…" checked by hand; anything else by the regular expression.
  if (
    value.length >= 16 &&
    value.charCodeAt(4) === 45 &&
    value.charCodeAt(7) === 45 &&
    value.charCodeAt(13) === 58
  ) {
    const sep = value.charCodeAt(10);
    if ((sep === 32 || sep === 84) && digitRuns(value)) return true;
  }
  return TIME_LIKE.test(value);
}

/** Digits at 0-3, 5-6, 8-9, 11-12 and 14-15. */
function digitRuns(value: string): boolean {
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 7 || i === 10 || i === 13) continue;
    const c = value.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

export function asteriskLayout(record: readonly string[]): { indexes: Indexes; name: string } | undefined {
  const n = record.length;
  // 19 columns: cdr_csv with newcdrcolumns has the disposition in column 15, cdr_custom's mapping in 14.
  if (
    n === 19 &&
    isTime(record, 8) &&
    asteriskStatus(field(record, 13)) !== undefined &&
    asteriskStatus(field(record, 14)) === undefined
  ) {
    return LAYOUTS.custom19;
  }
  if (n < 16 || n > 21 || !isTime(record, 9)) return undefined;
  const uniqueidAt16 = (n === 17 || n === 20) && UNIQUEID.test(field(record, 16));
  switch (n) {
    case 16:
      return LAYOUTS.base16;
    case 17:
      return uniqueidAt16 ? LAYOUTS.uniqueid17 : LAYOUTS.userfield17;
    case 18:
      return LAYOUTS.uniqueid18;
    case 19:
      return LAYOUTS.new19;
    case 20:
      return uniqueidAt16 ? LAYOUTS.uniqueidNew20 : LAYOUTS.new20;
    default:
      return LAYOUTS.uniqueidNew21;
  }
}

/** The header-less layouts with their names (made once: a layout is chosen for every record). */
const LAYOUTS = {
  custom19: { indexes: CDR_CUSTOM_19, name: "cdr_custom's Master.csv mapping (19 columns)" },
  base16: { indexes: CDR_CSV.base, name: 'cdr_csv Master.csv (16 columns, no uniqueid)' },
  uniqueid17: { indexes: CDR_CSV.uniqueid17, name: 'cdr_csv Master.csv (17 columns: uniqueid)' },
  userfield17: { indexes: CDR_CSV.base, name: 'cdr_csv Master.csv (17 columns: userfield)' },
  uniqueid18: { indexes: CDR_CSV.uniqueid18, name: 'cdr_csv Master.csv (18 columns: uniqueid, userfield)' },
  new19: { indexes: CDR_CSV.new19, name: 'cdr_csv Master.csv (19 columns: newcdrcolumns)' },
  uniqueidNew20: {
    indexes: CDR_CSV.uniqueidNew20,
    name: 'cdr_csv Master.csv (20 columns: uniqueid, newcdrcolumns)',
  },
  new20: { indexes: CDR_CSV.new20, name: 'cdr_csv Master.csv (20 columns: userfield, newcdrcolumns)' },
  uniqueidNew21: {
    indexes: CDR_CSV.uniqueidNew21,
    name: 'cdr_csv Master.csv (21 columns: uniqueid, userfield, newcdrcolumns)',
  },
} as const satisfies Record<string, { indexes: Indexes; name: string }>;

export function asteriskPositionalReader(ctx: FormatContext): RecordReader<string[]> {
  return statelessReader((record) => {
    const found = asteriskLayout(record);
    if (!found) {
      return `expected an Asterisk Master.csv record (cdr_csv: 16 to 21 columns with the start time in column 10; cdr_custom: 19 columns with it in column 9), found ${record.length} column(s)`;
    }
    return asteriskCall(valuesAt(record, found.indexes), ctx);
  });
}

// ---------------------------------------------------------------------------------------------------
// JSON: cdr_custom's format = json (field names as above), or the AMI Cdr event's fields.

function text(value: unknown): string {
  if (typeof value === 'string') return value.trim();
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return '';
}

/** An object with Asterisk's field names (any case) as a call. */
export function asteriskJsonCall(object: Record<string, unknown>, ctx: FormatContext): RawCall | string {
  const byKey = new Map<string, unknown>();
  for (const [k, v] of Object.entries(object)) byKey.set(headerKey(k), v);
  const get = (name: keyof AsteriskValues): string => {
    const aliases: readonly string[] = name === 'src' && byKey.has('src') ? ['src'] : NAMES[name];
    for (const alias of aliases) {
      const v = byKey.get(headerKey(alias));
      if (v !== undefined) return text(v);
    }
    return '';
  };
  const values: AsteriskValues = {
    src: get('src'),
    dst: get('dst'),
    start: get('start'),
    answer: get('answer'),
    end: get('end'),
    billsec: get('billsec'),
    disposition: get('disposition'),
    uniqueid: get('uniqueid'),
    linkedid: get('linkedid'),
    channel: get('channel'),
    dstchannel: get('dstchannel'),
  };
  const missing = REQUIRED.filter(
    (name) => values[name] === '' && !NAMES[name].some((a) => byKey.has(headerKey(a))),
  );
  if (missing.length > 0) return `not an Asterisk call record: no ${missing.join(', ')} field`;
  return asteriskCall(values, ctx);
}

/** Whether a JSON object looks like an Asterisk record. */
export function isAsteriskJson(object: Record<string, unknown>): boolean {
  const keys = new Set(Object.keys(object).map(headerKey));
  return (keys.has('billsec') || keys.has('billableseconds')) && keys.has('disposition');
}
