// `ringbill import calls FILE`: a CDR file, streamed (constant memory however long the file), with
// progress by bytes read. Records are read by csv-records.ts (csv-parse's reading, faster). The header names the columns: call_id, from, to, start_time, duration_s, status,
// then any of direction, carrier, recording_url, transcription_url, confidence_score, voice_agent_id.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Ctx } from '../context.ts';
import { hasNul, NUL_REASON } from '../shared/nul.ts';
import { invalid } from '../shared/errors.ts';
import { CALL_FIELDS, type CallField, REQUIRED_CALL_FIELDS, type RawCall } from './call-input.ts';
import { CsvRecordTooLongError, readCsvRecords } from './csv-records.ts';
import { CallIngester, type IngestSummary } from './ingest.ts';

export interface FileProgress {
  bytesRead: number;
  bytesTotal: number;
  records: number;
}

/** A record's text as the file has it, without the blank lines skipped before it or its line ending. */
function lineText(raw: string): string {
  return raw.replace(/^[\r\n]+/, '').replace(/[\r\n]+$/, '');
}

/** Maps header names to column positions; refuses a header without the required columns. */
export function callColumns(header: string[]): { field: CallField; index: number }[] {
  const names = header.map((h) => h.trim().toLowerCase());
  const missing = REQUIRED_CALL_FIELDS.filter((f) => !names.includes(f));
  if (missing.length > 0) {
    throw invalid('header', `the CSV header must name ${REQUIRED_CALL_FIELDS.join(',')}; missing: ${missing.join(', ')}`);
  }
  return CALL_FIELDS.filter((f) => names.includes(f)).map((field) => ({ field, index: names.indexOf(field) }));
}

/**
 * Records read between two turns of the event loop. Reading a buffered file never waits, so without a
 * turn now and then the replies to the writer's statements (dedupe, COPY) would sit unread for a whole
 * chunk of records, and the database would idle while calls are rated. Every statement of a batch waits
 * up to one such turn (500 records cost about 5 ms to rate, so at 500 a batch lost tens of ms).
 */
const YIELD_EVERY = 50;

/** A function from a record to the call it holds: one object shape for every record (fast to build and read). */
function callPicker(columns: { field: CallField; index: number }[]): (record: string[]) => RawCall {
  const at = (field: CallField) => columns.find((c) => c.field === field)?.index ?? -1;
  const [callId, from, to, start, duration, status] = [at('call_id'), at('from'), at('to'), at('start_time'), at('duration_s'), at('status')];
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

export async function importCallsFile(
  ctx: Ctx,
  accountId: number,
  path: string,
  onProgress: (progress: FileProgress) => void = () => {},
): Promise<IngestSummary> {
  const { size } = await stat(path);
  const ingester = await CallIngester.open(ctx, accountId, basename(path));
  const input = createReadStream(path, { highWaterMark: 256 * 1024 });
  let bytesRead = 0;
  async function* counted(): AsyncGenerator<Buffer> {
    for await (const chunk of input) {
      bytesRead += (chunk as Buffer).length;
      yield chunk as Buffer;
    }
  }

  let columns: { field: CallField; index: number }[] | undefined;
  let toCall: ((record: string[]) => RawCall) | undefined;
  let width = 0;
  let records = 0;
  try {
    await readCsvRecords(counted(), {
      record: (record, line, raw) => {
        if (!toCall) {
          columns = callColumns(record);
          toCall = callPicker(columns);
          width = record.length;
          return;
        }
        let wait: Promise<void> | undefined;
        if (record.length !== width) {
          ingester.rejectRaw(line, lineText(raw), `expected ${width} columns as in the header, found ${record.length}`);
        } else if (hasNul(raw)) {
          ingester.rejectRaw(line, lineText(raw), `the line ${NUL_REASON}`);
        } else {
          wait = ingester.add(toCall(record), line, () => lineText(raw));
        }
        if (++records % 10_000 === 0) onProgress({ bytesRead, bytesTotal: size, records });
        // Let the database's replies in now and then: the writer's next statement waits for them.
        if (wait === undefined && records % YIELD_EVERY === 0) return new Promise<void>((resolve) => setImmediate(resolve));
        return wait;
      },
      skip: (line, message, raw) => {
        ingester.rejectRaw(line, lineText(raw), `malformed CSV: ${message}`);
      },
    });
  } catch (error) {
    if (!(error instanceof CsvRecordTooLongError)) throw error;
    // The calls read before the line are kept (importing the fixed file again skips them).
    const summary = await ingester.finish();
    throw invalid('file', `${error.message}: the lines after it were not read; ${summary.inserted} new call(s) before it were stored. Fix the line and import the file again (calls already stored are skipped)`);
  } finally {
    input.destroy();
  }
  if (!columns) throw invalid('file', 'the file is empty: it needs a header line and calls');
  const summary = await ingester.finish();
  onProgress({ bytesRead: size, bytesTotal: size, records });
  return summary;
}
