// Reading JSON call records from byte chunks: one JSON value per line (mod_json_cdr's files and cdr_custom's
// json format write one record a line), or one document (a mod_json_cdr file holds one CDR, perhaps
// pretty-printed; a file may hold an array of them). Lines are read as they come (memory stays flat
// however many there are); a whole document is held, up to a bound.
import { StringDecoder } from 'node:string_decoder';
import { invalid } from '../shared/errors.ts';
import { jsonNestsDeeperThan, MAX_JSON_DEPTH } from '../shared/json-depth.ts';

export interface JsonSink {
  /** One JSON object: its line (or position in an array), and its text. */
  record(value: Record<string, unknown>, line: number, raw: string): Promise<void> | undefined | void;
  /** A line or element that is not a JSON object. */
  skip(line: number, reason: string, raw: string): void;
}

/** A document is held whole to be parsed: at most this many characters. */
export const MAX_JSON_DOCUMENT_CHARS = 64 * 1024 * 1024;
/** One line of a file with a record per line: at most this many characters. */
const MAX_JSON_LINE_CHARS = 8 * 1024 * 1024;
const TOO_DEEP = `nested more than ${MAX_JSON_DEPTH} levels deep`;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

async function value(v: unknown, line: number, raw: () => string, sink: JsonSink): Promise<void> {
  if (isObject(v)) {
    const wait = sink.record(v, line, raw());
    if (wait) await wait;
  } else if (Array.isArray(v)) {
    for (const [i, element] of v.entries()) {
      const position = line + i;
      if (isObject(element)) {
        const wait = sink.record(element, position, JSON.stringify(element));
        if (wait) await wait;
      } else sink.skip(position, 'not a JSON object', JSON.stringify(element) ?? String(element));
    }
  } else sink.skip(line, 'not a JSON object', raw());
}

/** Reads the records; resolves when all are read. Throws invalid_input when the file is not JSON at all. */
export async function readJsonRecords(chunks: AsyncIterable<Buffer>, sink: JsonSink): Promise<void> {
  const decoder = new StringDecoder('utf8');
  const state: { mode: 'unknown' | 'lines' | 'document' } = { mode: 'unknown' };
  let text = '';
  let line = 0;
  let document = '';

  const takeLine = async (rawLine: string): Promise<void> => {
    line += 1;
    const trimmed = rawLine.trim();
    if (trimmed === '') return;
    // Parsed, such a line would overflow the stack of every walk over it (a document is checked whole below).
    if (state.mode !== 'document' && jsonNestsDeeperThan(trimmed, MAX_JSON_DEPTH)) {
      state.mode = 'lines';
      sink.skip(line, TOO_DEEP, trimmed);
      return;
    }
    if (state.mode === 'unknown') {
      try {
        const parsed: unknown = JSON.parse(trimmed);
        state.mode = 'lines';
        await value(parsed, line, () => trimmed, sink);
      } catch {
        state.mode = 'document';
        document = rawLine + '\n';
      }
      return;
    }
    if (state.mode === 'document') {
      document += rawLine + '\n';
      if (document.length > MAX_JSON_DOCUMENT_CHARS)
        throw invalid(
          'file',
          `a JSON document of more than ${MAX_JSON_DOCUMENT_CHARS / 1024 / 1024} MB: send one record a line instead`,
        );
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (error) {
      sink.skip(line, `not JSON: ${(error as Error).message}`, trimmed);
      return;
    }
    await value(parsed, line, () => trimmed, sink);
  };

  let first = true;
  for await (const chunk of chunks) {
    text += decoder.write(chunk);
    if (first && text.length > 0) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      first = false;
    }
    let at = 0;
    for (let nl = text.indexOf('\n', at); nl !== -1; nl = text.indexOf('\n', at)) {
      await takeLine(text.slice(at, nl).replace(/\r$/, ''));
      at = nl + 1;
    }
    text = text.slice(at);
    if (state.mode !== 'document' && text.length > MAX_JSON_LINE_CHARS)
      throw invalid('file', `line ${line + 1} is longer than ${MAX_JSON_LINE_CHARS / 1024 / 1024} MB`);
  }
  text += decoder.end();
  if (text !== '') await takeLine(text);
  if (state.mode !== 'document') return;
  if (jsonNestsDeeperThan(document, MAX_JSON_DEPTH)) throw invalid('file', TOO_DEEP);
  let parsed: unknown;
  try {
    parsed = JSON.parse(document);
  } catch (error) {
    throw invalid('file', `not JSON: ${(error as Error).message}`);
  }
  await value(parsed, 1, () => document.trim(), sink);
}
