// The scheduler's work for instalment plans, run every minute by serve (and by hand in tests):
//   - an instalment due today (in its account's timezone) of a plan with a saved card is charged with it;
//     a decline marks it missed and sends the payer the link to pay it on the page;
//   - an instalment due today of a plan without a saved card is requested by link (SMS and/or email);
//   - one still unpaid GRACE_DAYS after its due date is marked missed (it stays payable on the page).
// Each instalment is claimed first (a lease on last_attempt_at), so two processes never charge it twice.
// Bounded: at most MAX_BATCHES x BATCH instalments per run.
import type { Ctx } from '../context.ts';
import { addDays, dateInZone } from '../shared/dates.ts';
import { DomainError } from '../shared/errors.ts';
import { enqueue } from '../outbox/repo.ts';
import { chargeInstalment } from './pay-instalment.ts';
import {
  claimInstalment,
  instalmentsToAct,
  markMissed,
  overdueWithoutCard,
  releaseInstalment,
} from './plans-repo.ts';
import type { InstalmentLinkJob } from './plan-jobs.ts';

const BATCH = 100;
const MAX_BATCHES = 10;
const LEASE_MS = 10 * 60_000;
/** Days an instalment requested by link may stay unpaid before it shows as missed. */
export const GRACE_DAYS = 3;
/** The timezone furthest ahead (UTC+14): no account's today is later than its today. */
const EARLIEST_ZONE = 'Etc/GMT-14';

export interface DueRun {
  charged: number;
  declined: number;
  requested: number;
  missed: number;
  settled: number;
  failed: number;
}

export async function chargeDueInstalments(ctx: Ctx): Promise<DueRun> {
  const run: DueRun = { charged: 0, declined: 0, requested: 0, missed: 0, settled: 0, failed: 0 };
  const now = ctx.now();
  const latestToday = dateInZone(now, EARLIEST_ZONE);
  const seen = new Set<string>();
  for (let batch = 0; batch < MAX_BATCHES; batch++) {
    const rows = await instalmentsToAct(ctx.db, latestToday, new Date(now.getTime() - LEASE_MS), BATCH);
    let acted = 0;
    for (const row of rows) {
      const key = `${row.account_id}:${row.plan_id}:${row.seq}`;
      if (seen.has(key)) continue;
      seen.add(key);
      if (row.due_date > dateInZone(now, row.timezone)) continue; // not yet due where its account is
      acted++;
      if (row.card_token !== null) {
        if (
          !(await claimInstalment(
            ctx.db,
            row.account_id,
            row.plan_id,
            row.seq,
            now,
            new Date(now.getTime() - LEASE_MS),
          ))
        )
          continue;
        try {
          const result = await chargeInstalment(ctx, {
            accountId: row.account_id,
            planId: row.plan_id,
            seq: row.seq,
            via: 'schedule',
          });
          if (result.outcome === 'approved') run.charged++;
          else if (result.outcome === 'settled') run.settled++;
          else {
            run.declined++;
            await enqueue(ctx.db, linkJob(row.account_id, row.plan_id, row.seq, 'declined'));
          }
        } catch (error) {
          if (error instanceof DomainError) {
            // Nothing was charged: paid or cancelled meanwhile (the release then changes nothing), or another
            // payment of the same invoice was in progress, in another process say (a plan's next instalment
            // due at the same time): released, so the next run charges it rather than the lease's end.
            if (error.code === 'conflict')
              await releaseInstalment(ctx.db, row.account_id, row.plan_id, row.seq, now);
          } else {
            // Left claimed: a charge that failed part-way is settled from the gateway's record when the lease
            // runs out (resolve-pending.ts), never charged blindly again.
            run.failed++;
          }
        }
      } else {
        const claimed = await ctx.db.transaction().execute(async (trx) => {
          if (
            !(await claimInstalment(
              trx,
              row.account_id,
              row.plan_id,
              row.seq,
              now,
              new Date(now.getTime() - LEASE_MS),
            ))
          )
            return false;
          await enqueue(trx, linkJob(row.account_id, row.plan_id, row.seq, 'due'));
          return true;
        });
        if (claimed) run.requested++;
      }
    }
    if (rows.length < BATCH || acted === 0) break;
  }
  const overdue = await overdueWithoutCard(
    ctx.db,
    addDays(dateInZone(now, 'UTC'), -GRACE_DAYS),
    BATCH * MAX_BATCHES,
  );
  for (const o of overdue) {
    await markMissed(
      ctx.db,
      o.account_id,
      o.plan_id,
      o.seq,
      `not paid within ${GRACE_DAYS} days of its due date`,
    );
    run.missed++;
  }
  return run;
}

function linkJob(accountId: number, planId: number, seq: number, reason: InstalmentLinkJob['reason']) {
  return {
    accountId,
    kind: 'collect.instalment_link',
    payload: { planId, seq, reason } satisfies InstalmentLinkJob,
    dedupeKey: `instalment-link:${planId}:${seq}:${reason}`,
  };
}
