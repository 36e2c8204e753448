// A customer's ledger entries, oldest first, a page at a time (keyset on the entry id), between two instants.
import type { Ctx } from '../context.ts';
import type { BalanceEntryRow, EntryKind } from './repo.ts';
import { notFound } from '../shared/errors.ts';
import type { Page, PageRequest } from '../shared/pagination.ts';
import { findCustomerTerms, listEntries } from './repo.ts';

export const ENTRY_KINDS: readonly EntryKind[] = [
  'opening',
  'top_up',
  'call',
  'call_correction',
  'reservation',
  'release',
  'adjustment',
  'refund',
  'invoice_settlement',
  'payment',
];

export interface EntryQuery {
  from?: Date | undefined;
  to?: Date | undefined;
  kinds?: EntryKind[] | undefined;
}

export async function listBalanceEntries(
  ctx: Ctx,
  accountId: number,
  customerId: number,
  query: EntryQuery,
  page: PageRequest,
): Promise<Page<BalanceEntryRow>> {
  if (!(await findCustomerTerms(ctx.db, accountId, customerId))) throw notFound('Customer', customerId);
  return listEntries(ctx.db, accountId, { customerId, ...query }, page);
}
