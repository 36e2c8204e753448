// `ringbill import calls FILE`: a CDR file, streamed (constant memory however long the file), with
// progress by bytes read. The header names the columns: call_id, from, to, start_time, duration_s, status,
// then any of direction, carrier, recording_url, transcription_url, confidence_score, voice_agent_id.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { parse } from 'csv-parse';
import type { Ctx } from '../context.ts';
import { invalid } from '../shared/errors.ts';
import { CALL_FIELDS, type CallField, REQUIRED_CALL_FIELDS, type RawCall } from './call-input.ts';
import { CallIngester, type IngestSummary } from './ingest.ts';

export interface FileProgress {
  bytesRead: number;
  bytesTotal: number;
  records: number;
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

export async function importCallsFile(
  ctx: Ctx,
  accountId: number,
  path: string,
  onProgress: (progress: FileProgress) => void = () => {},
): Promise<IngestSummary> {
  const { size } = await stat(path);
  const ingester = await CallIngester.open(ctx, accountId, basename(path));
  const input = createReadStream(path);
  let bytesRead = 0;
  input.on('data', (chunk) => {
    bytesRead += chunk.length;
  });
  const parser = input.pipe(
    parse({
      bom: true,
      relax_column_count: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      info: true,
      raw: true,
      max_record_size: 64 * 1024,
    }),
  );
  parser.on('skip', (error: Error & { lines?: number }) => {
    ingester.rejectRaw(error.lines ?? 0, '', `malformed CSV: ${error.message}`);
  });

  let columns: { field: CallField; index: number }[] | undefined;
  let width = 0;
  let records = 0;
  for await (const { record, info, raw } of parser as AsyncIterable<{ record: string[]; info: { lines: number }; raw: string }>) {
    if (!columns) {
      columns = callColumns(record);
      width = record.length;
      continue;
    }
    const line = info.lines;
    if (record.length !== width) {
      ingester.rejectRaw(line, raw, `expected ${width} columns as in the header, found ${record.length}`);
    } else {
      const call: RawCall = {};
      for (const { field, index } of columns) call[field] = record[index];
      await ingester.add(call, line, () => raw.replace(/\r?\n$/, ''));
    }
    if (++records % 10_000 === 0) onProgress({ bytesRead, bytesTotal: size, records });
  }
  if (!columns) throw invalid('file', 'the file is empty: it needs a header line and calls');
  const summary = await ingester.finish();
  onProgress({ bytesRead: size, bytesTotal: size, records });
  return summary;
}
