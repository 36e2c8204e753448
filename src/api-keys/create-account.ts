import type { Ctx } from '../context.ts';
import { createApiKeyIn, type CreatedApiKey } from './create-key.ts';
import { KeyLevel } from './levels.ts';
import type { AccountRow } from '../accounts/repo.ts';
import { insertAccount } from '../accounts/repo.ts';
import { validateAccountSettings, type AccountSettingsInput } from '../accounts/settings.ts';

export interface CreateAccountInput extends AccountSettingsInput {
  name: string;
}

export const ACCOUNT_DEFAULTS = {
  timezone: 'UTC',
  currency: 'GBP',
  defaultVatRate: '20',
  paymentTermsDays: 30,
} as const;

/** Creates an account and its first API key (level 5), in one transaction. */
export async function createAccount(
  ctx: Ctx,
  input: CreateAccountInput,
): Promise<{ account: AccountRow; apiKey: CreatedApiKey }> {
  const settings = validateAccountSettings({
    timezone: ACCOUNT_DEFAULTS.timezone,
    currency: ACCOUNT_DEFAULTS.currency,
    defaultVatRate: ACCOUNT_DEFAULTS.defaultVatRate,
    paymentTermsDays: ACCOUNT_DEFAULTS.paymentTermsDays,
    ...input,
  });
  return ctx.db.transaction().execute(async (trx) => {
    const account = await insertAccount(trx, {
      ...settings,
      name: settings.name ?? input.name,
      timezone: settings.timezone ?? ACCOUNT_DEFAULTS.timezone,
      currency: settings.currency ?? ACCOUNT_DEFAULTS.currency,
      created_at: ctx.now(),
      updated_at: ctx.now(),
    });
    const apiKey = await createApiKeyIn(trx, account.id, { level: KeyLevel.expert, name: 'initial key' });
    return { account, apiKey };
  });
}
