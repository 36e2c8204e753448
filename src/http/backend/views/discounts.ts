// Discount plans and their rules.
import { z } from 'zod';
import type { DiscountPlanRow } from '../../../discounts/repo.ts';
import { amount, idString } from '../schemas.ts';

export const discountRuleView = z
  .object({
    kind: z.enum(['freeMinutes', 'freeAmount', 'percentOff']),
    minutes: z.number().int().optional().meta({ description: 'freeMinutes: call minutes free per invoice' }),
    amount: amount.optional().meta({ description: 'freeAmount: money off per invoice' }),
    percent: z.string().optional().meta({ description: 'percentOff: percent off every charge of `type`' }),
    type: z
      .string()
      .optional()
      .meta({ description: 'freeAmount, percentOff: the charge type (calls, recurring, oneOff…)' }),
    destinations: z
      .array(z.string())
      .optional()
      .meta({ description: 'freeMinutes, freeAmount on calls: only destinations beginning with these' }),
    description: z.string().optional().meta({ description: 'The line on the bill' }),
  })
  .meta({ id: 'DiscountRule' });

export const discountPlanView = z
  .object({
    id: idString,
    name: z.string(),
    rules: z.array(discountRuleView),
    created: z.string(),
    updated: z.string(),
  })
  .meta({ id: 'DiscountPlan' });

export function toDiscountPlanView(p: DiscountPlanRow): z.infer<typeof discountPlanView> {
  return {
    id: String(p.id),
    name: p.name,
    rules: p.rules as z.infer<typeof discountRuleView>[],
    created: p.created_at.toISOString(),
    updated: p.updated_at.toISOString(),
  };
}
