import { z } from 'zod';
import { KeyLevel } from '../../../api-keys/levels.ts';
import type { Ctx } from '../../../context.ts';
import { findCustomer } from '../../../customers/repo.ts';
import { createFeature } from '../../../features/create-feature.ts';
import { deleteFeature } from '../../../invoices/delete-feature.ts';
import { findFeature, listFeatures } from '../../../features/repo.ts';
import { updateFeature } from '../../../features/update-feature.ts';
import { notFound } from '../../../shared/errors.ts';
import { principalOf } from '../../auth.ts';
import { loadAccount, type ZodApp } from '../../kit/app-type.ts';
import { pathId, sendPage } from '../../kit/route-helpers.ts';
import {
  amountInputOrNumber,
  deletedBody,
  errorBody,
  idParams,
  isoDate,
  pageQuery,
  shortText,
} from '../schemas.ts';
import { featureView, toFeatureView } from '../views/customers.ts';

const tags = ['Features'];
const featureFields = {
  phoneNumber: z
    .string()
    .max(30)
    .nullish()
    .meta({ description: 'The number calls are matched on (stored in E.164 style)' }),
  recurringValue: amountInputOrNumber
    .nullish()
    .meta({ description: 'The recurring charge per period; null for none' }),
  recurringFrequency: z
    .enum(['monthly', 'quarterly', 'annually'])
    .nullish()
    .meta({ description: 'Default monthly' }),
  billing: z
    .enum(['advance', 'arrears'])
    .optional()
    .meta({ description: 'Charge each period in advance (default) or in arrears' }),
  startDate: isoDate
    .nullish()
    .meta({ description: 'First day of service; default today in the account timezone' }),
  endDate: isoDate.nullish().meta({ description: 'Last day of service, inclusive' }),
  vatRate: amountInputOrNumber
    .nullish()
    .meta({ description: "VAT rate in percent for this feature's charges; default: the account's" }),
  rateCardID: z
    .union([z.string().max(20), z.number().int()])
    .nullish()
    .meta({ description: "Rate card for this feature's calls, over the customer's" }),
};
const createBody = z.object({ name: shortText, ...featureFields }).strict();
const updateBody = z.object({ name: shortText.optional(), ...featureFields }).strict();

export function featureRoutes(app: ZodApp, ctx: Ctx): void {
  app.get(
    '/customers/:id/features',
    {
      schema: {
        tags,
        operationId: 'listCustomerFeatures',
        summary: "List a customer's features",
        params: idParams,
        querystring: z.object(pageQuery),
        response: { 200: z.array(featureView), 404: errorBody },
      },
    },
    async (request, reply) => {
      const { accountId } = principalOf(request);
      const customerId = pathId(request.params.id, 'Customer');
      if (!(await findCustomer(ctx.db, accountId, customerId))) throw notFound('Customer', customerId);
      const account = await loadAccount(ctx, accountId);
      const page = await listFeatures(ctx.db, accountId, customerId, request.query);
      return sendPage(request, reply, page, (f) => toFeatureView(f, account));
    },
  );

  app.post(
    '/customers/:id/features',
    {
      config: { level: KeyLevel.customers },
      schema: {
        tags,
        operationId: 'createFeature',
        summary: 'Add a feature to a customer',
        params: idParams,
        body: createBody,
        response: { 201: featureView, 400: errorBody, 404: errorBody, 409: errorBody },
      },
    },
    async (request, reply) => {
      const { accountId } = principalOf(request);
      const feature = await createFeature(
        ctx,
        accountId,
        pathId(request.params.id, 'Customer'),
        request.body,
      );
      return reply.status(201).send(toFeatureView(feature, await loadAccount(ctx, accountId)));
    },
  );

  app.get(
    '/features/:id',
    {
      schema: {
        tags,
        operationId: 'getFeature',
        summary: 'Get a feature',
        params: idParams,
        response: { 200: featureView, 404: errorBody },
      },
    },
    async (request) => {
      const { accountId } = principalOf(request);
      const id = pathId(request.params.id, 'Feature');
      const feature = await findFeature(ctx.db, accountId, id);
      if (!feature) throw notFound('Feature', id);
      return toFeatureView(feature, await loadAccount(ctx, accountId));
    },
  );

  app.patch(
    '/features/:id',
    {
      config: { level: KeyLevel.customers },
      schema: {
        tags,
        operationId: 'updateFeature',
        summary: 'Update a feature',
        params: idParams,
        body: updateBody,
        response: { 200: featureView, 400: errorBody, 404: errorBody, 409: errorBody },
      },
    },
    async (request) => {
      const { accountId } = principalOf(request);
      const feature = await updateFeature(ctx, accountId, pathId(request.params.id, 'Feature'), request.body);
      return toFeatureView(feature, await loadAccount(ctx, accountId));
    },
  );

  app.delete(
    '/features/:id',
    {
      config: { level: KeyLevel.customers },
      schema: {
        tags,
        operationId: 'deleteFeature',
        summary: 'Delete a feature',
        description:
          'Refused (409) when the feature has charges on approved invoices: set an end date instead.',
        params: idParams,
        response: { 200: deletedBody, 404: errorBody, 409: errorBody },
      },
    },
    async (request) => {
      const id = pathId(request.params.id, 'Feature');
      await deleteFeature(ctx, principalOf(request).accountId, id);
      return { success: true as const, message: `Feature ${id} deleted` };
    },
  );
}
