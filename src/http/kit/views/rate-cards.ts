// A rate card as the backend API shows it; the CLI prints the same (ringbill import rates --json).
import { z } from 'zod';
import type { RateCardRow } from '../../../rate-cards/repo.ts';
import { idString } from '../schemas.ts';

export const rateCardView = z
  .object({
    id: idString,
    name: z.string(),
    isDefault: z.boolean(),
    created: z.string(),
    updated: z.string(),
  })
  .meta({ id: 'RateCard' });

export function toRateCardView(r: RateCardRow): z.infer<typeof rateCardView> {
  return {
    id: String(r.id),
    name: r.name,
    isDefault: r.is_default,
    created: r.created_at.toISOString(),
    updated: r.updated_at.toISOString(),
  };
}
