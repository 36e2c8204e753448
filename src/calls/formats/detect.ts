// Which reader takes a file: the format named (asterisk, freeswitch, …) or, with auto, the one its first
// record shows, from its header or from the shape of a header-less record. A file whose first record fits
// no format is refused as a whole with a message that says what was looked for.
import { invalid } from '../../shared/errors.ts';
import { REQUIRED_CALL_FIELDS } from '../call-input.ts';
import {
  asteriskHeader,
  asteriskHeaderReader,
  asteriskJsonCall,
  asteriskLayout,
  asteriskPositionalReader,
  isAsteriskJson,
} from './asterisk.ts';
import {
  CGRATES_DEFAULT_WIDTH,
  cgratesHeader,
  cgratesJsonCall,
  cgratesReader,
  isCgratesDefault,
  isCgratesJson,
} from './cgrates.ts';
import {
  freeswitchHeader,
  freeswitchHeaderReader,
  freeswitchJsonCall,
  freeswitchLayout,
  freeswitchPositionalReader,
  isFreeswitchJson,
} from './freeswitch.ts';
import { accCdrReader, accHeader, accTransactionReader } from './kamailio.ts';
import {
  type CallFileFormat,
  type FormatContext,
  headerKey,
  type RecordReader,
  statelessReader,
  type SwitchFormat,
} from './record.ts';

export interface ChosenReader<T> {
  /** The format read (for auto: the one detected). */
  format: SwitchFormat;
  /** What exactly was recognised, for people ("Asterisk cdr_csv Master.csv (18 columns: uniqueid, userfield)"). */
  detail: string;
  /** The first record is a header (not a call). */
  header: boolean;
  reader: RecordReader<T>;
}

const NAMED = ['asterisk', 'freeswitch', 'kamailio', 'opensips', 'cgrates'] as const;

function missingColumns(format: string, missing: string[]): never {
  throw invalid('file', `the header looks like ${format}'s but lacks ${missing.join(', ')}`);
}

/** Whether a record is Ringbill's own header (call_id, from, to, …). */
export function isRingbillHeader(record: readonly string[]): boolean {
  const names = record.map((h) => h.trim().toLowerCase());
  return REQUIRED_CALL_FIELDS.filter((f) => names.includes(f)).length >= 4;
}

/** Candidates for a CSV file's first record, in the order they are tried. */
function csvCandidates(record: string[], ctx: FormatContext): (ChosenReader<string[]> | undefined)[] {
  const width = record.length;
  const out: (() => ChosenReader<string[]> | undefined)[] = [
    () => {
      const h = accHeader(record);
      if (!h) return undefined;
      if (h.missing.length > 0) missingColumns(`the ${h.product} acc table`, h.missing);
      const format = h.product === 'opensips' ? 'opensips' : 'kamailio';
      return h.kind === 'cdrs'
        ? {
            format,
            header: true,
            detail: `${h.product} acc records with a header, one row per call`,
            reader: accCdrReader(h.indexes, width, ctx),
          }
        : {
            format,
            header: true,
            detail: `${h.product} acc transactions with a header (an INVITE and its BYE make a call)`,
            reader: accTransactionReader(h.indexes, width, ctx),
          };
    },
    () => {
      const h = cgratesHeader(record);
      if (!h) return undefined;
      if (h.missing.length > 0) missingColumns('a CGRateS export', h.missing);
      return {
        format: 'cgrates',
        header: true,
        detail: 'CGRateS CDR export with a header',
        reader: cgratesReader(h.indexes, width, ctx),
      };
    },
    () => {
      const h = freeswitchHeader(record);
      if (!h) return undefined;
      if (h.missing.length > 0) missingColumns("FreeSWITCH's mod_cdr_csv", h.missing);
      return {
        format: 'freeswitch',
        header: true,
        detail: 'FreeSWITCH mod_cdr_csv with a header naming its variables',
        reader: freeswitchHeaderReader(h.indexes, width, ctx),
      };
    },
    () => {
      const h = asteriskHeader(record);
      if (!h) return undefined;
      if (h.missing.length > 0) missingColumns("Asterisk's CDR", h.missing);
      return {
        format: 'asterisk',
        header: true,
        detail: 'Asterisk CDRs with a header naming their fields',
        reader: asteriskHeaderReader(h.indexes, width, ctx),
      };
    },
    () => {
      const layout = freeswitchLayout(record);
      return layout
        ? {
            format: 'freeswitch',
            header: false,
            detail: `FreeSWITCH ${layout.name}, no header`,
            reader: freeswitchPositionalReader(ctx),
          }
        : undefined;
    },
    () => {
      const layout = asteriskLayout(record);
      return layout
        ? {
            format: 'asterisk',
            header: false,
            detail: `Asterisk ${layout.name}, no header`,
            reader: asteriskPositionalReader(ctx),
          }
        : undefined;
    },
    () =>
      isCgratesDefault(record)
        ? {
            format: 'cgrates',
            header: false,
            detail: `CGRateS default CDR export (${CGRATES_DEFAULT_WIDTH} columns), no header`,
            reader: cgratesReader(undefined, CGRATES_DEFAULT_WIDTH, ctx),
          }
        : undefined,
  ];
  return out.map((candidate) => candidate());
}

function sameProduct(wanted: SwitchFormat, found: SwitchFormat): boolean {
  if (wanted === found) return true;
  return (wanted === 'kamailio' || wanted === 'opensips') && (found === 'kamailio' || found === 'opensips');
}

const WHAT_EACH_IS = {
  asterisk:
    "Asterisk's Master.csv (cdr_csv or cdr_custom, with or without a header naming src, dst, start, billsec, disposition)",
  freeswitch:
    "FreeSWITCH's mod_cdr_csv (a default template, or a header naming its variables) or mod_json_cdr JSON",
  kamailio:
    'the acc table of Kamailio or OpenSIPS exported with its header (callid, method, sip_code, time, src_user, dst_user…)',
  opensips:
    'the acc table of Kamailio or OpenSIPS exported with its header (callid, method, sip_code, time, duration, src_user, dst_user…)',
  cgrates: 'a CGRateS CDR export (its default 15 columns, or a header naming OriginID, Destination, Usage…)',
} as const;

/**
 * The reader for a CSV file, from its first record. `format` is what the user asked for; ringbill is not
 * handled here (see import-calls.ts). Throws invalid_input when the record fits no format asked for.
 */
export function chooseCsvReader(
  record: string[],
  format: Exclude<CallFileFormat, 'ringbill'>,
  ctx: FormatContext,
): ChosenReader<string[]> {
  const candidates = csvCandidates(record, ctx).filter((c): c is ChosenReader<string[]> => c !== undefined);
  const preview = record.slice(0, 8).join(',').slice(0, 120);
  if (format === 'auto') {
    const found = candidates[0];
    if (found) return found;
    if (isRingbillHeader(record)) throw new FormatIsRingbill();
    throw invalid(
      'format',
      `could not tell which switch wrote this file: its first line (${preview}) is neither a header Ringbill knows nor a record of Asterisk, FreeSWITCH, Kamailio/OpenSIPS or CGRateS. Name the format with format=asterisk, freeswitch, kamailio, opensips, cgrates or ringbill`,
    );
  }
  const found = candidates.find((c) => sameProduct(format, c.format));
  if (found) return { ...found, format };
  const other = candidates[0];
  throw invalid(
    'format',
    `the first line (${preview}) is not ${WHAT_EACH_IS[format]}${other ? `; it looks like ${other.detail} (format=${other.format})` : ''}`,
  );
}

/** Auto-detection found Ringbill's own CSV header. */
export class FormatIsRingbill extends Error {
  constructor() {
    super('the file is in Ringbill format');
  }
}

function jsonCandidates(
  object: Record<string, unknown>,
  ctx: FormatContext,
  queryUuid: string,
): ChosenReader<Record<string, unknown>> | undefined {
  if (isFreeswitchJson(object))
    return {
      format: 'freeswitch',
      header: false,
      detail: 'FreeSWITCH mod_json_cdr JSON',
      reader: statelessReader((o) => freeswitchJsonCall(o, ctx, queryUuid)),
    };
  if (isAsteriskJson(object))
    return {
      format: 'asterisk',
      header: false,
      detail: 'Asterisk CDRs as JSON (cdr_custom format = json, or the AMI Cdr event)',
      reader: statelessReader((o) => asteriskJsonCall(o, ctx)),
    };
  if (isCgratesJson(object))
    return {
      format: 'cgrates',
      header: false,
      detail: 'CGRateS CDRs as JSON',
      reader: statelessReader((o) => cgratesJsonCall(o, ctx)),
    };
  return undefined;
}

/** The reader for JSON records, from the first one. `queryUuid`: mod_json_cdr's ?uuid= (push only). */
export function chooseJsonReader(
  object: Record<string, unknown>,
  format: Exclude<CallFileFormat, 'ringbill'>,
  ctx: FormatContext,
  queryUuid = '',
): ChosenReader<Record<string, unknown>> {
  const found = jsonCandidates(object, ctx, queryUuid);
  if (format === 'auto') {
    if (found) return found;
    const keys = Object.keys(object).slice(0, 8).join(', ');
    throw invalid(
      'format',
      `could not tell which switch wrote these JSON records: the first has the fields ${keys || '(none)'}, not those of FreeSWITCH's mod_json_cdr (variables, callflow), an Asterisk CDR (billsec, disposition) or a CGRateS CDR (OriginID, Usage)`,
    );
  }
  if (found && sameProduct(format, found.format)) return { ...found, format };
  // The format named reads the record itself (and refuses it with its reason when it cannot).
  const reader: RecordReader<Record<string, unknown>> | undefined =
    format === 'freeswitch'
      ? statelessReader((o) => freeswitchJsonCall(o, ctx, queryUuid))
      : format === 'asterisk'
        ? statelessReader((o) => asteriskJsonCall(o, ctx))
        : format === 'cgrates'
          ? statelessReader((o) => cgratesJsonCall(o, ctx))
          : undefined;
  if (!reader)
    throw invalid(
      'format',
      `${format} records come as CSV (the acc table exported with its header), not JSON`,
    );
  return { format, header: false, detail: `${format} JSON`, reader };
}

export { NAMED as NAMED_SWITCH_FORMATS, headerKey };
