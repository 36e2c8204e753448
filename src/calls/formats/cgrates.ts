// CGRateS CDR exports (the *file_csv event exporter, ees/filecsv.go; older cdre exports). Written from
// CGRateS's own source and tests: the fields of a CDR (engine/cdr.go) are CGRID, RunID, OriginHost, Source,
// OriginID, ToR, RequestType, Tenant, Category, Account, Subject, Destination, SetupTime, AnswerTime, Usage,
// Cost; a header is written only when the exporter's template has *hdr fields, named by their tags. An
// exporter without a template writes, without a header (ees/filecsv_it_test.go):
//   CGRID, OriginHost, RunID, ToR, OriginID, RequestType, Tenant, Category, Account, Subject, Destination,
//   SetupTime, AnswerTime, Usage, Cost
// Usage is a Go duration ("1m5s") or, as a plain number, nanoseconds (utils.ParseDurationWithNanosecs);
// times are RFC 3339, and an unanswered call's AnswerTime is Go's zero time (0001-01-01T00:00:00Z).
//
// A call is the *default run of a *voice record: other ToRs (*data, *sms) are not calls, and each other
// charging run (a supplier's, a reseller's) is the same call priced again. The call id is the OriginID
// (the switch's own id, so the same call sent by the switch itself is recognised), else the CGRID. The
// caller is the Account (else the Subject): CGRateS has no other field for the calling number.
import type { RawCall } from '../call-input.ts';
import {
  column,
  type FormatContext,
  field,
  headerKey,
  readParties,
  type RecordReader,
  startTimeOf,
  statelessReader,
  switchCall,
} from './record.ts';
import { NO_TIME, readGoDuration, readSwitchTime } from './switch-time.ts';

interface Indexes {
  cgrid: number;
  runId: number;
  tor: number;
  originId: number;
  account: number;
  subject: number;
  destination: number;
  setupTime: number;
  answerTime: number;
  usage: number;
}

const NAMES: Record<keyof Indexes, string[]> = {
  cgrid: ['CGRID', 'CgrId'],
  runId: ['RunID', 'RunId', 'run_id'],
  tor: ['ToR', 'TOR', 'tor'],
  originId: ['OriginID', 'AccId', 'origin_id', 'accid'],
  account: ['Account'],
  subject: ['Subject'],
  destination: ['Destination'],
  setupTime: ['SetupTime', 'setup_time'],
  answerTime: ['AnswerTime', 'answer_time'],
  usage: ['Usage', 'Duration'],
};

/** The default export's columns, when there is no header. */
const DEFAULT_LAYOUT: Indexes = {
  cgrid: 0,
  runId: 2,
  tor: 3,
  originId: 4,
  account: 8,
  subject: 9,
  destination: 10,
  setupTime: 11,
  answerTime: 12,
  usage: 13,
};
export const CGRATES_DEFAULT_WIDTH = 15;

export function cgratesHeader(
  record: readonly string[],
): { indexes: Indexes; missing: string[] } | undefined {
  const keys = record.map(headerKey);
  const indexes = {} as Indexes;
  for (const [name, aliases] of Object.entries(NAMES) as [keyof Indexes, string[]][])
    indexes[name] = column(keys, ...aliases);
  if (
    indexes.usage === -1 ||
    (indexes.originId === -1 && indexes.cgrid === -1) ||
    indexes.destination === -1
  ) {
    // Not enough for a CGRateS header, unless it names two of its own fields.
    const own = [indexes.cgrid, indexes.originId, indexes.tor, indexes.runId, indexes.setupTime].filter(
      (i) => i !== -1,
    ).length;
    if (own < 2) return undefined;
  }
  const missing: string[] = [];
  if (indexes.originId === -1 && indexes.cgrid === -1) missing.push('OriginID');
  if (indexes.destination === -1) missing.push('Destination');
  if (indexes.usage === -1) missing.push('Usage');
  if (indexes.setupTime === -1 && indexes.answerTime === -1) missing.push('SetupTime');
  if (indexes.account === -1 && indexes.subject === -1) missing.push('Account');
  return { indexes, missing };
}

const CGRID = /^[0-9a-f]{40}$/;

/** Whether a header-less record is CGRateS's default export. */
export function isCgratesDefault(record: readonly string[]): boolean {
  return (
    record.length === CGRATES_DEFAULT_WIDTH &&
    CGRID.test(field(record, 0)) &&
    field(record, 3).startsWith('*')
  );
}

function cgratesCall(record: readonly string[], i: Indexes, ctx: FormatContext): RawCall | string {
  const tor = field(record, i.tor);
  if (tor !== '' && tor !== '*voice') return `a ${tor} record, not a call (only *voice records are calls)`;
  const run = field(record, i.runId);
  if (run !== '' && run !== '*default')
    return `charging run "${run}": the same call priced again (only the *default run is billed)`;
  const callId = field(record, i.originId) || field(record, i.cgrid);
  if (callId === '') return 'OriginID: is empty: nothing identifies this call';
  const usageText = field(record, i.usage);
  const usage = usageText === '' ? 0 : readGoDuration(usageText);
  if (usage < 0)
    return `Usage: "${usageText.slice(0, 40)}" is not a duration (a Go duration such as 1m5s, or nanoseconds)`;
  const answerText = field(record, i.answerTime);
  const answerMs = answerText === '' ? NO_TIME : readSwitchTime(answerText, ctx.clock);
  const answered = usage > 0 || answerMs >= 0;
  const setupText = field(record, i.setupTime);
  // The setup time, else the answer time (each read once).
  const setupMs = setupText === '' ? NO_TIME : readSwitchTime(setupText, ctx.clock);
  const start =
    setupMs !== NO_TIME
      ? startTimeOf('SetupTime', setupText, setupMs)
      : startTimeOf('SetupTime', answerText, answerMs);
  if (typeof start !== 'number') return start.error;
  const parties = readParties(
    field(record, i.account) || field(record, i.subject),
    field(record, i.destination),
    ctx.numbers,
  );
  return switchCall(
    callId.slice(0, 200),
    parties,
    start,
    answered ? usage : 0,
    answered ? 'completed' : 'missed',
    undefined,
    ctx.iso,
  );
}

export function cgratesReader(
  indexes: Indexes | undefined,
  width: number,
  ctx: FormatContext,
): RecordReader<string[]> {
  const layout = indexes ?? DEFAULT_LAYOUT;
  return statelessReader((record) => {
    if (record.length !== width) {
      return indexes
        ? `expected ${width} columns as in the header, found ${record.length}`
        : `expected CGRateS's ${width} default export columns (CGRID, OriginHost, RunID, ToR, OriginID, …), found ${record.length}`;
    }
    return cgratesCall(record, layout, ctx);
  });
}

/** A CGRateS CDR as JSON (an http_post / *http_json_map export): its field names as keys. */
export function cgratesJsonCall(object: Record<string, unknown>, ctx: FormatContext): RawCall | string {
  const keys = Object.keys(object);
  const found = cgratesHeader(keys);
  if (!found) return 'not a CGRateS CDR: no OriginID, Destination and Usage fields';
  const record = keys.map((k) => {
    const v = object[k];
    return typeof v === 'string' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : '';
  });
  return cgratesCall(record, found.indexes, ctx);
}

export function isCgratesJson(object: Record<string, unknown>): boolean {
  return cgratesHeader(Object.keys(object)) !== undefined;
}
