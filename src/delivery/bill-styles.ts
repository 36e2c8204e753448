// Bill styles: the built-in Full and Summary (and Itemised: Full with every call listed), plus any the
// account names itself. Names are matched without regard to case.
import type { Executor } from '../context.ts';
import { DomainError } from '../shared/errors.ts';

export interface BillStyle {
  name: string;
  base: 'full' | 'summary';
  itemiseCalls: boolean;
}

export const BUILT_IN_BILL_STYLES: readonly BillStyle[] = [
  { name: 'Full', base: 'full', itemiseCalls: false },
  { name: 'Itemised', base: 'full', itemiseCalls: true },
  { name: 'Summary', base: 'summary', itemiseCalls: false },
];

export async function resolveBillStyle(db: Executor, accountId: number, name: string): Promise<BillStyle> {
  const wanted = name.trim().toLowerCase();
  const builtIn = BUILT_IN_BILL_STYLES.find((s) => s.name.toLowerCase() === wanted);
  if (builtIn) return builtIn;
  const row = await db
    .selectFrom('bill_styles')
    .select(['name', 'base', 'itemise_calls'])
    .where('account_id', '=', accountId)
    .where((eb) => eb(eb.fn('lower', ['name']), '=', wanted))
    .executeTakeFirst();
  if (!row) {
    throw new DomainError('unknown_bill_style', `no bill style named "${name}"; built in: ${BUILT_IN_BILL_STYLES.map((s) => s.name).join(', ')}`, 'billStyle');
  }
  return { name: row.name, base: row.base, itemiseCalls: row.itemise_calls };
}
