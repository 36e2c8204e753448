import { z } from 'zod';
import { KeyLevel } from '../../../api-keys/levels.ts';
import type { Ctx } from '../../../context.ts';
import { findCustomer } from '../../../customers/repo.ts';
import { createInvoice } from '../../../invoices/create-invoice.ts';
import { deleteInvoice } from '../../../invoices/delete-invoice.ts';
import { findInvoice, listInvoices, type InvoiceFilter } from '../../../invoices/repo.ts';
import { STATUS_FLAGS } from '../../../invoices/status.ts';
import { updateInvoice } from '../../../invoices/update-invoice.ts';
import { notFound } from '../../../shared/errors.ts';
import { principalOf } from '../../auth.ts';
import { loadAccount, type ZodApp } from '../../kit/app-type.ts';
import { invoiceActions, runInvoiceAction } from '../invoice-actions.ts';
import { pathId, sendPage } from '../../kit/route-helpers.ts';
import {
  createdSinceOf,
  createdSinceQuery,
  deletedBody,
  errorBody,
  flag,
  idParams,
  isoDate,
  pageQuery,
  shortText,
} from '../schemas.ts';
import { invoiceView, toInvoiceView } from '../views/invoices.ts';
import { invoiceBill } from '../../../delivery/invoice-bill.ts';
import { publicBaseUrl } from '../../public-url.ts';
import { SENDS_AT_ONCE } from '../../audit-hook.ts';
import { apiAuditOf } from '../../kit/unit-of-work.ts';

const tags = ['Invoices'];

const listQuery = z.object({
  invoiceNumber: z.string().max(100).optional().meta({ description: 'Exact invoice number' }),
  unsent: flag.meta({ description: 'Show unsent invoices' }),
  includeUnsent: flag.meta({ description: 'Show all invoices, including unsent' }),
  undelivered: flag.meta({
    description: 'Only invoices not emailed, downloaded, printed or marked delivered',
  }),
  minDate: isoDate.optional().meta({ description: 'Invoices dated on or after' }),
  maxDate: isoDate.optional().meta({ description: 'Invoices dated on or before' }),
  minDueDate: isoDate.optional().meta({ description: 'Invoices due on or after' }),
  maxDueDate: isoDate.optional().meta({ description: 'Invoices due on or before' }),
  createdSince: createdSinceQuery('Invoices'),
  billingRun: z.coerce
    .number()
    .int()
    .min(1)
    .optional()
    .meta({ description: 'Invoices completed by this billing run' }),
  ...pageQuery,
});

const createBody = z
  .object({
    cutoffDate: isoDate
      .optional()
      .meta({ description: 'Default: the first day of the current month in the account timezone' }),
    transactionCutoffDate: isoDate.optional().meta({
      description:
        'Include non-call charges by transaction date before this date; the bill date advance/arrears mechanism then does not apply',
    }),
    _includeTransactionIDs: z
      .array(z.union([z.string().regex(/^\d{1,16}$/), z.number().int().positive()]))
      .max(10_000)
      .optional()
      .meta({
        description:
          "Transactions to put on this invoice whatever their dates (the customer's, unbilled or already on it)",
      }),
  })
  .strict()
  .nullish();

const updateBody = z
  .object({
    billStyle: shortText.nullish(),
    invoiceMessage: shortText.nullish(),
    invoiceUsageReportCustomerProfile: shortText.nullish(),
    customerReference: shortText.nullish(),
    purchaseOrderNumber: shortText.nullish(),
    onlineBillType: shortText.nullish(),
    emailBillType: shortText.nullish(),
    postBillType: shortText.nullish(),
    faxBillType: shortText.nullish(),
    billTypes: z.array(shortText).max(20).optional(),
    paymentMethod: shortText.nullish(),
    dueDate: isoDate.optional().meta({ description: 'Approved invoices only' }),
    status: z.array(z.enum(STATUS_FLAGS)).max(STATUS_FLAGS.length).optional().meta({
      description:
        'Status flags; only printed and delivered can be set or cleared by hand (approved invoices)',
    }),
  })
  .strict();

type ListQuery = z.infer<typeof listQuery>;

function filterOf(query: ListQuery, timezone: string): InvoiceFilter {
  const createdSince = createdSinceOf(query.createdSince, timezone);
  return {
    state: query.includeUnsent ? 'all' : query.unsent ? 'unsent' : 'raised',
    invoiceNumber: query.invoiceNumber,
    undelivered: query.undelivered,
    minDate: query.minDate,
    maxDate: query.maxDate,
    minDueDate: query.minDueDate,
    maxDueDate: query.maxDueDate,
    createdSince,
    billingRunId: query.billingRun,
  };
}

/** Whether the Accept header asks for a PDF rather than JSON (a PDF listed before JSON, or alone). */
function wantsPdf(accept: string | undefined): boolean {
  if (!accept) return false;
  const types = accept.split(',').map((t) => t.split(';')[0]!.trim().toLowerCase());
  const pdf = types.indexOf('application/pdf');
  const json = types.findIndex((t) => t === 'application/json' || t === '*/*');
  return pdf !== -1 && (json === -1 || pdf < json);
}

const listDescription =
  'By default only raised (approved) invoices are shown; `unsent` shows unsent ones, `includeUnsent` all.';

export function invoiceRoutes(app: ZodApp, ctx: Ctx, options: { publicUrl?: string | undefined } = {}): void {
  app.get(
    '/invoices',
    {
      schema: {
        tags,
        operationId: 'listInvoices',
        summary: 'List invoices',
        description: listDescription,
        querystring: listQuery,
        response: { 200: z.array(invoiceView), 400: errorBody },
      },
    },
    async (request, reply) => {
      const { accountId } = principalOf(request);
      const account = await loadAccount(ctx, accountId);
      const page = await listInvoices(
        ctx.db,
        accountId,
        filterOf(request.query, account.timezone),
        request.query,
      );
      return sendPage(request, reply, page, (i) => toInvoiceView(i, account));
    },
  );

  app.get(
    '/customers/:id/invoices',
    {
      schema: {
        tags,
        operationId: 'listCustomerInvoices',
        summary: "List a customer's invoices",
        description: listDescription,
        params: idParams,
        querystring: listQuery,
        response: { 200: z.array(invoiceView), 404: errorBody },
      },
    },
    async (request, reply) => {
      const { accountId } = principalOf(request);
      const customerId = pathId(request.params.id, 'Customer');
      if (!(await findCustomer(ctx.db, accountId, customerId))) throw notFound('Customer', customerId);
      const account = await loadAccount(ctx, accountId);
      const page = await listInvoices(
        ctx.db,
        accountId,
        { ...filterOf(request.query, account.timezone), customerId },
        request.query,
      );
      return sendPage(request, reply, page, (i) => toInvoiceView(i, account));
    },
  );

  app.post(
    '/customers/:id/invoices',
    {
      config: { level: KeyLevel.invoices },
      schema: {
        tags,
        operationId: 'createInvoice',
        summary: 'Make the invoice for a customer',
        description:
          "Completes the customer's unsent invoice for the cut-off date (made if there is none): non-call charges with a bill date before the cut-off (or a transaction date before transactionCutoffDate), recurring charges due, and any _includeTransactionIDs.",
        params: idParams,
        body: createBody,
        response: { 201: invoiceView, 400: errorBody, 404: errorBody },
      },
    },
    async (request, reply) => {
      const { accountId } = principalOf(request);
      const body = request.body ?? {};
      const { invoice } = await createInvoice(ctx, accountId, pathId(request.params.id, 'Customer'), {
        cutoffDate: body.cutoffDate,
        transactionCutoffDate: body.transactionCutoffDate,
        includeTransactionIds: body._includeTransactionIDs?.map(Number),
      });
      return reply.status(201).send(toInvoiceView(invoice, await loadAccount(ctx, accountId)));
    },
  );

  app.get(
    '/invoices/:id',
    {
      schema: {
        tags,
        operationId: 'getInvoice',
        summary: 'Get an invoice (JSON), or its bill (PDF)',
        description:
          "With `Accept: application/pdf` the answer is the bill as a PDF: an approved invoice's bill is rendered once per style and kept; an unsent one is a draft. `billStyle` picks the style (default: the invoice's, else the account's).",
        params: idParams,
        querystring: z.object({ billStyle: z.string().max(100).optional() }),
        response: {
          200: invoiceView.or(z.any().meta({ description: 'application/pdf: the bill' })),
          400: errorBody,
          404: errorBody,
        },
      },
    },
    async (request, reply) => {
      const { accountId } = principalOf(request);
      const id = pathId(request.params.id, 'Invoice');
      const invoice = await findInvoice(ctx.db, accountId, id);
      if (!invoice) throw notFound('Invoice', id);
      const account = await loadAccount(ctx, accountId);
      if (wantsPdf(request.headers.accept)) {
        const bill = await invoiceBill(
          ctx,
          account,
          invoice,
          request.query.billStyle ?? invoice.bill_style ?? undefined,
        );
        return reply
          .type('application/pdf')
          .header('content-disposition', `inline; filename="${bill.filename}"`)
          .send(bill.pdf);
      }
      return toInvoiceView(invoice, account);
    },
  );

  app.patch(
    '/invoices/:id',
    {
      config: { level: KeyLevel.invoices },
      schema: {
        tags,
        operationId: 'updateInvoice',
        summary: 'Update an invoice',
        description:
          'Unsent invoices: any of these fields. Approved invoices are frozen (409) except paymentMethod, dueDate and the printed/delivered status flags.',
        params: idParams,
        body: updateBody,
        response: { 200: invoiceView, 400: errorBody, 404: errorBody, 409: errorBody },
      },
    },
    async (request) => {
      const { accountId } = principalOf(request);
      const invoice = await updateInvoice(ctx, accountId, pathId(request.params.id, 'Invoice'), request.body);
      return toInvoiceView(invoice, await loadAccount(ctx, accountId));
    },
  );

  app.delete(
    '/invoices/:id',
    {
      config: { level: KeyLevel.invoices },
      schema: {
        tags,
        operationId: 'deleteInvoice',
        summary: 'Delete an unsent invoice',
        description:
          'Its entered charges return to unbilled; recurring charges it generated are removed and will be charged again. Approved invoices: 409.',
        params: idParams,
        response: { 200: deletedBody, 404: errorBody, 409: errorBody },
      },
    },
    async (request) => {
      const id = pathId(request.params.id, 'Invoice');
      await deleteInvoice(ctx, principalOf(request).accountId, id);
      return { success: true as const, message: `Invoice ${id} deleted` };
    },
  );

  app.post(
    '/invoices/:id',
    {
      config: { level: KeyLevel.read },
      schema: {
        tags,
        operationId: 'runInvoiceAction',
        summary: 'Run an action on an invoice',
        description: `POST /invoices/ID?action=NAME. Actions: ${Object.entries(invoiceActions)
          .map(([name, a]) => `**${name}** (level ${a.level}): ${a.description}`)
          .join(' ')} Errors: 400501 unknown action, 400503 missing parameters.`,
        params: idParams,
        // Strict: an action's parameters go in the JSON body; one sent in the query would otherwise be
        // dropped without a word (a download link made with the default expiry instead of the one asked for).
        querystring: z.object({ action: z.string().max(50).optional() }).strict(),
        body: z.record(z.string(), z.unknown()).nullish(),
        response: {
          200: z.any().meta({ description: "The updated invoice, or the action's own response" }),
          400: errorBody,
          403: errorBody,
          404: errorBody,
          409: errorBody,
        },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const invoiceId = pathId(request.params.id, 'Invoice');
      if (!(await findInvoice(ctx.db, principal.accountId, invoiceId))) throw notFound('Invoice', invoiceId);
      const action = request.query.action;
      return runInvoiceAction(action, {
        ctx,
        accountId: principal.accountId,
        keyLevel: principal.level,
        invoiceId,
        body: request.body,
        baseUrl: publicBaseUrl(request, options.publicUrl),
        audit:
          action !== undefined && SENDS_AT_ONCE.has(action)
            ? apiAuditOf(request, { action, resource: 'invoices', resourceId: invoiceId })
            : undefined,
      });
    },
  );
}
