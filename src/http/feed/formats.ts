// The feed's three formats: a JSON array of objects, CSV with a header row (RFC 4180 quoting; the
// separators of the call-tracking Transactions API can be chosen), and an XML document with an array of
// Transaction elements. custom_data (nested) exists in JSON and XML only. Pure: no I/O. The rows are the
// domain's (feed/read-feed.ts); its view reads each column's value out of a row.
import type { NestedCustomData } from '../../feed/columns.ts';

/** What renders a page: the columns asked for, and each column's value in a row (feed/columns.ts FeedView). */
export interface ColumnReader<Row> {
  readonly columns: readonly string[];
  value(row: Row, column: string): unknown;
  /** The same as value(), one function per column in `columns` order (compiled once per page). */
  readers?(): ((row: Row) => unknown)[];
}

export type FeedFormat = 'json' | 'csv' | 'xml';

export const CONTENT_TYPES: Record<FeedFormat, string> = {
  json: 'application/json; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  xml: 'application/xml; charset=utf-8',
};

export interface CsvOptions {
  separator: string;
  rowSeparator: string;
  header: boolean;
  forceQuotes: boolean;
}

export const DEFAULT_CSV: CsvOptions = {
  separator: ',',
  rowSeparator: '\n',
  header: true,
  forceQuotes: false,
};

/** One function per column (in `columns` order) reading its value: the view's own, compiled once per page, if it has them. */
function readersOf<Row>(view: ColumnReader<Row>): ((row: Row) => unknown)[] {
  return view.readers?.() ?? view.columns.map((column) => (row: Row) => view.value(row, column));
}

/**
 * A JSON array of objects. Each row is made into its JSON text at once, so only flat strings outlive a
 * row: building the page's objects first and stringifying them together keeps thousands of objects alive
 * through the young generation, and the garbage collector then costs more than the rendering. The columns'
 * readers are compiled once per page; JSON.stringify of a small object of one shape is V8's fast path
 * (measured faster than writing the text by string concatenation, which builds ropes to flatten).
 */
export function renderJson<Row>(view: ColumnReader<Row>, rows: readonly Row[]): string {
  const columns = view.columns;
  const readers = readersOf(view);
  const n = columns.length;
  const parts = new Array<string>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    const record: Record<string, unknown> = {};
    for (let c = 0; c < n; c++) record[columns[c]!] = readers[c]!(row);
    parts[i] = JSON.stringify(record);
  }
  return `[${parts.join(',')}]`;
}

/**
 * A column's value as text: view.value() gives strings, numbers, booleans and null for these columns (custom
 * data, a list, is rendered apart); anything else is written as JSON rather than "[object Object]".
 */
function scalarText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  return JSON.stringify(value);
}

/** A string that must be quoted in CSV with this separator (it holds the separator, a quote or a line break, or starts or ends with white space). */
function csvQuoteTest(options: CsvOptions): RegExp {
  const separator = options.separator.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
  return new RegExp(`${separator}|["\\n\\r]|^\\s|\\s$`);
}

/** One CSV field: quoted when it holds the separator, a quote or a line break (or always), quotes doubled. */
export function csvField(value: unknown, options: CsvOptions): string {
  return csvFieldWriter(options)(value);
}

function csvFieldWriter(options: CsvOptions): (value: unknown) => string {
  const needsQuotes = csvQuoteTest(options);
  const always = options.forceQuotes;
  return (value) => {
    const text = scalarText(value);
    return always || needsQuotes.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
}

export function renderCsv<Row>(view: ColumnReader<Row>, rows: readonly Row[], options: CsvOptions): string {
  const field = csvFieldWriter(options);
  const kept = view.columns.map((c) => c !== 'custom_data');
  const columns = view.columns.filter((_, i) => kept[i]);
  const readers = readersOf(view).filter((_, i) => kept[i]);
  const separator = options.separator;
  const lines: string[] = [];
  if (options.header) lines.push(columns.map((c) => field(c)).join(separator));
  const n = readers.length;
  const cells = new Array<string>(n);
  for (const row of rows) {
    for (let c = 0; c < n; c++) cells[c] = field(readers[c]!(row));
    lines.push(cells.join(separator));
  }
  return lines.length === 0 ? '' : lines.join(options.rowSeparator) + options.rowSeparator;
}

// XML 1.0 cannot carry most control characters at all, even escaped: they become U+FFFD.
// eslint-disable-next-line no-control-regex
const XML_FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;
const XML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  '\r': '&#13;',
  '\n': '&#10;',
  '\t': '&#9;',
};

/**
 * Text content. A raw carriage return would reach the reader as a line feed (XML 1.0 normalises line
 * ends), so it goes as a character reference, which parsers keep.
 */
export function xmlText(value: string): string {
  if (!XML_TEXT_CHANGED.test(value)) return value;
  return value.replace(XML_FORBIDDEN, '\uFFFD').replace(/[&<>"'\r]/g, (c) => XML_ESCAPES[c]!);
}

/** Text xmlText() changes: a forbidden character or one it escapes. */
// eslint-disable-next-line no-control-regex
const XML_TEXT_CHANGED = /[&<>"'\r\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

/** An attribute value: parsers also turn a raw line feed or tab there into a space, so those are references too. */
export function xmlAttribute(value: string): string {
  return value.replace(XML_FORBIDDEN, '\uFFFD').replace(/[&<>"'\r\n\t]/g, (c) => XML_ESCAPES[c]!);
}

/** Element names the feed may use as they are; any other column is <column name="…">. */
const XML_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,199}$/;

function xmlScalar(value: unknown): string {
  return xmlText(scalarText(value));
}

function xmlElement(name: string, value: unknown): string {
  return xmlElementWriter(name)(value);
}

/** The element of a column, its name checked once (per page, not per row). */
function xmlElementWriter(name: string): (value: unknown) => string {
  const open = XML_NAME.test(name) && !/^xml/i.test(name) ? name : undefined;
  const start = open ? `<${open}>` : `<column name="${xmlAttribute(name)}">`;
  const end = open ? `</${open}>` : '</column>';
  const empty = open ? `<${open}/>` : `<column name="${xmlAttribute(name)}"/>`;
  return (value) => {
    if (Array.isArray(value)) {
      const items = (value as NestedCustomData[])
        .map(
          (d) =>
            `<field>${xmlElement('name', d.name)}${xmlElement('partner_name', d.partner_name)}${xmlElement('value', d.value)}${xmlElement('data_type', d.data_type)}${xmlElement('source', d.source)}</field>`,
        )
        .join('');
      return items === '' ? empty : start + items + end;
    }
    const text = xmlScalar(value);
    return text === '' ? empty : start + text + end;
  };
}

export function renderXml<Row>(view: ColumnReader<Row>, rows: readonly Row[]): string {
  const readers = readersOf(view);
  const elements = view.columns.map(xmlElementWriter);
  const parts: string[] = ['<?xml version="1.0" encoding="UTF-8"?>\n<Transactions>'];
  for (const row of rows) {
    let element = '<Transaction>';
    for (let c = 0; c < readers.length; c++) element += elements[c]!(readers[c]!(row));
    parts.push(`${element}</Transaction>`);
  }
  parts.push('</Transactions>\n');
  return parts.join('\n');
}
