// Document 003's report: the requests processed (created) between startDate and endDate, both whole UTC
// days, in id order. Bounded: at most `limit` rows (10000); a longer answer says where to continue.
import type { Ctx } from '../context.ts';
import { addDays, isIsoDate, toDayNumber } from '../shared/dates.ts';
import { invalid } from '../shared/errors.ts';
import type { RequestFactsRow } from '../collections/repo.ts';
import { requestFacts } from './reports-repo.ts';

export const MAX_REPORT_ROWS = 10_000;

export interface ReportQuery {
  startDate: string;
  endDate: string;
  limit?: number | undefined;
  after?: number | undefined;
}

export async function reportInvoices(
  ctx: Ctx,
  accountId: number,
  query: ReportQuery,
): Promise<{ rows: RequestFactsRow[]; nextAfter: number | undefined }> {
  if (!isIsoDate(query.startDate)) throw invalid('startDate', 'must be a date YYYY-MM-DD');
  if (!isIsoDate(query.endDate)) throw invalid('endDate', 'must be a date YYYY-MM-DD');
  if (toDayNumber(query.endDate) < toDayNumber(query.startDate)) {
    throw invalid(
      'endDate',
      `must be on or after startDate (${query.startDate} to ${query.endDate} is reversed)`,
    );
  }
  const limit = Math.min(query.limit ?? MAX_REPORT_ROWS, MAX_REPORT_ROWS);
  const rows = await requestFacts(ctx.db, accountId, {
    createdFrom: new Date(`${query.startDate}T00:00:00Z`),
    createdBefore: new Date(`${addDays(query.endDate, 1)}T00:00:00Z`),
    afterId: query.after,
    limit: limit + 1,
  });
  const more = rows.length > limit;
  const page = more ? rows.slice(0, limit) : rows;
  return { rows: page, nextAfter: more ? page.at(-1)!.id : undefined };
}
