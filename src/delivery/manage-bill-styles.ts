// An account's named bill styles: based on Full (everything) or Summary (totals, VAT and payment details),
// with the itemised call list and the call summary by destination switched on or off.
import { accountChanged } from '../accounts/account-cache.ts';
import { findAccount, updateAccount as updateAccountRow } from '../accounts/repo.ts';
import type { Ctx } from '../context.ts';
import { DomainError, notFound } from '../shared/errors.ts';
import { BUILT_IN_BILL_STYLES } from '../delivery-settings/bill-styles.ts';
import { checkName, checkNameFree, checkNotNamedByInvoices } from './names.ts';
import {
  type BillStyleRow,
  deleteNamed,
  findBillStyle,
  insertBillStyle,
  updateBillStyle as updateRow,
} from '../delivery-settings/settings-repo.ts';
import { deleteStoredDocuments, renameStoredDocuments } from './repo.ts';
import { renameInInvoices } from '../invoices/reports-repo.ts';

export interface BillStyleInput {
  name?: string;
  base?: 'full' | 'summary';
  itemiseCalls?: boolean;
  showCallSummary?: boolean;
}

const BUILT_IN_NAMES = BUILT_IN_BILL_STYLES.map((s) => s.name);

export async function createBillStyle(
  ctx: Ctx,
  accountId: number,
  input: BillStyleInput & { name: string },
): Promise<BillStyleRow> {
  const name = checkName(input.name);
  return ctx.db.transaction().execute(async (trx) => {
    await checkNameFree(trx, 'bill_styles', accountId, name, BUILT_IN_NAMES);
    const now = ctx.now();
    return insertBillStyle(trx, {
      account_id: accountId,
      name,
      base: input.base ?? 'full',
      itemise_calls: input.itemiseCalls ?? false,
      show_call_summary: input.showCallSummary ?? true,
      created_at: now,
      updated_at: now,
    });
  });
}

export async function updateBillStyle(
  ctx: Ctx,
  accountId: number,
  id: number,
  input: BillStyleInput,
): Promise<BillStyleRow> {
  const saved = await ctx.db.transaction().execute(async (trx) => {
    const style = await findBillStyle(trx, accountId, id);
    if (!style) throw notFound('Bill style', id);
    const name = input.name === undefined ? undefined : checkName(input.name);
    if (name !== undefined) await checkNameFree(trx, 'bill_styles', accountId, name, BUILT_IN_NAMES, id);
    const updated = await updateRow(trx, accountId, id, {
      ...(name !== undefined ? { name } : {}),
      ...(input.base !== undefined ? { base: input.base } : {}),
      ...(input.itemiseCalls !== undefined ? { itemise_calls: input.itemiseCalls } : {}),
      ...(input.showCallSummary !== undefined ? { show_call_summary: input.showCallSummary } : {}),
      updated_at: ctx.now(),
    });
    if (!updated) throw notFound('Bill style', id);
    if (name !== undefined && name !== style.name) {
      await renameStoredDocuments(trx, accountId, style.name, name);
      await renameInInvoices(trx, accountId, 'bill_styles', style.name, name);
      const account = await findAccount(trx, accountId);
      if (account && account.default_bill_style.toLowerCase() === style.name.toLowerCase()) {
        await updateAccountRow(trx, accountId, { default_bill_style: name, updated_at: ctx.now() });
      }
    }
    return updated;
  });
  accountChanged(ctx.database, accountId);
  return saved;
}

/** Deletes a style. The account's default style cannot go (409): choose another default first. */
export async function deleteBillStyle(ctx: Ctx, accountId: number, id: number): Promise<void> {
  await ctx.db.transaction().execute(async (trx) => {
    const style = await findBillStyle(trx, accountId, id);
    if (!style) throw notFound('Bill style', id);
    const account = await findAccount(trx, accountId);
    if (account && account.default_bill_style.toLowerCase() === style.name.toLowerCase()) {
      throw new DomainError(
        'conflict',
        `"${style.name}" is the account's defaultBillStyle; change that first`,
      );
    }
    await checkNotNamedByInvoices(trx, 'bill_styles', accountId, style.name);
    await deleteStoredDocuments(trx, accountId, style.name);
    await deleteNamed(trx, 'bill_styles', accountId, id);
  });
}
