import type { Ctx } from '../context.ts';
import type { AccountRow } from './repo.ts';
import { DomainError, invalid, notFound } from '../shared/errors.ts';
import { publish } from '../shared/events.ts';
import { accountChanged } from './account-cache.ts';
import { lockAccount, recordsPricedInCurrency, updateAccount as updateRow } from './repo.ts';
import { resolveBillStyle } from '../delivery-settings/bill-styles.ts';
import { currencyMinorDigits, money } from '../money/money.ts';
import { FEE_AMOUNT_FIELDS, validateAccountSettings, type AccountSettingsInput } from './settings.ts';

/**
 * Changes account settings. A timezone change applies to new API keys only (existing keys keep the
 * timezone they were made with). The currency is fixed once an invoice, a charge or a recurring charge
 * exists: amounts would change meaning.
 */
export async function updateAccount(
  ctx: Ctx,
  accountId: number,
  input: AccountSettingsInput,
): Promise<AccountRow> {
  const changes = validateAccountSettings(input);
  const updated = await ctx.db.transaction().execute(async (trx) => {
    // Locked: approvals take invoice numbers under this row's lock, so the check that invoiceNextNumber only
    // moves forward cannot race an approval and hand out a number twice.
    const account = await lockAccount(trx, accountId);
    if (!account) throw notFound('Account', accountId);
    if (changes.currency !== undefined && changes.currency !== account.currency) {
      // Not only invoices: a stored charge or recurring value would change meaning too (10.50 GBP is not
      // 10.50 JPY), and one with more decimals than the new currency has could no longer be shown at all.
      const priced =
        (await publish(ctx, { type: 'currency-changing', db: trx, accountId })) ??
        (await recordsPricedInCurrency(trx, accountId));
      if (priced) throw new DomainError('conflict', `currency cannot change once the account has ${priced}`);
    }
    const peakStart = (changes.peak_start ?? account.peak_start).slice(0, 5);
    const peakEnd = (changes.peak_end ?? account.peak_end).slice(0, 5);
    if (peakStart >= peakEnd) throw invalid('peakEnd', `must be after peakStart (${peakStart})`);
    if (
      changes.invoice_next_number !== undefined &&
      changes.invoice_next_number < account.invoice_next_number
    ) {
      throw invalid(
        'invoiceNextNumber',
        `cannot go back below ${account.invoice_next_number}: invoice numbers are never reused`,
      );
    }
    if (changes.default_bill_style !== undefined) {
      // Stored under the style's own spelling; an unknown name is 400703 like everywhere else.
      changes.default_bill_style = (
        await resolveBillStyle(trx, accountId, changes.default_bill_style, 'defaultBillStyle')
      ).name;
    }
    // Fees are charged in the account's currency: no finer than its minor unit (no fee of 0.005 GBP).
    const digits = currencyMinorDigits(changes.currency ?? account.currency);
    for (const [field, column] of Object.entries(FEE_AMOUNT_FIELDS)) {
      const value =
        (changes as Record<string, unknown>)[column] ??
        (changes.currency !== undefined ? account[column] : null);
      if (typeof value === 'string' && money(value).decimalPlaces() > digits) {
        throw invalid(
          field,
          `must have at most ${digits} decimal places in ${changes.currency ?? account.currency}`,
        );
      }
    }
    const row = await updateRow(trx, accountId, { ...changes, updated_at: ctx.now() });
    if (!row) throw notFound('Account', accountId);
    return row;
  });
  // This process forgets the row it keeps at once (others when the change's NOTIFY reaches them).
  accountChanged(ctx.database, accountId);
  return updated;
}
