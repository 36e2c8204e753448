// Zod schemas shared by the backend routes: one schema per route gives validation, the OpenAPI document
// and the TypeScript types.
import { z } from 'zod';
import { isIsoDate, startOfDayInZone } from '../../shared/dates.ts';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../../shared/pagination.ts';
import { AMOUNT_AS_STRING, AMOUNT_NOT_EXACT, amountTextOfJsonNumber } from '../../money/wire.ts';

// The output atoms every surface's views share (the CLI prints account views too) live in the kit.
export { amount, idString, postalAddressOut } from '../kit/schemas.ts';

export const isoDate = z
  .string()
  .refine(isIsoDate, { message: 'must be a date YYYY-MM-DD' })
  .meta({ format: 'date', example: '2026-11-01' });
/** An amount: a decimal string. A JSON number is refused (400001, naming the field): amounts enter only as strings. */
export const amountInput = z
  .string({ error: AMOUNT_AS_STRING })
  .max(40)
  .meta({ description: 'A decimal amount as a string ("12.50")', example: '12.50' });
/**
 * The fields whose clients already send JSON numbers (transactionValue, a feature's recurringValue and vatRate,
 * the account's interestRate): a number is taken as written when that is certain (src/money/wire.ts), else
 * refused (400001); either way the use case receives a string.
 */
export const amountInputOrNumber = z
  .union([z.string().max(40), z.number()])
  .transform((v, ctx) => {
    if (typeof v === 'string') return v;
    const text = amountTextOfJsonNumber(v);
    if (text === undefined) {
      ctx.addIssue({ code: 'custom', message: AMOUNT_NOT_EXACT });
      return z.NEVER;
    }
    return text;
  })
  .meta({
    description:
      'A decimal amount as a string ("12.50"); a JSON number is accepted as written (at most 15 significant digits)',
    example: '12.50',
  });
export const shortText = z.string().max(200);
export const longText = z.string().max(2000);

/** A query flag: present (`?unsent`, `?unsent=1`, `?unsent=true`) means true; `0`, `false`, `no` mean false. */
export const flag = z
  .string()
  .optional()
  .transform((v) => v !== undefined && !['0', 'false', 'no'].includes(v.toLowerCase()))
  .meta({ description: 'A flag: give it with no value, or 1/true' });

export const pageQuery = {
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_PAGE_SIZE)
    .default(DEFAULT_PAGE_SIZE)
    .meta({
      description: `Page size, 1 to ${MAX_PAGE_SIZE} (default ${DEFAULT_PAGE_SIZE}). The response's Link header names the next page.`,
    }),
  after: z.coerce.number().int().min(0).optional().meta({
    description:
      'Keyset cursor: return rows whose id is greater than this (the last id of the previous page)',
  }),
};

export const idParams = z.object({ id: z.string().max(30) });

/** What a DELETE answers: `{"success": true, "message": "Customer 42 deleted"}`. */
export const deletedBody = z.object({ success: z.literal(true), message: z.string() });

export const errorBody = z
  .object({
    error: z.string().meta({ description: 'The error\'s title ("Not Found", "Invalid Parameter"...)' }),
    error_code: z.number().int().meta({
      description:
        'Six digits: the HTTP status, then a number within it (404001); the error catalogue in the README lists them',
      example: 404001,
    }),
    hint: z.string().meta({ description: 'What went wrong, in words, naming the parameter at fault' }),
  })
  .meta({ id: 'BackendError', description: 'Error body of the backend API' });

export const postalAddress = z
  .object({
    line1: shortText.nullish(),
    line2: shortText.nullish(),
    city: shortText.nullish(),
    region: shortText.nullish(),
    postcode: z.string().max(20).nullish(),
    country: shortText.nullish(),
  })
  .strict();

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

/** The lists' standard `createdSince` filter: rows created in the platform at or after this time. */
export function createdSinceQuery(what: string) {
  return z
    .string()
    .refine((v) => isIsoDate(v) || (ISO_DATE_TIME.test(v) && !Number.isNaN(Date.parse(v))), {
      message: 'must be a date (YYYY-MM-DD, midnight in the account timezone) or an ISO 8601 date-time',
    })
    .optional()
    .meta({ description: `${what} created in the platform at or after this time` });
}

/** The instant a `createdSince` value names: a date is midnight in the account's timezone. */
export function createdSinceOf(value: string | undefined, timezone: string): Date | undefined {
  if (value === undefined || value === '') return undefined;
  return isIsoDate(value) ? startOfDayInZone(value, timezone) : new Date(value);
}
