// Usage reports sent with an invoice: CSV files of its calls. Built in: "CallsByFeature" (one line per
// feature: number, calls, minutes, charge) and "CallDetail" (one line per call); an account can name its
// own profiles of either kind.
import { stringify } from 'csv-stringify/sync';
import type { Executor } from '../context.ts';
import type { CallRow } from '../calls/repo.ts';
import { DomainError } from '../shared/errors.ts';
import { billedMinutes } from '../rating/rate-call.ts';
import { formatAmount, money } from '../money/money.ts';
import { findUsageReportProfileByName } from './settings-repo.ts';

export type UsageReportKind = 'calls_by_feature' | 'call_detail';

export interface UsageReportProfile {
  name: string;
  kind: UsageReportKind;
}

export const BUILT_IN_USAGE_REPORTS: readonly UsageReportProfile[] = [
  { name: 'CallsByFeature', kind: 'calls_by_feature' },
  { name: 'CallDetail', kind: 'call_detail' },
];

export async function resolveUsageReportProfile(
  db: Executor,
  accountId: number,
  name: string,
  field = 'invoiceUsageReportCustomerProfileID',
): Promise<UsageReportProfile> {
  const wanted = name.trim().toLowerCase();
  const builtIn = BUILT_IN_USAGE_REPORTS.find((p) => p.name.toLowerCase() === wanted);
  if (builtIn) return builtIn;
  const row = await findUsageReportProfileByName(db, accountId, wanted);
  if (!row) {
    throw new DomainError(
      'unknown_usage_report_profile',
      `${field === 'invoiceUsageReportCustomerProfileID' ? '' : `${field}: `}no usage report profile named "${name}"; built in: ${BUILT_IN_USAGE_REPORTS.map((p) => p.name).join(', ')}`,
      field,
    );
  }
  return { name: row.name, kind: row.kind };
}

/** The columns of a CDR file, as documented in the README. */
export const CDR_COLUMNS = [
  'call_id',
  'start_time',
  'from',
  'to',
  'direction',
  'status',
  'duration_s',
  'billable_s',
  'destination',
  'band',
  'charge',
] as const;

export function cdrCsv(calls: readonly CallRow[]): string {
  return stringify(
    calls.map((c) => [
      c.source_call_id,
      c.start_time.toISOString(),
      c.from_number,
      c.to_number,
      c.direction,
      c.status,
      c.duration_s,
      c.billable_s ?? '',
      c.destination ?? '',
      c.band ?? '',
      c.charge ?? '',
    ]),
    { header: true, columns: [...CDR_COLUMNS] },
  );
}

export function callsByFeatureCsv(
  calls: readonly CallRow[],
  features: Map<number, { name: string; phoneNumber: string | null }>,
): string {
  const groups = new Map<
    string,
    { feature: string; number: string; calls: number; billableS: number; charge: ReturnType<typeof money> }
  >();
  for (const c of calls) {
    const key = String(c.feature_id ?? 'none');
    const feature = c.feature_id === null ? undefined : features.get(c.feature_id);
    const g = groups.get(key) ?? {
      feature: feature?.name ?? '',
      number: feature?.phoneNumber ?? '',
      calls: 0,
      billableS: 0,
      charge: money(0),
    };
    g.calls += 1;
    g.billableS += c.billable_s ?? 0;
    g.charge = g.charge.plus(c.charge ?? '0');
    groups.set(key, g);
  }
  return stringify(
    [...groups.values()].map((g) => [
      g.feature,
      g.number,
      g.calls,
      billedMinutes(g.billableS),
      formatAmount(g.charge, 6),
    ]),
    { header: true, columns: ['feature', 'phone_number', 'calls', 'billed_minutes', 'charge'] },
  );
}

export function usageReportCsv(
  profile: UsageReportProfile,
  calls: readonly CallRow[],
  features: Map<number, { name: string; phoneNumber: string | null }>,
): string {
  return profile.kind === 'call_detail' ? cdrCsv(calls) : callsByFeatureCsv(calls, features);
}
