// The audit log's SQL. Append-only: rows are inserted and read, never changed (a trigger refuses updates
// and deletes, migration 0021).
import type { Executor } from '../context.ts';
import type { AuditLogRow } from '../db/schema-console.ts';
import { toPage, type Page } from '../shared/pagination.ts';
export type { AuditLogRow } from '../db/schema-console.ts';

export interface NewAuditEntry {
  account_id: number;
  at: Date;
  actor_type: 'user' | 'api_key' | 'system';
  actor_id: number | null;
  actor_name: string | null;
  action: string;
  resource: string;
  resource_id: string | null;
  ip: string | null;
  surface: string;
  changes: Record<string, unknown> | null;
}

export async function insertAuditEntry(db: Executor, e: NewAuditEntry): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({ ...e, changes: e.changes === null ? null : JSON.stringify(e.changes) })
    .execute();
}

export interface AuditFilter {
  resource?: string | undefined;
  resourceId?: string | undefined;
  actorType?: 'user' | 'api_key' | 'system' | undefined;
  actorId?: number | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
}

/**
 * One page of the log. `order: 'asc'` pages forward from `after` (the API's keyset convention); 'desc'
 * pages backward from `after` (newest first, the console's view), the cursor then being an upper bound.
 */
export async function listAuditEntries(
  db: Executor,
  accountId: number,
  f: AuditFilter,
  page: { after?: number | undefined; limit: number; order: 'asc' | 'desc' },
): Promise<Page<AuditLogRow>> {
  let q = db.selectFrom('audit_log').selectAll().where('account_id', '=', accountId);
  if (f.resource) q = q.where('resource', '=', f.resource);
  if (f.resourceId) q = q.where('resource_id', '=', f.resourceId);
  if (f.actorType) q = q.where('actor_type', '=', f.actorType);
  if (f.actorId !== undefined) q = q.where('actor_id', '=', f.actorId);
  if (f.from) q = q.where('at', '>=', f.from);
  if (f.to) q = q.where('at', '<', f.to);
  if (page.after !== undefined) q = q.where('id', page.order === 'asc' ? '>' : '<', page.after);
  const rows = await q
    .orderBy('id', page.order)
    .limit(page.limit + 1)
    .execute();
  return toPage(rows, page.limit);
}
