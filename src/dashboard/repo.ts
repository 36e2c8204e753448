// The console's read model: what needs attention and the searches its lists need beyond the API's own
// filters, each one statement composed of the pieces the tables' owners export (CONTRIBUTING.md rule 2: this
// module names no table). Queries on one owner's table alone live with that owner (calls/reports-repo.ts,
// invoices/reports-repo.ts, customers/reports-repo.ts, outbox/repo.ts, feed/reports-repo.ts).
import { sql } from 'kysely';
import type { Executor } from '../context.ts';
import { callCountSql } from '../calls/reports-repo.ts';
import { failedDeliveryCountSql } from '../webhooks/repo.ts';
import { retryingJobCountSql } from '../outbox/repo.ts';
import { interruptedRunCountSql } from '../billing-runs/reports-repo.ts';
import { invoiceRows } from '../invoices/reports-repo.ts';
import { customerRows, type CustomerRow } from '../customers/reports-repo.ts';
import { phoneNumberContainsSql } from '../features/repo.ts';
import { toPage, type Page } from '../shared/pagination.ts';
import type { Sort } from '../shared/sorting.ts';
import { paymentRequestRows } from '../collections/repo.ts';
import { attemptCountSql } from '../payments/attempts-repo.ts';

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
      ${callCountSql(accountId, 'unrated')}::text as unrated,
      ${callCountSql(accountId, 'unallocated')}::text as unallocated,
      ${failedDeliveryCountSql(accountId)}::text as failed_deliveries,
      ${retryingJobCountSql(accountId)}::text as emails_retrying,
      ${interruptedRunCountSql(accountId)}::text as interrupted_runs
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

export const CUSTOMER_SORTS = {
  name: 'name',
  number: 'account_number',
  email: 'email',
  mode: 'billing_mode',
  created: 'id',
} as const;

/**
 * Customers whose name, email, account number or a feature's phone number contains the text: by id after
 * `after`, or in the order of a whitelisted column from `offset`.
 */
export async function searchCustomers(
  db: Executor,
  accountId: number,
  text: string | undefined,
  page: {
    after?: number | undefined;
    sort?: Sort<keyof typeof CUSTOMER_SORTS> | undefined;
    offset?: number | undefined;
    limit: number;
  },
): Promise<Page<CustomerRow>> {
  let q = db.selectFrom(customerRows(db).as('c')).selectAll().where('account_id', '=', accountId);
  const t = (text ?? '').trim().slice(0, 100);
  if (t !== '') {
    const like = `%${t.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const digits = t.replace(/\D/g, '');
    q = q.where((eb) =>
      eb.or([
        eb('name', 'ilike', like),
        eb('email', 'ilike', like),
        eb('account_number', 'ilike', like),
        ...(digits.length >= 3 ? [phoneNumberContainsSql('c.account_id', 'c.id', digits)] : []),
      ]),
    );
  }
  if (page.after !== undefined) q = q.where('id', '>', page.after);
  if (page.sort) q = q.orderBy(CUSTOMER_SORTS[page.sort.key], page.sort.dir);
  return toPage(
    await q
      .orderBy('id', page.sort?.dir ?? 'asc')
      .offset(page.offset ?? 0)
      .limit(page.limit + 1)
      .execute(),
    page.limit,
  );
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
  /** A whitelisted column's order (then id), from `offset`, instead of newest first. */
  sort?: Sort<keyof typeof INVOICE_SORTS> | undefined;
  offset?: number | undefined;
  limit: number;
}

export const INVOICE_SORTS = {
  number: 'i.invoice_number',
  customer: 'c.name',
  date: 'i.invoice_date',
  due: 'i.due_date',
  total: 'i.total',
  paid: 'i.paid_amount',
} as const;

/** Invoices newest first, with the filters the invoices document gives and the console's own (overdue, unpaid). */
export async function searchInvoices(db: Executor, accountId: number, s: InvoiceSearch) {
  let q = db
    .selectFrom(invoiceRows(db).as('i'))
    .innerJoin(customerRows(db).as('c'), (j) =>
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
  if (s.unpaid || s.overdueOn) q = q.where('i.unsettled_amount', '>', '0');
  if (s.overdueOn) q = q.where('i.due_date', '<', s.overdueOn);
  if (s.unsentByEmail) q = q.where('i.approved_at', 'is not', null).where('i.emailed_at', 'is', null);
  if (s.billingRunId !== undefined) q = q.where('i.billing_run_id', '=', s.billingRunId);
  if (s.before !== undefined) q = q.where('i.id', '<', s.before);
  if (s.sort) q = q.orderBy(INVOICE_SORTS[s.sort.key], s.sort.dir);
  return q
    .orderBy('i.id', s.sort?.dir ?? 'desc')
    .offset(s.offset ?? 0)
    .limit(s.limit + 1)
    .execute();
}

export const PAYMENT_REQUEST_SORTS = {
  id: 'r.id',
  amount: 'r.amount',
  paid: 'r.paid_amount',
  visits: 'r.visits',
  expires: 'r.expires_at',
  invoice: 'i.invoice_number',
} as const;

/**
 * Payment requests (optionally one customer's, through its invoices), with attempt counts: newest first
 * paged by id, or in the order of a whitelisted column paged by offset.
 */
export async function searchPaymentRequests(
  db: Executor,
  accountId: number,
  s: {
    customerId?: number | undefined;
    before?: number | undefined;
    sort?: Sort<keyof typeof PAYMENT_REQUEST_SORTS> | undefined;
    offset?: number | undefined;
    limit: number;
  },
) {
  let q = db
    .selectFrom(paymentRequestRows(db).as('r'))
    .leftJoin(invoiceRows(db).as('i'), (j) =>
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
    .select(attemptCountSql('r.account_id', 'r.id').as('attempts'))
    .where('r.account_id', '=', accountId);
  if (s.customerId !== undefined)
    q = q.where((eb) =>
      eb.or([eb('i.customer_id', '=', s.customerId!), eb('r.customer_id', '=', s.customerId!)]),
    );
  if (s.before !== undefined) q = q.where('r.id', '<', s.before);
  if (s.sort) q = q.orderBy(PAYMENT_REQUEST_SORTS[s.sort.key], s.sort.dir);
  return q
    .orderBy('r.id', s.sort?.dir ?? 'desc')
    .offset(s.offset ?? 0)
    .limit(s.limit + 1)
    .execute();
}
