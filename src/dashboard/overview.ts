// The console overview's figures: revenue per month (12 months, net and VAT), calls and billed minutes per
// day (30 days), charge against cost by top destinations (30 days), collections, and what needs attention.
import type { Ctx } from '../context.ts';
import type { AccountRow } from '../accounts/repo.ts';
import { addDays, addMonths, firstOfMonth, startOfDayInZone } from '../shared/dates.ts';
import { accountToday } from '../shared/today.ts';
import { attentionCounts } from './repo.ts';
import { callActivity } from '../calls/reports-repo.ts';
import { collectionTotals, revenueByMonth } from '../invoices/reports-repo.ts';

export const TOP_DESTINATIONS = 8;

export async function overview(ctx: Ctx, account: AccountRow) {
  const today = accountToday(account, ctx.now());
  const firstMonth = addMonths(firstOfMonth(today), -11);
  const months: string[] = Array.from({ length: 12 }, (_, i) => addMonths(firstMonth, i).slice(0, 7));
  const firstDay = addDays(today, -29);
  const days: string[] = Array.from({ length: 30 }, (_, i) => addDays(firstDay, i));
  const since = startOfDayInZone(firstDay, account.timezone);
  const [revenue, activity, collections, attention] = await Promise.all([
    revenueByMonth(ctx.db, account.id, firstMonth),
    callActivity(ctx.db, account.id, since, account.timezone, TOP_DESTINATIONS),
    collectionTotals(ctx.db, account.id, today),
    attentionCounts(ctx.db, account.id),
  ]);
  const byMonth = new Map(revenue.map((r) => [r.month, r]));
  const byDay = new Map(activity.byDay.map((c) => [c.day, c]));
  return {
    today,
    revenue: months.map((month) => ({
      month,
      net: byMonth.get(month)?.net ?? '0',
      vat: byMonth.get(month)?.vat ?? '0',
    })),
    calls: days.map((day) => ({
      day,
      calls: byDay.get(day)?.calls ?? 0,
      billable_s: byDay.get(day)?.billable_s ?? 0,
    })),
    margin: activity.byDestination,
    collections,
    attention,
  };
}
