// Bill styles: the built-in Full and Summary (and Itemised: Full with every call listed), plus any the
// account names itself. Names are matched without regard to case.
import type { Executor } from '../context.ts';
import { DomainError } from '../shared/errors.ts';
import { findBillStyleByName } from './settings-repo.ts';

export interface BillStyle {
  name: string;
  base: 'full' | 'summary';
  itemiseCalls: boolean;
  /** The call summary by destination (Full-based styles). */
  showCallSummary: boolean;
}

export const BUILT_IN_BILL_STYLES: readonly BillStyle[] = [
  { name: 'Full', base: 'full', itemiseCalls: false, showCallSummary: true },
  { name: 'Itemised', base: 'full', itemiseCalls: true, showCallSummary: true },
  { name: 'Summary', base: 'summary', itemiseCalls: false, showCallSummary: false },
];

export async function resolveBillStyle(
  db: Executor,
  accountId: number,
  name: string,
  field = 'billStyle',
): Promise<BillStyle> {
  const wanted = name.trim().toLowerCase();
  const builtIn = BUILT_IN_BILL_STYLES.find((s) => s.name.toLowerCase() === wanted);
  if (builtIn) return builtIn;
  const row = await findBillStyleByName(db, accountId, wanted);
  if (!row) {
    throw new DomainError(
      'unknown_bill_style',
      `${field}: no bill style named "${name}"; built in: ${BUILT_IN_BILL_STYLES.map((s) => s.name).join(', ')}`,
      field,
    );
  }
  return {
    name: row.name,
    base: row.base,
    itemiseCalls: row.itemise_calls,
    showCallSummary: row.show_call_summary,
  };
}
