import { z } from 'zod';
import type { Ctx } from '../../../context.ts';
import { createCustomer } from '../../../customers/create-customer.ts';
import { deleteCustomer } from '../../../customers/delete-customer.ts';
import { findCustomer, listCustomers } from '../../../customers/repo.ts';
import { updateCustomer } from '../../../customers/update-customer.ts';
import { KeyLevel } from '../../../api-keys/levels.ts';
import { notFound } from '../../../shared/errors.ts';
import { principalOf } from '../../auth.ts';
import { loadAccount, type ZodApp } from '../../kit/app-type.ts';
import { pathId, sendPage } from '../../kit/route-helpers.ts';
import {
  amountInput,
  createdSinceOf,
  createdSinceQuery,
  deletedBody,
  errorBody,
  idParams,
  pageQuery,
  postalAddress,
  shortText,
} from '../schemas.ts';
import { customerView, toCustomerView } from '../views/customers.ts';

const tags = ['Customers'];
const emailInput = z
  .union([z.string().max(2000), z.array(z.string().max(254)).max(20)])
  .nullish()
  .meta({ description: 'One address, several separated by commas or semicolons, or an array' });

const customerFields = {
  accountNumber: z
    .string()
    .max(50)
    .nullish()
    .meta({ description: 'Your reference for the customer; unique in the account' }),
  email: emailInput,
  mobileNumber: z.string().max(30).nullish(),
  reverseCharge: z
    .boolean()
    .optional()
    .meta({ description: 'Reverse-charge VAT: invoices carry no VAT and report it as invoiceReverseVAT' }),
  vatNumber: z.string().max(50).nullish(),
  paymentTermsDays: z
    .number()
    .int()
    .min(0)
    .max(365)
    .nullish()
    .meta({ description: "Days from invoice date to due date; default: the account's" }),
  paymentMethod: shortText.nullish(),
  billingAddress: postalAddress.nullish(),
  rateCardID: z
    .union([z.string().max(20), z.number().int()])
    .nullish()
    .meta({ description: "Rate card for the customer's calls; null: the account default" }),
  billDelivery: z.enum(['email', 'post']).optional().meta({
    description: "How bills reach the customer (default email); post adds the account's manualBillingFee",
  }),
  discountPlanID: z
    .union([z.string().max(20), z.number().int()])
    .nullish()
    .meta({ description: 'The discount plan applied to their invoices; null: none' }),
  customerReference: shortText.nullish().meta({ description: 'Printed on their bills' }),
  purchaseOrderNumber: shortText
    .nullish()
    .meta({ description: "Printed on their bills (an invoice's own purchaseOrderNumber wins)" }),
  billingMode: z.enum(['postpaid', 'prepaid']).optional().meta({
    description:
      'postpaid (default): invoiced for what was used; prepaid: calls are paid from a balance topped up in advance (see /customers/{id}/balance)',
  }),
  creditLimit: amountInput.nullish().meta({
    description:
      'Postpaid: unbilled usage plus unpaid invoices may not exceed it; calls past it are refused by /calls/authorize. null: no limit',
    example: '500.00',
  }),
  overdraft: amountInput
    .optional()
    .meta({ description: 'Prepaid: how far below zero the balance may go (default 0.00)', example: '0.00' }),
};
const createBody = z.object({ name: shortText, ...customerFields }).strict();
const updateBody = z.object({ name: shortText.optional(), ...customerFields }).strict();

export function customerRoutes(app: ZodApp, ctx: Ctx): void {
  app.get(
    '/customers',
    {
      schema: {
        tags,
        operationId: 'listCustomers',
        summary: 'List customers',
        querystring: z.object({
          ...pageQuery,
          accountNumber: z.string().max(50).optional(),
          createdSince: createdSinceQuery('Customers'),
        }),
        response: { 200: z.array(customerView), 401: errorBody },
      },
    },
    async (request, reply) => {
      const { accountId } = principalOf(request);
      const account = await loadAccount(ctx, accountId);
      const filter = {
        accountNumber: request.query.accountNumber,
        createdSince: createdSinceOf(request.query.createdSince, account.timezone),
      };
      const page = await listCustomers(ctx.db, accountId, filter, request.query);
      return sendPage(request, reply, page, toCustomerView);
    },
  );

  app.post(
    '/customers',
    {
      config: { level: KeyLevel.customers },
      schema: {
        tags,
        operationId: 'createCustomer',
        summary: 'Create a customer',
        body: createBody,
        response: { 201: customerView, 400: errorBody, 409: errorBody },
      },
    },
    async (request, reply) => {
      const customer = await createCustomer(ctx, principalOf(request).accountId, request.body);
      return reply.status(201).send(toCustomerView(customer));
    },
  );

  app.get(
    '/customers/:id',
    {
      schema: {
        tags,
        operationId: 'getCustomer',
        summary: 'Get a customer',
        params: idParams,
        response: { 200: customerView, 404: errorBody },
      },
    },
    async (request) => {
      const id = pathId(request.params.id, 'Customer');
      const customer = await findCustomer(ctx.db, principalOf(request).accountId, id);
      if (!customer) throw notFound('Customer', id);
      return toCustomerView(customer);
    },
  );

  app.patch(
    '/customers/:id',
    {
      config: { level: KeyLevel.customers },
      schema: {
        tags,
        operationId: 'updateCustomer',
        summary: 'Update a customer',
        params: idParams,
        body: updateBody,
        response: { 200: customerView, 400: errorBody, 404: errorBody },
      },
    },
    async (request) => {
      const customer = await updateCustomer(
        ctx,
        principalOf(request).accountId,
        pathId(request.params.id, 'Customer'),
        request.body,
      );
      return toCustomerView(customer);
    },
  );

  app.delete(
    '/customers/:id',
    {
      config: { level: KeyLevel.customers },
      schema: {
        tags,
        operationId: 'deleteCustomer',
        summary: 'Delete a customer',
        description:
          'Refused (409) while the customer has any invoice. Deletes its features and unbilled charges.',
        params: idParams,
        response: { 200: deletedBody, 404: errorBody, 409: errorBody },
      },
    },
    async (request) => {
      const id = pathId(request.params.id, 'Customer');
      await deleteCustomer(ctx, principalOf(request).accountId, id);
      return { success: true as const, message: `Customer ${id} deleted` };
    },
  );
}
