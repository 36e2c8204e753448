// FreeSWITCH's call records. Written from FreeSWITCH's own source:
//   src/mod/event_handlers/mod_cdr_csv/conf/autoload_configs/cdr_csv.conf.xml: the templates, no header,
//     every field quoted. example (the default-template): caller_id_name, caller_id_number,
//     destination_number, context, start_stamp, answer_stamp, end_stamp, duration, billsec, hangup_cause,
//     uuid, bleg_uuid, accountcode, read_codec, write_codec (15 columns); linksys adds sip_user_agent,
//     sip_p_rtp_stat (17); snom adds sip_user_agent, call_clientcode, sip_rtp_rxstat, sip_rtp_txstat,
//     sofia_record_file (20); asterisk: accountcode, caller_id_number, destination_number, context,
//     caller_id, channel_name, bridge_channel, last_app, last_arg, start_stamp, answer_stamp, end_stamp,
//     duration, billsec, hangup_cause, amaflags, uuid, userfield (18); opencdrrate (conf/vanilla): uuid,
//     signal_bond, direction, ani, destination_number, answer_stamp, end_stamp, billsec, accountcode,
//     userfield, network_addr, regex(original_caller_id_name), sip_gateway_name (13). *_stamp times are the
//     server's local time. A file with a header naming these variables is read by the names.
//   src/switch_ivr.c switch_ivr_generate_json_cdr() (what mod_json_cdr writes and posts): an object with
//     "variables" (the channel variables: uuid, start_epoch, answer_epoch, billsec, hangup_cause, …; each
//     value URL-encoded when json_cdr.conf's encode-values is true, its default) and "callflow" (the caller
//     profiles, the current one first: caller_id_number, destination_number, and on a B leg "originator").
//
// The call id is the channel's uuid. One record per call: the A leg's. With mod_cdr_csv's legs=ab or
// mod_json_cdr's log-b-leg=true a B leg's record comes too, and is refused as the B leg of its A leg's call
// (the A leg's record already holds the call), so a call is never billed twice.
import type { RawCall } from '../call-input.ts';
import {
  column,
  type FormatContext,
  field,
  freeswitchStatus,
  headerKey,
  readParties,
  type RecordReader,
  startTime,
  switchCall,
} from './record.ts';
import { readSeconds, readSwitchTime } from './switch-time.ts';

export interface FreeswitchValues {
  uuid: string;
  /** The A leg's uuid when this record is a B leg's; '' for an A leg. */
  aLeg: string;
  /** The B leg's uuid as the A leg records it (bleg_uuid), if any. */
  bLeg: string;
  callerIdNumber: string;
  destinationNumber: string;
  start: string;
  answer: string;
  end: string;
  billsec: string;
  hangupCause: string;
  /** inbound / outbound / local (call_direction of FreeSWITCH 1.10), if written. */
  callDirection: string;
}

const MAX_CALL_ID = 200;

export function freeswitchCall(v: FreeswitchValues, ctx: FormatContext): RawCall | string {
  if (v.uuid === '') return 'uuid: is empty: nothing identifies this call';
  if (v.aLeg !== '' && v.aLeg !== v.uuid)
    return `the B leg of call ${v.aLeg}: the A leg's record is the call (set log-b-leg to false in json_cdr.conf, or legs to "a" in cdr_csv.conf)`;
  const billsec = readSeconds(v.billsec);
  if (billsec < 0) return `billsec: "${v.billsec.slice(0, 40)}" is not a whole number of seconds`;
  // Billed seconds say it was answered; without them, an answer time does (read only then).
  const answered = billsec > 0 || (v.answer !== '' && readSwitchTime(v.answer, ctx.clock) >= 0);
  const status = freeswitchStatus(answered, v.hangupCause);
  if (status === undefined)
    return `hangup_cause: "${v.hangupCause.slice(0, 40)}" is not a FreeSWITCH hangup cause`;
  // opencdrrate's template has no start: an answered call started when it was answered, another when it ended.
  const startText = v.start !== '' ? v.start : answered && v.answer !== '' ? v.answer : v.end;
  const start = startTime('start_stamp', startText, ctx);
  if (typeof start !== 'number') return start.error;
  const parties = readParties(v.callerIdNumber, v.destinationNumber, ctx.numbers);
  const call = switchCall(v.uuid.slice(0, MAX_CALL_ID), parties, start, billsec, status, undefined, ctx.iso);
  const direction = v.callDirection.toLowerCase();
  if (direction === 'inbound' || direction === 'outbound') {
    call.direction = direction;
    call.autoDirection = false;
  }
  return call;
}

// ---------------------------------------------------------------------------------------------------
// mod_cdr_csv

type Indexes = Record<Exclude<keyof FreeswitchValues, 'aLeg'>, number>;

function layout(o: Partial<Indexes>): Indexes {
  return {
    uuid: -1,
    bLeg: -1,
    callerIdNumber: -1,
    destinationNumber: -1,
    start: -1,
    answer: -1,
    end: -1,
    billsec: -1,
    hangupCause: -1,
    callDirection: -1,
    ...o,
  };
}

const EXAMPLE = layout({
  callerIdNumber: 1,
  destinationNumber: 2,
  start: 4,
  answer: 5,
  end: 6,
  billsec: 8,
  hangupCause: 9,
  uuid: 10,
  bLeg: 11,
});
const ASTERISK_TEMPLATE = layout({
  callerIdNumber: 1,
  destinationNumber: 2,
  start: 9,
  answer: 10,
  end: 11,
  billsec: 13,
  hangupCause: 14,
  uuid: 16,
});
const OPENCDRRATE = layout({
  uuid: 0,
  bLeg: 1,
  callerIdNumber: 3,
  destinationNumber: 4,
  answer: 5,
  end: 6,
  billsec: 7,
});

// A uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i; a hangup cause: /^[A-Z][A-Z0-9_]{2,60}$/
// (checked by hand below: these run for every record).

/** The template of a header-less mod_cdr_csv record, with its name; undefined when it is none. */
function uuidAt(record: readonly string[], i: number): boolean {
  return isUuid(field(record, i));
}

/** Whether the value is a uuid (any case). */
function isUuid(value: string): boolean {
  if (value.length !== 36) return false;
  for (let i = 0; i < 36; i++) {
    const c = value.charCodeAt(i);
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== 45) return false;
    } else if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70))) return false;
  }
  return true;
}

/** Whether the value is a hangup cause's name. */
function isCause(value: string): boolean {
  const length = value.length;
  if (length < 3 || length > 61) return false;
  const c0 = value.charCodeAt(0);
  if (c0 < 65 || c0 > 90) return false;
  for (let i = 1; i < length; i++) {
    const c = value.charCodeAt(i);
    if (!((c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95)) return false;
  }
  return true;
}

export function freeswitchLayout(record: readonly string[]): { indexes: Indexes; name: string } | undefined {
  const n = record.length;
  if ((n === 15 || n === 17 || n === 20) && uuidAt(record, 10) && isCause(field(record, 9))) {
    return n === 15 ? TEMPLATES.example : n === 17 ? TEMPLATES.linksys : TEMPLATES.snom;
  }
  if (n === 18 && uuidAt(record, 16) && isCause(field(record, 14))) return TEMPLATES.asterisk;
  if (n === 13 && uuidAt(record, 0)) return TEMPLATES.opencdrrate;
  return undefined;
}

/** The templates with their names (made once: a template is chosen for every record). */
const TEMPLATES = {
  example: { indexes: EXAMPLE, name: "mod_cdr_csv's example template" },
  linksys: { indexes: EXAMPLE, name: "mod_cdr_csv's linksys template" },
  snom: { indexes: EXAMPLE, name: "mod_cdr_csv's snom template" },
  asterisk: { indexes: ASTERISK_TEMPLATE, name: "mod_cdr_csv's asterisk template" },
  opencdrrate: { indexes: OPENCDRRATE, name: "mod_cdr_csv's opencdrrate template" },
} as const satisfies Record<string, { indexes: Indexes; name: string }>;

/** Remembers the B legs A legs named (bleg_uuid): their own records are not calls of their own. */
class BLegs {
  private readonly seen = new Map<string, string>();
  private static readonly MAX = 200_000;

  note(aLeg: string, bLeg: string): void {
    if (bLeg === '' || bLeg === aLeg) return;
    if (this.seen.size >= BLegs.MAX) this.seen.clear();
    this.seen.set(bLeg, aLeg);
  }

  aLegOf(uuid: string): string {
    return this.seen.get(uuid) ?? '';
  }
}

/** A field of a mod_cdr_csv record. The snom template writes `, "${accountcode}"`: a space before a quoted field, which CSV keeps. */
function get(record: readonly string[], at: number): string {
  return unquote(field(record, at));
}

function csvValues(record: readonly string[], i: Indexes, bLegs: BLegs): FreeswitchValues {
  const uuid = get(record, i.uuid);
  const bLeg = get(record, i.bLeg);
  bLegs.note(uuid, bLeg);
  return {
    uuid,
    aLeg: bLegs.aLegOf(uuid),
    bLeg,
    callerIdNumber: get(record, i.callerIdNumber),
    destinationNumber: get(record, i.destinationNumber),
    start: get(record, i.start),
    answer: get(record, i.answer),
    end: get(record, i.end),
    billsec: get(record, i.billsec),
    hangupCause: get(record, i.hangupCause),
    callDirection: get(record, i.callDirection),
  };
}

function unquote(value: string): string {
  return value.length >= 2 && value.charCodeAt(0) === 34 && value.charCodeAt(value.length - 1) === 34
    ? value.slice(1, -1).replaceAll('""', '"')
    : value;
}

export function freeswitchPositionalReader(ctx: FormatContext): RecordReader<string[]> {
  const bLegs = new BLegs();
  return {
    add(record, line, raw, emit) {
      const found = freeswitchLayout(record);
      if (!found) {
        emit.refuse(
          line,
          raw(),
          `expected a mod_cdr_csv record (the example, linksys, snom, asterisk or opencdrrate template: 15, 17, 20, 18 or 13 columns with the uuid where the template puts it), found ${record.length} column(s)`,
        );
        return undefined;
      }
      const out = freeswitchCall(csvValues(record, found.indexes, bLegs), ctx);
      if (typeof out === 'string') {
        emit.refuse(line, raw(), out);
        return undefined;
      }
      return emit.call(out, line, raw);
    },
    end() {},
  };
}

const HEADER_NAMES = {
  uuid: ['uuid', 'call_uuid'],
  bLeg: ['bleg_uuid', 'signal_bond'],
  callerIdNumber: ['caller_id_number', 'ani', 'effective_caller_id_number', 'sip_from_user'],
  destinationNumber: ['destination_number', 'dialed_extension', 'sip_req_user', 'callee_id_number'],
  start: ['start_stamp', 'start_epoch', 'start_uepoch', 'created_time'],
  answer: ['answer_stamp', 'answer_epoch', 'answer_uepoch'],
  end: ['end_stamp', 'end_epoch', 'end_uepoch'],
  billsec: ['billsec'],
  hangupCause: ['hangup_cause'],
  callDirection: ['call_direction'],
} as const satisfies Record<keyof Indexes, readonly string[]>;

/** The columns of a header naming FreeSWITCH variables; undefined when it is not one. */
export function freeswitchHeader(
  record: readonly string[],
): { indexes: Indexes; missing: string[] } | undefined {
  const keys = record.map(headerKey);
  const indexes = {} as Indexes;
  for (const [name, aliases] of Object.entries(HEADER_NAMES) as [keyof Indexes, readonly string[]][])
    indexes[name] = column(keys, ...aliases);
  if (indexes.hangupCause === -1 && !(indexes.uuid !== -1 && indexes.billsec !== -1)) return undefined;
  const missing: string[] = [];
  if (indexes.uuid === -1) missing.push('uuid');
  if (indexes.destinationNumber === -1) missing.push('destination_number');
  if (indexes.billsec === -1) missing.push('billsec');
  if (indexes.start === -1 && indexes.answer === -1) missing.push('start_stamp');
  return { indexes, missing };
}

export function freeswitchHeaderReader(
  indexes: Indexes,
  width: number,
  ctx: FormatContext,
): RecordReader<string[]> {
  const bLegs = new BLegs();
  return {
    add(record, line, raw, emit) {
      const out =
        record.length !== width
          ? `expected ${width} columns as in the header, found ${record.length}`
          : freeswitchCall(csvValues(record, indexes, bLegs), ctx);
      if (typeof out === 'string') {
        emit.refuse(line, raw(), out);
        return undefined;
      }
      return emit.call(out, line, raw);
    },
    end() {},
  };
}

// ---------------------------------------------------------------------------------------------------
// mod_json_cdr

/** Whether a JSON object is what switch_ivr_generate_json_cdr() writes. */
export function isFreeswitchJson(object: Record<string, unknown>): boolean {
  return (
    isObject(object.variables) &&
    ('callflow' in object || 'channel_data' in object || 'core-uuid' in object || 'uuid' in object.variables)
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A variable's value: mod_json_cdr URL-encodes them (encode-values, on by default). */
function variable(variables: Record<string, unknown>, name: string): string {
  const value = variables[name];
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') return '';
  if (value.indexOf('%') === -1) return value.trim();
  try {
    return decodeURIComponent(value).trim();
  } catch {
    return value.trim();
  }
}

function first(variables: Record<string, unknown>, ...names: string[]): string {
  for (const name of names) {
    const value = variable(variables, name);
    if (value !== '') return value;
  }
  return '';
}

/** The caller profiles, current first: an array in FreeSWITCH 1.6 and later, one object before. */
function profiles(object: Record<string, unknown>): Record<string, unknown>[] {
  const flow = object.callflow;
  const list = Array.isArray(flow) ? flow : isObject(flow) ? [flow] : [];
  const out: Record<string, unknown>[] = [];
  for (const step of list) if (isObject(step) && isObject(step.caller_profile)) out.push(step.caller_profile);
  return out;
}

/** A mod_json_cdr record as a call; `queryUuid` is the ?uuid= mod_json_cdr adds to the URL it posts to. */
export function freeswitchJsonCall(
  object: Record<string, unknown>,
  ctx: FormatContext,
  queryUuid = '',
): RawCall | string {
  if (!isObject(object.variables)) return 'not a mod_json_cdr record: no "variables" object';
  const vars = object.variables;
  const profile = profiles(object)[0] ?? {};
  const fromProfile = (name: string) => (typeof profile[name] === 'string' ? profile[name].trim() : '');
  const uuid = first(vars, 'uuid', 'call_uuid') || fromProfile('uuid') || queryUuid;
  // A B leg: its caller profile has an originator (switch_ivr.c), or the variables name the leg it came from.
  const isBLeg = isObject(profile.originator) || first(vars, 'originating_leg_uuid', 'originator') !== '';
  const aLeg = isBLeg ? first(vars, 'originating_leg_uuid', 'originator', 'signal_bond') || 'unknown' : '';
  return freeswitchCall(
    {
      uuid,
      aLeg,
      bLeg: first(vars, 'bleg_uuid', 'signal_bond'),
      callerIdNumber:
        fromProfile('caller_id_number') ||
        first(vars, 'effective_caller_id_number', 'caller_id_number', 'sip_from_user', 'ani'),
      destinationNumber:
        fromProfile('destination_number') ||
        first(vars, 'destination_number', 'dialed_extension', 'sip_req_user', 'sip_to_user'),
      // The epochs are UTC; the stamps are the server's local time.
      start: nonZero(first(vars, 'start_epoch')) || first(vars, 'start_stamp'),
      answer: nonZero(first(vars, 'answer_epoch')) || first(vars, 'answer_stamp'),
      end: nonZero(first(vars, 'end_epoch')) || first(vars, 'end_stamp'),
      billsec: first(vars, 'billsec') || '0',
      hangupCause: first(vars, 'hangup_cause'),
      callDirection: first(vars, 'call_direction'),
    },
    ctx,
  );
}

function nonZero(value: string): string {
  return value === '0' ? '' : value;
}
