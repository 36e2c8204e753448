// Outbox handlers for receipts of payments, by email and by SMS (the job kinds keep their collect.* names:
// jobs already queued must still find their handler). The payment link's handlers: collections/jobs.ts.
import type { Ctx } from '../context.ts';
import { findAccount } from '../accounts/repo.ts';
import { amountText, fromAddress, sendMail } from '../collections/jobs.ts';
import { findRequest, markInvoiceRequestsReceiptSent, markReceiptSent } from '../collections/repo.ts';
import { findInvoice } from '../invoices/repo.ts';
import type { OutboxJob } from '../outbox/repo.ts';
import { PermanentJobError, type JobHandler } from '../outbox/worker.ts';
import { sendSms } from '../sms/send-sms.ts';
import { receiptNumberOf } from './payment-money.ts';
import type { ReceiptJob } from './queue-receipts.ts';
import { findPayment, findReceipt, markReceiptRowSent } from './repo.ts';

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

async function receiptSent(
  ctx: Ctx,
  accountId: number,
  receipt: { id: number; request_id: number | null; invoice_id: number | null },
): Promise<void> {
  const now = ctx.now();
  await markReceiptRowSent(ctx.db, accountId, Number(receipt.id), now);
  if (receipt.request_id !== null) await markReceiptSent(ctx.db, accountId, Number(receipt.request_id), now);
  // A payment recorded on the invoice (bank transfer…) has no request: the invoice's requests show the receipt.
  else if (receipt.invoice_id !== null)
    await markInvoiceRequestsReceiptSent(ctx.db, accountId, Number(receipt.invoice_id), now);
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
  await sendMail(ctx, {
    from: fromAddress(account),
    to: [receipt.recipient],
    subject: `${account.name}: receipt for ${amount}`,
    text,
    attachments: [],
  });
  await receiptSent(ctx, account.id, receipt);
};

export const sendReceiptSms: JobHandler = async (job, ctx) => {
  const { account, receipt, payment, what } = await loadReceipt(ctx, job);
  // The same receipt number as the email's and the page's: one per payment, whatever the channels.
  const body = `${account.name}: thank you, we received ${amountText(account, receipt.amount)} for ${what}. Receipt number ${receiptNumberOf(payment)}.`;
  await sendSms(ctx, {
    accountId: account.id,
    outboxJobId: job.id,
    requestId: receipt.request_id,
    kind: 'receipt',
    to: receipt.recipient,
    body,
  });
  await receiptSent(ctx, account.id, receipt);
};

export const RECEIPT_JOB_HANDLERS: Readonly<Record<string, JobHandler>> = {
  'collect.receipt_email': sendReceiptEmail,
  'collect.receipt_sms': sendReceiptSms,
};
