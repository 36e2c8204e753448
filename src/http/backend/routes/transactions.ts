import { z } from 'zod';
import { KeyLevel } from '../../../api-keys/levels.ts';
import type { Ctx } from '../../../context.ts';
import { findCustomer } from '../../../customers/repo.ts';
import { findFeature } from '../../../features/repo.ts';
import { findInvoice } from '../../../invoices/repo.ts';
import { notFound } from '../../../shared/errors.ts';
import { createTransaction, type TransactionTarget } from '../../../invoices/create-transaction.ts';
import { deleteTransaction } from '../../../invoices/delete-transaction.ts';
import {
  COUNT_FIELDS,
  DATE_FIELDS,
  MAX_TEXT_LENGTH,
  SIDE_AMOUNT_FIELDS,
  TEXT_FIELDS,
} from '../../../invoices/transaction-fields.ts';
import type { TransactionInput } from '../../../invoices/transaction-input.ts';
import {
  findTransaction,
  listTransactions,
  type TransactionFilter,
} from '../../../invoices/transactions-repo.ts';
import { TRANSACTION_TYPES } from '../../../shared/transaction-types.ts';
import { updateTransaction } from '../../../invoices/update-transaction.ts';
import { principalOf } from '../../auth.ts';
import { loadAccount, type ZodApp } from '../../kit/app-type.ts';
import { pathId, sendPage } from '../../kit/route-helpers.ts';
import { withTransactionWireNames } from '../../kit/transaction-fields.ts';
import {
  amountInput,
  amountInputOrNumber,
  createdSinceOf,
  createdSinceQuery,
  deletedBody,
  errorBody,
  flag,
  idParams,
  isoDate,
  pageQuery,
} from '../schemas.ts';
import { callView, toCallView } from '../views/calls.ts';
import { toTransactionView, transactionView } from '../views/transactions.ts';
import { callsOfSummary } from '../../../calls/repo.ts';

const tags = ['Transactions'];

const fields = {
  transactionType: z
    .enum(TRANSACTION_TYPES)
    .optional()
    .meta({ description: 'Charge category; default oneOff' }),
  transactionValue: amountInputOrNumber.meta({
    description:
      "Amount, exact to the currency's minor unit. Refunds and discounts are credits: a positive value is stored negated.",
  }),
  transactionVATRate: amountInput
    .optional()
    .meta({ description: "VAT rate in percent; default: the feature's, else the account's" }),
  transactionRefundedID: z.union([z.string().max(20), z.number().int()]).nullish(),
  ...each(TEXT_FIELDS, z.string().max(MAX_TEXT_LENGTH).nullish()),
  ...each(SIDE_AMOUNT_FIELDS, amountInput.nullish()),
  ...each(DATE_FIELDS, isoDate.nullish()),
  ...each(COUNT_FIELDS, z.number().int().min(0).nullish()),
};
const createBody = z.object(fields).strict();
const updateBody = z.object({ ...fields, transactionValue: fields.transactionValue.optional() }).strict();

/** One schema for every field of a table (fields.ts), keeping the names in the type. */
function each<Field extends string, Schema extends z.ZodType>(
  table: Record<Field, string>,
  schema: Schema,
): Record<Field, Schema> {
  return Object.fromEntries(Object.keys(table).map((k) => [k, schema])) as Record<Field, Schema>;
}

/** The body in the use cases' names: transactionValue stays here, at the edge. */
function transactionInput(body: z.infer<typeof updateBody>): TransactionInput {
  const {
    transactionType: type,
    transactionValue: value,
    transactionVATRate: vatRate,
    transactionRefundedID: refundedId,
    ...details
  } = body;
  return { ...details, type, value, vatRate, refundedId };
}

const listQuery = z.object({
  unsent: flag.meta({ description: 'Show transactions on the unsent invoice' }),
  includeUnsent: flag.meta({
    description: 'Show all transactions, including those on the unsent invoice and unbilled ones',
  }),
  invoiceIdAfter: z.coerce
    .number()
    .int()
    .min(0)
    .optional()
    .meta({ description: 'Show transactions on invoices after the specified ID' }),
  createdSince: createdSinceQuery('Transactions'),
  ...pageQuery,
});

type ListQuery = z.infer<typeof listQuery>;

function stateOf(query: ListQuery): TransactionFilter['state'] {
  if (query.includeUnsent) return 'all';
  if (query.unsent) return 'unsent';
  return 'raised';
}

/** The :id of /customers/:id/transactions (and the like); /transactions has none. */
function parentIdOf(params: unknown): string | undefined {
  return typeof params === 'object' && params !== null && 'id' in params && typeof params.id === 'string'
    ? params.id
    : undefined;
}

/** "Customer" for "/customers/:id/…". */
function resourceOf(path: string): string {
  const segment = path.split('/')[1]!.replace(/s$/, '');
  return segment[0]!.toUpperCase() + segment.slice(1);
}

const listDescription =
  'By default only transactions on raised (approved) invoices are shown; `unsent` shows those on the unsent invoice, `includeUnsent` all of them.';

export function transactionRoutes(app: ZodApp, ctx: Ctx): void {
  const list = (
    path: string,
    summary: string,
    scope: (accountId: number, id: number) => Promise<Partial<TransactionFilter>>,
  ) =>
    app.get(
      path,
      {
        schema: {
          tags,
          // listTransactions, listCustomerTransactions, listFeatureTransactions, listInvoiceTransactions
          operationId: path === '/transactions' ? 'listTransactions' : `list${resourceOf(path)}Transactions`,
          summary,
          description: listDescription,
          ...(path.includes(':id') ? { params: idParams } : {}),
          querystring: listQuery,
          response: { 200: z.array(transactionView), 404: errorBody },
        },
      },
      async (request, reply) => {
        const { accountId } = principalOf(request);
        const parentId = parentIdOf(request.params);
        const filter =
          parentId !== undefined ? await scope(accountId, pathId(parentId, resourceOf(path))) : {};
        const account = await loadAccount(ctx, accountId);
        const page = await listTransactions(
          ctx.db,
          accountId,
          {
            ...filter,
            state: stateOf(request.query),
            invoiceIdAfter: request.query.invoiceIdAfter,
            createdSince: createdSinceOf(request.query.createdSince, account.timezone),
          },
          request.query,
        );
        return sendPage(request, reply, page, (t) => toTransactionView(t, account));
      },
    );

  list('/transactions', 'List transactions', async () => ({}));
  list('/customers/:id/transactions', "List a customer's transactions", async (accountId, id) => {
    if (!(await findCustomer(ctx.db, accountId, id))) throw notFound('Customer', id);
    return { customerId: id };
  });
  list('/features/:id/transactions', "List a feature's transactions", async (accountId, id) => {
    if (!(await findFeature(ctx.db, accountId, id))) throw notFound('Feature', id);
    return { featureId: id };
  });
  list('/invoices/:id/transactions', "List an invoice's transactions", async (accountId, id) => {
    if (!(await findInvoice(ctx.db, accountId, id))) throw notFound('Invoice', id);
    return { invoiceId: id };
  });

  const post = (
    path: string,
    summary: string,
    description: string,
    target: (id: number) => TransactionTarget,
  ) =>
    app.post(
      path,
      {
        config: { level: KeyLevel.charges },
        // createCustomerTransaction, createFeatureTransaction, createInvoiceTransaction
        schema: {
          tags,
          operationId: `create${resourceOf(path)}Transaction`,
          summary,
          description,
          params: idParams,
          body: createBody,
          response: { 201: transactionView, 400: errorBody, 404: errorBody, 409: errorBody },
        },
      },
      async (request, reply) => {
        const { accountId } = principalOf(request);
        const id = pathId(request.params.id, resourceOf(path));
        const row = await withTransactionWireNames(() =>
          createTransaction(ctx, accountId, target(id), transactionInput(request.body)),
        );
        return reply.status(201).send(toTransactionView(row, await loadAccount(ctx, accountId)));
      },
    );

  post(
    '/invoices/:id/transactions',
    'Add a transaction to an invoice',
    'The invoice must be unsent (409 otherwise).',
    (invoiceId) => ({
      kind: 'invoice',
      invoiceId,
    }),
  );
  post(
    '/features/:id/transactions',
    'Add a transaction to a feature',
    "Goes on the customer's unsent invoice, made if there is none; if that invoice is completed for a cut-off before the charge's bill date, the charge waits for the next invoice.",
    (featureId) => ({ kind: 'feature', featureId }),
  );
  post(
    '/customers/:id/transactions',
    'Add a transaction to a customer',
    'A charge not tied to a feature; goes on the unsent invoice as for features.',
    (customerId) => ({ kind: 'customer', customerId }),
  );

  app.get(
    '/transactions/:id',
    {
      schema: {
        tags,
        operationId: 'getTransaction',
        summary: 'Get a transaction',
        params: idParams,
        response: { 200: transactionView, 404: errorBody },
      },
    },
    async (request) => {
      const { accountId } = principalOf(request);
      const id = pathId(request.params.id, 'Transaction');
      const row = await findTransaction(ctx.db, accountId, id);
      if (!row) throw notFound('Transaction', id);
      return toTransactionView(row, await loadAccount(ctx, accountId));
    },
  );

  app.get(
    '/transactions/:id/calls',
    {
      schema: {
        tags,
        operationId: 'listTransactionCalls',
        summary: 'The calls behind a call charge',
        description:
          "For a call summary on an invoice: the invoice's calls with the same feature and destination. Other charges have none.",
        params: idParams,
        querystring: z.object(pageQuery),
        response: { 200: z.array(callView), 404: errorBody },
      },
    },
    async (request, reply) => {
      const { accountId } = principalOf(request);
      const id = pathId(request.params.id, 'Transaction');
      const row = await findTransaction(ctx.db, accountId, id);
      if (!row) throw notFound('Transaction', id);
      return sendPage(
        request,
        reply,
        await callsOfSummary(ctx.db, accountId, row, request.query),
        toCallView,
      );
    },
  );

  app.patch(
    '/transactions/:id',
    {
      config: { level: KeyLevel.charges },
      schema: {
        tags,
        operationId: 'updateTransaction',
        summary: 'Update a transaction',
        description: 'Only while the transaction is unbilled or on an unsent invoice (409 otherwise).',
        params: idParams,
        body: updateBody,
        response: { 200: transactionView, 400: errorBody, 404: errorBody, 409: errorBody },
      },
    },
    async (request) => {
      const { accountId } = principalOf(request);
      const row = await withTransactionWireNames(() =>
        updateTransaction(
          ctx,
          accountId,
          pathId(request.params.id, 'Transaction'),
          transactionInput(request.body),
        ),
      );
      return toTransactionView(row, await loadAccount(ctx, accountId));
    },
  );

  app.delete(
    '/transactions/:id',
    {
      config: { level: KeyLevel.charges },
      schema: {
        tags,
        operationId: 'deleteTransaction',
        summary: 'Delete a transaction',
        description: 'Only while the transaction is unbilled or on an unsent invoice (409 otherwise).',
        params: idParams,
        response: { 200: deletedBody, 404: errorBody, 409: errorBody },
      },
    },
    async (request) => {
      const id = pathId(request.params.id, 'Transaction');
      await deleteTransaction(ctx, principalOf(request).accountId, id);
      return { success: true as const, message: `Transaction ${id} deleted` };
    },
  );
}
