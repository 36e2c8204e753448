// The ledger's SQL: balance rows, entries and top-ups. Every query filters by account. Entries are only
// ever inserted; a balance row is changed only together with the entries that explain the change, by a
// transaction holding its lock (lockBalances).
import { sql } from 'kysely';
import type { Executor } from '../context.ts';
import type {
  BalanceEntryRow,
  BalanceRow,
  BillingMode,
  EntryKind,
  TopUpMethod,
  TopUpRow,
  TopUpStatus,
} from '../db/schema-prepaid.ts';
import { toPage, type Page, type PageRequest } from '../shared/pagination.ts';
import { accountRows, accountRowsSql } from '../accounts/repo.ts';
import { customerRows, customerRowsSql } from '../customers/reports-repo.ts';
import { featureRowsSql } from '../features/repo.ts';
import { callRowsSql, callsStoredInThisTransactionSql } from '../calls/repo.ts';
import { idArray } from '../db/sql.ts';
export type { BalanceEntryRow, BillingMode, EntryKind, TopUpMethod, TopUpRow } from '../db/schema-prepaid.ts';

/** A balance row with what the ledger needs of its customer and account. */
export interface LockedBalance extends BalanceRow {
  billing_mode: BillingMode;
  credit_limit: string | null;
  overdraft: string;
  reverse_charge: boolean;
  timezone: string;
  customer_name: string;
  customer_email: string | null;
  customer_mobile: string | null;
}

function selectBalance(db: Executor, accountId: number) {
  return db
    .selectFrom('balances as b')
    .innerJoin(customerRows(db).as('c'), (j) =>
      j.onRef('c.account_id', '=', 'b.account_id').onRef('c.id', '=', 'b.customer_id'),
    )
    .innerJoin(accountRows(db).as('a'), 'a.id', 'b.account_id')
    .selectAll('b')
    .select([
      'c.billing_mode',
      'c.credit_limit',
      'c.overdraft',
      'c.reverse_charge',
      'a.timezone',
      'c.name as customer_name',
      'c.email as customer_email',
      'c.mobile_number as customer_mobile',
    ])
    .where('b.account_id', '=', accountId);
}

/** Locks balance rows in customer id order (so lockers of several never deadlock). */
export async function lockBalances(
  db: Executor,
  accountId: number,
  customerIds: readonly number[],
): Promise<LockedBalance[]> {
  if (customerIds.length === 0) return [];
  const ids = [...new Set(customerIds)].sort((a, b) => a - b);
  return await selectBalance(db, accountId)
    .where('b.customer_id', 'in', ids)
    .orderBy('b.customer_id')
    .forUpdate('b')
    .execute();
}

export async function findBalance(
  db: Executor,
  accountId: number,
  customerId: number,
): Promise<LockedBalance | undefined> {
  return await selectBalance(db, accountId).where('b.customer_id', '=', customerId).executeTakeFirst();
}

/** Makes the customer's balance row if it has none (a customer comes under credit control). */
export async function insertBalanceRow(
  db: Executor,
  accountId: number,
  customerId: number,
  currency: string,
  now: Date,
): Promise<boolean> {
  const result = await db
    .insertInto('balances')
    .values({ account_id: accountId, customer_id: customerId, currency, created_at: now, updated_at: now })
    .onConflict((oc) => oc.columns(['account_id', 'customer_id']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

export async function accountHasBalances(db: Executor, accountId: number): Promise<boolean> {
  const row = await db
    .selectFrom('balances')
    .select('customer_id')
    .where('account_id', '=', accountId)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** Whether the account has a ledger or an active reservation: what the ingest hook has to look at. */
export async function accountUnderCreditControl(
  db: Executor,
  accountId: number,
): Promise<{ balances: boolean; reservations: boolean }> {
  const result = await sql<{ balances: boolean; reservations: boolean }>`
    select exists (select 1 from balances where account_id = ${accountId}) as balances,
           exists (select 1 from reservations where account_id = ${accountId} and status = 'active') as reservations
  `.execute(db);
  return result.rows[0]!;
}

export interface EntryInsert {
  account_id: number;
  customer_id: number;
  seq: number;
  kind: EntryKind;
  amount: string;
  vat_amount: string | null;
  currency: string;
  balance_after: string;
  reserved_after: string;
  call_id: number | null;
  reservation_id: number | null;
  invoice_id: number | null;
  top_up_id: number | null;
  payment_id: number | null;
  description: string | null;
  created_at: Date;
}

const ENTRY_COLUMNS = [
  'account_id',
  'customer_id',
  'seq',
  'kind',
  'amount',
  'vat_amount',
  'currency',
  'balance_after',
  'reserved_after',
  'call_id',
  'reservation_id',
  'invoice_id',
  'top_up_id',
  'payment_id',
  'description',
  'created_at',
] as const;

const ENTRY_TYPES: Record<(typeof ENTRY_COLUMNS)[number], string> = {
  account_id: 'bigint',
  customer_id: 'bigint',
  seq: 'bigint',
  kind: 'text',
  amount: 'numeric',
  vat_amount: 'numeric',
  currency: 'text',
  balance_after: 'numeric',
  reserved_after: 'numeric',
  call_id: 'bigint',
  reservation_id: 'bigint',
  invoice_id: 'bigint',
  top_up_id: 'bigint',
  payment_id: 'bigint',
  description: 'text',
  created_at: 'timestamptz',
};

export interface TotalsUpdate {
  customerId: number;
  balance: string;
  reserved: string;
  entries: number;
  spendDay: string | null;
  spendDayAmount: string;
  spendMonth: string | null;
  spendMonthAmount: string;
}

/**
 * Inserts entries and writes the balance rows' new totals (the caller holds their locks) in one statement
 * (one round trip on the authorisation path), returning the entries in customer and seq order.
 */
export async function insertEntriesAndTotals(
  db: Executor,
  accountId: number,
  entries: readonly EntryInsert[],
  updates: readonly TotalsUpdate[],
  now: Date,
): Promise<BalanceEntryRow[]> {
  if (entries.length === 0) return [];
  const arrays = ENTRY_COLUMNS.map((c) => {
    const values = entries.map((e) => (c === 'created_at' ? e.created_at.toISOString() : e[c]));
    return sql`${values}::${sql.raw(ENTRY_TYPES[c])}[]`;
  });
  const col = <T>(pick: (u: TotalsUpdate) => T) => updates.map(pick);
  const result = await sql<BalanceEntryRow>`
    with updated as (
      update balances as b set balance = v.balance, reserved = v.reserved, entries = v.entries,
        spend_day = v.spend_day, spend_day_amount = v.spend_day_amount, spend_month = v.spend_month,
        spend_month_amount = v.spend_month_amount, updated_at = ${now}::timestamptz
      from unnest(${col((u) => u.customerId)}::bigint[], ${col((u) => u.balance)}::numeric[], ${col((u) => u.reserved)}::numeric[],
        ${col((u) => u.entries)}::bigint[], ${col((u) => u.spendDay)}::date[], ${col((u) => u.spendDayAmount)}::numeric[],
        ${col((u) => u.spendMonth)}::text[], ${col((u) => u.spendMonthAmount)}::numeric[])
        as v(customer_id, balance, reserved, entries, spend_day, spend_day_amount, spend_month, spend_month_amount)
      where b.account_id = ${accountId} and b.customer_id = v.customer_id
      returning b.customer_id
    )
    insert into balance_entries (${sql.raw(ENTRY_COLUMNS.join(', '))})
    select * from unnest(${sql.join(arrays)})
    returning *
  `.execute(db);
  return result.rows.sort((a, b) => a.customer_id - b.customer_id || Number(a.seq) - Number(b.seq));
}

export interface EntryFilter {
  customerId: number;
  from?: Date | undefined;
  to?: Date | undefined;
  kinds?: EntryKind[] | undefined;
}

export async function listEntries(
  db: Executor,
  accountId: number,
  filter: EntryFilter,
  page: PageRequest,
): Promise<Page<BalanceEntryRow>> {
  let q = db
    .selectFrom('balance_entries')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('customer_id', '=', filter.customerId);
  if (filter.from !== undefined) q = q.where('created_at', '>=', filter.from);
  if (filter.to !== undefined) q = q.where('created_at', '<', filter.to);
  if (filter.kinds !== undefined && filter.kinds.length > 0) q = q.where('kind', 'in', filter.kinds);
  if (page.after !== undefined) q = q.where('id', '>', page.after);
  return toPage(
    await q
      .orderBy('id')
      .limit(page.limit + 1)
      .execute(),
    page.limit,
  );
}

/** Every entry of a customer in seq order (the checks in tests and the simulation). */
export async function allEntries(
  db: Executor,
  accountId: number,
  customerId: number,
): Promise<BalanceEntryRow[]> {
  return db
    .selectFrom('balance_entries')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('customer_id', '=', customerId)
    .orderBy('seq')
    .execute();
}

// ---- call debits (set-based: one statement per ingest batch or re-rating page)

export interface CallDebitDiff {
  callId: number;
  customerId: number;
  /** The change to the balance: minus what is still to debit (negative), or a credit back (positive). */
  amount: string;
  vat: string;
  /** No 'call' entry exists yet for this call and customer. */
  first: boolean;
  feature: number | null;
  toNumber: string | null;
  durationS: number | null;
}

/**
 * For calls (these ids, or those this transaction stored above `newAbove`), what each customer under
 * credit control must still be debited or credited so that the sum of a call's entries equals its rated
 * charge plus VAT (VAT on usage: the feature's rate, else the account's; none for reverse charge). A call
 * that moved to another customer is credited back to the first and debited to the second.
 */
export async function callDebitDiffs(
  db: Executor,
  accountId: number,
  calls: { ids: readonly number[] } | { newAbove: number },
): Promise<CallDebitDiff[]> {
  const [source, which] =
    'ids' in calls
      ? [callRowsSql(), sql`c.id = any(${[...calls.ids]}::bigint[])`]
      : [callsStoredInThisTransactionSql(accountId, calls.newAbove), sql`true`];
  const debitedJoin =
    'ids' in calls
      ? sql`(select e.call_id, e.customer_id, sum(e.amount) as amount, sum(coalesce(e.vat_amount, 0)) as vat, bool_or(e.kind = 'call') as has_call
           from balance_entries as e
           where e.account_id = ${accountId} and e.call_id = any(${[...calls.ids]}::bigint[]) and e.kind in ('call', 'call_correction')
           group by e.call_id, e.customer_id)`
      : sql`(select null::bigint as call_id, null::bigint as customer_id, null::numeric as amount, null::numeric as vat, null::boolean as has_call where false)`;
  const result = await sql<{
    call_id: number;
    customer_id: number;
    amount: string;
    vat: string;
    first: boolean;
    feature_id: number | null;
    to_number: string | null;
    duration_s: number | null;
  }>`
    with target as (
      select c.id as call_id, c.customer_id, c.feature_id, c.charge as net, c.to_number, c.duration_s,
        case when cu.reverse_charge then 0 else round(c.charge * coalesce(f.vat_rate, a.default_vat_rate) / 100, 6) end as vat
      from ${source} as c
      join ${customerRowsSql()} as cu on cu.account_id = c.account_id and cu.id = c.customer_id
      join ${accountRowsSql()} as a on a.id = c.account_id
      left join ${featureRowsSql()} as f on f.account_id = c.account_id and f.id = c.feature_id
      where c.account_id = ${accountId} and ${which} and c.rating_status = 'rated' and c.charge is not null
        and exists (select 1 from balances as b where b.account_id = c.account_id and b.customer_id = c.customer_id)
    ),
    debited as ${debitedJoin}
    select coalesce(t.call_id, d.call_id) as call_id, coalesce(t.customer_id, d.customer_id) as customer_id,
      -(coalesce(t.net, 0) + coalesce(t.vat, 0)) - coalesce(d.amount, 0) as amount,
      coalesce(t.vat, 0) + coalesce(d.vat, 0) as vat,
      not coalesce(d.has_call, false) as first, t.feature_id, t.to_number, t.duration_s
    from target as t
    full join debited as d on d.call_id = t.call_id and d.customer_id = t.customer_id
    where -(coalesce(t.net, 0) + coalesce(t.vat, 0)) <> coalesce(d.amount, 0)
    order by 2, 1
  `.execute(db);
  return result.rows.map((r) => ({
    callId: Number(r.call_id),
    customerId: Number(r.customer_id),
    amount: String(r.amount),
    vat: String(r.vat),
    first: Boolean(r.first),
    feature: r.feature_id === null ? null : Number(r.feature_id),
    toNumber: r.to_number,
    durationS: r.duration_s === null ? null : Number(r.duration_s),
  }));
}

/** What has been debited for the calls on an invoice (the sum of their call entries), per customer. */
export async function debitedForInvoiceCalls(
  db: Executor,
  accountId: number,
  customerId: number,
  invoiceId: number,
): Promise<string> {
  const result = await sql<{ amount: string | null }>`
    select sum(e.amount) as amount from balance_entries as e
    join ${callRowsSql()} as c on c.account_id = e.account_id and c.id = e.call_id
    where e.account_id = ${accountId} and e.customer_id = ${customerId} and e.kind in ('call', 'call_correction') and c.invoice_id = ${invoiceId}
  `.execute(db);
  return String(result.rows[0]?.amount ?? '0');
}

export async function findSettlementEntry(
  db: Executor,
  accountId: number,
  invoiceId: number,
): Promise<BalanceEntryRow | undefined> {
  return db
    .selectFrom('balance_entries')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('invoice_id', '=', invoiceId)
    .where('kind', '=', 'invoice_settlement')
    .executeTakeFirst();
}

/** The customer's statement settlement entry before this seq, if any (the start of a statement's window). */
export async function previousSettlement(
  db: Executor,
  accountId: number,
  customerId: number,
  beforeSeq: number,
): Promise<BalanceEntryRow | undefined> {
  return db
    .selectFrom('balance_entries')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('customer_id', '=', customerId)
    .where('kind', '=', 'invoice_settlement')
    .where('seq', '<', beforeSeq)
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/** Entries of a customer with seq in (afterSeq, uptoSeq], summed by kind. */
export async function sumByKind(
  db: Executor,
  accountId: number,
  customerId: number,
  afterSeq: number,
  uptoSeq: number,
): Promise<Map<EntryKind, string>> {
  const rows = await db
    .selectFrom('balance_entries')
    .select(['kind', (eb) => eb.fn.sum<string>('amount').as('amount')])
    .where('account_id', '=', accountId)
    .where('customer_id', '=', customerId)
    .where('seq', '>', afterSeq)
    .where('seq', '<=', uptoSeq)
    .groupBy('kind')
    .execute();
  return new Map(rows.map((r) => [r.kind, String(r.amount)]));
}

export async function entryAtSeq(
  db: Executor,
  accountId: number,
  customerId: number,
  seq: number,
): Promise<BalanceEntryRow | undefined> {
  return db
    .selectFrom('balance_entries')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('customer_id', '=', customerId)
    .where('seq', '=', seq)
    .executeTakeFirst();
}

/**
 * The postpaid figures a credit limit starts from: unpaid invoices and unbilled rated calls (with VAT).
 * What is owed on invoices, and which invoices are unsent, billing answers (it owns the invoices).
 */
export async function owedNow(
  db: Executor,
  accountId: number,
  customerId: number,
  onInvoices: { unpaid: string; unsentInvoiceIds: number[] },
): Promise<string> {
  const result = await sql<{ owed: string | null }>`
    select
      ${onInvoices.unpaid}::numeric
      + coalesce((select sum(c.charge + case when cu.reverse_charge then 0 else round(c.charge * coalesce(f.vat_rate, a.default_vat_rate) / 100, 6) end)
                from ${callRowsSql()} as c
                join ${customerRowsSql()} as cu on cu.account_id = c.account_id and cu.id = c.customer_id
                join ${accountRowsSql()} as a on a.id = c.account_id
                left join ${featureRowsSql()} as f on f.account_id = c.account_id and f.id = c.feature_id
                where c.account_id = ${accountId} and c.customer_id = ${customerId} and c.rating_status = 'rated'
                  and (c.invoice_id is null or c.invoice_id = any(${idArray(onInvoices.unsentInvoiceIds)}::bigint[]))), 0) as owed
  `.execute(db);
  return String(result.rows[0]?.owed ?? '0');
}

// ---- top-ups

export interface NewTopUp {
  account_id: number;
  customer_id: number;
  method: TopUpMethod;
  amount: string;
  currency: string;
  status: TopUpStatus;
  reference: string | null;
  notes: string | null;
  request_id: number | null;
  created_at: Date;
  completed_at: Date | null;
}

export async function insertTopUp(db: Executor, values: NewTopUp): Promise<TopUpRow> {
  return db.insertInto('balance_top_ups').values(values).returningAll().executeTakeFirstOrThrow();
}

export async function findTopUp(db: Executor, accountId: number, id: number): Promise<TopUpRow | undefined> {
  return db
    .selectFrom('balance_top_ups')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .executeTakeFirst();
}

export async function lockTopUp(db: Executor, accountId: number, id: number): Promise<TopUpRow | undefined> {
  return db
    .selectFrom('balance_top_ups')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst();
}

export async function findTopUpByRequest(
  db: Executor,
  accountId: number,
  requestId: number,
): Promise<TopUpRow | undefined> {
  return db
    .selectFrom('balance_top_ups')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('request_id', '=', requestId)
    .executeTakeFirst();
}

export async function updateTopUp(
  db: Executor,
  accountId: number,
  id: number,
  values: {
    status?: TopUpStatus;
    request_id?: number | null;
    payment_id?: number | null;
    failure_reason?: string | null;
    completed_at?: Date | null;
    attempts?: number;
  },
): Promise<TopUpRow> {
  return db
    .updateTable('balance_top_ups')
    .set(values)
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function listTopUps(
  db: Executor,
  accountId: number,
  customerId: number,
  page: PageRequest,
): Promise<Page<TopUpRow>> {
  let q = db
    .selectFrom('balance_top_ups')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('customer_id', '=', customerId);
  if (page.after !== undefined) q = q.where('id', '>', page.after);
  return toPage(
    await q
      .orderBy('id')
      .limit(page.limit + 1)
      .execute(),
    page.limit,
  );
}

export async function pendingAutoTopUp(
  db: Executor,
  accountId: number,
  customerId: number,
): Promise<TopUpRow | undefined> {
  return db
    .selectFrom('balance_top_ups')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('customer_id', '=', customerId)
    .where('method', '=', 'auto')
    .where('status', '=', 'pending')
    .executeTakeFirst();
}

export async function updateAutoTopUp(
  db: Executor,
  accountId: number,
  customerId: number,
  values: {
    enabled: boolean;
    threshold: string | null;
    amount: string | null;
    cardToken?: string | null;
    cardLast4?: string | null;
  },
  now: Date,
): Promise<void> {
  await db
    .updateTable('balances')
    .set({
      auto_top_up_enabled: values.enabled,
      auto_top_up_threshold: values.threshold,
      auto_top_up_amount: values.amount,
      ...(values.cardToken !== undefined
        ? { auto_top_up_card_token: values.cardToken, auto_top_up_card_last4: values.cardLast4 ?? null }
        : {}),
      updated_at: now,
    })
    .where('account_id', '=', accountId)
    .where('customer_id', '=', customerId)
    .execute();
}

/** A customer's credit terms (the ledger reads them; the customers module owns them). */
export interface CustomerTerms {
  id: number;
  name: string;
  email: string | null;
  mobile_number: string | null;
  billing_mode: BillingMode;
  credit_limit: string | null;
  overdraft: string;
  currency: string;
  timezone: string;
}

export async function findCustomerTerms(
  db: Executor,
  accountId: number,
  customerId: number,
): Promise<CustomerTerms | undefined> {
  return db
    .selectFrom(customerRows(db).as('c'))
    .innerJoin(accountRows(db).as('a'), 'a.id', 'c.account_id')
    .select([
      'c.id',
      'c.name',
      'c.email',
      'c.mobile_number',
      'c.billing_mode',
      'c.credit_limit',
      'c.overdraft',
      'a.currency',
      'a.timezone',
    ])
    .where('c.account_id', '=', accountId)
    .where('c.id', '=', customerId)
    .executeTakeFirst();
}

/** A pending automatic top-up, unless one is pending already (then undefined). */
export async function insertAutoTopUp(
  db: Executor,
  accountId: number,
  customerId: number,
  amount: string,
  currency: string,
  now: Date,
): Promise<number | undefined> {
  const result = await sql<{ id: number }>`
    insert into balance_top_ups (account_id, customer_id, method, amount, currency, status, created_at)
    values (${accountId}, ${customerId}, 'auto', ${amount}, ${currency}, 'pending', ${now})
    on conflict (account_id, customer_id) where method = 'auto' and status = 'pending' do nothing
    returning id
  `.execute(db);
  return result.rows[0] ? Number(result.rows[0].id) : undefined;
}

/** Keeps a card saved with a top-up's payment for the automatic top-up (its settings are left as they are). */
export async function saveAutoTopUpCard(
  db: Executor,
  accountId: number,
  customerId: number,
  cardToken: string,
  cardLast4: string | null,
  now: Date,
): Promise<boolean> {
  const result = await db
    .updateTable('balances')
    .set({ auto_top_up_card_token: cardToken, auto_top_up_card_last4: cardLast4, updated_at: now })
    .where('account_id', '=', accountId)
    .where('customer_id', '=', customerId)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** The balance rows as a relation in another module's raw SQL (call authorisation's one read). */
export function balanceRowsSql() {
  return sql`(select * from balances)`;
}

/** `exists (…)`: the customer the outer query's columns name has a balance row (is under credit control). */
export function hasBalanceSql(accountIdColumn: string, customerIdColumn: string) {
  return sql<boolean>`exists (select 1 from balances as b where b.account_id = ${sql.ref(accountIdColumn)} and b.customer_id = ${sql.ref(customerIdColumn)})`;
}

/** `exists (…)`: the payment request the outer query's columns name pays a top-up of this customer by link. */
export function paysTopUpOfSql(requestAccountIdColumn: string, requestIdColumn: string, customerId: number) {
  return sql<boolean>`exists (select 1 from balance_top_ups as t where t.account_id = ${sql.ref(requestAccountIdColumn)} and t.request_id = ${sql.ref(requestIdColumn)} and t.customer_id = ${customerId} and t.method = 'payment_request')`;
}
