import { z } from 'zod';
import { KeyLevel } from '../../../api-keys/levels.ts';
import { findBillingRun, listBillingRuns } from '../../../billing-runs/repo.ts';
import { resumeBilling } from '../../../billing-runs/resume-billing.ts';
import { MAX_CHOSEN_CUSTOMERS, runBilling } from '../../../billing-runs/run-billing.ts';
import { previewBilling } from '../../../billing-runs/preview-billing.ts';
import { invoiceView, toInvoiceView } from '../views/invoices.ts';
import { transactionView, toTransactionView } from '../views/transactions.ts';
import type { Ctx } from '../../../context.ts';
import { notFound } from '../../../shared/errors.ts';
import { defaultCutoff } from '../../../shared/today.ts';
import { principalOf } from '../../auth.ts';
import { loadAccount, type ZodApp } from '../../kit/app-type.ts';
import { pathId, sendPage } from '../../kit/route-helpers.ts';
import { apiAuditOf } from '../../kit/unit-of-work.ts';
import { errorBody, idParams, isoDate, pageQuery } from '../schemas.ts';
import { billingRunView, toBillingRunView } from '../../kit/views/billing-runs.ts';

const tags = ['Billing runs'];

/** A customer's id in a body or query: digits (anything else is a 400 naming the field). */
const customerIdInput = z
  .string()
  .regex(/^[1-9][0-9]{0,15}$/, { message: 'must be a customer id (digits)' })
  .meta({ example: '42' });

const billingPreviewView = z
  .object({
    customerID: z.string(),
    cutoffDate: z.string(),
    wouldBill: z.boolean().meta({
      description: 'Whether a run at this cut-off would bill the customer (count it and mark the invoice)',
    }),
    invoiceExists: z.boolean().meta({
      description:
        'True when the invoice exists already, unsent (the run completes it); false when the run would make it',
    }),
    invoice: invoiceView
      .nullable()
      .meta({ description: 'The unsent invoice as the run would leave it; null when it would make none' }),
    transactions: z.array(transactionView),
    moreTransactions: z
      .boolean()
      .meta({ description: 'More than the 1000 listed transactions are on the invoice' }),
  })
  .meta({ id: 'BillingRunPreview' });

export function billingRunRoutes(app: ZodApp, ctx: Ctx): void {
  app.post(
    '/billingRuns',
    {
      // The run commits batch by batch (a long process): its entry is written with the run's row.
      config: { level: KeyLevel.invoices, unitOfWork: false, auditedByRoute: true },
      schema: {
        tags,
        operationId: 'createBillingRun',
        summary: 'Run billing for every customer, or for chosen customers',
        description:
          'Completes an unsent invoice for every customer with anything to bill at the cut-off (made if there is none). Runs to the end before answering. Running it again, or twice at once, bills nothing twice. invoicesCompleted counts every invoice it completed, invoicesCreated those of them it made. A run whose process stops part-way becomes `interrupted` (the counts say what committed) and POST /billingRuns/{id}/resume finishes it. The invoices are then listed with GET /invoices?unsent&billingRun=ID. A customer whose existing unsent invoice holds nothing due at the cut-off (only charges dated after it) has that invoice completed for the cut-off, but it is not counted in customersBilled nor marked with the run.',
        body: z
          .object({
            cutoffDate: isoDate
              .optional()
              .meta({ description: 'Default: the first day of the current month in the account timezone' }),
            customerIDs: z
              .array(customerIdInput)
              .min(1)
              .max(MAX_CHOSEN_CUSTOMERS)
              .optional()
              .meta({
                description: `Bill only these customers (1 to ${MAX_CHOSEN_CUSTOMERS}, each of this account: another id is a 404); default: every customer with anything to bill`,
              }),
          })
          .strict()
          .nullish(),
        response: { 201: billingRunView, 400: errorBody, 404: errorBody },
      },
    },
    async (request, reply) => {
      const { accountId } = principalOf(request);
      const account = await loadAccount(ctx, accountId);
      const cutoffDate = request.body?.cutoffDate ?? defaultCutoff(account, ctx.now());
      const customerIds = request.body?.customerIDs?.map(Number);
      const run = await runBilling(ctx, accountId, {
        cutoffDate,
        customerIds,
        audit: apiAuditOf(request, {
          action: 'create',
          resource: 'billingRuns',
          changes: { cutoffDate, ...(customerIds ? { customerIds } : {}) },
        }),
      });
      return reply.status(201).send(toBillingRunView(run));
    },
  );

  app.post(
    '/billingRuns/:id/resume',
    {
      config: { level: KeyLevel.invoices, unitOfWork: false, auditedByRoute: true },
      schema: {
        tags,
        operationId: 'resumeBillingRun',
        summary: 'Finish a billing run that stopped part-way',
        description:
          'Finishes a run whose status is `interrupted` (the process running it stopped: a crash, kill -9, a lost machine) or `failed`, or one still `running` whose process is gone. What its committed batches billed stays; the customers it had not billed are billed now, for its cut-off and under its id, so nothing is billed twice and its counts cover the whole run. Runs to the end before answering, with the completed run. A completed run, or one running in a live process, is a 409.',
        params: idParams,
        response: { 200: billingRunView, 404: errorBody, 409: errorBody },
      },
    },
    async (request) => {
      const id = pathId(request.params.id, 'Billing run');
      const audit = apiAuditOf(request, { action: 'resume', resource: 'billingRuns', resourceId: id });
      return toBillingRunView(await resumeBilling(ctx, principalOf(request).accountId, id, undefined, audit));
    },
  );

  app.get(
    '/billingRuns',
    {
      schema: {
        tags,
        operationId: 'listBillingRuns',
        summary: 'List billing runs',
        querystring: z.object(pageQuery),
        response: { 200: z.array(billingRunView) },
      },
    },
    async (request, reply) => {
      const page = await listBillingRuns(ctx.db, principalOf(request).accountId, request.query);
      return sendPage(request, reply, page, toBillingRunView);
    },
  );

  app.get(
    '/billingRuns/preview',
    {
      config: { level: KeyLevel.invoices },
      schema: {
        tags,
        operationId: 'previewBillingRun',
        summary: 'What a billing run would invoice for a customer, without writing anything',
        description:
          "Runs what a billing run at the cut-off would do for one customer (the customer's unsent invoice completed for the cut-off, made if there is none) and rolls it back: the invoice and its transactions as the run would leave them, and whether the run would bill the customer. Nothing is written. At most 1000 transactions are listed (moreTransactions says when there are more).",
        querystring: z.object({
          customerID: customerIdInput.meta({
            description: 'The customer (of this account: another id is a 404)',
          }),
          cutoffDate: isoDate
            .optional()
            .meta({ description: 'Default: the first day of the current month in the account timezone' }),
        }),
        response: { 200: billingPreviewView, 400: errorBody, 404: errorBody },
      },
    },
    async (request) => {
      const { accountId } = principalOf(request);
      const account = await loadAccount(ctx, accountId);
      const preview = await previewBilling(ctx, accountId, {
        customerId: Number(request.query.customerID),
        cutoffDate: request.query.cutoffDate ?? defaultCutoff(account, ctx.now()),
      });
      return {
        customerID: String(preview.customerId),
        cutoffDate: preview.cutoffDate,
        wouldBill: preview.wouldBill,
        invoiceExists: preview.invoiceExists,
        invoice: preview.invoice ? toInvoiceView(preview.invoice, account) : null,
        transactions: preview.lines.map((t) => toTransactionView(t, account)),
        moreTransactions: preview.moreLines,
      };
    },
  );

  app.get(
    '/billingRuns/:id',
    {
      schema: {
        tags,
        operationId: 'getBillingRun',
        summary: 'Get a billing run',
        params: idParams,
        response: { 200: billingRunView, 404: errorBody },
      },
    },
    async (request) => {
      const id = pathId(request.params.id, 'Billing run');
      const run = await findBillingRun(ctx.db, principalOf(request).accountId, id);
      if (!run) throw notFound('Billing run', id);
      return toBillingRunView(run);
    },
  );
}
