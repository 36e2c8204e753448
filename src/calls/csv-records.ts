// Reading a CDR file's records fast. csv-parse costs about 10 µs a record, more than checking, rating and
// storing the call together, so ordinary records are split here (about 1 µs): fields either plain or
// quoted ("" for a quote, delimiters and line feeds inside quotes allowed), records ending in \n or \r\n.
// At the first record that is anything else (a stray quote, a lone \r, a record over the size limit,
// mixed line endings) the rest of the file goes to csv-parse itself with the same options, so unusual
// and malformed files are read, refused and reported exactly as csv-parse does (line numbers included).
import { finished } from 'node:stream/promises';
import { StringDecoder } from 'node:string_decoder';
import { parse, type Options } from 'csv-parse';

/** The csv-parse options of a CDR file. */
export const CDR_CSV_OPTIONS = {
  bom: true,
  relax_column_count: true,
  // A stray quote inside a field is kept as a character: strict quoting would leave the parser inside a
  // quoted field after the error and silently swallow the lines that follow, up to the next quote.
  relax_quotes: true,
  skip_empty_lines: true,
  skip_records_with_error: true,
  info: true,
  raw: true,
  max_record_size: 64 * 1024,
} as const satisfies Options;

/**
 * Records this reader splits itself are at most this many characters: a record csv-parse would refuse as
 * longer than max_record_size bytes (a character is at most 3 UTF-8 bytes) always goes to csv-parse.
 */
const FAST_RECORD_CHARS = Math.floor(CDR_CSV_OPTIONS.max_record_size / 3) - 16;

export interface CsvSink {
  /**
   * One record: its fields, the line it ends on (1-based, as csv-parse's info.lines), and its text (as
   * csv-parse's raw: it may start with the blank lines skipped before it and end with its line ending).
   * Return a promise to make the reader wait for it.
   */
  record(fields: string[], line: number, raw: string): Promise<void> | undefined | void;
  /** A record csv-parse refused (malformed CSV): the line, csv-parse's message and the text it read. */
  skip(line: number, message: string, raw: string): void;
}

const NL = 10;
const CR = 13;
const QUOTE = 34;
const COMMA = 44;

/** Why the fast reader stopped: it needs more text, or the rest goes to csv-parse. */
const MORE = -1;
const FALLBACK = -2;

type Mode = 'lf' | 'crlf';

/** A record over max_record_size: csv-parse cannot read past it, so the rest of the file is not read. */
export class CsvRecordTooLongError extends Error {
  constructor(readonly line: number) {
    super(
      `line ${line} is longer than ${CDR_CSV_OPTIONS.max_record_size} bytes (a very long line, or a quote opened and never closed before it)`,
    );
    this.name = 'CsvRecordTooLongError';
  }
}

/** Where csv-parse took over, if it did (for tests and benchmarks). */
export interface CsvReadStats {
  csvParseFromLine?: number;
}

/**
 * The size of the pieces chunks are decoded in. V8 puts a string of 128 KiB or more in its large-object
 * space, each with pages of its own: decoding a file in 256 KiB chunks (as the file reader gives them) costs
 * more than splitting and reading its records, and grows with the file's bytes (a switch's quoted CSV has
 * two to three times Ringbill's). Text decoded 64 KiB at a time stays in the young generation.
 */
const PIECE_BYTES = 64 * 1024;

/** Reads CSV records from byte chunks, calling the sink for each; resolves when all are read. */
export async function readCsvRecords(
  chunks: AsyncIterable<Buffer>,
  sink: CsvSink,
  stats: CsvReadStats = {},
): Promise<void> {
  const iterator = chunks[Symbol.asyncIterator]();
  // What is left of the last chunk, decoded a piece at a time.
  let rest: Buffer | undefined;
  const decoder = new StringDecoder('utf8');
  let text = '';
  let pos = 0;
  let line = 0; // physical lines before `pos`
  let mode: Mode | undefined;
  let ended = false;
  let bomChecked = false;
  // The bytes read until the first record is out: if the file is not plain, csv-parse reads it all as it came.
  let firstBytes: Buffer[] | undefined = [];

  /** The rest of the file, from the record at `pos`, read by csv-parse. */
  const bail = (): Promise<void> => {
    stats.csvParseFromLine = line + 1;
    if (firstBytes !== undefined)
      return fallback(
        rest === undefined ? firstBytes : [...firstBytes, rest],
        iterator,
        0,
        undefined,
        true,
        sink,
      );
    return fallback(
      [Buffer.from(text.slice(pos), 'utf8')],
      decoded(rest, iterator, decoder),
      line,
      mode === 'crlf' ? '\r\n' : '\n',
      false,
      sink,
    );
  };

  for (;;) {
    let next: IteratorResult<Buffer>;
    if (rest !== undefined) next = { done: false, value: rest };
    else next = await iterator.next();
    if (!next.done && next.value.length > PIECE_BYTES) {
      rest = next.value.subarray(PIECE_BYTES);
      next = { done: false, value: next.value.subarray(0, PIECE_BYTES) };
    } else {
      rest = undefined;
    }
    if (next.done) {
      ended = true;
      text = text.slice(pos) + decoder.end();
    } else {
      firstBytes?.push(next.value);
      text = text.slice(pos) + decoder.write(next.value);
      if (!bomChecked && text.length > 0) {
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
        bomChecked = true;
      }
    }
    pos = 0;
    if (mode === undefined) {
      const detected = detectMode(text, ended);
      if (detected === FALLBACK) return bail();
      if (detected === MORE) {
        if (text.length > FAST_RECORD_CHARS) return bail();
        if (!ended) continue;
        mode = 'lf'; // one line without a line ending: read below as the last record
      } else {
        mode = detected;
      }
    }

    // Whole records in `text` from `pos`.
    for (;;) {
      const nl = text.indexOf('\n', pos);
      let end: number;
      let after: number;
      if (nl === -1) {
        if (!ended || pos >= text.length) break;
        end = text.length; // the last record, without a line ending
        after = text.length;
      } else if (mode === 'crlf') {
        if (nl === pos || text.charCodeAt(nl - 1) !== CR) return bail(); // a line feed alone
        end = nl - 1;
        after = nl + 1;
      } else {
        end = nl;
        after = nl + 1;
      }
      if (end - pos > FAST_RECORD_CHARS) return bail();
      const record = text.slice(pos, end);
      if (record.indexOf('"') !== -1) {
        // Quoted fields, possibly over several lines. Up to `end` the text has no line feed; when it has
        // no carriage return either, the values read there need no look for one.
        const quoted: string[] = [];
        const stop = readQuoted(text, pos, mode, ended, quoted, record.indexOf('\r') === -1 ? end : pos);
        if (stop === MORE) {
          if (text.length - pos > FAST_RECORD_CHARS) return bail();
          break;
        }
        if (stop === FALLBACK) return bail();
        // A record that ends where its first line ends is that line (no line feed inside).
        const raw = stop === end ? record : text.slice(pos, stop);
        line += stop === end ? 1 : 1 + countLineFeeds(raw);
        pos = Math.min(stop + (mode === 'crlf' ? 2 : 1), text.length);
        firstBytes = undefined;
        const wait = sink.record(quoted, line, raw);
        if (wait) await wait;
        continue;
      }
      if (record.indexOf('\r') !== -1) return bail();
      line += 1;
      pos = after;
      if (record.length === 0) continue; // an empty line
      firstBytes = undefined;
      const wait = sink.record(record.split(','), line, record);
      if (wait) await wait;
    }
    if (ended) return;
  }
}

/** The remaining bytes, decoded and encoded again (the decoder may hold the start of a character). */
async function* decoded(
  rest: Buffer | undefined,
  iterator: AsyncIterator<Buffer>,
  decoder: StringDecoder,
): AsyncGenerator<Buffer> {
  if (rest !== undefined) {
    const text = decoder.write(rest);
    if (text.length > 0) yield Buffer.from(text, 'utf8');
  }
  for (;;) {
    const next = await iterator.next();
    if (next.done) break;
    const text = decoder.write(next.value);
    if (text.length > 0) yield Buffer.from(text, 'utf8');
  }
  const tail = decoder.end();
  if (tail.length > 0) yield Buffer.from(tail, 'utf8');
}

/** The record delimiter, from the first line ending outside quotes (as csv-parse discovers it). */
function detectMode(text: string, ended: boolean): Mode | typeof MORE | typeof FALLBACK {
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) quoted = !quoted;
    else if (!quoted && c === NL) return 'lf';
    else if (!quoted && c === CR) {
      if (i + 1 === text.length) return ended ? FALLBACK : MORE;
      return text.charCodeAt(i + 1) === NL ? 'crlf' : FALLBACK;
    }
  }
  return MORE;
}

/**
 * Reads one record with quoted fields from `start` into `fields`. Returns the index of its line ending
 * (or the end of the text), MORE if the text ends inside it, FALLBACK if it is anything but plain and
 * properly quoted fields (csv-parse decides what it is). From `start` to `clean` the text has no \r or \n.
 */
function readQuoted(
  text: string,
  start: number,
  mode: Mode,
  ended: boolean,
  fields: string[],
  clean: number,
): number {
  let i = start;
  for (;;) {
    if (i < text.length && text.charCodeAt(i) === QUOTE) {
      let value = '';
      let from = i + 1;
      for (;;) {
        const q = text.indexOf('"', from);
        if (q === -1) return ended ? FALLBACK : MORE;
        value = value === '' ? text.slice(from, q) : value + text.slice(from, q);
        if (q + 1 === text.length && !ended) return MORE;
        if (text.charCodeAt(q + 1) === QUOTE) {
          value += '"';
          from = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      // Line endings inside quotes count as csv-parse counts them only for \n alone. Before `clean` the
      // text has neither \r nor \n.
      if (i > clean && (value.indexOf('\r') !== -1 || (mode === 'crlf' && value.indexOf('\n') !== -1)))
        return FALLBACK;
      fields.push(value);
    } else {
      let j = i;
      while (j < text.length) {
        const c = text.charCodeAt(j);
        if (c === COMMA || c === NL || c === CR) break;
        if (c === QUOTE) return FALLBACK; // a quote inside a plain field
        j++;
      }
      fields.push(text.slice(i, j));
      i = j;
    }
    // After a field: a delimiter, the line ending, or the end of the text.
    if (i === text.length) return ended ? i : MORE;
    const c = text.charCodeAt(i);
    if (c === COMMA) {
      i++;
      continue;
    }
    if (mode === 'lf') return c === NL ? i : FALLBACK;
    if (c !== CR) return FALLBACK;
    if (i + 1 === text.length) return ended ? FALLBACK : MORE;
    return text.charCodeAt(i + 1) === NL ? i : FALLBACK;
  }
}

function countLineFeeds(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i !== -1; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

/**
 * The rest of the file read by csv-parse: `head`, then the rest of the chunks. Records and refusals reach
 * the sink in file order (csv-parse's on_record and on_skip hooks, drained after each chunk it parses).
 */
async function fallback(
  head: Buffer[],
  rest: AsyncIterator<Buffer> | AsyncIterable<Buffer>,
  linesBefore: number,
  recordDelimiter: string | undefined,
  atStart: boolean,
  sink: CsvSink,
): Promise<void> {
  const iterator = Symbol.asyncIterator in rest ? rest[Symbol.asyncIterator]() : rest;
  const shift = (message: string) =>
    linesBefore === 0
      ? message
      : message.replace(/\bat line (\d+)/g, (_, n: string) => `at line ${Number(n) + linesBefore}`);
  type Event =
    | { fields: string[]; line: number; raw: string; message?: undefined }
    | { line: number; raw: string; message: string };
  let events: Event[] = [];
  let failure: Error | undefined;
  const parser = parse({
    ...CDR_CSV_OPTIONS,
    bom: atStart,
    ...(recordDelimiter === undefined ? {} : { record_delimiter: recordDelimiter }),
    on_record: (record: { record: string[]; info: { lines: number }; raw: string }) => {
      events.push({ fields: record.record, line: record.info.lines + linesBefore, raw: record.raw });
      return undefined; // taken here: nothing goes to the stream's output
    },
    on_skip: (error: Error & { lines?: number; code?: string }, raw?: string) => {
      if (error.code === 'CSV_MAX_RECORD_SIZE') {
        // csv-parse reads nothing more after this error (it drops the rest of every chunk it is given), so
        // the lines after it would be lost without a word: stop the file here, saying where.
        failure ??= new CsvRecordTooLongError((error.lines ?? 0) + linesBefore);
        return;
      }
      events.push({ line: (error.lines ?? 0) + linesBefore, raw: raw ?? '', message: shift(error.message) });
    },
  } as unknown as Options);
  parser.on('error', (error) => {
    failure ??= error;
  });
  parser.resume();
  const ended = finished(parser).catch((error: unknown) => {
    failure ??= error instanceof Error ? error : new Error(String(error));
  });
  const drain = async () => {
    while (events.length > 0) {
      const batch = events;
      events = [];
      for (const e of batch) {
        if (e.message !== undefined) sink.skip(e.line, e.message, e.raw);
        else {
          const wait = sink.record(e.fields, e.line, e.raw);
          if (wait) await wait;
        }
      }
    }
    if (failure !== undefined) throw failure;
  };
  const write = (chunk: Buffer) => new Promise<void>((resolve) => parser.write(chunk, () => resolve()));
  for (const chunk of head) {
    await write(chunk);
    await drain();
  }
  for (;;) {
    const next = await iterator.next();
    if (next.done) break;
    await write(next.value);
    await drain();
  }
  parser.end();
  await ended;
  await drain();
}
