// Importing a file of calls, streamed (memory stays flat however long the file): Ringbill's own CSV, or
// the records a switch writes (Asterisk, FreeSWITCH, Kamailio/OpenSIPS, CGRateS; see formats/), named or
// detected. A switch's records are turned into Ringbill's call records by a pure reader and given to the
// same ingester as Ringbill's CSV, so checking, deduplication, rating, refused lines and the feed are one
// path whatever the format. Used by `ringbill import calls` and POST /calls/files.
import type { Ctx } from '../context.ts';
import type { AuditChange } from '../audit/record.ts';
import { findAccount } from '../accounts/repo.ts';
import { LocalClock } from '../rating/bands.ts';
import { invalid, notFound } from '../shared/errors.ts';
import { hasNul, NUL_REASON } from '../shared/nul.ts';
import { CALL_FIELDS, type CallField, REQUIRED_CALL_FIELDS, type RawCall } from './call-input.ts';
import { CsvRecordTooLongError, readCsvRecords } from './csv-records.ts';
import { chooseCsvReader, chooseJsonReader, FormatIsRingbill, isRingbillHeader } from './formats/detect.ts';
import { NumberReader } from '../shared/number-plan.ts';
import {
  type CallFileFormat,
  CALL_FILE_FORMATS,
  type Emit,
  type FormatContext,
  type RecordReader,
} from './formats/record.ts';
import { type SwitchOptions, type SwitchOverrides, switchOptionsFor } from './formats/switch-options.ts';
import { IsoWriter } from './formats/switch-time.ts';
import { CallIngester, type IngestSummary } from './ingest.ts';
import { readJsonRecords } from './json-records.ts';

export interface CallImportOptions extends SwitchOverrides {
  /** The file's format (default ringbill); auto detects it. */
  format?: string | undefined;
  /** The name refused lines are kept under (the file's name). */
  source: string;
  /** The file's size in bytes, when known (for progress). */
  sizeBytes?: number | undefined;
  /** The import's audit entry: written with the first calls it stores (src/calls/ingest.ts). */
  audit?: AuditChange | undefined;
}

export interface CallImportSummary extends IngestSummary {
  /** The format read: the one named, or the one detected. */
  format: Exclude<CallFileFormat, 'auto'>;
  /** What exactly was recognised ("Asterisk cdr_csv Master.csv (18 columns: uniqueid, userfield), no header"). */
  formatDetail: string;
  /** The format was detected (format auto). */
  formatDetected: boolean;
  /** Lines whose content went into another line's call (a Kamailio BYE into its INVITE's), not counted in received. */
  combined: number;
}

export interface ImportProgress {
  bytesRead: number;
  bytesTotal: number;
  records: number;
}

/**
 * Records read between two turns of the event loop. Reading a buffered file never waits, so without a
 * turn now and then the replies to the writer's statements (dedupe, COPY) would sit unread for a whole
 * chunk of records, and the database would idle while calls are rated.
 */
const YIELD_EVERY = 50;

/** A record's text as the file has it, without the blank lines skipped before it or its line ending. */
function lineText(raw: string): string {
  return raw.replace(/^[\r\n]+/, '').replace(/[\r\n]+$/, '');
}

export function checkFormat(format: string | undefined): CallFileFormat {
  const value = (format ?? 'ringbill').trim().toLowerCase();
  if (!(CALL_FILE_FORMATS as readonly string[]).includes(value))
    throw invalid('format', `"${format}" is not a format: ${CALL_FILE_FORMATS.join(', ')}`);
  return value as CallFileFormat;
}

/** Maps a Ringbill header to column positions; refuses a header without the required columns. */
export function callColumns(header: string[]): { field: CallField; index: number }[] {
  const names = header.map((h) => h.trim().toLowerCase());
  const missing = REQUIRED_CALL_FIELDS.filter((f) => !names.includes(f));
  if (missing.length > 0) {
    throw invalid(
      'header',
      `the CSV header must name ${REQUIRED_CALL_FIELDS.join(',')}; missing: ${missing.join(', ')}`,
    );
  }
  return CALL_FIELDS.filter((f) => names.includes(f)).map((field) => ({
    field,
    index: names.indexOf(field),
  }));
}

/** A function from a record to the call it holds: one object shape for every record (fast to build and read). */
function callPicker(columns: { field: CallField; index: number }[]): (record: string[]) => RawCall {
  const at = (field: CallField) => columns.find((c) => c.field === field)?.index ?? -1;
  const [callId, from, to, start, duration, status] = [
    at('call_id'),
    at('from'),
    at('to'),
    at('start_time'),
    at('duration_s'),
    at('status'),
  ];
  const [direction, carrier, recording, transcription, confidence, agent] = [
    at('direction'),
    at('carrier'),
    at('recording_url'),
    at('transcription_url'),
    at('confidence_score'),
    at('voice_agent_id'),
  ];
  return (r) => ({
    call_id: r[callId],
    from: r[from],
    to: r[to],
    start_time: r[start],
    duration_s: r[duration],
    status: r[status],
    direction: r[direction],
    carrier: r[carrier],
    recording_url: r[recording],
    transcription_url: r[transcription],
    confidence_score: r[confidence],
    voice_agent_id: r[agent],
  });
}

/** A reader of Ringbill's own CSV (header first): the same records the ingester has always taken. */
function ringbillReader(header: string[]): RecordReader<string[]> {
  const toCall = callPicker(callColumns(header));
  const width = header.length;
  return {
    add(record, line, raw, emit) {
      if (record.length !== width) {
        emit.refuse(line, raw(), `expected ${width} columns as in the header, found ${record.length}`);
        return undefined;
      }
      return emit.call(toCall(record), line, raw);
    },
    end() {},
  };
}

/** The streams of bytes that start with JSON ('{' or '['), after a byte-order mark and white space. */
function startsWithJson(head: Buffer): boolean | undefined {
  let i = head.length >= 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  for (; i < head.length; i++) {
    const c = head[i]!;
    if (c === 32 || c === 9 || c === 10 || c === 13) continue;
    return c === 123 || c === 91;
  }
  return undefined; // only white space so far
}

/** The chunks, after looking at the first ones (without losing them). */
async function peek(
  chunks: AsyncIterable<Buffer>,
): Promise<{ json: boolean; chunks: AsyncIterable<Buffer> }> {
  const iterator = chunks[Symbol.asyncIterator]();
  const seen: Buffer[] = [];
  let json: boolean | undefined;
  let done = false;
  while (json === undefined) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    seen.push(next.value);
    json = startsWithJson(Buffer.concat(seen));
  }
  async function* all(): AsyncGenerator<Buffer> {
    yield* seen;
    if (done) return;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  }
  return { json: json ?? false, chunks: all() };
}

/**
 * Imports a stream of a file's bytes. Options that cannot be used (an unknown format, a bad override) and
 * a file none of whose first record fits the format are an invalid_input error before anything is stored.
 */
export async function importCallStream(
  ctx: Ctx,
  accountId: number,
  input: AsyncIterable<Buffer>,
  options: CallImportOptions,
  onProgress: (progress: ImportProgress) => void = () => {},
): Promise<CallImportSummary> {
  const format = checkFormat(options.format);
  const account = await findAccount(ctx.db, accountId);
  if (!account) throw notFound('Account', accountId);
  const switchOptions = switchOptionsFor(account, options);
  const ingester = await CallIngester.open(ctx, accountId, options.source, {
    timeZone: switchOptions.timeZone,
    audit: options.audit,
  });
  const importer = new Importer(ingester, format, switchOptions);
  let bytesRead = 0;
  async function* counted(): AsyncGenerator<Buffer> {
    for await (const chunk of input) {
      bytesRead += chunk.length;
      yield chunk;
    }
  }
  const progress = () =>
    onProgress({ bytesRead, bytesTotal: options.sizeBytes ?? bytesRead, records: importer.records });
  importer.onEvery10k = progress;
  const { json, chunks } = await peek(counted());
  try {
    if (json) await importer.readJson(chunks);
    else await importer.readCsv(chunks);
  } catch (error) {
    if (!(error instanceof CsvRecordTooLongError)) throw error;
    // The calls read before the line are kept (importing the fixed file again skips them).
    const summary = await ingester.finish();
    throw invalid(
      'file',
      `${error.message}: the lines after it were not read; ${summary.inserted} new call(s) before it were stored. Fix the line and import the file again (calls already stored are skipped)`,
    );
  }
  if (!importer.started)
    throw invalid(
      'file',
      json ? 'the file holds no JSON records' : 'the file is empty: it needs a header line and calls',
    );
  importer.end();
  const summary = await ingester.finish();
  progress();
  return importer.summarise(summary);
}

/** One import's state: the reader chosen from the first record, and what it emits, given to the ingester. */
class Importer {
  records = 0;
  combined = 0;
  started = false;
  onEvery10k: () => void = () => {};
  private chosenFormat: Exclude<CallFileFormat, 'auto'> = 'ringbill';
  private detail = "Ringbill's CSV (call_id, from, to, start_time, duration_s, status, …)";
  private csvReader: RecordReader<string[]> | undefined;
  private jsonReader: RecordReader<Record<string, unknown>> | undefined;
  private readonly formatContext: FormatContext;
  private readonly emit: Emit;

  constructor(
    private readonly ingester: CallIngester,
    private readonly format: CallFileFormat,
    options: SwitchOptions,
    private readonly queryUuid = '',
  ) {
    this.formatContext = {
      clock: new LocalClock(options.timeZone),
      numbers: new NumberReader(options.plan),
      iso: new IsoWriter(),
    };
    const storeInternal = options.internalCalls === 'store';
    this.emit = {
      call: (call, line, raw) => {
        if (call.internal !== undefined && call.internal !== '' && !storeInternal) {
          ingester.rejectRaw(line, raw(), `not a call to bill: ${call.internal}`);
          return undefined;
        }
        return ingester.add(call, line, raw);
      },
      refuse: (line, raw, reason) => ingester.rejectRaw(line, raw, reason),
      combined: () => {
        this.combined += 1;
      },
    };
  }

  /** After each record: progress now and then, and a turn of the event loop for the database's replies. */
  private pace(wait: Promise<void> | undefined): Promise<void> | undefined {
    if (++this.records % 10_000 === 0) this.onEvery10k();
    if (wait === undefined && this.records % YIELD_EVERY === 0)
      return new Promise<void>((resolve) => setImmediate(resolve));
    return wait;
  }

  async readCsv(chunks: AsyncIterable<Buffer>): Promise<void> {
    await readCsvRecords(chunks, {
      record: (record, line, raw) => {
        if (this.csvReader === undefined) {
          this.started = true;
          if (!this.chooseCsv(record)) return undefined; // a header
        }
        let wait: Promise<void> | undefined;
        if (hasNul(raw)) this.ingester.rejectRaw(line, lineText(raw), `the line ${NUL_REASON}`);
        // The line's text as an argument, not a named constant: tsx keeps function names, so a named
        // closure costs a defineProperty call per record.
        else wait = this.csvReader!.add(record, line, () => lineText(raw), this.emit);
        return this.pace(wait);
      },
      skip: (line, message, raw) => {
        this.ingester.rejectRaw(line, lineText(raw), `malformed CSV: ${message}`);
      },
    });
  }

  /** Picks the reader from the first record; true when that record is a call to read too. */
  private chooseCsv(record: string[]): boolean {
    if (this.format === 'ringbill') {
      this.csvReader = ringbillReader(record);
      return false;
    }
    try {
      const chosen = chooseCsvReader(record, this.format, this.formatContext);
      this.csvReader = chosen.reader;
      this.chosenFormat = chosen.format;
      this.detail = chosen.detail;
      return !chosen.header;
    } catch (error) {
      if (!(error instanceof FormatIsRingbill) || !isRingbillHeader(record)) throw error;
      this.csvReader = ringbillReader(record);
      return false;
    }
  }

  async readJson(chunks: AsyncIterable<Buffer>): Promise<void> {
    if (this.format === 'ringbill') {
      throw invalid(
        'format',
        "a JSON file is not in Ringbill's CSV format: send JSON calls to POST /calls, or name the switch that wrote the file (format=freeswitch, asterisk, cgrates or auto)",
      );
    }
    const format = this.format;
    await readJsonRecords(chunks, {
      record: (object, line, raw) => {
        if (this.jsonReader === undefined) {
          this.started = true;
          const chosen = chooseJsonReader(object, format, this.formatContext, this.queryUuid);
          this.jsonReader = chosen.reader;
          this.chosenFormat = chosen.format;
          this.detail = chosen.detail;
        }
        let wait: Promise<void> | undefined;
        if (hasNul(raw))
          this.ingester.rejectRaw(line, raw.replaceAll('\u0000', '\uFFFD'), `the record ${NUL_REASON}`);
        else wait = this.jsonReader.add(object, line, () => raw, this.emit);
        return this.pace(wait);
      },
      skip: (line, reason, raw) => {
        this.started = true;
        this.ingester.rejectRaw(line, raw, reason);
      },
    });
  }

  end(): void {
    this.csvReader?.end(this.emit);
    this.jsonReader?.end(this.emit);
  }

  summarise(summary: IngestSummary): CallImportSummary {
    return {
      ...summary,
      format: this.chosenFormat,
      formatDetail: this.detail,
      formatDetected: this.format === 'auto',
      combined: this.combined,
    };
  }
}

/** One record pushed by a switch as it ends a call (mod_json_cdr, an Asterisk bridge): JSON object(s). */
export async function importPushedRecords(
  ctx: Ctx,
  accountId: number,
  format: 'freeswitch' | 'asterisk' | 'cgrates',
  records: Record<string, unknown>[],
  options: SwitchOverrides & { source: string; queryUuid?: string | undefined },
): Promise<CallImportSummary> {
  const account = await findAccount(ctx.db, accountId);
  if (!account) throw notFound('Account', accountId);
  const switchOptions = switchOptionsFor(account, options);
  const ingester = await CallIngester.open(ctx, accountId, options.source, {
    timeZone: switchOptions.timeZone,
  });
  const importer = new Importer(ingester, format, switchOptions, options.queryUuid ?? '');
  async function* one(): AsyncGenerator<Buffer> {
    yield Buffer.from(records.map((r) => JSON.stringify(r)).join('\n'), 'utf8');
  }
  await importer.readJson(one());
  importer.end();
  return importer.summarise(await ingester.finish());
}
