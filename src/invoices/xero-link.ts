// The link between an invoice and its record in Xero (the accounting system). Only the link is kept:
// the invoice in Xero is never touched. Needs the account's `xero` module; changing an existing link and
// unlinking need an expert-level (5) key, as the invoices document says.
import type { Ctx } from '../context.ts';
import { findAccount } from '../accounts/repo.ts';
import { KeyLevel } from '../api-keys/levels.ts';
import type { InvoiceRow } from './repo.ts';
import { DomainError, invalid, notFound } from '../shared/errors.ts';
import { lockInvoice, updateInvoice } from './repo.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function checkModule(ctx: Ctx, accountId: number): Promise<void> {
  const account = await findAccount(ctx.db, accountId);
  if (!account) throw notFound('Account', accountId);
  if (!account.modules.includes('xero')) {
    throw new DomainError(
      'module_not_enabled',
      'the Xero module is not active for this account (PATCH /account {"modules": ["xero"]})',
    );
  }
}

export async function linkToXero(
  ctx: Ctx,
  accountId: number,
  keyLevel: number,
  invoiceId: number,
  xeroId: string,
): Promise<InvoiceRow> {
  if (!UUID.test(xeroId))
    throw invalid(
      'xeroID',
      'must be a Xero invoice ID in UUID form, e.g. 00000000-0000-0000-0000-000000000000',
    );
  await checkModule(ctx, accountId);
  return ctx.db.transaction().execute(async (trx) => {
    const invoice = await lockInvoice(trx, accountId, invoiceId);
    if (!invoice) throw notFound('Invoice', invoiceId);
    const wanted = xeroId.toLowerCase();
    if (invoice.xero_id !== null && invoice.xero_id.toLowerCase() !== wanted && keyLevel < KeyLevel.expert) {
      throw new DomainError(
        'forbidden',
        `invoice ${invoiceId} is already linked to Xero invoice ${invoice.xero_id}; changing the link needs an expert-level (5) key`,
      );
    }
    return (await updateInvoice(trx, accountId, invoiceId, { xero_id: wanted, updated_at: ctx.now() }))!;
  });
}

export async function unlinkFromXero(
  ctx: Ctx,
  accountId: number,
  keyLevel: number,
  invoiceId: number,
): Promise<InvoiceRow> {
  await checkModule(ctx, accountId);
  if (keyLevel < KeyLevel.expert)
    throw new DomainError('forbidden', 'unlinking an invoice from Xero needs an expert-level (5) key');
  return ctx.db.transaction().execute(async (trx) => {
    const invoice = await lockInvoice(trx, accountId, invoiceId);
    if (!invoice) throw notFound('Invoice', invoiceId);
    return (await updateInvoice(trx, accountId, invoiceId, { xero_id: null, updated_at: ctx.now() }))!;
  });
}
