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

/** Where a page's text goes, piece by piece in order (the answer's PageBuffer, or a string for tests). */
export interface PageOutput {
  text(text: string): void;
}

/** Writes one page: each row as the driver hands it over, then the end of the document. */
export interface PageWriter<Row> {
  row(row: Row): void;
  end(): void;
}

/** The writer of a page in `format` (CSV with `csv`'s options). */
export function pageWriter<Row>(
  format: FeedFormat,
  view: ColumnReader<Row>,
  csv: CsvOptions,
  out: PageOutput,
): PageWriter<Row> {
  return format === 'json'
    ? jsonWriter(view, out)
    : format === 'csv'
      ? csvWriter(view, csv, out)
      : xmlWriter(view, out);
}

/** A whole page as one string (tests, small answers): what the writer writes, joined. */
function renderToString<Row>(rows: readonly Row[], writer: (out: PageOutput) => PageWriter<Row>): string {
  const parts: string[] = [];
  const w = writer({ text: (text) => void parts.push(text) });
  for (const row of rows) w.row(row);
  w.end();
  return parts.join('');
}

/**
 * A JSON array of objects: byte for byte JSON.stringify of the page's rows as objects of the columns (set in
 * `columns` order), written without the objects.
 */
export function renderJson<Row>(view: ColumnReader<Row>, rows: readonly Row[]): string {
  return renderToString(rows, (out) => jsonWriter(view, out));
}

/**
 * The JSON page, row by row: each row's text is made from its values' texts and the property names (made
 * once a page) with one join and handed to `out` at once, so only that flat string outlives the row. The
 * pieces between two values (the quote closing a string value, the comma, the next name and the quote
 * opening a string value) are made once a page for each of the four ways two neighbouring values may or may
 * not be strings, so a string value goes into the join as it is, not copied between quotes. A row with a
 * value JSON.stringify leaves out (never a column of the feed's) is written by JSON.stringify itself.
 */
export function jsonWriter<Row>(view: ColumnReader<Row>, out: PageOutput): PageWriter<Row> {
  const columns = view.columns;
  const readers = readersOf(view);
  const plains = plainOf(view);
  const order = jsonPropertyOrder(columns);
  const n = order.length;
  const ordered = order.map((c) => readers[c]!);
  const plain = order.map((c) => plains[c]!);
  // prefixes[4k + 2 * (value k-1 a string) + (value k a string)]: what goes before value k.
  const prefixes = new Array<string>(4 * n);
  for (let k = 0; k < n; k++) {
    const name = `${JSON.stringify(columns[order[k]!])}:`;
    for (const before of [0, 1])
      for (const quoted of [0, 1])
        prefixes[4 * k + 2 * before + quoted] =
          `${before ? '"' : ''}${k === 0 ? '{' : ','}${name}${quoted ? '"' : ''}`;
  }
  // cells: the row's opening ("[" or ","), then a prefix and a value per column, then its close.
  const cells = new Array<string>(2 * n + 2);
  let written = 0;
  return {
    row(row) {
      cells[0] = written === 0 ? '[' : ',';
      written++;
      let before = 0;
      let k = 0;
      for (; k < n; k++) {
        const value = ordered[k]!(row);
        let quoted: number;
        let text: string | undefined;
        if (typeof value === 'string' && (plain[k] || JSON_AS_IS.test(value))) {
          quoted = 1;
          text = value;
        } else {
          quoted = 0;
          text = jsonValue(value);
          if (text === undefined) break;
        }
        cells[2 * k + 1] = prefixes[4 * k + 2 * before + quoted]!;
        cells[2 * k + 2] = text;
        before = quoted;
      }
      if (k < n) out.text(cells[0] + stringifyRow(columns, readers, row));
      else if (n === 0) out.text(`${cells[0]}{}`);
      else {
        cells[2 * n + 1] = before ? '"}' : '}';
        out.text(cells.join(''));
      }
    },
    end() {
      out.text(written === 0 ? '[]' : ']');
    },
  };
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
  return renderToString(rows, (out) => csvWriter(view, options, out));
}

/** The CSV page, row by row: the header (if asked for) at once, then each row's line with its separator. */
export function csvWriter<Row>(
  view: ColumnReader<Row>,
  options: CsvOptions,
  out: PageOutput,
): PageWriter<Row> {
  const field = csvFieldWriter(options);
  const kept = view.columns.map((c) => c !== 'custom_data');
  const columns = view.columns.filter((_, i) => kept[i]);
  const readers = readersOf(view).filter((_, i) => kept[i]);
  const plain = plainOf(view).filter((_, i) => kept[i]);
  const separator = options.separator;
  const rowSeparator = options.rowSeparator;
  const always = options.forceQuotes;
  // Plain text holds no quote, line break or white space at its ends: quoted only if forced, or if the
  // separator is a character plain text may hold and it does.
  const plainMayHoldSeparator = PLAIN_CHARACTER.test(separator);
  if (options.header) out.text(columns.map((c) => field(c)).join(separator) + rowSeparator);
  const n = readers.length;
  const cells = new Array<string>(n);
  return {
    row(row) {
      for (let c = 0; c < n; c++) {
        const value = readers[c]!(row);
        // A number's text is plain too (digits, - + . e, Infinity, NaN): no quote, line break or white space.
        const text =
          plain[c] && typeof value === 'string'
            ? value
            : typeof value === 'number'
              ? String(value)
              : undefined;
        cells[c] =
          text === undefined
            ? field(value)
            : always || (plainMayHoldSeparator && text.includes(separator))
              ? `"${text}"`
              : text;
      }
      out.text(cells.join(separator) + rowSeparator);
    },
    end() {},
  };
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
/** A column's tags: its name as the element's, or <column name="…"> for a name XML cannot have. */
function xmlTags(name: string): { start: string; end: string; empty: string } {
  const open = XML_NAME.test(name) && !/^xml/i.test(name) ? name : undefined;
  return open
    ? { start: `<${open}>`, end: `</${open}>`, empty: `<${open}/>` }
    : {
        start: `<column name="${xmlAttribute(name)}">`,
        end: '</column>',
        empty: `<column name="${xmlAttribute(name)}"/>`,
      };
}

function xmlElementWriter(name: string, plain = false): (value: unknown) => string {
  const { start, end, empty } = xmlTags(name);
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

/** The XML document: one Transaction element a row. */
export function renderXml<Row>(view: ColumnReader<Row>, rows: readonly Row[]): string {
  return renderToString(rows, (out) => xmlWriter(view, out));
}

/**
 * The XML page, row by row: each Transaction element made with one join (see jsonWriter), its elements'
 * tags made once a page; custom data (a list) by its element writer.
 */
export function xmlWriter<Row>(view: ColumnReader<Row>, out: PageOutput): PageWriter<Row> {
  const readers = readersOf(view);
  const plain = plainOf(view);
  const tags = view.columns.map((column) => xmlTags(column));
  const elements = view.columns.map((column, c) => xmlElementWriter(column, plain[c]));
  const n = readers.length;
  // cells: "\n<Transaction>", then the start tag, text and end tag of each column, then "</Transaction>".
  const cells = new Array<string>(3 * n + 2);
  cells[0] = '\n<Transaction>';
  cells[3 * n + 1] = '</Transaction>';
  out.text('<?xml version="1.0" encoding="UTF-8"?>\n<Transactions>');
  return {
    row(row) {
      for (let c = 0; c < n; c++) {
        const value = readers[c]!(row);
        const tag = tags[c]!;
        // A number's text holds nothing XML escapes.
        const text =
          typeof value === 'string'
            ? plain[c]
              ? value
              : xmlText(value)
            : typeof value === 'number'
              ? String(value)
              : Array.isArray(value)
                ? undefined
                : xmlScalar(value);
        if (text === undefined) {
          // A list (custom data): its element whole.
          cells[3 * c + 1] = elements[c]!(value);
          cells[3 * c + 2] = '';
          cells[3 * c + 3] = '';
        } else if (text === '') {
          cells[3 * c + 1] = tag.empty;
          cells[3 * c + 2] = '';
          cells[3 * c + 3] = '';
        } else {
          cells[3 * c + 1] = tag.start;
          cells[3 * c + 2] = text;
          cells[3 * c + 3] = tag.end;
        }
      }
      out.text(cells.join(''));
    },
    end() {
      out.text('\n</Transactions>\n');
    },
  };
}
