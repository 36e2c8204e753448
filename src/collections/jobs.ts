// Outbox handlers for collections: the payment link by SMS and by email (receipts: payments/receipt-jobs.ts). Each builds its
// message when it is sent (a retry after a restart sends the same thing) and records the send on the request.
import type { Ctx } from '../context.ts';
import { findAccount } from '../accounts/repo.ts';
import type { AccountRow } from '../accounts/repo.ts';
import { isPermanentMailError } from '../email/mailer.ts';
import { findInvoice } from '../invoices/repo.ts';
import type { OutboxJob } from '../outbox/repo.ts';
import { PermanentJobError, type JobHandler } from '../outbox/worker.ts';
import { currencyMinorDigits, formatAmount } from '../money/money.ts';
import { sendSms } from '../sms/send-sms.ts';
import type { CollectJob } from './create-request.ts';
import { findRequest, markRequestSent, type PaymentRequestRow } from './repo.ts';

async function loadRequest(
  ctx: Ctx,
  job: OutboxJob,
): Promise<{ account: AccountRow; request: PaymentRequestRow; what: string }> {
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

export function fromAddress(account: AccountRow): string {
  const address = account.email_from ?? account.email ?? 'billing@ringbill.invalid';
  return `"${account.name.replace(/"/g, "'")}" <${address}>`;
}

export function amountText(account: AccountRow, amount: string): string {
  return `${account.currency} ${formatAmount(amount, currencyMinorDigits(account.currency))}`;
}

export async function sendMail(
  ctx: Ctx,
  mail: Parameters<Ctx['services']['mailer']['send']>[0],
): Promise<void> {
  try {
    const sent = await ctx.services.mailer.send(mail);
    if (sent.rejected.length > 0)
      throw new PermanentJobError(`the mail server refused ${sent.rejected.join(', ')}`);
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
  if (!request.mobile_number)
    throw new PermanentJobError(`payment request ${request.id} has no mobile number`);
  const body = `${account.name}: please pay ${amountText(account, request.amount)} for ${what}: ${request.url} (link valid until ${expiryText(request)})`;
  await sendSms(ctx, {
    accountId: account.id,
    outboxJobId: job.id,
    requestId: Number(request.id),
    kind: 'payment_request',
    to: request.mobile_number,
    body,
  });
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
  await sendMail(ctx, {
    from: fromAddress(account),
    to: [request.email],
    subject: `${account.name}: payment request for ${what}`,
    text,
    html,
    attachments: [],
  });
  await markRequestSent(ctx.db, account.id, Number(request.id), 'email', ctx.now());
};

function escapeHtml(value: string): string {
  return value.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

export const COLLECT_JOB_HANDLERS: Readonly<Record<string, JobHandler>> = {
  'collect.request_sms': sendRequestSms,
  'collect.request_email': sendRequestEmail,
};
