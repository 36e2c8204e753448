// An account's named usage report profiles: which CSV of an invoice's calls the `email` action attaches
// (invoiceUsageReportCustomerProfileID). CallsByFeature and CallDetail are built in.
import type { Ctx } from '../context.ts';
import { notFound } from '../shared/errors.ts';
import { checkName, checkNameFree, checkNotNamedByInvoices } from './names.ts';
import {
  deleteNamed,
  findUsageReportProfile,
  insertUsageReportProfile,
  updateUsageReportProfile as updateRow,
  type UsageReportProfileRow,
} from '../delivery-settings/settings-repo.ts';
import { BUILT_IN_USAGE_REPORTS, type UsageReportKind } from '../delivery-settings/usage-reports.ts';
import { renameInInvoices } from '../invoices/reports-repo.ts';

export interface UsageReportProfileInput {
  name?: string;
  kind?: UsageReportKind;
}

const BUILT_IN_NAMES = BUILT_IN_USAGE_REPORTS.map((p) => p.name);

export async function createUsageReportProfile(
  ctx: Ctx,
  accountId: number,
  input: { name: string; kind: UsageReportKind },
): Promise<UsageReportProfileRow> {
  const name = checkName(input.name);
  return ctx.db.transaction().execute(async (trx) => {
    await checkNameFree(trx, 'usage_report_profiles', accountId, name, BUILT_IN_NAMES);
    const now = ctx.now();
    return insertUsageReportProfile(trx, {
      account_id: accountId,
      name,
      kind: input.kind,
      created_at: now,
      updated_at: now,
    });
  });
}

export async function updateUsageReportProfile(
  ctx: Ctx,
  accountId: number,
  id: number,
  input: UsageReportProfileInput,
): Promise<UsageReportProfileRow> {
  const name = input.name === undefined ? undefined : checkName(input.name);
  return ctx.db.transaction().execute(async (trx) => {
    const current = await findUsageReportProfile(trx, accountId, id);
    if (!current) throw notFound('Usage report profile', id);
    if (name !== undefined)
      await checkNameFree(trx, 'usage_report_profiles', accountId, name, BUILT_IN_NAMES, id);
    const updated = await updateRow(trx, accountId, id, {
      ...(name !== undefined ? { name } : {}),
      ...(input.kind !== undefined ? { kind: input.kind } : {}),
      updated_at: ctx.now(),
    });
    if (!updated) throw notFound('Usage report profile', id);
    if (name !== undefined && name !== current.name)
      await renameInInvoices(trx, accountId, 'usage_report_profiles', current.name, name);
    return updated;
  });
}

export async function deleteUsageReportProfile(ctx: Ctx, accountId: number, id: number): Promise<void> {
  await ctx.db.transaction().execute(async (trx) => {
    const profile = await findUsageReportProfile(trx, accountId, id);
    if (!profile) throw notFound('Usage report profile', id);
    await checkNotNamedByInvoices(trx, 'usage_report_profiles', accountId, profile.name);
    await deleteNamed(trx, 'usage_report_profiles', accountId, id);
  });
}
