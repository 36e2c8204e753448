// The console's read model: the overview's figures and the searches its lists need beyond the API's own
// filters. Every query names the account; each chart reads a bounded, indexed range (invoices by date,
// calls of the last 30 days through the start-time BRIN index, read once), never all calls.
import { sql } from 'kysely';
import type { Executor } from '../context.ts';
import type { CustomerRow } from '../db/schema.ts';
import { toPage, type Page } from '../shared/pagination.ts';

export async function revenueByMonth(
  db: Executor,
  accountId: number,
  fromDate: string,
): Promise<{ month: string; net: string; vat: string }[]> {
  const r = await sql<{ month: string; net: string; vat: string }>`
    select to_char(date_trunc('month', invoice_date), 'YYYY-MM') as month, coalesce(sum(invoice_amount), 0)::text as net, coalesce(sum(invoice_vat), 0)::text as vat
    from invoices
    where account_id = ${accountId} and approved_at is not null and invoice_date >= ${fromDate}::date
    group by 1 order by 1
  `.execute(db);
  return r.rows;
}

/**
 * The calls of the last days in one scan (the start-time index's range): per day in the account's zone,
 * the calls and billed seconds; per destination, the rated calls' charge and cost, largest charge first
 * (`limit` of them). The rows are first summed per UTC hour and destination (a hash of a few thousand
 * groups, no per-row time-zone conversion or sort), then the hours per local day and per destination:
 * about a third of the work of the two per-row groupings it replaced (bench/console.ts). A zone whose
 * offset is not whole hours (India, +05:30) puts the first half hour of a local day on the day before:
 * the chart is off by that much at its day boundaries, never in its totals.
 */
export async function callActivity(
  db: Executor,
  accountId: number,
  from: Date,
  timezone: string,
  limit: number,
): Promise<{
  byDay: { day: string; calls: number; billable_s: number }[];
  byDestination: { destination: string; charge: string; cost: string; calls: number }[];
}> {
  const r = await sql<{
    day: string | null;
    destination: string | null;
    calls: string;
    billable_s: string;
    rated: string;
    charge: string;
    cost: string;
  }>`
    select to_char(day, 'YYYY-MM-DD') as day, destination,
           sum(calls)::text as calls, sum(billable_s)::text as billable_s, sum(rated)::text as rated,
           sum(charge)::text as charge, sum(cost)::text as cost
    from (
      select (hour at time zone ${timezone})::date as day, destination, calls, billable_s, rated, charge, cost
      from (
        select date_trunc('hour', start_time) as hour, coalesce(destination, 'Unknown') as destination,
               count(*) as calls, coalesce(sum(billable_s), 0) as billable_s,
               count(*) filter (where rating_status = 'rated') as rated,
               coalesce(sum(charge) filter (where rating_status = 'rated'), 0) as charge,
               coalesce(sum(cost) filter (where rating_status = 'rated'), 0) as cost
        from calls
        where account_id = ${accountId} and start_time >= ${from}
        group by 1, 2
      ) as per_hour
    ) as per_local_hour
    group by grouping sets ((day), (destination))
    order by sum(charge) desc, 1, 2
  `.execute(db);
  const byDay = r.rows
    .filter((x) => x.day !== null)
    .map((x) => ({ day: x.day!, calls: Number(x.calls), billable_s: Number(x.billable_s) }))
    .sort((a, b) => (a.day < b.day ? -1 : 1));
  const byDestination = r.rows
    .filter((x) => x.day === null && x.destination !== null && Number(x.rated) > 0)
    .slice(0, limit)
    .map((x) => ({ destination: x.destination!, charge: x.charge, cost: x.cost, calls: Number(x.rated) }));
  return { byDay, byDestination };
}

export async function collectionTotals(
  db: Executor,
  accountId: number,
  today: string,
): Promise<{ paid: string; outstanding: string; overdue: string; overdue_count: number }> {
  const r = await sql<{ paid: string; outstanding: string; overdue: string; overdue_count: string }>`
    select coalesce(sum(paid_amount), 0)::text as paid,
           coalesce(sum(total - paid_amount) filter (where total > paid_amount and (due_date is null or due_date >= ${today}::date)), 0)::text as outstanding,
           coalesce(sum(total - paid_amount) filter (where total > paid_amount and due_date < ${today}::date), 0)::text as overdue,
           count(*) filter (where total > paid_amount and due_date < ${today}::date)::text as overdue_count
    from invoices where account_id = ${accountId} and approved_at is not null
  `.execute(db);
  const row = r.rows[0]!;
  return { ...row, overdue_count: Number(row.overdue_count) };
}

export interface AttentionCounts {
  unrated: number;
  unallocated: number;
  failedDeliveries: number;
  emailsRetrying: number;
  interruptedRuns: number;
}

export async function attentionCounts(db: Executor, accountId: number): Promise<AttentionCounts> {
  const r = await sql<{
    unrated: string;
    unallocated: string;
    failed_deliveries: string;
    emails_retrying: string;
    interrupted_runs: string;
  }>`
    select
      (select count(*) from calls where account_id = ${accountId} and rating_status = 'unrated')::text as unrated,
      (select count(*) from calls where account_id = ${accountId} and rating_status = 'unallocated')::text as unallocated,
      (select count(*) from webhook_deliveries where account_id = ${accountId} and status = 'failed')::text as failed_deliveries,
      (select count(*) from outbox where account_id = ${accountId} and status = 'pending' and last_error is not null and kind not like 'webhook%')::text as emails_retrying,
      (select count(*) from billing_runs where account_id = ${accountId} and status = 'interrupted')::text as interrupted_runs
  `.execute(db);
  const x = r.rows[0]!;
  return {
    unrated: Number(x.unrated),
    unallocated: Number(x.unallocated),
    failedDeliveries: Number(x.failed_deliveries),
    emailsRetrying: Number(x.emails_retrying),
    interruptedRuns: Number(x.interrupted_runs),
  };
}

/** Customers whose name, email, account number or a feature's phone number contains the text. */
export async function searchCustomers(
  db: Executor,
  accountId: number,
  text: string | undefined,
  page: { after?: number | undefined; limit: number },
): Promise<Page<CustomerRow>> {
  let q = db.selectFrom('customers').selectAll().where('account_id', '=', accountId);
  const t = (text ?? '').trim().slice(0, 100);
  if (t !== '') {
    const like = `%${t.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const digits = t.replace(/\D/g, '');
    q = q.where((eb) =>
      eb.or([
        eb('name', 'ilike', like),
        eb('email', 'ilike', like),
        eb('account_number', 'ilike', like),
        ...(digits.length >= 3
          ? [
              eb.exists(
                eb
                  .selectFrom('features')
                  .select(sql`1`.as('x'))
                  .whereRef('features.account_id', '=', 'customers.account_id')
                  .whereRef('features.customer_id', '=', 'customers.id')
                  .where('features.phone_number', 'like', `%${digits}%`),
              ),
            ]
          : []),
      ]),
    );
  }
  if (page.after !== undefined) q = q.where('id', '>', page.after);
  return toPage(
    await q
      .orderBy('id')
      .limit(page.limit + 1)
      .execute(),
    page.limit,
  );
}

export async function customerNames(
  db: Executor,
  accountId: number,
  ids: number[],
): Promise<Map<number, string>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .selectFrom('customers')
    .select(['id', 'name'])
    .where('account_id', '=', accountId)
    .where('id', 'in', ids.slice(0, 1000))
    .execute();
  return new Map(rows.map((r) => [r.id, r.name]));
}

export interface CallSearch {
  number?: string | undefined;
  customerId?: number | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  status?: string | undefined;
  ratingStatus?: string | undefined;
  /** Older than this id (newest first). */
  before?: number | undefined;
  limit: number;
}

export async function searchCalls(db: Executor, accountId: number, s: CallSearch) {
  let q = db
    .selectFrom('calls')
    .select([
      'id',
      'source_call_id',
      'start_time',
      'from_number',
      'to_number',
      'direction',
      'duration_s',
      'status',
      'rating_status',
      'rating_error',
      'customer_id',
      'destination',
      'charge',
      'cost',
      'invoice_id',
    ])
    .where('account_id', '=', accountId);
  const digits = (s.number ?? '').replace(/\D/g, '');
  if (digits)
    q = q.where((eb) =>
      eb.or([eb('to_number', 'like', `%${digits}%`), eb('from_number', 'like', `%${digits}%`)]),
    );
  if (s.customerId !== undefined) q = q.where('customer_id', '=', s.customerId);
  if (s.from) q = q.where('start_time', '>=', s.from);
  if (s.to) q = q.where('start_time', '<', s.to);
  if (s.status) q = q.where('status', '=', s.status as never);
  if (s.ratingStatus) q = q.where('rating_status', '=', s.ratingStatus as never);
  if (s.before !== undefined) q = q.where('id', '<', s.before);
  return q
    .orderBy('id', 'desc')
    .limit(s.limit + 1)
    .execute();
}

/** Unrated and unallocated calls grouped by reason. */
export async function ratingProblems(
  db: Executor,
  accountId: number,
): Promise<{ rating_status: string; reason: string; calls: number; first: Date; last: Date }[]> {
  const r = await sql<{ rating_status: string; reason: string; calls: string; first: Date; last: Date }>`
    select rating_status, coalesce(rating_error, 'no reason recorded') as reason, count(*)::text as calls, min(start_time) as first, max(start_time) as last
    from calls where account_id = ${accountId} and rating_status in ('unrated', 'unallocated')
    group by 1, 2 order by count(*) desc limit 50
  `.execute(db);
  return r.rows.map((x) => ({ ...x, calls: Number(x.calls) }));
}

export interface InvoiceSearch {
  state: 'all' | 'unsent' | 'raised';
  customerId?: number | undefined;
  number?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  unpaid?: boolean | undefined;
  overdueOn?: string | undefined;
  unsentByEmail?: boolean | undefined;
  billingRunId?: number | undefined;
  /** Older than this id (newest first). */
  before?: number | undefined;
  limit: number;
}

/** Invoices newest first, with the filters the invoices document gives and the console's own (overdue, unpaid). */
export async function searchInvoices(db: Executor, accountId: number, s: InvoiceSearch) {
  let q = db
    .selectFrom('invoices as i')
    .innerJoin('customers as c', (j) =>
      j.onRef('c.account_id', '=', 'i.account_id').onRef('c.id', '=', 'i.customer_id'),
    )
    .select([
      'i.id',
      'i.invoice_number',
      'i.invoice_date',
      'i.due_date',
      'i.total',
      'i.paid_amount',
      'i.approved_at',
      'i.emailed_at',
      'i.customer_id',
      'i.cutoff_date',
      'c.name as customer_name',
    ])
    .where('i.account_id', '=', accountId);
  if (s.state === 'unsent') q = q.where('i.approved_at', 'is', null);
  if (s.state === 'raised') q = q.where('i.approved_at', 'is not', null);
  if (s.customerId !== undefined) q = q.where('i.customer_id', '=', s.customerId);
  if (s.number) q = q.where('i.invoice_number', '=', s.number);
  if (s.from) q = q.where('i.invoice_date', '>=', s.from);
  if (s.to) q = q.where('i.invoice_date', '<=', s.to);
  if (s.unpaid || s.overdueOn)
    q = q.where('i.approved_at', 'is not', null).whereRef('i.paid_amount', '<', 'i.total');
  if (s.overdueOn) q = q.where('i.due_date', '<', s.overdueOn);
  if (s.unsentByEmail) q = q.where('i.approved_at', 'is not', null).where('i.emailed_at', 'is', null);
  if (s.billingRunId !== undefined) q = q.where('i.billing_run_id', '=', s.billingRunId);
  if (s.before !== undefined) q = q.where('i.id', '<', s.before);
  return q
    .orderBy('i.id', 'desc')
    .limit(s.limit + 1)
    .execute();
}

/** Payment requests newest first (optionally one customer's, through its invoices), with attempt counts. */
export async function searchPaymentRequests(
  db: Executor,
  accountId: number,
  s: { customerId?: number | undefined; before?: number | undefined; limit: number },
) {
  let q = db
    .selectFrom('payment_requests as r')
    .leftJoin('invoices as i', (j) =>
      j.onRef('i.account_id', '=', 'r.account_id').onRef('i.id', '=', 'r.invoice_id'),
    )
    .select([
      'r.id',
      'r.invoice_id',
      'r.amount',
      'r.paid_amount',
      'r.refunded_amount',
      'r.visits',
      'r.email_sent_at',
      'r.sms_sent_at',
      'r.expires_at',
      'r.cancelled_at',
      'r.created_at',
      'r.url',
      'i.invoice_number',
    ])
    .select((eb) =>
      eb
        .selectFrom('payment_attempts as a')
        .select(eb.fn.countAll<string>().as('n'))
        .whereRef('a.account_id', '=', 'r.account_id')
        .whereRef('a.request_id', '=', 'r.id')
        .as('attempts'),
    )
    .where('r.account_id', '=', accountId);
  if (s.customerId !== undefined)
    q = q.where((eb) =>
      eb.or([eb('i.customer_id', '=', s.customerId!), eb('r.customer_id', '=', s.customerId!)]),
    );
  if (s.before !== undefined) q = q.where('r.id', '<', s.before);
  return q
    .orderBy('r.id', 'desc')
    .limit(s.limit + 1)
    .execute();
}

/** Outbox jobs (emails, SMS) waiting to be tried again after a failure, newest first. */
export async function retryingJobs(db: Executor, accountId: number, limit: number) {
  return db
    .selectFrom('outbox')
    .select(['id', 'kind', 'attempts', 'max_attempts', 'next_attempt_at', 'last_error', 'created_at'])
    .where('account_id', '=', accountId)
    .where('status', '=', 'pending')
    .where('last_error', 'is not', null)
    .where('kind', 'not like', 'webhook%')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}

/** The feed's newest rows (the console's live tail), newest first. */
export async function latestFeedRows(db: Executor, accountId: number, limit: number) {
  return db
    .selectFrom('call_transactions')
    .select([
      'transaction_id',
      'transaction_type',
      'call_id',
      'corrects_transaction_id',
      'start_time',
      'calling_phone_number',
      'destination_phone_number',
      'call_status',
      'payin',
      'created_at',
    ])
    .where('account_id', '=', accountId)
    .orderBy('transaction_id', 'desc')
    .limit(limit)
    .execute();
}
