// One call record, from a CSV row or a JSON object, checked field by field. The field names are the CSV
// header names: call_id, from, to, start_time, duration_s, status, then optionally direction, carrier,
// recording_url, transcription_url, confidence_score, voice_agent_id.
import type { CallStatus } from './repo.ts';
import type { LocalClock } from '../rating/bands.ts';
import { RATE_LIMITS } from '../rating/rate-call.ts';
import { digitsAt, isCallDate } from './wall-time.ts';

export const REQUIRED_CALL_FIELDS = ['call_id', 'from', 'to', 'start_time', 'duration_s', 'status'] as const;
export const OPTIONAL_CALL_FIELDS = [
  'direction',
  'carrier',
  'recording_url',
  'transcription_url',
  'confidence_score',
  'voice_agent_id',
] as const;
export const CALL_FIELDS = [...REQUIRED_CALL_FIELDS, ...OPTIONAL_CALL_FIELDS] as const;
export type CallField = (typeof CALL_FIELDS)[number];

export type RawCall = Partial<Record<CallField, string | number | null | undefined>> & SwitchCallExtras;

/**
 * What a switch format's reader adds to a record (never read from a file's columns or an API body):
 * `internal`, why the call is not one to bill (its parties are extensions, special extensions, SIP user
 * names), stored unrated when the account keeps internal calls; `autoDirection`, the switch did not say
 * which way the call went (outbound when the caller is one of the account's numbers, else inbound when
 * the number called is).
 */
export interface SwitchCallExtras {
  internal?: string | undefined;
  autoDirection?: boolean | undefined;
  /**
   * The instant `start_time` says, when the reader already knows it (it wrote start_time from it): taken
   * instead of reading start_time again. A symbol, so no JSON body or file column can set it.
   */
  [START_MS]?: number | undefined;
}

/** The key of SwitchCallExtras' already-read start instant. */
export const START_MS: unique symbol = Symbol('startMs');

/** The earliest and the latest (exclusive) instants a start_time may be, as start_time is read (1900 to 2999). */
const FIRST_START_MS = Date.UTC(1900, 0, 1);
const END_START_MS = Date.UTC(3000, 0, 1);

/**
 * Whether reading the ISO text IsoWriter writes for `ms` gives `ms` back exactly (whole seconds from 1900
 * to 2999, as YYYY-MM-DDTHH:MM:SSZ): only then may a reader hand on the instant instead (see START_MS).
 */
export function startMsCarries(ms: number): boolean {
  return Number.isInteger(ms) && ms >= FIRST_START_MS && ms < END_START_MS && ms % 1000 === 0;
}

export interface CallInput {
  sourceCallId: string;
  fromNumber: string;
  toNumber: string;
  startMs: number;
  durationS: number;
  status: CallStatus;
  direction: 'inbound' | 'outbound';
  carrier: string | null;
  recordingUrl: string | null;
  transcriptionUrl: string | null;
  confidenceScore: string | null;
  voiceAgentId: string | null;
  /** Not a call to bill (see SwitchCallExtras): stored as it is, never allocated or rated. */
  internal: boolean;
  /** The direction is to be found from the account's numbers (see SwitchCallExtras). */
  autoDirection: boolean;
}

/** The number stored for a caller who withheld theirs. */
export const ANONYMOUS = 'anonymous';

const STATUS_WORDS: Record<string, CallStatus> = {
  completed: 'completed',
  answered: 'completed',
  missed: 'missed',
  'no-answer': 'missed',
  no_answer: 'missed',
  noanswer: 'missed',
  cancelled: 'missed',
  canceled: 'missed',
  busy: 'busy',
  failed: 'failed',
};
const DIRECTION_WORDS: Record<string, 'inbound' | 'outbound'> = {
  inbound: 'inbound',
  in: 'inbound',
  outbound: 'outbound',
  out: 'outbound',
};
const WITHHELD = new Set(['', 'anonymous', 'withheld', 'private', 'unknown', 'restricted']);

const SIMPLE_NUMBER = /^\+?\d{3,17}$/;
const NUMBER_CHARS = /^\+?[\d\s().-]+$/;
// 2026-01-15T10:30:00Z, 2026-01-15T10:30:00.123+01:00, 2026-01-15 10:30:00 (account's local time)
const ISO_INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/;
const URL_PATTERN = /^https?:\/\/\S{1,2000}$/;

function text(value: string | number | null | undefined): string {
  return value === null || value === undefined ? '' : String(value).trim();
}

function phone(field: 'from' | 'to', value: string, allowWithheld: boolean): string {
  if (SIMPLE_NUMBER.test(value)) return value;
  if (allowWithheld && WITHHELD.has(value.toLowerCase())) return ANONYMOUS;
  if (!NUMBER_CHARS.test(value)) throw new Error(`${field}: "${value}" is not a phone number`);
  const digits = value.replace(/[\s().-]/g, '');
  if (!SIMPLE_NUMBER.test(digits))
    throw new Error(`${field}: "${value}" is not a phone number (3 to 17 digits)`);
  return digits;
}

/**
 * The forms most switches write, 2026-01-15T10:30:00Z and 2026-01-15 10:30:00 (local), read without a
 * regular expression or a Date: the same instant as instant() gives. Undefined for anything else, or a
 * date or time that does not exist, which instant() then reads or explains.
 */
function commonInstant(value: string, clock: LocalClock): number | undefined {
  const length = value.length;
  if (length !== 19 && !(length === 20 && value.charCodeAt(19) === 90)) return undefined; // Z
  const separator = value.charCodeAt(10);
  if (separator !== 84 && separator !== 32) return undefined; // T or space
  if (
    value.charCodeAt(4) !== 45 ||
    value.charCodeAt(7) !== 45 ||
    value.charCodeAt(13) !== 58 ||
    value.charCodeAt(16) !== 58
  )
    return undefined;
  const y = digitsAt(value, 0, 4);
  const mo = digitsAt(value, 5, 2);
  const d = digitsAt(value, 8, 2);
  const h = digitsAt(value, 11, 2);
  const mi = digitsAt(value, 14, 2);
  const s = digitsAt(value, 17, 2);
  if (h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59 || !isCallDate(y, mo, d)) return undefined;
  const wall = Date.UTC(y, mo - 1, d, h, mi, s);
  if (length === 20) return wall;
  return clock.instantOfWall(wall);
}

function instant(value: string, clock: LocalClock): number {
  const common = commonInstant(value, clock);
  if (common !== undefined) return common;
  const m = ISO_INSTANT.exec(value);
  if (!m) throw new Error(`start_time: "${value}" is not an ISO 8601 date-time such as 2026-01-15T10:30:00Z`);
  const [, y, mo, d, h, mi, s, fraction, zone] = m;
  const wall = Date.UTC(
    Number(y),
    Number(mo) - 1,
    Number(d),
    Number(h),
    Number(mi),
    Number(s ?? 0),
    fraction ? Math.floor(Number(fraction) * 1000) : 0,
  );
  const check = new Date(wall);
  if (
    check.getUTCMonth() !== Number(mo) - 1 ||
    check.getUTCDate() !== Number(d) ||
    Number(h) > 23 ||
    Number(mi) > 59 ||
    Number(s ?? 0) > 59
  ) {
    throw new Error(`start_time: "${value}" is not a real date and time`);
  }
  // Date.UTC reads years 0 to 99 as 1900 to 1999: bound the year as business dates are (isIsoDate).
  if (Number(y) < 1900 || Number(y) > 2999)
    throw new Error(`start_time: "${value}" is not a date from 1900 to 2999`);
  if (zone === undefined) {
    // No offset: the account's local time. The offset near the wall time, settled once.
    const guess = wall - clock.offsetMs(wall);
    return wall - clock.offsetMs(guess);
  }
  if (zone === 'Z') return wall;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const [offsetH, offsetM] = [Number(digits.slice(0, 2)), Number(digits.slice(2))];
  // Real UTC offsets run from -12:00 to +14:00; ISO 8601 and PostgreSQL allow up to 18 hours.
  if (offsetH > 18 || offsetM > 59 || (offsetH === 18 && offsetM > 0))
    throw new Error(`start_time: "${value}" has an impossible UTC offset ${zone}`);
  return wall - sign * (offsetH * 60 + offsetM) * 60_000;
}

function optionalUrl(field: string, value: string): string | null {
  if (value === '') return null;
  if (!URL_PATTERN.test(value)) throw new Error(`${field}: "${value.slice(0, 100)}" is not an http(s) URL`);
  return value;
}

function optionalText(field: string, value: string, max: number): string | null {
  if (value === '') return null;
  if (value.length > max) throw new Error(`${field}: at most ${max} characters`);
  return value;
}

/** Checks one call. Throws an Error whose message is the reason, naming the field. */
export function parseCall(raw: RawCall, clock: LocalClock): CallInput {
  const sourceCallId = text(raw.call_id);
  if (sourceCallId === '') throw new Error('call_id: is required');
  if (sourceCallId.length > 200) throw new Error('call_id: at most 200 characters');

  const statusText = text(raw.status).toLowerCase();
  const status = STATUS_WORDS[statusText];
  if (!status) throw new Error(`status: "${text(raw.status)}" must be completed, missed, busy or failed`);

  const directionText = text(raw.direction).toLowerCase();
  const direction = directionText === '' ? 'outbound' : DIRECTION_WORDS[directionText];
  if (!direction) throw new Error(`direction: "${text(raw.direction)}" must be inbound or outbound`);

  // The caller may withhold their number; the number called is always known. An internal call's parties
  // are what the switch wrote (an extension, "s", a SIP user name).
  const internal = raw.internal !== undefined && raw.internal !== '';
  const fromNumber = internal ? party('from', text(raw.from)) : phone('from', text(raw.from), true);
  const toNumber = internal ? party('to', text(raw.to)) : phone('to', text(raw.to), false);

  const startText = text(raw.start_time);
  if (startText === '') throw new Error('start_time: is required');
  const known = raw[START_MS];
  const startMs = known !== undefined ? known : instant(startText, clock);

  const durationText = text(raw.duration_s);
  if (!/^\d+$/.test(durationText))
    throw new Error(`duration_s: "${durationText}" is not a whole number of seconds`);
  const durationS = Number(durationText);
  if (durationS > RATE_LIMITS.maxDurationS)
    throw new Error(`duration_s: at most ${RATE_LIMITS.maxDurationS} seconds (7 days)`);

  let confidenceScore: string | null = null;
  const confidenceText = text(raw.confidence_score);
  if (confidenceText !== '') {
    if (!/^(0(\.\d{1,5})?|1(\.0{1,5})?)$/.test(confidenceText))
      throw new Error(`confidence_score: "${confidenceText}" must be from 0 to 1`);
    confidenceScore = confidenceText;
  }

  return {
    sourceCallId,
    fromNumber,
    toNumber,
    startMs,
    durationS,
    status,
    direction,
    carrier: optionalText('carrier', text(raw.carrier), 200),
    recordingUrl: optionalUrl('recording_url', text(raw.recording_url)),
    transcriptionUrl: optionalUrl('transcription_url', text(raw.transcription_url)),
    confidenceScore,
    voiceAgentId: optionalText('voice_agent_id', text(raw.voice_agent_id), 200),
    internal,
    autoDirection: raw.autoDirection === true,
  };
}

/** A party of an internal call, as written: any text without control characters, at most 100 characters. */
function party(field: 'from' | 'to', value: string): string {
  if (value.length > 100) throw new Error(`${field}: at most 100 characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) throw new Error(`${field}: contains a control character`);
  return value;
}
