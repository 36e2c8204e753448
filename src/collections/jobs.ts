// Outbox handlers for collections: the payment link by SMS and by email, and receipts. Each builds its
// message when it is sent (a retry after a restart sends the same thing) and records the send on the request.
import type { Ctx } from '../context.ts';
import { findAccount } from '../accounts/repo.ts';
import type { AccountRow } from '../db/schema.ts';
import { isPermanentMailError } from '../delivery/mailer.ts';
import { findInvoice } from '../invoices/repo.ts';
import type { OutboxJob } from '../outbox/repo.ts';
import { PermanentJobError, type JobHandler } from '../outbox/worker.ts';
import { findPayment, findReceipt, markReceiptRowSent } from '../payments/repo.ts';
import type { ReceiptJob } from '../payments/queue-receipts.ts';
import { receiptNumberOf } from '../payments/payment-money.ts';
import { currencyMinorDigits, formatAmount } from '../money/money.ts';
import { sendSms } from '../sms/send-sms.ts';
import type { CollectJob } from './create-request.ts';
import { findRequest, markInvoiceRequestsReceiptSent, markReceiptSent, markRequestSent, type PaymentRequestRow } from './repo.ts';

async function loadRequest(ctx: Ctx, job: OutboxJob): Promise<{ account: AccountRow; request: PaymentRequestRow; what: string }> {
  const { requestId } = job.payload as CollectJob;
  const account = await findAccount(ctx.db, job.account_id);
  const request = await findRequest(ctx.db, job.account_id, requestId);
  if (!account || !request) throw new PermanentJobError(`payment request ${requestId} no longer exists`);
  let what = request.description ?? 'your payment';
  if (request.invoice_id !== null) {
    const invoice = await findInvoice(ctx.db, job.account_id, Number(request.invoice_id));
    what = `invoice ${invoice?.invoice_number ?? request.invoice_id}`;
  }
  return { account, request, what };
}

function fromAddress(account: AccountRow): string {
  const address = account.email_from ?? account.email ?? 'billing@ringbill.invalid';
  return `"${account.name.replace(/"/g, "'")}" <${address}>`;
}

function amountText(account: AccountRow, amount: string): string {
  return `${account.currency} ${formatAmount(amount, currencyMinorDigits(account.currency))}`;
}

async function sendMail(ctx: Ctx, mail: Parameters<Ctx['services']['mailer']['send']>[0]): Promise<void> {
  try {
    const sent = await ctx.services.mailer.send(mail);
    if (sent.rejected.length > 0) throw new PermanentJobError(`the mail server refused ${sent.rejected.join(', ')}`);
  } catch (error) {
    if (error instanceof PermanentJobError) throw error;
    if (isPermanentMailError(error)) throw new PermanentJobError((error as Error).message);
    throw error;
  }
}

function expiryText(request: PaymentRequestRow): string {
  return request.expires_at.toISOString().slice(0, 10);
}

export const sendRequestSms: JobHandler = async (job, ctx) => {
  const { account, request, what } = await loadRequest(ctx, job);
  if (!request.mobile_number) throw new PermanentJobError(`payment request ${request.id} has no mobile number`);
  const body = `${account.name}: please pay ${amountText(account, request.amount)} for ${what}: ${request.url} (link valid until ${expiryText(request)})`;
  await sendSms(ctx, { accountId: account.id, outboxJobId: job.id, requestId: Number(request.id), kind: 'payment_request', to: request.mobile_number, body });
  await markRequestSent(ctx.db, account.id, Number(request.id), 'sms', ctx.now());
};

export const sendRequestEmail: JobHandler = async (job, ctx) => {
  const { account, request, what } = await loadRequest(ctx, job);
  if (!request.email) throw new PermanentJobError(`payment request ${request.id} has no email address`);
  const amount = amountText(account, request.amount);
  const text = [
    `Hello,`,
    ``,
    `${account.name} asks you to pay ${amount} for ${what}.`,
    ``,
    `Pay securely online: ${request.url}`,
    ``,
    `This link is valid until ${expiryText(request)}.`,
    ``,
    account.name,
  ].join('\n');
  const html = `<p>Hello,</p><p>${escapeHtml(account.name)} asks you to pay <strong>${escapeHtml(amount)}</strong> for ${escapeHtml(what)}.</p><p><a href="${escapeHtml(request.url)}">Pay now</a></p><p>This link is valid until ${expiryText(request)}.</p>`;
  await sendMail(ctx, { from: fromAddress(account), to: [request.email], subject: `${account.name}: payment request for ${what}`, text, html, attachments: [] });
  await markRequestSent(ctx.db, account.id, Number(request.id), 'email', ctx.now());
};

async function loadReceipt(ctx: Ctx, job: OutboxJob) {
  const { receiptId } = job.payload as ReceiptJob;
  const account = await findAccount(ctx.db, job.account_id);
  const receipt = await findReceipt(ctx.db, job.account_id, receiptId);
  const payment = receipt ? await findPayment(ctx.db, job.account_id, Number(receipt.payment_id)) : undefined;
  if (!account || !receipt || !payment) throw new PermanentJobError(`receipt ${receiptId} no longer exists`);
  let what = 'your payment';
  if (payment.invoice_id !== null) {
    const invoice = await findInvoice(ctx.db, job.account_id, Number(payment.invoice_id));
    what = `invoice ${invoice?.invoice_number ?? payment.invoice_id}`;
  } else if (payment.request_id !== null) {
    const request = await findRequest(ctx.db, job.account_id, Number(payment.request_id));
    what = request?.description ?? `payment request ${payment.request_id}`;
  }
  return { account, receipt, payment, what };
}

async function receiptSent(ctx: Ctx, accountId: number, receipt: { id: number; request_id: number | null; invoice_id: number | null }): Promise<void> {
  const now = ctx.now();
  await markReceiptRowSent(ctx.db, accountId, Number(receipt.id), now);
  if (receipt.request_id !== null) await markReceiptSent(ctx.db, accountId, Number(receipt.request_id), now);
  // A payment recorded on the invoice (bank transfer…) has no request: the invoice's requests show the receipt.
  else if (receipt.invoice_id !== null) await markInvoiceRequestsReceiptSent(ctx.db, accountId, Number(receipt.invoice_id), now);
}

export const sendReceiptEmail: JobHandler = async (job, ctx) => {
  const { account, receipt, payment, what } = await loadReceipt(ctx, job);
  // The receipt's amount is what was charged (an instalment's interest included), not the principal.
  const amount = amountText(account, receipt.amount);
  const card = payment.card_last4 ? ` by card ending ${payment.card_last4}` : '';
  const text = [
    `Thank you for your payment.`,
    ``,
    `Received: ${amount}${card} for ${what}`,
    `Date: ${payment.paid_at.toISOString().slice(0, 19).replace('T', ' ')} UTC`,
    `Receipt number: ${receiptNumberOf(payment)}`,
    `Payment reference: ${payment.gateway_reference ?? payment.reference ?? payment.id}`,
    ``,
    account.name,
  ].join('\n');
  await sendMail(ctx, { from: fromAddress(account), to: [receipt.recipient], subject: `${account.name}: receipt for ${amount}`, text, attachments: [] });
  await receiptSent(ctx, account.id, receipt);
};

export const sendReceiptSms: JobHandler = async (job, ctx) => {
  const { account, receipt, payment, what } = await loadReceipt(ctx, job);
  // The same receipt number as the email's and the page's: one per payment, whatever the channels.
  const body = `${account.name}: thank you, we received ${amountText(account, receipt.amount)} for ${what}. Receipt number ${receiptNumberOf(payment)}.`;
  await sendSms(ctx, { accountId: account.id, outboxJobId: job.id, requestId: receipt.request_id, kind: 'receipt', to: receipt.recipient, body });
  await receiptSent(ctx, account.id, receipt);
};

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export const COLLECT_JOB_HANDLERS: Readonly<Record<string, JobHandler>> = {
  'collect.request_sms': sendRequestSms,
  'collect.request_email': sendRequestEmail,
  'collect.receipt_email': sendReceiptEmail,
  'collect.receipt_sms': sendReceiptSms,
};
