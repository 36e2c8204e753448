// One page of the feed as the body of the answer. The database writes the rows' text when it can (the
// standard columns on PostgreSQL: feed/page-text-repo.ts) and this adds the format's envelope (JSON's
// brackets, CSV's header, XML's declaration and root); otherwise the renderers of formats.ts write the
// rows read as objects. Both give the same bytes (test/integration/feed-text.test.ts).
import type { Ctx } from '../../context.ts';
import {
  type FeedPrincipal,
  type FeedRequest,
  type FeedPageRowsText,
  type FeedTextFormat,
  readFeedText,
} from '../../feed/read-feed.ts';
import { csvField, type CsvOptions, type FeedFormat, renderCsv, renderJson, renderXml } from './formats.ts';

export const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n<Transactions>';
export const XML_END = '</Transactions>\n';

export async function renderFeedPage(
  ctx: Ctx,
  principal: FeedPrincipal,
  accountId: number,
  request: FeedRequest,
  format: FeedFormat,
  csv: CsvOptions,
): Promise<{ body: string; count: number }> {
  const textFormat: FeedTextFormat =
    format === 'csv'
      ? {
          kind: 'csv',
          separator: csv.separator,
          rowSeparator: csv.rowSeparator,
          forceQuotes: csv.forceQuotes,
        }
      : { kind: format };
  const page = await readFeedText(ctx, principal, accountId, request, textFormat);
  if ('page' in page) {
    const { rows, view } = page.page;
    const body =
      format === 'json'
        ? renderJson(view, rows)
        : format === 'csv'
          ? renderCsv(view, rows, csv)
          : renderXml(view, rows);
    return { body, count: rows.length };
  }
  return { body: textBody(format, csv, page.text), count: page.text.count };
}

/** The body of a page the database wrote: its rows' text in the format's envelope. */
export function textBody(format: FeedFormat, csv: CsvOptions, page: FeedPageRowsText): string {
  const { text, count, columns } = page;
  if (format === 'json') return `[${text}]`;
  if (format === 'xml') return `${XML_DECLARATION}\n${count > 0 ? `${text}\n` : ''}${XML_END}`;
  // CSV: the header (custom_data is never a column of a page the database writes).
  const header = csv.header
    ? columns.map((c) => csvField(c, csv)).join(csv.separator) + csv.rowSeparator
    : '';
  return header + (count > 0 ? text + csv.rowSeparator : '');
}
