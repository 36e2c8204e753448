// Recording a change in the audit log: who (a console user or an API key), what (action, resource, id),
// when (the context's clock), from where (client address, surface) and, for updates, what changed (the
// fields whose values differ, before and after). Secrets never go in: fields named like one are masked.
import { doomUnitOfWork, type Ctx, type Executor } from '../context.ts';
import { insertAuditEntry } from './repo.ts';

export interface AuditActor {
  type: 'user' | 'api_key' | 'system';
  id: number | null;
  /** A user's email, a key's name: shown beside the id. */
  name?: string | null | undefined;
}

export interface AuditChange {
  actor: AuditActor;
  action: string;
  resource: string;
  resourceId?: string | number | null | undefined;
  ip?: string | null | undefined;
  surface: 'api' | 'console' | 'cli';
  changes?: Record<string, unknown> | null | undefined;
}

const SECRET_FIELD = /secret|password|token|^key$|apiKey/i;
/** Fields every update moves (the time of the change itself): not a change anyone made. */
const BOOKKEEPING_FIELD = /^(updated|updatedAt|updated_at|lastModified)$/;
const MAX_VALUE_CHARS = 500;
const MAX_FIELDS = 60;

function bounded(value: unknown): unknown {
  if (value === null || value === undefined) return value ?? null;
  if (typeof value === 'string')
    return value.length > MAX_VALUE_CHARS ? `${value.slice(0, MAX_VALUE_CHARS)}…` : value;
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  const text = JSON.stringify(value);
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS)}…` : value;
}

/** Fields masked and values bounded, at most 60 fields. */
export function cleanChanges(changes: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(changes).slice(0, MAX_FIELDS))
    out[k] = SECRET_FIELD.test(k) ? '(hidden)' : bounded(v);
  return out;
}

/** {field: {from, to}} for each field of `after` whose value differs from `before`. */
export function diff(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
): Record<string, { from: unknown; to: unknown }> {
  const out: Record<string, { from: unknown; to: unknown }> = {};
  for (const key of Object.keys(after)) {
    if (BOOKKEEPING_FIELD.test(key)) continue;
    if (JSON.stringify(before[key] ?? null) !== JSON.stringify(after[key] ?? null))
      out[key] = { from: before[key] ?? null, to: after[key] ?? null };
  }
  return out;
}

/**
 * Writes the entry with `db` (the change's transaction, or the request's unit of work through `ctx.db`). If
 * it cannot be written, the request's unit of work is marked to roll back: no change without its entry.
 */
export async function recordAudit(
  ctx: Ctx,
  accountId: number,
  c: AuditChange,
  db: Executor = ctx.db,
): Promise<void> {
  try {
    await insertEntry(ctx, accountId, c, db);
  } catch (error) {
    doomUnitOfWork();
    throw error;
  }
}

async function insertEntry(ctx: Ctx, accountId: number, c: AuditChange, db: Executor): Promise<void> {
  await insertAuditEntry(db, {
    account_id: accountId,
    at: ctx.now(),
    actor_type: c.actor.type,
    actor_id: c.actor.id,
    actor_name: c.actor.name ?? null,
    action: c.action.slice(0, 60),
    resource: c.resource.slice(0, 60),
    resource_id:
      c.resourceId === null || c.resourceId === undefined ? null : String(c.resourceId).slice(0, 100),
    ip: c.ip?.slice(0, 64) ?? null,
    surface: c.surface,
    changes: c.changes ? cleanChanges(c.changes) : null,
  });
}
