import type { Ctx } from '../context.ts';
import type { AccountRow } from '../db/schema.ts';
import { DomainError, invalid, notFound } from '../shared/errors.ts';
import { findAccount, updateAccount as updateRow } from './repo.ts';
import { validateAccountSettings, type AccountSettingsInput } from './settings.ts';

/**
 * Changes account settings. A timezone change applies to new API keys only (existing keys keep the
 * timezone they were made with). The currency is fixed once an invoice exists: amounts would change meaning.
 */
export async function updateAccount(ctx: Ctx, accountId: number, input: AccountSettingsInput): Promise<AccountRow> {
  const changes = validateAccountSettings(input);
  return ctx.db.transaction().execute(async (trx) => {
    const account = await findAccount(trx, accountId);
    if (!account) throw notFound('Account', accountId);
    if (changes.currency !== undefined && changes.currency !== account.currency) {
      const invoice = await trx.selectFrom('invoices').select('id').where('account_id', '=', accountId).limit(1).executeTakeFirst();
      if (invoice) throw new DomainError('conflict', 'currency cannot change once the account has invoices');
    }
    if (changes.invoice_next_number !== undefined && changes.invoice_next_number < account.invoice_next_number) {
      throw invalid('invoiceNextNumber', `cannot go back below ${account.invoice_next_number}: invoice numbers are never reused`);
    }
    const updated = await updateRow(trx, accountId, changes);
    if (!updated) throw notFound('Account', accountId);
    return updated;
  });
}
