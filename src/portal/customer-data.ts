// What a signed-in customer reads and changes on the portal: always its own rows (the session's account
// and customer name every query), through the same use cases as the API where there is one.
import type { Ctx } from '../context.ts';
import { readBalance, type BalanceState } from '../balances/get-balance.ts';
import { listEntries } from '../balances/repo.ts';
import { setAutoTopUp } from '../balances/set-auto-top-up.ts';
import { createAlert, getAlerts, removeAlert, type AlertInput } from '../alerts/manage-alerts.ts';
import { invoiceBill } from '../delivery/invoice-bill.ts';
import type { BillDocument } from '../delivery/documents.ts';
import type { PortalSessionRow } from './repo.ts';
import { requestTopUp } from '../top-ups/request-top-up.ts';
import { parseEmailList } from '../shared/contact.ts';
import { invalid, notFound } from '../shared/errors.ts';
import { addContact, customerPaymentRequests, listContacts, removeContact } from './repo.ts';
import { customerCalls, type CustomerCallSearch as CallSearch } from '../calls/reports-repo.ts';
import { customerInvoices, findCustomerInvoice } from '../invoices/reports-repo.ts';
import { findAccount as findAccountRow } from '../accounts/repo.ts';

export type Session = Pick<PortalSessionRow, 'account_id' | 'customer_id'>;

export function portalBalance(ctx: Ctx, s: Session): Promise<BalanceState> {
  return readBalance(ctx.db, s.account_id, s.customer_id, ctx.now());
}

export function portalEntries(
  ctx: Ctx,
  s: Session,
  page: { after?: number | undefined; limit: number },
  range: { from?: Date | undefined; to?: Date | undefined } = {},
) {
  return listEntries(ctx.db, s.account_id, { customerId: s.customer_id, ...range }, page);
}

export function portalInvoices(ctx: Ctx, s: Session) {
  return customerInvoices(ctx.db, s.account_id, s.customer_id, 100);
}

export async function portalInvoicePdf(ctx: Ctx, s: Session, invoiceId: number): Promise<BillDocument> {
  const invoice = await findCustomerInvoice(ctx.db, s.account_id, s.customer_id, invoiceId);
  if (!invoice) throw notFound('Invoice', invoiceId);
  const account = await findAccountRow(ctx.db, s.account_id);
  if (!account) throw notFound('Invoice', invoiceId);
  return invoiceBill(ctx, account, invoice, undefined);
}

export function portalCalls(ctx: Ctx, s: Session, search: CallSearch) {
  return customerCalls(ctx.db, s.account_id, s.customer_id, search);
}

export function portalPaymentRequests(ctx: Ctx, s: Session) {
  return customerPaymentRequests(ctx.db, s.account_id, s.customer_id, 100);
}

export async function portalTopUp(ctx: Ctx, s: Session, amount: string, baseUrl: string): Promise<string> {
  const { request } = await requestTopUp(
    ctx,
    s.account_id,
    s.customer_id,
    { amount, channels: [] },
    { baseUrl },
  );
  return request.url;
}

/** The customer's automatic top-up (the card is the one saved when paying a top-up). */
export async function portalSetAutoTopUp(
  ctx: Ctx,
  s: Session,
  input: { enabled: boolean; threshold: string; amount: string },
): Promise<void> {
  await setAutoTopUp(ctx, s.account_id, s.customer_id, {
    enabled: input.enabled,
    threshold: input.threshold,
    amount: input.amount,
  });
}

export function portalContacts(ctx: Ctx, s: Session) {
  return listContacts(ctx.db, s.account_id, s.customer_id);
}

export async function portalAddContact(ctx: Ctx, s: Session, email: string): Promise<void> {
  const list = parseEmailList(email, 'email');
  if (list.length !== 1) throw invalid('email', 'give one email address');
  await addContact(ctx.db, s.account_id, s.customer_id, list[0]!, ctx.now());
}

export async function portalRemoveContact(ctx: Ctx, s: Session, id: number): Promise<void> {
  if (!(await removeContact(ctx.db, s.account_id, s.customer_id, id))) throw notFound('Contact', id);
}

export function portalAlerts(ctx: Ctx, s: Session) {
  return getAlerts(ctx, s.account_id, s.customer_id);
}

export function portalAddAlert(ctx: Ctx, s: Session, input: AlertInput) {
  return createAlert(ctx, s.account_id, s.customer_id, input);
}

export function portalRemoveAlert(ctx: Ctx, s: Session, id: number) {
  return removeAlert(ctx, s.account_id, s.customer_id, id);
}

/** What every portal page shows at the top: the account's and the customer's names, and the money's terms. */
export async function portalHeader(
  ctx: Ctx,
  s: Session,
): Promise<{
  merchant: string | undefined;
  customer: string | undefined;
  currency: string;
  timezone: string;
}> {
  const account = await findAccountRow(ctx.db, s.account_id);
  const b = await readBalance(ctx.db, s.account_id, s.customer_id, ctx.now());
  return {
    merchant: account?.name,
    customer: b.customer.name,
    currency: b.customer.currency,
    timezone: b.customer.timezone,
  };
}
