// What every switch format's reader shares: the context it reads in (the switch's clock, the number plan),
// the way it hands on what it read (a call in Ringbill's call-record shape, a refusal with its reason, or a
// line folded into another line's call), and the small readers all of them use.
//
// A format reader is pure: records in, call records out. It never touches the database; the import use
// case gives its calls to the same ingester as Ringbill's own CSV (checks, dedup, rating, refused lines,
// the feed), so every format takes one path from there on.
import type { LocalClock } from '../../rating/bands.ts';
import type { CallStatus } from '../repo.ts';
import { type RawCall, START_MS, startMsCarries } from '../call-input.ts';
import { NotANumber, type NumberReader, WITHHELD_CALLER } from '../../shared/number-plan.ts';
import { BAD_TIME, type IsoWriter, NO_TIME, readSwitchTime } from './switch-time.ts';

export const SWITCH_FORMATS = ['asterisk', 'freeswitch', 'kamailio', 'opensips', 'cgrates'] as const;
export type SwitchFormat = (typeof SWITCH_FORMATS)[number];
export const CALL_FILE_FORMATS = ['ringbill', ...SWITCH_FORMATS, 'auto'] as const;
export type CallFileFormat = (typeof CALL_FILE_FORMATS)[number];

export interface FormatContext {
  /** The switch's time zone, for local times without an offset. */
  clock: LocalClock;
  numbers: NumberReader;
  iso: IsoWriter;
}

/** Where a reader's results go. `call` may return a promise the reader must wait for. */
export interface Emit {
  call(call: RawCall, line: number, raw: () => string): Promise<void> | undefined;
  refuse(line: number, raw: string, reason: string): void;
  /** A line whose content went into another line's call (a Kamailio BYE into its INVITE's call). */
  combined(line: number): void;
}

/** A reader of one file's records (fields of a CSV record, or a parsed JSON object). */
export interface RecordReader<T> {
  add(record: T, line: number, raw: () => string, emit: Emit): Promise<void> | undefined;
  /** The end of the file: records still held (a Kamailio call whose BYE never came) are refused. */
  end(emit: Emit): void;
}

/** A reader that turns each record into a call or a refusal on its own. */
export function statelessReader<T>(convert: (record: T) => RawCall | string): RecordReader<T> {
  return {
    add(record, line, raw, emit) {
      const out = convert(record);
      if (typeof out === 'string') {
        emit.refuse(line, raw(), out);
        return undefined;
      }
      return emit.call(out, line, raw);
    },
    end() {},
  };
}

/** The two parties of a call, as stored; `internal` says why the call is not one to bill, if it is not. */
export interface Parties {
  from: string;
  to: string;
  internal: string | undefined;
}

/**
 * The caller and the number called, read under the plan. A withheld or empty caller is "anonymous" (a call
 * like any other); a party that is no phone number (an extension, a special extension, a SIP user name)
 * makes the call internal, with the reason.
 */
export function readParties(fromText: string, toText: string, numbers: NumberReader): Parties {
  const from = numbers.read(fromText);
  const to = numbers.read(toText);
  let internal: string | undefined;
  let fromOut: string;
  if (typeof from === 'string') fromOut = from;
  else if (from.withheld) fromOut = WITHHELD_CALLER;
  else {
    fromOut = from.text;
    internal = `from ${from.reason}`;
  }
  let toOut: string;
  if (typeof to === 'string') toOut = to;
  else {
    toOut = to.text;
    const why =
      to.text === ''
        ? 'no number was dialled (the destination is empty)'
        : `to ${to.reason === 'was withheld' ? `"${to.text}" is not a phone number` : to.reason}`;
    internal = internal === undefined ? why : `${internal}; ${why}`;
  }
  return { from: fromOut, to: toOut, internal };
}

export { NotANumber };

/**
 * A call record in the shape Ringbill's CSV gives the ingester (every field text): one object shape for
 * every format.
 */
export function switchCall(
  callId: string,
  parties: Parties,
  startMs: number,
  durationS: number,
  status: CallStatus,
  carrier: string | undefined,
  iso: IsoWriter,
): RawCall {
  return {
    call_id: callId,
    from: parties.from,
    to: parties.to,
    start_time: iso.write(startMs),
    // The instant itself, when reading start_time would give it back exactly: not read again.
    [START_MS]: startMsCarries(startMs) ? startMs : undefined,
    duration_s: String(durationS),
    status,
    direction: undefined,
    carrier,
    recording_url: undefined,
    transcription_url: undefined,
    confidence_score: undefined,
    voice_agent_id: undefined,
    internal: parties.internal,
    autoDirection: true,
  };
}

/** The start of a call (milliseconds since 1970), or the reason it cannot be read. */
export function startTime(field: string, text: string, ctx: FormatContext): number | { error: string } {
  return startTimeOf(field, text, readSwitchTime(text, ctx.clock));
}

/** startTime() for a text already read: `ms` is readSwitchTime(text, ctx.clock). */
export function startTimeOf(field: string, text: string, ms: number): number | { error: string } {
  if (ms === NO_TIME) return { error: `${field}: no start time` };
  if (ms === BAD_TIME) return { error: `${field}: "${text.slice(0, 60)}" is not a date and time` };
  return ms;
}

/** Two hex digits for each byte (fingerprint's 8 digits without a number-to-text conversion). */
const HEX: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** FNV-1a, 32 bits, as 8 hex digits: tells apart records that share a switch id (see asterisk.ts). */
export function fingerprint(parts: readonly string[]): string {
  let h = 0x811c9dc5;
  for (let p = 0; p < parts.length; p++) {
    const s = parts[p]!;
    for (let i = 0; i < s.length; i++) {
      h ^= s.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    h ^= 0x1f;
    h = Math.imul(h, 0x01000193);
  }
  return HEX[h >>> 24]! + HEX[(h >>> 16) & 0xff]! + HEX[(h >>> 8) & 0xff]! + HEX[h & 0xff]!;
}

/** Header names compared without case, spaces, dashes or underscores ("Start Time" = start_time = StartTime). */
export function headerKey(name: string): string {
  return name
    .trim()
    .replace(/^\uFEFF/, '')
    .replace(/[\s_-]/g, '')
    .toLowerCase();
}

/** The index of the first of `names` in the header (keys as headerKey gives them), or -1. */
export function column(keys: readonly string[], ...names: string[]): number {
  for (const name of names) {
    const at = keys.indexOf(headerKey(name));
    if (at !== -1) return at;
  }
  return -1;
}

/** A field of a record, trimmed; '' when the column is absent or the record shorter. */
export function field(record: readonly string[], at: number): string {
  if (at < 0) return '';
  const value = record[at];
  return value === undefined ? '' : value.trim();
}

/** The SIP status code of a reply as a Ringbill call status. */
export function sipCodeStatus(code: number): CallStatus {
  if (code >= 200 && code < 300) return 'completed';
  if (code === 486 || code === 600) return 'busy';
  // 408 request timeout, 480 temporarily unavailable, 487 request terminated (the caller hung up first).
  if (code === 408 || code === 480 || code === 487) return 'missed';
  return 'failed';
}

/**
 * Asterisk's disposition (ast_cdr_disp2str in main/cdr.c, or the number of cdr.h's enum when cdr_custom
 * writes disposition(int64)) as a Ringbill call status. The disposition decides: ANSWERED is completed
 * (with its billsec, 0 included), everything else is free. Undefined for a word Asterisk does not write.
 */
export function asteriskStatus(disposition: string): CallStatus | undefined {
  // As Asterisk writes it (upper case) first: most records need no upper-cased copy.
  return dispositionStatus(disposition) ?? dispositionStatus(disposition.toUpperCase());
}

function dispositionStatus(disposition: string): CallStatus | undefined {
  switch (disposition) {
    case 'ANSWERED':
    case '8':
      return 'completed';
    case 'NO ANSWER':
    case 'NOANSWER':
    case 'CANCEL':
    case '0':
    case '1':
    case '32':
      return 'missed';
    case 'BUSY':
    case '4':
      return 'busy';
    case 'FAILED':
    case 'CONGESTION':
    case '2':
    case '16':
      return 'failed';
    default:
      return undefined;
  }
}

/** FreeSWITCH hangup causes (Q.850 names, switch_channel_cause2str) of a call nobody answered. */
const FS_MISSED = new Set([
  'NO_ANSWER',
  'NO_USER_RESPONSE',
  'ORIGINATOR_CANCEL',
  'LOSE_RACE',
  'PICKED_OFF',
  'SUBSCRIBER_ABSENT',
  'NORMAL_CLEARING',
  'ALLOTTED_TIMEOUT',
  'CALL_AWARDED_DELIVERED',
  'NONE',
  '',
]);
const FS_BUSY = new Set(['USER_BUSY', 'NORMAL_CIRCUIT_CONGESTION_BUSY']);

/**
 * A FreeSWITCH call's status: answered (an answer time or billed seconds) is completed whatever the
 * hangup cause (a long call can end in MEDIA_TIMEOUT); otherwise the cause: USER_BUSY busy, causes of a
 * call nobody picked up missed, any other cause failed. Undefined when the cause is not a cause name.
 */
export function freeswitchStatus(answered: boolean, cause: string): CallStatus | undefined {
  if (answered) return 'completed';
  const upper = cause.toUpperCase();
  if (FS_BUSY.has(upper)) return 'busy';
  if (FS_MISSED.has(upper)) return 'missed';
  if (/^[A-Z][A-Z0-9_]{2,60}$/.test(upper)) return 'failed';
  return undefined;
}
