// Receipts for a payment, queued in the payment's transaction: one per channel (email, SMS) the payer can be
// reached on. The outbox sends them; the request's receiptDate is set when one has gone out.
import type { Executor } from '../context.ts';
import type { PaymentRequestRow } from '../collections/repo.ts';
import { enqueue } from '../outbox/repo.ts';
import { paymentFigures } from './payment-money.ts';
import { insertReceipt, type PaymentRow } from './repo.ts';

export interface ReceiptJob {
  receiptId: number;
}

export interface ReceiptTargets {
  email?: string | null | undefined;
  mobileNumber?: string | null | undefined;
}

export function receiptTargets(request: PaymentRequestRow): ReceiptTargets {
  return { email: request.email, mobileNumber: request.mobile_number };
}

export async function queueReceipts(
  db: Executor,
  payment: PaymentRow,
  targets: ReceiptTargets,
  now: Date,
): Promise<{ accountId: number; id: number }[]> {
  const jobs: { accountId: number; id: number }[] = [];
  const channels: ['email' | 'sms', string][] = [];
  if (targets.email) channels.push(['email', targets.email]);
  if (targets.mobileNumber) channels.push(['sms', targets.mobileNumber]);
  for (const [channel, recipient] of channels) {
    const receipt = await insertReceipt(db, {
      account_id: payment.account_id,
      payment_id: payment.id,
      request_id: payment.request_id,
      invoice_id: payment.invoice_id,
      channel,
      recipient,
      // What the card was charged: an instalment's plan interest included.
      amount: paymentFigures(payment).charged,
      created_at: now,
    });
    const job = await enqueue(db, {
      accountId: payment.account_id,
      kind: channel === 'email' ? 'collect.receipt_email' : 'collect.receipt_sms',
      payload: { receiptId: Number(receipt.id) } satisfies ReceiptJob,
    });
    jobs.push({ accountId: payment.account_id, id: job.id });
  }
  return jobs;
}
