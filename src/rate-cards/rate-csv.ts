// A rate card as CSV: prefix,destination,rate_per_minute,connection_fee,minimum_charge,
// initial_increment_s,subsequent_increment_s, then optionally band and cost_per_minute.
import { parse } from 'csv-parse/sync';
import { invalid } from '../shared/errors.ts';
import type { RateImportRow } from './import-rates.ts';
import { OPTIONAL_RATE_COLUMNS, RATE_COLUMNS, type RateRecord } from './rate-input.ts';
import { hasNul, NUL_REASON } from '../shared/nul.ts';

const REQUIRED = ['prefix', 'destination', 'rate_per_minute'] as const;

/** A record's text as the file has it, without the blank lines skipped before it or its line ending. */
function lineText(raw: string): string {
  return raw.replace(/^[\r\n]+/, '').replace(/[\r\n]+$/, '');
}

/** Parses the CSV into rows to import; a malformed line becomes a row whose reason says so. */
export function parseRatesCsv(text: string): RateImportRow[] {
  let records: { record: string[]; info: { lines: number }; raw: string }[];
  const skipped: RateImportRow[] = [];
  try {
    records = parse(text, {
      bom: true,
      relax_column_count: true,
      // A stray quote inside a field is kept as a character: strict quoting would leave the parser inside a
      // quoted field after the error and silently swallow the lines that follow, up to the next quote.
      relax_quotes: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      info: true,
      raw: true,
      on_skip: (error, raw) => {
        const e = error as unknown as { lines?: number; message?: string } | undefined;
        skipped.push({
          line: e?.lines ?? 0,
          raw: lineText(raw ?? ''),
          record: {},
          unreadable: `malformed CSV: ${e?.message ?? 'unreadable line'}`,
        });
        return undefined;
      },
    }) as unknown as typeof records;
  } catch (error) {
    throw invalid('file', `the rate card is not readable CSV: ${(error as Error).message}`);
  }
  const header = records.shift();
  if (!header) throw invalid('file', 'the rate card is empty: it needs a header line and rates');
  const names = header.record.map((h) => h.trim().toLowerCase());
  const missing = REQUIRED.filter((c) => !names.includes(c));
  if (missing.length > 0) {
    throw invalid(
      'header',
      `the header must name ${REQUIRED.join(',')}, and may name ${RATE_COLUMNS.filter((c) => !(REQUIRED as readonly string[]).includes(c)).join(',')} ` +
        `(0, 0, 60 and 60 when absent), band and cost_per_minute; missing: ${missing.join(', ')}`,
    );
  }
  const columns = [...RATE_COLUMNS, ...OPTIONAL_RATE_COLUMNS]
    .filter((c) => names.includes(c))
    .map((c) => ({ c, i: names.indexOf(c) }));
  const rows: RateImportRow[] = records.map(({ record, info, raw }) => {
    const values: RateRecord = {};
    for (const { c, i } of columns) values[c] = record[i];
    if (record.length !== header.record.length) {
      return {
        line: info.lines,
        raw: lineText(raw),
        record: values,
        unreadable: `expected ${header.record.length} columns as in the header, found ${record.length}`,
      };
    }
    if (hasNul(raw))
      return { line: info.lines, raw: lineText(raw), record: values, unreadable: `the line ${NUL_REASON}` };
    return { line: info.lines, raw: lineText(raw), record: values };
  });
  return [...rows, ...skipped];
}
