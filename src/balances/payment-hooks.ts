// Where payments meet the ledger, called by the payments module inside the payment's (or refund's)
// transaction after its own locks (customer -> invoice -> request -> payment), so the balance row is
// locked last:
//   - a payment of a top-up's payment request completes the top-up and credits the balance;
//   - a payment of an invoice of a customer with a ledger (a postpaid credit limit) gives back that credit;
//   - a refund of either takes it away again.
import type { Executor } from '../context.ts';
import { money } from '../money/money.ts';
import { postToOne } from './post.ts';
import { findTopUpByRequest, lockBalances, updateTopUp } from './repo.ts';
import { creditTopUp } from './top-up.ts';

export interface PaymentFacts {
  accountId: number;
  paymentId: number;
  requestId: number | null;
  invoiceId: number | null;
  /** The invoice's customer (the payments module has the invoice locked). */
  invoiceCustomerId: number | null;
  /** What went to the request or invoice (the principal). */
  amount: string;
  now: Date;
}

export async function creditBalanceForPayment(trx: Executor, p: PaymentFacts): Promise<void> {
  if (p.requestId !== null) {
    const topUp = await findTopUpByRequest(trx, p.accountId, p.requestId);
    if (topUp) {
      if (topUp.status === 'completed') return;
      const completed = await updateTopUp(trx, p.accountId, topUp.id, {
        status: 'completed',
        payment_id: p.paymentId,
        completed_at: p.now,
        failure_reason: null,
      });
      await creditTopUp(trx, p.accountId, { ...completed, amount: money(p.amount).toFixed() }, p.now);
      return;
    }
  }
  if (p.invoiceId === null) return;
  const customerId = p.invoiceCustomerId;
  if (customerId === null) return;
  const [locked] = await lockBalances(trx, p.accountId, [customerId]);
  if (!locked) return;
  await postToOne(
    trx,
    p.accountId,
    locked,
    [
      {
        kind: 'payment',
        amount: money(p.amount),
        invoiceId: p.invoiceId,
        paymentId: p.paymentId,
        description: `payment of invoice ${p.invoiceId}`,
      },
    ],
    p.now,
  );
}

export async function debitBalanceForRefund(trx: Executor, p: PaymentFacts): Promise<void> {
  let customerId: number | undefined;
  let description = `refund of payment ${p.paymentId}`;
  if (p.requestId !== null) {
    const topUp = await findTopUpByRequest(trx, p.accountId, p.requestId);
    if (topUp) {
      customerId = topUp.customer_id;
      description = `refund of top-up ${topUp.id}`;
    }
  }
  if (customerId === undefined && p.invoiceId !== null) customerId = p.invoiceCustomerId ?? undefined;
  if (customerId === undefined) return;
  const [locked] = await lockBalances(trx, p.accountId, [customerId]);
  if (!locked) return;
  await postToOne(
    trx,
    p.accountId,
    locked,
    [
      {
        kind: 'refund',
        amount: money(p.amount).negated(),
        paymentId: p.paymentId,
        invoiceId: p.invoiceId,
        description,
      },
    ],
    p.now,
  );
}
