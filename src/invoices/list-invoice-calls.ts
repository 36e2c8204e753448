// The calls behind an invoice, a page at a time (document 002: GET /v1/calls?invoice_id=…).
import { findAccount } from '../accounts/repo.ts';
import type { Ctx } from '../context.ts';
import { findInvoice } from './repo.ts';
import { assert, DomainError } from '../shared/errors.ts';
import type { Page, PageRequest } from '../shared/pagination.ts';
import { countCallsOnInvoice, listCallsWithFilesOnInvoice, type CallWithFilesRow } from '../calls/repo.ts';

// Document 002 returns all of an invoice's calls: without `limit`, as many as one response may hold.
export const DEFAULT_INVOICE_CALLS_PAGE = 10_000;
export const MAX_INVOICE_CALLS_PAGE = 10_000;

export interface InvoiceCalls {
  /** The account's IANA timezone (document 002 shows it on every call). */
  timezone: string;
  /** All the invoice's calls, not only this page's. */
  totalCalls: number;
  page: Page<CallWithFilesRow>;
}

export async function listInvoiceCalls(
  ctx: Ctx,
  accountId: number,
  invoiceId: number,
  request: PageRequest,
): Promise<InvoiceCalls> {
  assert(
    request.limit >= 1 && request.limit <= MAX_INVOICE_CALLS_PAGE,
    `page size ${request.limit} out of bounds`,
  );
  // One snapshot: the total and the page agree even while the invoice's calls are summarised again.
  return ctx.db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (trx) => {
      const invoice = await findInvoice(trx, accountId, invoiceId);
      if (!invoice) throw new DomainError('not_found', 'Invoice not found');
      const account = await findAccount(trx, accountId);
      assert(account, `account ${accountId} of an authenticated key exists`);
      const totalCalls = await countCallsOnInvoice(trx, accountId, invoiceId);
      const page =
        totalCalls === 0
          ? { rows: [], nextAfter: undefined }
          : await listCallsWithFilesOnInvoice(trx, accountId, invoiceId, request);
      return { timezone: account.timezone, totalCalls, page };
    });
}
