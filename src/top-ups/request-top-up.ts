// A top-up paid by link: a standalone payment request for the amount (the existing payment page), sent by
// email and/or SMS or handed to the customer (the portal redirects to it). The top-up waits, pending, and
// is credited to the balance by the payment that pays the request (balances/payment-hooks.ts), in the
// payment's own transaction.
import type { Ctx } from '../context.ts';
import { createPaymentRequests, type Channel } from '../collections/create-request.ts';
import type { PaymentRequestRow } from '../collections/repo.ts';
import { insertTopUp } from '../balances/repo.ts';
import { prepaidCustomer, topUpAmount } from '../balances/top-up.ts';
import type { TopUpRow } from '../balances/repo.ts';
import { assert } from '../shared/errors.ts';

export interface RequestTopUpInput {
  amount: string;
  email?: string | undefined;
  mobileNumber?: string | undefined;
  /** Default: every contact given (none: link only). */
  channels?: Channel[] | undefined;
  expiresInDays?: number | undefined;
  reference?: string | undefined;
}

export async function requestTopUp(
  ctx: Ctx,
  accountId: number,
  customerId: number,
  input: RequestTopUpInput,
  options: { baseUrl: string; defaultExpiryDays?: number },
): Promise<{ topUp: TopUpRow; request: PaymentRequestRow }> {
  const customer = await prepaidCustomer(ctx.db, accountId, customerId);
  const amount = topUpAmount(input.amount, customer.currency);
  let topUp: TopUpRow | undefined;
  const created = await createPaymentRequests(
    ctx,
    accountId,
    [
      {
        amount,
        description: `Top-up of the prepaid balance of ${customer.name}`,
        email: input.email,
        mobileNumber: input.mobileNumber,
        channels: input.channels,
        expiresInDays: input.expiresInDays,
        // A top-up is paid whole: the balance is credited with what was asked.
        allowPartial: false,
      },
    ],
    {
      batch: false,
      baseUrl: options.baseUrl,
      ...(options.defaultExpiryDays !== undefined ? { defaultExpiryDays: options.defaultExpiryDays } : {}),
      inTransaction: async (trx, requests) => {
        const now = ctx.now();
        topUp = await insertTopUp(trx, {
          account_id: accountId,
          customer_id: customerId,
          method: 'payment_request',
          amount,
          currency: customer.currency,
          status: 'pending',
          reference: input.reference?.trim() || null,
          notes: null,
          request_id: Number(requests[0]!.id),
          created_at: now,
          completed_at: null,
        });
      },
    },
  );
  assert(topUp, 'the top-up is made with its request');
  return { topUp, request: created.requests[0]! };
}
