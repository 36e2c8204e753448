import { z } from 'zod';
import { KeyLevel } from '../../../api-keys/levels.ts';
import { cancelPaymentRequest } from '../../../collections/cancel-request.ts';
import { createPaymentRequests, type PaymentRequestInput } from '../../../collections/create-request.ts';
import { getRequest } from '../../../payments/get-request.ts';
import type { Ctx } from '../../../context.ts';
import { attemptsWithRefunds, paymentsWithRefunds } from '../../../payments/list-payments.ts';
import { invalid } from '../../../shared/errors.ts';
import { refundFromRoute } from '../../kit/refund-route.ts';
import { principalOf } from '../../auth.ts';
import type { ZodApp } from '../../kit/app-type.ts';
import { pathId } from '../../kit/route-helpers.ts';
import { publicBaseUrl } from '../../public-url.ts';
import type { CollectOptions } from '../index.ts';
import {
  attemptView,
  paymentView,
  refundView,
  toAttemptView,
  toPaymentView,
  toRefundView,
} from '../payment-views.ts';
import {
  batchBody,
  errorResponses,
  idParams,
  refundBody,
  requestBody,
  type RequestBody,
} from '../schemas.ts';
import { collectInvoice, toCollectInvoice } from '../views.ts';

const tags = ['Collections: payment requests'];
const MAX_LISTED = 1000;

function toInput(body: RequestBody, at = ''): PaymentRequestInput {
  const { invoiceAmount, amount, ...rest } = body;
  if (invoiceAmount !== undefined && amount !== undefined && invoiceAmount !== amount) {
    throw invalid(`${at}invoiceAmount`, 'give amount or invoiceAmount, not two different amounts');
  }
  return { ...rest, amount: amount ?? invoiceAmount };
}

export function requestRoutes(app: ZodApp, ctx: Ctx, options: CollectOptions): void {
  app.post(
    '/requests',
    {
      schema: {
        tags,
        operationId: 'createPaymentRequest',
        summary: 'Send a payment request',
        description:
          'For an approved invoice (`invoiceId`: what it has outstanding, or `amount` of it) or a standalone `amount` with an `accountNumber`, `handler` and up to three custom label/value pairs. The link (`url`, `/pay/{token}`) goes by SMS to `mobileNumber` and/or by email to `email` through the outbox. Answers the request as the report shows it.',
        body: requestBody,
        response: { 201: collectInvoice, ...errorResponses },
      },
      config: { level: KeyLevel.invoices },
    },
    async (request, reply) => {
      const { accountId } = principalOf(request);
      const created = await createPaymentRequests(ctx, accountId, [toInput(request.body)], {
        batch: false,
        baseUrl: publicBaseUrl(request, options.publicUrl),
        defaultExpiryDays: options.linkExpiryDays,
      });
      const row = await getRequest(ctx, accountId, Number(created.requests[0]!.id));
      return reply.status(201).send(toCollectInvoice(row, ctx.now()));
    },
  );

  app.post(
    '/requests/batch',
    {
      schema: {
        tags,
        operationId: 'createPaymentRequestBatch',
        summary: 'Send a batch of payment requests',
        description:
          'Up to 500 requests, all checked first (a mistake names `requests.N.field`) and stored together; they share one `batchId`.',
        body: batchBody,
        response: {
          201: z.object({ batchId: z.number().int(), requests: z.array(collectInvoice) }),
          ...errorResponses,
        },
      },
      config: { level: KeyLevel.invoices },
    },
    async (request, reply) => {
      const { accountId } = principalOf(request);
      const inputs = request.body.requests.map((r, i) => toInput(r, `requests.${i}.`));
      const created = await createPaymentRequests(ctx, accountId, inputs, {
        batch: true,
        baseUrl: publicBaseUrl(request, options.publicUrl),
        defaultExpiryDays: options.linkExpiryDays,
      });
      const rows = await Promise.all(created.requests.map((r) => getRequest(ctx, accountId, Number(r.id))));
      return reply
        .status(201)
        .send({ batchId: created.batchId!, requests: rows.map((r) => toCollectInvoice(r, ctx.now())) });
    },
  );

  app.get(
    '/requests/:id',
    {
      schema: {
        tags,
        operationId: 'getPaymentRequest',
        summary: 'A payment request and its state',
        params: idParams,
        response: { 200: collectInvoice, ...errorResponses },
      },
    },
    async (request) => {
      const { accountId } = principalOf(request);
      const row = await getRequest(ctx, accountId, pathId(request.params.id, 'Payment request'));
      return toCollectInvoice(row, ctx.now());
    },
  );

  app.post(
    '/requests/:id/cancel',
    {
      schema: {
        tags,
        operationId: 'cancelPaymentRequest',
        summary: 'Cancel a payment link (it stops taking payments)',
        params: idParams,
        response: { 200: collectInvoice, ...errorResponses },
      },
      config: { level: KeyLevel.invoices },
    },
    async (request) => {
      const { accountId } = principalOf(request);
      const id = pathId(request.params.id, 'Payment request');
      await cancelPaymentRequest(ctx, accountId, id);
      return toCollectInvoice(await getRequest(ctx, accountId, id), ctx.now());
    },
  );

  app.get(
    '/requests/:id/attempts',
    {
      schema: {
        tags,
        operationId: 'listPaymentAttempts',
        summary: 'Payment attempts on a request (approved and declined)',
        params: idParams,
        response: { 200: z.array(attemptView), ...errorResponses },
      },
    },
    async (request) => {
      const { accountId } = principalOf(request);
      const id = pathId(request.params.id, 'Payment request');
      await getRequest(ctx, accountId, id);
      return (await attemptsWithRefunds(ctx, accountId, id, MAX_LISTED)).map((a) =>
        toAttemptView(a.attempt, a.refunds),
      );
    },
  );

  app.get(
    '/requests/:id/payments',
    {
      schema: {
        tags,
        operationId: 'listPaymentRequestPayments',
        summary: 'Payments received through a request',
        params: idParams,
        response: { 200: z.array(paymentView), ...errorResponses },
      },
    },
    async (request) => {
      const { accountId } = principalOf(request);
      const id = pathId(request.params.id, 'Payment request');
      await getRequest(ctx, accountId, id);
      return (await paymentsWithRefunds(ctx, accountId, { requestId: id }, MAX_LISTED)).map((p) =>
        toPaymentView(p.payment, p.refunds),
      );
    },
  );

  app.post(
    '/payments/:id/refunds',
    {
      schema: {
        tags,
        operationId: 'refundCollectedPayment',
        summary: 'Refund a payment (all, or part)',
        description:
          "A card payment is refunded through its gateway: the refund is recorded at once (the request and its invoice move to `partially_refunded` or `refunded`) and sent to the gateway by the outbox, tried at once and retried until the gateway takes it. Its `status` (and the payment's `refundStatus`) shows pending, succeeded, failed_retrying (with `lastError`) or failed.",
        params: idParams,
        body: refundBody,
        response: { 201: z.object({ refund: refundView, payment: paymentView }), ...errorResponses },
      },
      // The refund commits before the gateway is called, its audit entry with it (as on the backend API).
      config: { level: KeyLevel.invoices, unitOfWork: false, auditedByRoute: true },
    },
    async (request, reply) => {
      const result = await refundFromRoute(ctx, request, pathId(request.params.id, 'Payment'), {
        amount: request.body?.amount,
        reason: request.body?.reason,
      });
      return reply.status(201).send({
        refund: toRefundView(result.refund),
        payment: toPaymentView(result.payment, result.refunds),
      });
    },
  );
}
