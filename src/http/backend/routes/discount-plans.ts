// Discount plans: allowances of call minutes or money per invoice, or a percentage off a charge type,
// assigned to customers (discountPlanID) and applied when their invoices are made. Level 3, like rate cards.
import { z } from 'zod';
import { KeyLevel } from '../../../api-keys/levels.ts';
import type { Ctx } from '../../../context.ts';
import {
  createDiscountPlan,
  deleteDiscountPlan,
  updateDiscountPlan,
} from '../../../discounts/manage-discount-plans.ts';
import { findDiscountPlan, listDiscountPlans } from '../../../discounts/repo.ts';
import { notFound } from '../../../shared/errors.ts';
import { principalOf } from '../../auth.ts';
import type { ZodApp } from '../../kit/app-type.ts';
import { pathId, sendPage } from '../../kit/route-helpers.ts';
import { deletedBody, errorBody, idParams, pageQuery } from '../schemas.ts';
import { discountPlanView, toDiscountPlanView } from '../views/discounts.ts';

const tags = ['Discount plans'];
const rulesInput = z.array(z.record(z.string(), z.unknown())).max(20).meta({
  description:
    'One to 20 rules, each one of: {"kind": "freeMinutes", "minutes": 100, "destinations": ["UK"]} (call minutes free per invoice, the dearest first); {"kind": "freeAmount", "amount": "10.00", "type": "calls"} (money off a charge type per invoice); {"kind": "percentOff", "percent": "15", "type": "recurring"} (percent off every charge of a type). Each may have a "description" (the line on the bill). Discounts are split by VAT rate and never exceed what they discount.',
});

export function discountPlanRoutes(app: ZodApp, ctx: Ctx): void {
  app.get(
    '/discountPlans',
    {
      schema: {
        tags,
        operationId: 'listDiscountPlans',
        summary: 'List discount plans',
        querystring: z.object(pageQuery),
        response: { 200: z.array(discountPlanView) },
      },
    },
    async (request, reply) =>
      sendPage(
        request,
        reply,
        await listDiscountPlans(ctx.db, principalOf(request).accountId, request.query),
        toDiscountPlanView,
      ),
  );
  app.post(
    '/discountPlans',
    {
      config: { level: KeyLevel.customers },
      schema: {
        tags,
        operationId: 'createDiscountPlan',
        summary: 'Add a discount plan',
        description: 'Give it to customers with their discountPlanID; names are unique in the account (409).',
        body: z.object({ name: z.string().max(200), rules: rulesInput }).strict(),
        response: { 201: discountPlanView, 400: errorBody, 409: errorBody },
      },
    },
    async (request, reply) =>
      reply
        .status(201)
        .send(
          toDiscountPlanView(await createDiscountPlan(ctx, principalOf(request).accountId, request.body)),
        ),
  );
  app.get(
    '/discountPlans/:id',
    {
      schema: {
        tags,
        operationId: 'getDiscountPlan',
        summary: 'A discount plan',
        params: idParams,
        response: { 200: discountPlanView, 404: errorBody },
      },
    },
    async (request) => {
      const id = pathId(request.params.id, 'Discount plan');
      const plan = await findDiscountPlan(ctx.db, principalOf(request).accountId, id);
      if (!plan) throw notFound('Discount plan', id);
      return toDiscountPlanView(plan);
    },
  );
  app.patch(
    '/discountPlans/:id',
    {
      config: { level: KeyLevel.customers },
      schema: {
        tags,
        operationId: 'updateDiscountPlan',
        summary: 'Change a discount plan',
        description:
          'Unsent invoices take the change when they are made again or with the reapplyDiscountPlans action; approved ones keep theirs.',
        params: idParams,
        body: z.object({ name: z.string().max(200).optional(), rules: rulesInput.optional() }).strict(),
        response: { 200: discountPlanView, 400: errorBody, 404: errorBody, 409: errorBody },
      },
    },
    async (request) =>
      toDiscountPlanView(
        await updateDiscountPlan(
          ctx,
          principalOf(request).accountId,
          pathId(request.params.id, 'Discount plan'),
          request.body,
        ),
      ),
  );
  app.delete(
    '/discountPlans/:id',
    {
      config: { level: KeyLevel.customers },
      schema: {
        tags,
        operationId: 'deleteDiscountPlan',
        summary: 'Delete a discount plan',
        description: 'Refused (409) while a customer has it.',
        params: idParams,
        response: { 200: deletedBody, 404: errorBody, 409: errorBody },
      },
    },
    async (request) => {
      const id = pathId(request.params.id, 'Discount plan');
      await deleteDiscountPlan(ctx, principalOf(request).accountId, id);
      return { success: true as const, message: `Discount plan ${id} deleted` };
    },
  );
}
