// Reading the audit log: filters by resource, actor and date range; keyset pages.
import type { Ctx } from '../context.ts';
import type { AuditLogRow } from './repo.ts';
import { invalid } from '../shared/errors.ts';
import type { Page } from '../shared/pagination.ts';
import { listAuditEntries, type AuditFilter } from './repo.ts';

export type { AuditFilter };

/**
 * "user:12" or "apiKey:3" (the console shows these) into a filter; "system:" (or "system") for the changes
 * made outside the API and the console (the CLI's `users create`), which have no id. Anything else is invalid.
 */
export function parseActor(value: string, field = 'actor'): Pick<AuditFilter, 'actorType' | 'actorId'> {
  const text = value.trim();
  if (text === 'system' || text === 'system:') return { actorType: 'system' };
  const m = /^(user|apiKey|api_key|system):(\d{1,15})$/.exec(text);
  if (!m) throw invalid(field, 'must be user:ID or apiKey:ID, or system: for the changes made with the CLI');
  return {
    actorType: m[1] === 'user' ? 'user' : m[1] === 'system' ? 'system' : 'api_key',
    actorId: Number(m[2]),
  };
}

export function actorLabel(row: Pick<AuditLogRow, 'actor_type' | 'actor_id'>): string {
  return `${row.actor_type === 'api_key' ? 'apiKey' : row.actor_type}:${row.actor_id ?? ''}`;
}

export async function listAuditLog(
  ctx: Ctx,
  accountId: number,
  filter: AuditFilter,
  page: { after?: number | undefined; limit: number; order: 'asc' | 'desc' },
): Promise<Page<AuditLogRow>> {
  return listAuditEntries(ctx.db, accountId, filter, page);
}
