// The feed's three formats: a JSON array of objects, CSV with a header row (RFC 4180 quoting; the
// separators of the call-tracking Transactions API can be chosen), and an XML document with an array of
// Transaction elements. custom_data (nested) exists in JSON and XML only. Pure: no I/O. The rows are the
// domain's (feed/read-feed.ts); its view reads each column's value out of a row.
import type { NestedCustomData } from '../../feed/columns.ts';

/** What renders a page: the columns asked for, and each column's value in a row (feed/columns.ts FeedView). */
export interface ColumnReader<Row> {
  readonly columns: readonly string[];
  value(row: Row, column: string): unknown;
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

/**
 * A JSON array of objects. Each row is made into its JSON text at once, so only flat strings outlive a
 * row: building the page's objects first and stringifying them together keeps thousands of objects alive
 * through the young generation, and the garbage collector then costs more than the rendering.
 */
export function renderJson<Row>(view: ColumnReader<Row>, rows: readonly Row[]): string {
  const parts = new Array<string>(rows.length);
  const columns = view.columns;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    const record: Record<string, unknown> = {};
    for (const column of columns) record[column] = view.value(row, column);
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

/** One CSV field: quoted when it holds the separator, a quote or a line break (or always), quotes doubled. */
export function csvField(value: unknown, options: CsvOptions): string {
  const text = scalarText(value);
  const needsQuotes =
    options.forceQuotes ||
    text.includes(options.separator) ||
    text.includes('"') ||
    text.includes('\n') ||
    text.includes('\r') ||
    /^\s|\s$/.test(text);
  return needsQuotes ? `"${text.replace(/"/g, '""')}"` : text;
}

export function renderCsv<Row>(view: ColumnReader<Row>, rows: readonly Row[], options: CsvOptions): string {
  const columns = view.columns.filter((c) => c !== 'custom_data');
  const lines: string[] = [];
  if (options.header) lines.push(columns.map((c) => csvField(c, options)).join(options.separator));
  for (const row of rows)
    lines.push(columns.map((c) => csvField(view.value(row, c), options)).join(options.separator));
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
  return value.replace(XML_FORBIDDEN, '\uFFFD').replace(/[&<>"'\r]/g, (c) => XML_ESCAPES[c]!);
}

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
  const open = XML_NAME.test(name) && !/^xml/i.test(name) ? name : undefined;
  if (Array.isArray(value)) {
    const items = (value as NestedCustomData[])
      .map(
        (d) =>
          `<field>${xmlElement('name', d.name)}${xmlElement('partner_name', d.partner_name)}${xmlElement('value', d.value)}${xmlElement('data_type', d.data_type)}${xmlElement('source', d.source)}</field>`,
      )
      .join('');
    if (open) return items === '' ? `<${open}/>` : `<${open}>${items}</${open}>`;
    return items === ''
      ? `<column name="${xmlAttribute(name)}"/>`
      : `<column name="${xmlAttribute(name)}">${items}</column>`;
  }
  const text = xmlScalar(value);
  if (open) return text === '' ? `<${open}/>` : `<${open}>${text}</${open}>`;
  return text === ''
    ? `<column name="${xmlAttribute(name)}"/>`
    : `<column name="${xmlAttribute(name)}">${text}</column>`;
}

export function renderXml<Row>(view: ColumnReader<Row>, rows: readonly Row[]): string {
  const parts: string[] = ['<?xml version="1.0" encoding="UTF-8"?>\n<Transactions>'];
  for (const row of rows) {
    let element = '<Transaction>';
    for (const column of view.columns) element += xmlElement(column, view.value(row, column));
    parts.push(`${element}</Transaction>`);
  }
  parts.push('</Transactions>\n');
  return parts.join('\n');
}
