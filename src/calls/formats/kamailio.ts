// Kamailio's and OpenSIPS's acc module, exported from its database tables as CSV with a header (the
// columns are the tables' and the *_extra fields the configuration names). Written from their own sources:
//   Kamailio utils/kamctl/mysql/acc-create.sql: acc (id, method, from_tag, to_tag, callid, sip_code,
//     sip_reason, time), one row per SIP transaction; etc/kamailio.cfg adds db_extra
//     src_user=$fU, src_domain, src_ip, dst_ouser=$tU, dst_user=$rU, dst_domain. A call is its INVITE row
//     (200: answered, 4xx-6xx: not) and, when answered, its BYE row: the duration is from one to the other.
//     acc_cdrs (id, start_time, end_time, duration) with cdr_extra, the dialog-based CDRs (src/modules/acc
//     README: cdr_enable, cdrs_table; duration in seconds.milliseconds by default).
//   OpenSIPS scripts/mysql/acc-create.sql: acc (method, from_tag, to_tag, callid, sip_code, sip_reason,
//     time, duration, ms_duration, setuptime, created): with do_accounting(…, "cdr") one row per call whose
//     duration is already set (modules/acc/README.md); extra_fields add src_user, dst_user and the like.
//
// The call id is the SIP Call-ID. Who called whom: src_user (or caller, from_user…) and dst_ouser, the
// number as dialled in the To header (else dst_user, the request URI's user, or callee, to_user…).
import type { RawCall } from '../call-input.ts';
import {
  column,
  type Emit,
  type FormatContext,
  field,
  headerKey,
  readParties,
  type RecordReader,
  sipCodeStatus,
  switchCall,
} from './record.ts';
import { BAD_TIME, NO_TIME, readSeconds, readSwitchTime } from './switch-time.ts';

interface Indexes {
  callid: number;
  method: number;
  sipCode: number;
  time: number;
  startTime: number;
  endTime: number;
  duration: number;
  msDuration: number;
  created: number;
  from: number;
  to: number;
}

const NAMES: Record<keyof Indexes, string[]> = {
  callid: ['callid', 'call_id', 'sip_call_id'],
  method: ['method', 'sip_method'],
  sipCode: ['sip_code', 'code', 'sip_status'],
  time: ['time', 'call_start_time', 'timestamp'],
  startTime: ['start_time'],
  endTime: ['end_time'],
  duration: ['duration'],
  msDuration: ['ms_duration'],
  created: ['created'],
  from: ['src_user', 'src_username', 'caller', 'caller_id', 'from_user', 'src'],
  to: ['dst_ouser', 'dst_user', 'dst_username', 'callee', 'to_user', 'dst'],
};

/** The columns of an acc export's header; undefined when it is not one. */
export function accHeader(record: readonly string[]):
  | {
      indexes: Indexes;
      missing: string[];
      kind: 'transactions' | 'cdrs';
      product: 'kamailio' | 'opensips' | 'kamailio/opensips';
    }
  | undefined {
  const keys = record.map(headerKey);
  const indexes = {} as Indexes;
  for (const [name, aliases] of Object.entries(NAMES) as [keyof Indexes, string[]][])
    indexes[name] = column(keys, ...aliases);
  // The Call-ID, or acc_cdrs' own start_time and end_time (Kamailio's dialog CDRs may leave the Call-ID out).
  if (indexes.callid === -1 && !(indexes.startTime !== -1 && indexes.endTime !== -1)) return undefined;
  if (indexes.method === -1 && indexes.sipCode === -1 && indexes.duration === -1) return undefined;
  const kind = indexes.duration !== -1 || indexes.msDuration !== -1 ? 'cdrs' : 'transactions';
  const missing: string[] = [];
  if (indexes.callid === -1) missing.push('callid');
  if (indexes.from === -1) missing.push('src_user (the caller: db_extra / extra_fields src_user=$fU)');
  if (indexes.to === -1) missing.push('dst_ouser or dst_user (the number called: $tU or $rU)');
  if (indexes.time === -1 && indexes.startTime === -1 && indexes.created === -1)
    missing.push('time or start_time');
  if (kind === 'transactions' && (indexes.method === -1 || indexes.sipCode === -1))
    missing.push('method and sip_code');
  const product =
    indexes.msDuration !== -1 || indexes.created !== -1
      ? 'opensips'
      : indexes.startTime !== -1 || indexes.endTime !== -1
        ? 'kamailio'
        : 'kamailio/opensips';
  return { indexes, missing, kind, product };
}

const MAX_CALL_ID = 200;
/** INVITEs answered and waiting for their BYE: a bound on what a file can make us hold. */
const MAX_OPEN_CALLS = 100_000;

interface Row {
  callid: string;
  method: string;
  code: number;
  startMs: number;
  from: string;
  to: string;
}

function readRow(record: readonly string[], i: Indexes, ctx: FormatContext): Row | string {
  const callid = field(record, i.callid);
  if (callid === '') return 'callid: is empty: nothing identifies this call';
  const codeText = field(record, i.sipCode);
  const code = codeText === '' ? 200 : Number(codeText);
  if (!/^\d{3}$/.test(codeText) && codeText !== '')
    return `sip_code: "${codeText.slice(0, 20)}" is not a SIP status code`;
  const timeAt = i.time !== -1 ? i.time : i.startTime !== -1 ? i.startTime : i.created;
  const timeText = field(record, timeAt);
  const startMs = readSwitchTime(timeText, ctx.clock);
  if (startMs === NO_TIME) return `${i.time !== -1 ? 'time' : 'start_time'}: no time`;
  if (startMs === BAD_TIME)
    return `${i.time !== -1 ? 'time' : 'start_time'}: "${timeText.slice(0, 60)}" is not a date and time`;
  return {
    callid: callid.slice(0, MAX_CALL_ID),
    method: field(record, i.method).toUpperCase(),
    code,
    startMs,
    from: field(record, i.from),
    to: field(record, i.to),
  };
}

function call(row: Row, durationS: number, ctx: FormatContext): RawCall {
  const parties = readParties(row.from, row.to, ctx.numbers);
  return switchCall(row.callid, parties, row.startMs, durationS, sipCodeStatus(row.code), undefined, ctx.iso);
}

/** Refuses a line (a function of its own: no closure made for every record). */
function refuseLine(emit: Emit, line: number, raw: () => string, reason: string): undefined {
  emit.refuse(line, raw(), reason);
  return undefined;
}

/** Rows that are calls already (OpenSIPS cdr rows, Kamailio acc_cdrs): each row is one call. */
export function accCdrReader(indexes: Indexes, width: number, ctx: FormatContext): RecordReader<string[]> {
  return {
    add(record, line, raw, emit) {
      if (record.length !== width)
        return refuseLine(
          emit,
          line,
          raw,
          `expected ${width} columns as in the header, found ${record.length}`,
        );
      const row = readRow(record, indexes, ctx);
      if (typeof row === 'string') return refuseLine(emit, line, raw, row);
      if (row.method !== '' && row.method !== 'INVITE')
        return refuseLine(
          emit,
          line,
          raw,
          `a SIP ${row.method} transaction, not a call record (calls are the INVITE rows)`,
        );
      let durationS = 0;
      const ms = field(record, indexes.msDuration);
      const seconds = field(record, indexes.duration);
      if (ms !== '' && /^\d+$/.test(ms) && Number(ms) > 0) durationS = Math.ceil(Number(ms) / 1000);
      else if (seconds !== '') {
        durationS = readSeconds(seconds);
        if (durationS < 0)
          return refuseLine(
            emit,
            line,
            raw,
            `duration: "${seconds.slice(0, 30)}" is not a number of seconds`,
          );
      } else if (indexes.endTime !== -1) {
        const end = readSwitchTime(field(record, indexes.endTime), ctx.clock);
        if (end >= 0) durationS = Math.max(0, Math.ceil((end - row.startMs) / 1000));
      }
      return emit.call(call(row, row.code >= 300 ? 0 : durationS, ctx), line, raw);
    },
    end() {},
  };
}

/**
 * Kamailio's acc table, a row per transaction: an answered INVITE waits for the BYE of its Call-ID, which
 * ends the call (the BYE's line is counted as joined to it); an INVITE that failed is a call at once. What
 * is left at the end is refused with its reason, as is anything else.
 */
export function accTransactionReader(
  indexes: Indexes,
  width: number,
  ctx: FormatContext,
): RecordReader<string[]> {
  const open = new Map<string, { row: Row; line: number; raw: string }>();
  return {
    add(record, line, raw, emit) {
      if (record.length !== width)
        return refuseLine(
          emit,
          line,
          raw,
          `expected ${width} columns as in the header, found ${record.length}`,
        );
      const row = readRow(record, indexes, ctx);
      if (typeof row === 'string') return refuseLine(emit, line, raw, row);
      if (row.method === 'INVITE') {
        if (row.code >= 300) return emit.call(call(row, 0, ctx), line, raw);
        if (open.has(row.callid))
          return refuseLine(
            emit,
            line,
            raw,
            `a second answered INVITE of call ${row.callid} (a re-INVITE is not a new call)`,
          );
        if (open.size >= MAX_OPEN_CALLS) {
          const [oldest, held] = open.entries().next().value as [
            string,
            { row: Row; line: number; raw: string },
          ];
          open.delete(oldest);
          emit.refuse(
            held.line,
            held.raw,
            `answered, but its BYE was not within the next ${MAX_OPEN_CALLS} calls of the file`,
          );
        }
        open.set(row.callid, { row, line, raw: raw() });
        return undefined;
      }
      if (row.method === 'BYE') {
        const held = open.get(row.callid);
        if (held === undefined)
          return refuseLine(
            emit,
            line,
            raw,
            `a BYE whose answered INVITE (call ${row.callid}) is not before it in this file`,
          );
        open.delete(row.callid);
        emit.combined(line);
        const durationS = Math.max(0, Math.ceil((row.startMs - held.row.startMs) / 1000));
        return emit.call(call(held.row, durationS, ctx), held.line, () => held.raw);
      }
      return refuseLine(
        emit,
        line,
        raw,
        `a SIP ${row.method || '(no method)'} transaction, not a call (a call is its INVITE and BYE rows)`,
      );
    },
    end(emit: Emit) {
      for (const held of open.values())
        emit.refuse(
          held.line,
          held.raw,
          `answered, but its BYE is not in this file: the call's length is unknown (import it with the file that has the BYE)`,
        );
      open.clear();
    },
  };
}
