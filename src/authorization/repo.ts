// Call authorisation's read model: the line a call comes from (with its customer's credit terms and the
// account's rating settings), in one statement composed of the pieces the tables' owners export (it names no
// table: CONTRIBUTING.md rule 2). Reservations and the ledger are the balances module's
// (balances/reservations-repo.ts), rate card fingerprints the rate cards' (rate-cards/repo.ts).
import { sql } from 'kysely';
import type { Executor } from '../context.ts';
import { runPrepared, type PreparedPool } from '../db/prepared.ts';
import { phoneSpellings } from '../shared/contact.ts';
import { accountRowsSql } from '../accounts/repo.ts';
import { apiKeyRowsSql } from '../api-keys/repo.ts';
import { defaultRateCardIdSql } from '../rate-cards/repo.ts';
import { reservationIdOfCallSql } from '../balances/reservations-repo.ts';
import { balanceRowsSql, hasBalanceSql } from '../balances/repo.ts';
import { hasEnabledAlertSql } from '../alerts/repo.ts';
import { customerRowsSql } from '../customers/reports-repo.ts';
import { featureRowsSql } from '../features/repo.ts';
export type { PreparedPool } from '../db/prepared.ts';

export interface LineCandidate {
  feature_id: number;
  customer_id: number;
  start_date: string | null;
  end_date: string | null;
  rate_card_id: number | null;
  feature_vat_rate: string | null;
  billing_mode: 'postpaid' | 'prepaid';
  credit_limit: string | null;
  reverse_charge: boolean;
  has_balance: boolean;
}

export interface AccountRating {
  id: number;
  timezone: string;
  currency: string;
  peak_start: string;
  peak_end: string;
  default_vat_rate: string;
  default_rate_card_id: number | null;
}

/** The account's rating settings and default rate card, in one read. */
export async function accountRating(db: Executor, accountId: number): Promise<AccountRating | undefined> {
  const result = await sql<AccountRating>`
    select a.id, a.timezone, a.currency, a.peak_start, a.peak_end, a.default_vat_rate,
      ${defaultRateCardIdSql('a.id')} as default_rate_card_id
    from ${accountRowsSql()} as a where a.id = ${accountId}
  `.execute(db);
  const row = result.rows[0];
  return row
    ? {
        ...row,
        default_rate_card_id: row.default_rate_card_id === null ? null : Number(row.default_rate_card_id),
      }
    : undefined;
}

/** Features with this number (either spelling), with what authorisation needs of their customers. */
export async function linesWithNumber(
  db: Executor,
  accountId: number,
  number: string,
): Promise<LineCandidate[]> {
  const rows = await sql<LineCandidate>`
    select f.id as feature_id, f.customer_id, f.start_date, f.end_date, coalesce(f.rate_card_id, c.rate_card_id) as rate_card_id,
      f.vat_rate as feature_vat_rate, c.billing_mode, c.credit_limit, c.reverse_charge,
      ${hasBalanceSql('f.account_id', 'f.customer_id')} as has_balance
    from ${featureRowsSql()} as f
    join ${customerRowsSql()} as c on c.account_id = f.account_id and c.id = f.customer_id
    where f.account_id = ${accountId} and f.phone_number = any(${phoneSpellings(number)}::text[])
    order by f.id
  `.execute(db);
  return rows.rows.map((r) => ({
    ...r,
    rate_card_id: r.rate_card_id === null ? null : Number(r.rate_card_id),
  }));
}

/** The account's rating settings and the lines with this number, in one round trip (the authorisation path). */
export async function accountAndLines(
  db: Executor,
  accountId: number,
  number: string,
): Promise<{ account: AccountRating | undefined; lines: LineCandidate[] }> {
  const result = await sql<AccountRating & Partial<LineCandidate> & { feature_id: number | null }>`
    select a.id, a.timezone, a.currency, a.peak_start, a.peak_end, a.default_vat_rate,
      ${defaultRateCardIdSql('a.id')} as default_rate_card_id,
      l.*
    from ${accountRowsSql()} as a
    left join lateral (
      select f.id as feature_id, f.customer_id, f.start_date, f.end_date, coalesce(f.rate_card_id, c.rate_card_id) as rate_card_id,
        f.vat_rate as feature_vat_rate, c.billing_mode, c.credit_limit, c.reverse_charge,
        ${hasBalanceSql('f.account_id', 'f.customer_id')} as has_balance
      from ${featureRowsSql()} as f
      join ${customerRowsSql()} as c on c.account_id = f.account_id and c.id = f.customer_id
      where f.account_id = a.id and f.phone_number = any(${phoneSpellings(number)}::text[])
    ) as l on true
    where a.id = ${accountId}
    order by l.feature_id
  `.execute(db);
  const first = result.rows[0];
  if (!first) return { account: undefined, lines: [] };
  const account: AccountRating = {
    id: Number(first.id),
    timezone: first.timezone,
    currency: first.currency,
    peak_start: first.peak_start,
    peak_end: first.peak_end,
    default_vat_rate: first.default_vat_rate,
    default_rate_card_id: first.default_rate_card_id === null ? null : Number(first.default_rate_card_id),
  };
  const lines = result.rows
    .filter((r) => r.feature_id !== null)
    .map((r) => ({
      feature_id: Number(r.feature_id),
      customer_id: Number(r.customer_id),
      start_date: r.start_date ?? null,
      end_date: r.end_date ?? null,
      rate_card_id: r.rate_card_id == null ? null : Number(r.rate_card_id),
      feature_vat_rate: r.feature_vat_rate ?? null,
      billing_mode: r.billing_mode!,
      credit_limit: r.credit_limit ?? null,
      reverse_charge: Boolean(r.reverse_charge),
      has_balance: Boolean(r.has_balance),
    }));
  return { account, lines };
}

// ---- the authorisation hot path: one read, one write
//
// An authorisation reads the key, the account, the calling line, its customer's credit terms and balance,
// and whether any alert applies, in ONE query (authorizationFacts), and writes the reservation, its ledger
// entry and the balance row's new totals in ONE statement (balances/reservations-repo.ts
// reserveInOneStatement), which locks the balance row and re-checks what is available under that lock. The
// read joins tables other modules own (api_keys, accounts, features, customers, balances, balance_alerts)
// through the relations and `exists` pieces those modules export, so it stays one statement, planned as
// before (PostgreSQL pulls the plain subqueries up into the join), while only each owner names its table.
// The ledger arithmetic the write repeats in SQL is the ledger's (balances/ledger.ts: availableOf,
// applyEntry for a reservation).

export interface KeyOfRequest {
  id: number;
  level: number;
  timezone: string;
  account_id: number;
}

export interface LineWithBalance extends LineCandidate {
  overdraft: string;
  /** The balance row's totals when it was read (null: no balance row). */
  balance: string | null;
  reserved: string | null;
  /** An enabled alert applies to the customer (its own or the account's): the locking path checks it. */
  has_alerts: boolean;
}

export interface AuthorizationFacts {
  key: KeyOfRequest;
  account: AccountRating;
  lines: LineWithBalance[];
  /** The reservation of an earlier authorisation with this callId. */
  earlierReservationId: number | null;
}

/**
 * A row of the facts query: the key's and account's columns repeat on each line of the number (one row with
 * the line's columns null when none has it). Ids and levels are read through Number() (bigints arrive as
 * strings); the line's columns are typed as they are when `feature_id` is not null, the only rows read.
 */
interface AuthorizationFactsRow {
  key_id: unknown;
  key_level: unknown;
  key_timezone: string;
  id: unknown;
  timezone: string;
  currency: string;
  peak_start: string;
  peak_end: string;
  default_vat_rate: string;
  default_rate_card_id: unknown;
  earlier_id: unknown;
  feature_id: unknown;
  customer_id: unknown;
  start_date: string | null;
  end_date: string | null;
  rate_card_id: unknown;
  feature_vat_rate: string | null;
  billing_mode: LineCandidate['billing_mode'];
  credit_limit: string | null;
  reverse_charge: boolean;
  overdraft: string;
  has_balance: boolean;
  balance: string | null;
  reserved: string | null;
  has_alerts: boolean;
}

/** Everything an authorisation decides on, in one round trip; undefined when the key is unknown or revoked. */
export async function authorizationFacts(
  db: Executor,
  keyAccountId: number,
  keyHash: Buffer,
  number: string,
  callId: string | null,
  pool?: PreparedPool,
): Promise<AuthorizationFacts | undefined> {
  const query = sql<AuthorizationFactsRow>`
    select k.id as key_id, k.level as key_level, k.timezone as key_timezone,
      a.id, a.timezone, a.currency, a.peak_start, a.peak_end, a.default_vat_rate,
      ${defaultRateCardIdSql('a.id')} as default_rate_card_id,
      ${callId === null ? sql`null::bigint` : sql`${reservationIdOfCallSql('a.id', callId)}`} as earlier_id,
      l.*
    from ${apiKeyRowsSql()} as k
    join ${accountRowsSql()} as a on a.id = k.account_id
    left join lateral (
      select f.id as feature_id, f.customer_id, f.start_date, f.end_date, coalesce(f.rate_card_id, c.rate_card_id) as rate_card_id,
        f.vat_rate as feature_vat_rate, c.billing_mode, c.credit_limit, c.reverse_charge, c.overdraft,
        (b.customer_id is not null) as has_balance, b.balance, b.reserved,
        ${hasEnabledAlertSql('f.account_id', 'f.customer_id')} as has_alerts
      from ${featureRowsSql()} as f
      join ${customerRowsSql()} as c on c.account_id = f.account_id and c.id = f.customer_id
      left join ${balanceRowsSql()} as b on b.account_id = f.account_id and b.customer_id = f.customer_id
      where f.account_id = a.id and f.phone_number = any(${phoneSpellings(number)}::text[])
    ) as l on true
    where k.account_id = ${keyAccountId} and k.key_hash = ${keyHash} and k.revoked_at is null
    order by l.feature_id
  `;
  const rows = await runPrepared(
    db,
    pool,
    callId === null ? 'ringbill_authorization_facts' : 'ringbill_authorization_facts_call_id',
    query,
  );
  const first = rows[0];
  if (!first) return undefined;
  const nullableId = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    key: {
      id: Number(first.key_id),
      level: Number(first.key_level),
      timezone: first.key_timezone,
      account_id: Number(first.id),
    },
    account: {
      id: Number(first.id),
      timezone: first.timezone,
      currency: first.currency,
      peak_start: first.peak_start,
      peak_end: first.peak_end,
      default_vat_rate: first.default_vat_rate,
      default_rate_card_id: nullableId(first.default_rate_card_id),
    },
    lines: rows
      .filter((r) => r.feature_id !== null)
      .map((r) => ({
        feature_id: Number(r.feature_id),
        customer_id: Number(r.customer_id),
        start_date: r.start_date ?? null,
        end_date: r.end_date ?? null,
        rate_card_id: nullableId(r.rate_card_id),
        feature_vat_rate: r.feature_vat_rate ?? null,
        billing_mode: r.billing_mode,
        credit_limit: r.credit_limit ?? null,
        reverse_charge: Boolean(r.reverse_charge),
        has_balance: Boolean(r.has_balance),
        overdraft: r.overdraft,
        balance: r.balance ?? null,
        reserved: r.reserved ?? null,
        has_alerts: Boolean(r.has_alerts),
      })),
    earlierReservationId: nullableId(first.earlier_id),
  };
}
