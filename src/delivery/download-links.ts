// Secure, time-limited links to an approved invoice's bill. The token names its account and is otherwise
// random (at least 132 bits; tokens/routed-token.ts); only its SHA-256 is stored, so the database alone
// cannot produce a working link. A link expires after
// `expiryHours` and serves at most `maxUses` downloads, counted exactly even under concurrent requests.
import type { Ctx } from '../context.ts';
import { findAccount } from '../accounts/repo.ts';
import { findCustomer } from '../customers/repo.ts';
import { findInvoice } from '../invoices/repo.ts';
import { DomainError, invalid, notFound } from '../shared/errors.ts';
import { type BillDocument, billDocument } from './documents.ts';
import { claimDownload, findDownloadLink, insertDownloadLink } from './repo.ts';
import { markDownloaded } from '../invoices/repo.ts';
import { findByToken, tokenHash as hashToken } from '../tokens/find-by-token.ts';
import { newRoutedToken } from '../tokens/routed-token.ts';

export const EXPIRY_HOURS = [1, 6, 24, 72, 168, 336, 720] as const;
export const DEFAULT_EXPIRY_HOURS = 168;
export const MAX_USES = 2;
const TOKEN_CHARS = 32;

export interface DownloadLink {
  success: true;
  download_url: string;
  token: string;
  expires_at: string;
  max_uses: number;
}

/** "2025-01-27T14:30:00+00:00", as the invoices document shows it. */
function isoWithOffset(date: Date): string {
  return `${date.toISOString().slice(0, 19)}+00:00`;
}

export async function generateDownloadLink(
  ctx: Ctx,
  accountId: number,
  invoiceId: number,
  input: { expiryHours?: number | undefined; maxUses?: number | undefined },
  baseUrl: string,
): Promise<DownloadLink> {
  const expiryHours = input.expiryHours ?? DEFAULT_EXPIRY_HOURS;
  if (!(EXPIRY_HOURS as readonly number[]).includes(expiryHours))
    throw invalid('expiryHours', `must be one of ${EXPIRY_HOURS.join(', ')}`);
  const maxUses = input.maxUses ?? 1;
  if (!Number.isInteger(maxUses) || maxUses < 1 || maxUses > MAX_USES)
    throw invalid('maxUses', `must be 1 or ${MAX_USES}`);
  const invoice = await findInvoice(ctx.db, accountId, invoiceId);
  if (!invoice) throw notFound('Invoice', invoiceId);
  if (invoice.approved_at === null)
    throw new DomainError(
      'invoice_raised',
      `invoice ${invoiceId} must be approved before a download link can be made`,
    );
  const token = newRoutedToken(accountId, TOKEN_CHARS);
  const now = ctx.now();
  const expiresAt = new Date(now.getTime() + expiryHours * 3600_000);
  try {
    await insertDownloadLink(ctx.db, {
      accountId,
      invoiceId,
      tokenHash: hashToken(token),
      expiresAt,
      maxUses,
      now,
    });
  } catch (error) {
    throw new DomainError(
      'download_link_failed',
      `the link could not be stored: ${(error as Error).message}`,
    );
  }
  return {
    success: true,
    download_url: `${baseUrl}/download/invoice/${token}`,
    token,
    expires_at: isoWithOffset(expiresAt),
    max_uses: maxUses,
  };
}

export type DownloadResult = { kind: 'bill'; bill: BillDocument } | { kind: 'expired' | 'used' | 'unknown' };

/** A download through a link: the bill, or why not. A download marks the invoice downloaded. */
/**
 * What a download of this link would get, without using it up: a HEAD request (mail scanners and link
 * previews send them) must not spend one of the link's downloads.
 */
export async function peekDownloadLink(
  ctx: Ctx,
  token: string,
): Promise<'good' | 'expired' | 'used' | 'unknown'> {
  if (!/^[\w-]{16,100}$/.test(token)) return 'unknown';
  const hash = hashToken(token);
  const link = await findByToken(ctx.db, 'download', token, hash, (accountId) =>
    findDownloadLink(ctx.db, accountId, hash),
  );
  if (!link) return 'unknown';
  if (link.expires_at <= ctx.now()) return 'expired';
  return link.uses >= link.max_uses ? 'used' : 'good';
}

export async function downloadWithLink(ctx: Ctx, token: string): Promise<DownloadResult> {
  if (!/^[\w-]{16,100}$/.test(token)) return { kind: 'unknown' };
  const hash = hashToken(token);
  const now = ctx.now();
  return ctx.db.transaction().execute(async (trx) => {
    const claimed = await findByToken(trx, 'download', token, hash, (accountId) =>
      claimDownload(trx, accountId, hash, now),
    );
    if (!claimed) {
      const link = await findByToken(trx, 'download', token, hash, (accountId) =>
        findDownloadLink(trx, accountId, hash),
      );
      if (!link) return { kind: 'unknown' };
      return { kind: link.expires_at <= now ? 'expired' : 'used' };
    }
    const account = await findAccount(trx, claimed.account_id);
    const invoice = await findInvoice(trx, claimed.account_id, claimed.invoice_id);
    const customer = invoice ? await findCustomer(trx, claimed.account_id, invoice.customer_id) : undefined;
    if (!account || !invoice || !customer) return { kind: 'unknown' };
    const bill = await billDocument(trx, account, customer, invoice, invoice.bill_style ?? undefined, now);
    await markDownloaded(trx, account.id, invoice.id, now);
    return { kind: 'bill', bill };
  });
}
