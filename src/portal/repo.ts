// The customer portal's SQL: who may sign in (portal contacts, and the customer's own email addresses),
// one-time sign-in links and sessions (only hashes of their tokens are kept), and the customer-scoped reads
// its pages make. Every read names the account and the customer: a session sees one customer's rows only.
import { sql } from 'kysely';
import type { Executor } from '../context.ts';
import type { PortalSessionRow } from '../db/schema-prepaid.ts';
import { accountRowsSql } from '../accounts/repo.ts';
import { paymentRequestRowsSql } from '../collections/repo.ts';
import { invoiceRowsSql } from '../invoices/reports-repo.ts';
import { paysTopUpOfSql } from '../balances/repo.ts';
import { customerRowsSql } from '../customers/reports-repo.ts';
export type { PortalSessionRow } from '../db/schema-prepaid.ts';

export interface Signable {
  account_id: number;
  customer_id: number;
  customer_name: string;
  account_name: string;
  email_from: string | null;
  account_email: string | null;
}

/** Customers an email address may sign in for: a portal contact, or one of the customer's own addresses. */
export async function customersForEmail(db: Executor, email: string): Promise<Signable[]> {
  const lower = email.toLowerCase();
  const result = await sql<Signable>`
    select c.account_id, c.id as customer_id, c.name as customer_name, a.name as account_name, a.email_from, a.email as account_email
    from ${customerRowsSql()} as c join ${accountRowsSql()} as a on a.id = c.account_id
    where exists (select 1 from portal_contacts as p where lower(p.email) = ${lower} and p.account_id = c.account_id and p.customer_id = c.id)
       or ${lower} = any(string_to_array(lower(replace(replace(coalesce(c.email, ''), ';', ','), ' ', '')), ','))
    order by c.account_id, c.id
    limit 20
  `.execute(db);
  return result.rows.map((r) => ({
    ...r,
    account_id: Number(r.account_id),
    customer_id: Number(r.customer_id),
  }));
}

export async function insertLink(
  db: Executor,
  v: {
    account_id: number;
    customer_id: number;
    email: string;
    token_hash: Buffer;
    expires_at: Date;
    created_at: Date;
  },
): Promise<void> {
  await db.insertInto('portal_links').values(v).execute();
}

/** Uses a sign-in link once: returns it if it was unused and unexpired (and marks it used). */
export async function consumeLink(
  db: Executor,
  accountId: number,
  tokenHash: Buffer,
  now: Date,
): Promise<{ account_id: number; customer_id: number; email: string } | undefined> {
  const row = await db
    .updateTable('portal_links')
    .set({ used_at: now })
    .where('account_id', '=', accountId)
    .where('token_hash', '=', tokenHash)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .returning(['account_id', 'customer_id', 'email'])
    .executeTakeFirst();
  return row;
}

export async function findLink(db: Executor, accountId: number, tokenHash: Buffer) {
  return db
    .selectFrom('portal_links')
    .select(['account_id', 'used_at', 'expires_at'])
    .where('account_id', '=', accountId)
    .where('token_hash', '=', tokenHash)
    .executeTakeFirst();
}

export async function insertSession(
  db: Executor,
  v: {
    account_id: number;
    customer_id: number;
    email: string;
    token_hash: Buffer;
    csrf_token: string;
    expires_at: Date;
    last_seen_at: Date;
    created_at: Date;
  },
): Promise<void> {
  await db.insertInto('portal_sessions').values(v).execute();
}

export async function findSession(
  db: Executor,
  accountId: number,
  tokenHash: Buffer,
  now: Date,
): Promise<PortalSessionRow | undefined> {
  return db
    .selectFrom('portal_sessions')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('token_hash', '=', tokenHash)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
}

export async function revokeSession(db: Executor, accountId: number, id: number, now: Date): Promise<void> {
  await db
    .updateTable('portal_sessions')
    .set({ revoked_at: now })
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .execute();
}

export async function listContacts(db: Executor, accountId: number, customerId: number) {
  return db
    .selectFrom('portal_contacts')
    .select(['id', 'email', 'created_at'])
    .where('account_id', '=', accountId)
    .where('customer_id', '=', customerId)
    .orderBy('id')
    .limit(100)
    .execute();
}

export async function addContact(
  db: Executor,
  accountId: number,
  customerId: number,
  email: string,
  now: Date,
): Promise<void> {
  await sql`
    insert into portal_contacts (account_id, customer_id, email, created_at) values (${accountId}, ${customerId}, ${email}, ${now})
    on conflict (account_id, customer_id, lower(email)) do nothing
  `.execute(db);
}

export async function removeContact(
  db: Executor,
  accountId: number,
  customerId: number,
  id: number,
): Promise<boolean> {
  const result = await db
    .deleteFrom('portal_contacts')
    .where('account_id', '=', accountId)
    .where('customer_id', '=', customerId)
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** The customer's payment requests: those for its invoices, and its top-ups paid by link. */
export async function customerPaymentRequests(
  db: Executor,
  accountId: number,
  customerId: number,
  limit: number,
) {
  const result = await sql<{
    id: number;
    url: string;
    amount: string;
    paid_amount: string;
    description: string | null;
    expires_at: Date;
    cancelled_at: Date | null;
    created_at: Date;
    invoice_number: string | null;
  }>`
    select r.id, r.url, r.amount, r.paid_amount, r.description, r.expires_at, r.cancelled_at, r.created_at, i.invoice_number
    from ${paymentRequestRowsSql()} as r
    left join ${invoiceRowsSql()} as i on i.account_id = r.account_id and i.id = r.invoice_id
    where r.account_id = ${accountId}
      and (i.customer_id = ${customerId}
           or ${paysTopUpOfSql('r.account_id', 'r.id', customerId)})
    order by r.id desc
    limit ${limit}
  `.execute(db);
  return result.rows;
}
