import { sql } from 'kysely';
import type { Executor } from '../context.ts';

/** Upper bound on the calls one bill lists (the lines: invoices' MAX_BILL_LINES). */
export const MAX_ITEMISED_CALLS = 20_000;

export async function findDocument(
  db: Executor,
  accountId: number,
  invoiceId: number,
  style: string,
): Promise<Buffer | undefined> {
  const row = await db
    .selectFrom('invoice_documents')
    .select('content')
    .where('account_id', '=', accountId)
    .where('invoice_id', '=', invoiceId)
    .where('bill_style', '=', style)
    .executeTakeFirst();
  return row ? Buffer.from(row.content) : undefined;
}

export async function storedDocumentStyles(
  db: Executor,
  accountId: number,
  invoiceId: number,
): Promise<string[]> {
  const rows = await db
    .selectFrom('invoice_documents')
    .select('bill_style')
    .where('account_id', '=', accountId)
    .where('invoice_id', '=', invoiceId)
    .execute();
  return rows.map((r) => r.bill_style);
}

/** Stores a rendered bill (replacing an earlier rendering of the same style). */
export async function saveDocument(
  db: Executor,
  accountId: number,
  invoiceId: number,
  style: string,
  content: Buffer,
  now: Date,
): Promise<void> {
  await db
    .insertInto('invoice_documents')
    .values({ account_id: accountId, invoice_id: invoiceId, bill_style: style, content, rendered_at: now })
    .onConflict((oc) =>
      oc.columns(['account_id', 'invoice_id', 'bill_style']).doUpdateSet({ content, rendered_at: now }),
    )
    .execute();
}

export async function insertDownloadLink(
  db: Executor,
  link: {
    accountId: number;
    invoiceId: number;
    tokenHash: Buffer;
    expiresAt: Date;
    maxUses: number;
    now: Date;
  },
): Promise<void> {
  await db
    .insertInto('download_links')
    .values({
      account_id: link.accountId,
      invoice_id: link.invoiceId,
      token_hash: link.tokenHash,
      expires_at: link.expiresAt,
      max_uses: link.maxUses,
      created_at: link.now,
    })
    .execute();
}

/**
 * Uses a download link once, if it is still good: one UPDATE whose condition is checked under the row's
 * lock, so however many requests arrive at once, no more than max_uses succeed.
 */
export async function claimDownload(
  db: Executor,
  accountId: number,
  tokenHash: Buffer,
  now: Date,
): Promise<{ account_id: number; invoice_id: number } | undefined> {
  const row = await db
    .updateTable('download_links')
    .set((eb) => ({ uses: eb('uses', '+', 1), last_used_at: now }))
    .where('account_id', '=', accountId)
    .where('token_hash', '=', tokenHash)
    .where((eb) => eb('uses', '<', eb.ref('max_uses')))
    .where('expires_at', '>', now)
    .returning(['account_id', 'invoice_id'])
    .executeTakeFirst();
  return row;
}

export async function findDownloadLink(
  db: Executor,
  accountId: number,
  tokenHash: Buffer,
): Promise<{ expires_at: Date; uses: number; max_uses: number } | undefined> {
  return db
    .selectFrom('download_links')
    .select(['expires_at', 'uses', 'max_uses'])
    .where('account_id', '=', accountId)
    .where('token_hash', '=', tokenHash)
    .executeTakeFirst();
}

/** Bills kept in a style that is being deleted go with it (recreate renders the styles that are kept). */
export async function deleteStoredDocuments(db: Executor, accountId: number, style: string): Promise<void> {
  await db
    .deleteFrom('invoice_documents')
    .where('account_id', '=', accountId)
    .where(sql<boolean>`lower(bill_style) = lower(${style})`)
    .execute();
}

/** Kept bills were rendered under the style's old name: they follow a rename. */
export async function renameStoredDocuments(
  db: Executor,
  accountId: number,
  from: string,
  to: string,
): Promise<void> {
  await db
    .updateTable('invoice_documents')
    .set({ bill_style: to })
    .where('account_id', '=', accountId)
    .where('bill_style', '=', from)
    .execute();
}
