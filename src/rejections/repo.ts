import { sql } from 'kysely';
import type { Executor } from '../context.ts';
import type { RejectedRow } from '../db/schema.ts';
import { toPage, type Page, type PageRequest } from '../shared/pagination.ts';
import { withoutNul } from '../shared/nul.ts';
import { plainArray, textArray } from '../db/sql.ts';
export type { RejectedRow } from '../db/schema.ts';

export interface Rejection {
  line: number | null;
  raw: string;
  reason: string;
}

const MAX_RAW_LENGTH = 4000;

/** Whether rows from this source have been refused before (a file sent again). */
export async function hasRejections(
  db: Executor,
  accountId: number,
  kind: 'calls' | 'rates',
  source: string,
): Promise<boolean> {
  const row = await sql<{ found: boolean }>`
    select exists (select 1 from rejected_rows where account_id = ${accountId} and kind = ${kind} and source = ${source}) as found
  `.execute(db);
  return Boolean(row.rows[0]?.found);
}

/**
 * Keeps rows a file or batch could not take, with their line and reason, where the user can list them. A row
 * already kept for the same source, line and text (the same file sent again) is not kept twice: one lookup
 * in rejected_rows_line per row (a row without a line number is always kept). `sourceSeen: false` (nothing
 * from this source was refused before, see hasRejections) skips the lookups.
 */
export async function insertRejections(
  db: Executor,
  accountId: number,
  kind: 'calls' | 'rates',
  source: string,
  rows: Rejection[],
  options: { sourceSeen: boolean } = { sourceSeen: true },
): Promise<void> {
  const CHUNK = 1000;
  for (let i = 0; i < rows.length; i += CHUNK) {
    const chunk = rows.slice(i, i + CHUNK);
    const raw = chunk.map((r) =>
      withoutNul(r.raw.length > MAX_RAW_LENGTH ? `${r.raw.slice(0, MAX_RAW_LENGTH)}…` : r.raw),
    );
    await sql`
      insert into rejected_rows (account_id, kind, source, line, raw, reason)
      select ${accountId}, ${kind}, ${source}, v.line, v.raw, v.reason
      from unnest(${plainArray(chunk.map((r) => r.line))}::integer[], ${textArray(raw)}::text[], ${textArray(chunk.map((r) => withoutNul(r.reason)))}::text[])
        with ordinality as v(line, raw, reason, n)
      ${
        options.sourceSeen
          ? // One lookup in rejected_rows_line per row (offset 0 keeps the subquery a nested loop the planner
            // cannot turn into an anti join): written as a plain anti join, a planner that thinks the
            // source has one refused row reads all of the source's rows for each row of the batch, which
            // grows with the file (a re-import of a million-line file read its 15,000 rows 200 times).
            sql`where not exists (
              select 1 from rejected_rows as r
              where r.account_id = ${accountId} and r.kind = ${kind} and r.source = ${source} and r.line = v.line and r.raw = v.raw
              offset 0
            )`
          : sql``
      }
      order by v.n
    `.execute(db);
  }
}

export async function listRejections(
  db: Executor,
  accountId: number,
  kind: 'calls' | 'rates',
  filter: { source?: string | undefined },
  page: PageRequest,
): Promise<Page<RejectedRow>> {
  let q = db
    .selectFrom('rejected_rows')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('kind', '=', kind);
  if (filter.source !== undefined) q = q.where('source', '=', filter.source);
  if (page.after !== undefined) q = q.where('id', '>', page.after);
  return toPage(
    await q
      .orderBy('id')
      .limit(page.limit + 1)
      .execute(),
    page.limit,
  );
}

export async function deleteRejection(
  db: Executor,
  accountId: number,
  kind: 'calls' | 'rates',
  id: number,
): Promise<boolean> {
  const result = await db
    .deleteFrom('rejected_rows')
    .where('account_id', '=', accountId)
    .where('kind', '=', kind)
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
