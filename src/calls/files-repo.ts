// Recordings and transcriptions uploaded to Ringbill for a call (table call_files): one file of each kind
// per call, replaced by a new upload.
import { sql } from 'kysely';
import type { Executor } from '../context.ts';

export type CallFileKind = 'recording' | 'transcription';

export interface CallFile {
  contentType: string;
  content: Buffer;
  uploadedAt: Date;
}

/**
 * Stores (or replaces) a call's file, in one statement that also checks the call is in the account.
 * Returns false when there is no such call.
 */
export async function putCallFile(
  db: Executor,
  accountId: number,
  callId: number,
  file: { kind: CallFileKind; contentType: string; content: Buffer },
): Promise<boolean> {
  const result = await sql<{ call_id: number }>`
    insert into call_files (account_id, call_id, kind, content_type, content)
    select c.account_id, c.id, ${file.kind}, ${file.contentType}, ${file.content}::bytea
    from calls as c where c.account_id = ${accountId} and c.id = ${callId}
    on conflict (account_id, call_id, kind)
    do update set content_type = excluded.content_type, content = excluded.content, created_at = now()
    returning call_id
  `.execute(db);
  return result.rows.length === 1;
}

export async function findCallFile(
  db: Executor,
  accountId: number,
  callId: number,
  kind: CallFileKind,
): Promise<CallFile | undefined> {
  const row = await db
    .selectFrom('call_files')
    .select(['content_type', 'content', 'created_at'])
    .where('account_id', '=', accountId)
    .where('call_id', '=', callId)
    .where('kind', '=', kind)
    .executeTakeFirst();
  if (!row) return undefined;
  // pg returns a Buffer, PGlite a Uint8Array: one type for callers, without copying the bytes.
  const content = Buffer.isBuffer(row.content)
    ? row.content
    : Buffer.from(row.content.buffer, row.content.byteOffset, row.content.byteLength);
  return { contentType: row.content_type, content, uploadedAt: row.created_at };
}
