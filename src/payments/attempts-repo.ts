// SQL for card attempts that are recorded before the gateway is asked (pending), settled after, and for
// refunds that are recorded first and sent to the gateway by the outbox (see card-attempt.ts, refund-jobs.ts).
import { sql, type Insertable } from 'kysely';
import type { Executor } from '../context.ts';
import type {
  AttemptOutcome,
  PaymentAttemptsTable,
  RefundsTable,
  RefundStatus,
} from '../db/schema-collections.ts';
import { liveProcessIds, type Liveness } from '../processes/repo.ts';
import type { AttemptRow, RefundRow } from './repo.ts';

/** What a pending attempt serialises on: its invoice, or a standalone request. */
export function serialKeyOf(invoiceId: number | null, requestId: number): string {
  return invoiceId !== null ? `invoice:${invoiceId}` : `request:${requestId}`;
}

export async function insertPendingAttempt(
  db: Executor,
  row: Insertable<PaymentAttemptsTable>,
): Promise<AttemptRow> {
  return db
    .insertInto('payment_attempts')
    .values({ ...row, outcome: 'pending' })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function findAttempt(
  db: Executor,
  accountId: number,
  attemptId: number,
): Promise<AttemptRow | undefined> {
  return db
    .selectFrom('payment_attempts')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('id', '=', attemptId)
    .executeTakeFirst();
}

export async function findPendingAttempt(
  db: Executor,
  accountId: number,
  serialKey: string,
): Promise<AttemptRow | undefined> {
  return db
    .selectFrom('payment_attempts')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('serial_key', '=', serialKey)
    .where('outcome', '=', 'pending')
    .executeTakeFirst();
}

export async function findAttemptByFormToken(
  db: Executor,
  accountId: number,
  requestId: number,
  formToken: string,
): Promise<AttemptRow | undefined> {
  return db
    .selectFrom('payment_attempts')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('request_id', '=', requestId)
    .where('form_token', '=', formToken)
    .executeTakeFirst();
}

export interface AttemptSettlement {
  outcome: Exclude<AttemptOutcome, 'pending'>;
  declineReason?: string | null;
  gatewayReference?: string | null;
  cardLast4?: string | null;
  cardBrand?: string | null;
  paymentId?: number | null;
  instalmentPlanId?: number | null;
  note?: string | null;
  now: Date;
}

/** Settles a pending attempt; undefined when it was not pending any more (someone else settled it). */
export async function settleAttempt(
  db: Executor,
  accountId: number,
  attemptId: number,
  s: AttemptSettlement,
): Promise<AttemptRow | undefined> {
  return db
    .updateTable('payment_attempts')
    .set({
      outcome: s.outcome,
      decline_reason: s.declineReason ?? null,
      gateway_reference: s.gatewayReference ?? null,
      card_last4: s.cardLast4 ?? null,
      card_brand: s.cardBrand ?? null,
      ...(s.paymentId !== undefined ? { payment_id: s.paymentId } : {}),
      ...(s.instalmentPlanId !== undefined ? { instalment_plan_id: s.instalmentPlanId } : {}),
      note: s.note ?? null,
      process_id: null,
      updated_at: s.now,
    })
    .where('account_id', '=', accountId)
    .where('id', '=', attemptId)
    .where('outcome', '=', 'pending')
    .returningAll()
    .executeTakeFirst();
}

/** Gives a pending attempt up to recovery (its outcome is unknown to the process that made it). */
export async function releaseAttempt(
  db: Executor,
  accountId: number,
  attemptId: number,
  note: string,
  now: Date,
): Promise<void> {
  await db
    .updateTable('payment_attempts')
    .set({ process_id: null, note, updated_at: now })
    .where('account_id', '=', accountId)
    .where('id', '=', attemptId)
    .where('outcome', '=', 'pending')
    .execute();
}

/**
 * Pending attempts recovery may settle, oldest first: those of processes that are gone, those given up
 * (no process), and any older than `staleBefore` (no charge takes that long). Bounded by `limit`.
 */
export async function pendingAttemptsToResolve(
  db: Executor,
  liveness: Liveness,
  staleBefore: Date,
  limit: number,
  only?: { accountId: number; serialKey: string },
): Promise<AttemptRow[]> {
  let query = db
    .selectFrom('payment_attempts')
    .selectAll()
    .where('outcome', '=', 'pending')
    .where((eb) =>
      eb.or([
        eb('process_id', 'is', null),
        eb('process_id', 'not in', liveProcessIds(db, liveness)),
        eb('created_at', '<', staleBefore),
      ]),
    );
  if (only) query = query.where('account_id', '=', only.accountId).where('serial_key', '=', only.serialKey);
  return query.orderBy('created_at').limit(limit).execute();
}

/** The principal of the card attempt pending on an invoice (a recorded payment must leave room for it). */
export async function pendingPrincipal(db: Executor, accountId: number, serialKey: string): Promise<string> {
  const row = await sql<{ total: string }>`
    select coalesce(sum(coalesce(principal_amount, amount)), 0)::text as total from payment_attempts
    where account_id = ${accountId} and serial_key = ${serialKey} and outcome = 'pending'
  `.execute(db);
  return row.rows[0]?.total ?? '0';
}

// ---- refunds sent through the outbox

export async function insertPendingRefund(db: Executor, row: Insertable<RefundsTable>): Promise<RefundRow> {
  return db
    .insertInto('refunds')
    .values({ ...row, status: 'pending' })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function findRefund(
  db: Executor,
  accountId: number,
  refundId: number,
): Promise<RefundRow | undefined> {
  return db
    .selectFrom('refunds')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('id', '=', refundId)
    .executeTakeFirst();
}

export async function markRefund(
  db: Executor,
  accountId: number,
  refundId: number,
  change: { status: RefundStatus; gatewayReference?: string | null; error?: string | null; now: Date },
): Promise<void> {
  await db
    .updateTable('refunds')
    .set({
      status: change.status,
      ...(change.gatewayReference !== undefined ? { gateway_reference: change.gatewayReference } : {}),
      last_error: change.error ?? null,
      tries: sql`tries + 1`,
      updated_at: change.now,
    })
    .where('account_id', '=', accountId)
    .where('id', '=', refundId)
    .execute();
}

export async function refundsOfAttempts(
  db: Executor,
  accountId: number,
  attemptIds: number[],
): Promise<RefundRow[]> {
  if (attemptIds.length === 0) return [];
  return db
    .selectFrom('refunds')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('attempt_id', 'in', attemptIds)
    .orderBy('id')
    .execute();
}

/** `(select count(*) from payment_attempts …)` of the request the outer query's columns name. */
export function attemptCountSql(requestAccountId: string, requestId: string) {
  return sql<string>`(select count(*) from payment_attempts as a where a.account_id = ${sql.ref(requestAccountId)} and a.request_id = ${sql.ref(requestId)})`;
}
