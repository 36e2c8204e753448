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
  /**
   * Whether a column's values are null, numbers or plain text: ASCII letters, digits, spaces and _ + - : .,
   * not starting or ending with a space (nothing to escape in JSON or XML, nothing to quote in CSV but a
   * separator among those characters).
   */
  plain?(column: string): boolean;
}

/** Which columns are plain (ColumnReader.plain), in `columns` order. */
function plainOf<Row>(view: ColumnReader<Row>): boolean[] {
  return view.columns.map((column) => view.plain?.(column) ?? false);
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

/** A string JSON.stringify writes as it is between quotes: no quote, backslash, control character or surrogate. */
// eslint-disable-next-line no-control-regex
const JSON_AS_IS = /^[^"\\\u0000-\u001f\ud800-\udfff]*$/;

/**
 * A property value's JSON text, exactly as JSON.stringify writes it inside an object; undefined where
 * JSON.stringify leaves the property out (undefined, a function).
 */
function jsonValue(value: unknown): string | undefined {
  if (typeof value === 'string') return JSON_AS_IS.test(value) ? `"${value}"` : JSON.stringify(value);
  if (value === null) return 'null';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  // Objects and arrays; undefined (despite its declared type) for undefined and functions.
  return JSON.stringify(value);
}

/**
 * The order JSON.stringify writes an object's properties in when they are set in `columns` order, as
 * indexes into `columns`: integer-like names first, ascending, then the others as first set; a name set
 * twice is written once, where it was first set, with the last value; "__proto__" is not a property at all.
 * Read from a real object so it is the engine's order, whatever the names.
 */
function jsonPropertyOrder(columns: readonly string[]): number[] {
  const probe: Record<string, number> = {};
  for (let c = 0; c < columns.length; c++) probe[columns[c]!] = c;
  return Object.keys(probe).map((name) => probe[name]!);
}

/**
 * A JSON array of objects: byte for byte JSON.stringify of the page's rows as objects of the columns (set in
 * `columns` order), written without the objects. Each row's text is made from its values' texts and the
 * property names (written once per page) with one join, so only flat strings outlive a row: a tree of
 * pieces (a + b + …) or thousands of objects alive through the young generation cost the garbage collector
 * more than the writing. A row with a value JSON.stringify leaves out (never a column of the feed's) is
 * written by JSON.stringify itself.
 */
export function renderJson<Row>(view: ColumnReader<Row>, rows: readonly Row[]): string {
  const columns = view.columns;
  const readers = readersOf(view);
  const plains = plainOf(view);
  const order = jsonPropertyOrder(columns);
  const n = order.length;
  const ordered = order.map((c) => readers[c]!);
  const plain = order.map((c) => plains[c]!);
  // The row's text: "{" name value "," name value … "}", the names written into their places once a page.
  const cells = new Array<string>(2 * n + 1);
  for (let k = 0; k < n; k++) cells[2 * k] = `${k === 0 ? '{' : ','}${JSON.stringify(columns[order[k]!])}:`;
  cells[2 * n] = '}';
  const parts = new Array<string>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    let k = 0;
    for (; k < n; k++) {
      const value = ordered[k]!(row);
      const text = plain[k] && typeof value === 'string' ? `"${value}"` : jsonValue(value);
      if (text === undefined) break;
      cells[2 * k + 1] = text;
    }
    parts[i] = k < n ? stringifyRow(columns, readers, row) : n === 0 ? '{}' : cells.join('');
  }
  return `[${parts.join(',')}]`;
}

/** A row as JSON.stringify writes the object of its columns (set in `columns` order). */
function stringifyRow<Row>(
  columns: readonly string[],
  readers: readonly ((row: Row) => unknown)[],
  row: Row,
): string {
  const record: Record<string, unknown> = {};
  for (let c = 0; c < columns.length; c++) record[columns[c]!] = readers[c]!(row);
  return JSON.stringify(record);
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

/** A separator plain text may hold (ColumnReader.plain): plain values are then checked for it. */
const PLAIN_CHARACTER = /^[0-9A-Za-z _+\-:.]$/;

export function renderCsv<Row>(view: ColumnReader<Row>, rows: readonly Row[], options: CsvOptions): string {
  const field = csvFieldWriter(options);
  const kept = view.columns.map((c) => c !== 'custom_data');
  const columns = view.columns.filter((_, i) => kept[i]);
  const readers = readersOf(view).filter((_, i) => kept[i]);
  const plain = plainOf(view).filter((_, i) => kept[i]);
  const separator = options.separator;
  const always = options.forceQuotes;
  // Plain text holds no quote, line break or white space at its ends: quoted only if forced, or if the
  // separator is a character plain text may hold and it does.
  const plainMayHoldSeparator = PLAIN_CHARACTER.test(separator);
  const lines: string[] = [];
  if (options.header) lines.push(columns.map((c) => field(c)).join(separator));
  const n = readers.length;
  const cells = new Array<string>(n);
  for (const row of rows) {
    for (let c = 0; c < n; c++) {
      const value = readers[c]!(row);
      cells[c] =
        plain[c] && typeof value === 'string'
          ? always || (plainMayHoldSeparator && value.includes(separator))
            ? `"${value}"`
            : value
          : field(value);
    }
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

/** The element of a column, its name checked once (per page, not per row); plain text is written as it is. */
function xmlElementWriter(name: string, plain = false): (value: unknown) => string {
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
    const text = plain && typeof value === 'string' ? value : xmlScalar(value);
    return text === '' ? empty : start + text + end;
  };
}

/** The XML document: one Transaction element a row, each row's text made with one join (see renderJson). */
export function renderXml<Row>(view: ColumnReader<Row>, rows: readonly Row[]): string {
  const readers = readersOf(view);
  const plain = plainOf(view);
  const elements = view.columns.map((column, c) => xmlElementWriter(column, plain[c]));
  const n = readers.length;
  const cells = new Array<string>(n + 2);
  cells[0] = '<Transaction>';
  cells[n + 1] = '</Transaction>';
  const parts = new Array<string>(rows.length + 2);
  parts[0] = '<?xml version="1.0" encoding="UTF-8"?>\n<Transactions>';
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    for (let c = 0; c < n; c++) cells[c + 1] = elements[c]!(readers[c]!(row));
    parts[i + 1] = cells.join('');
  }
  parts[rows.length + 1] = '</Transactions>\n';
  return parts.join('\n');
}
