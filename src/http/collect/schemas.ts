// Request schemas of the collections surface. Field names follow document 003 (mobileNumber, accountNumber,
// handler, customLabel1…, instalmentEnabled, planRate, planMaxTerm, planMaxTermPeriod).
import { z } from 'zod';
import { isIsoDate } from '../../shared/dates.ts';
import { AMOUNT_AS_STRING, AMOUNT_NOT_EXACT, amountTextOfJsonNumber } from '../../money/wire.ts';

/** A decimal amount: a string ("123.88"). Amounts enter only as strings: a JSON number is refused (400). */
export const amountIn = z
  .string({ error: AMOUNT_AS_STRING })
  .max(40)
  .transform((v) => v.trim())
  .meta({ description: 'A decimal amount as a string, "123.88"', example: '123.88' });

/**
 * invoiceAmount (document 003's name), which its clients send as a JSON number (123.88): taken as written when
 * that is certain (src/money/wire.ts), else refused (400); the use case receives a string.
 */
export const amountInOrNumber = z
  .union([z.string().max(40), z.number()])
  .transform((v, ctx) => {
    if (typeof v === 'string') return v.trim();
    const text = amountTextOfJsonNumber(v);
    if (text === undefined) {
      ctx.addIssue({ code: 'custom', message: AMOUNT_NOT_EXACT });
      return z.NEVER;
    }
    return text;
  })
  .meta({
    description:
      'A decimal amount, "123.88" (a JSON number is accepted as written, at most 15 significant digits)',
    example: '123.88',
  });

const idIn = z
  .union([
    z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
    z.string().regex(/^[1-9]\d{0,15}$/, 'must be an id'),
  ])
  .transform((v) => Number(v));

const text = (max: number) => z.string().max(max);

export const requestBody = z.strictObject({
  invoiceId: idIn
    .optional()
    .describe('An approved invoice of the account: the request is for what it has outstanding'),
  amount: amountIn
    .optional()
    .describe(
      'Standalone: the amount to collect. With invoiceId: part of what is outstanding (default: all)',
    ),
  invoiceAmount: amountInOrNumber.optional().describe('The same as amount (document 003 name)'),
  description: text(500).optional(),
  accountNumber: text(64).optional(),
  handler: text(100).optional().describe('Agent id stored for reporting'),
  customLabel1: text(100).optional(),
  customValue1: text(500).optional(),
  customLabel2: text(100).optional(),
  customValue2: text(500).optional(),
  customLabel3: text(100).optional(),
  customValue3: text(500).optional(),
  mobileNumber: text(40).optional().describe('Where the SMS goes'),
  email: text(254).optional().describe('Where the email goes'),
  channels: z
    .array(z.enum(['sms', 'email']))
    .max(2)
    .optional()
    .describe('Default: every channel with a contact given; [] sends nothing (link only)'),
  expiresAt: text(40)
    .optional()
    .describe(
      'The link works until then: an ISO 8601 time, or a date (to the end of that day in the account timezone)',
    ),
  expiresInDays: z
    .number()
    .int()
    .optional()
    .describe('Instead of expiresAt (default 30, COLLECT_LINK_EXPIRY_DAYS)'),
  allowPartial: z.boolean().optional().describe('The page offers paying part (default true)'),
  instalmentEnabled: z.boolean().optional().describe('The page offers an instalment plan (default false)'),
  planRate: amountIn.optional().describe('Plan interest rate, percent a year (default 0)'),
  planMaxTerm: z.number().int().optional(),
  planMaxTermPeriod: z.enum(['day', 'month', 'year']).optional(),
  planFrequencies: z
    .array(z.enum(['weekly', 'fortnightly', 'monthly']))
    .max(3)
    .optional(),
});
export type RequestBody = z.infer<typeof requestBody>;

export const batchBody = z.strictObject({
  requests: z.array(requestBody).min(1).max(500),
});

export const idParams = z.object({ id: z.string().max(30) });

const ymd = z
  .string({
    error: (issue) => (issue.input === undefined ? 'is required (YYYY-MM-DD)' : 'must be a date YYYY-MM-DD'),
  })
  .refine(isIsoDate, { message: 'must be a date YYYY-MM-DD' });

export const reportQuery = z.object({
  startDate: ymd,
  endDate: ymd,
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(10_000)
    .optional()
    .describe('Extension: most rows (default and max 10000)'),
  after: z.coerce
    .number()
    .int()
    .min(0)
    .optional()
    .describe('Extension: rows after this requestId (X-Next-After)'),
});

export const smsQuery = z.object({
  requestId: z.coerce.number().int().min(1).optional(),
  to: z.string().max(40).optional(),
  after: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});

export const refundBody = z
  .strictObject({
    amount: amountIn.optional().describe('Default: all that is left to refund'),
    reason: text(500).optional(),
  })
  .nullish();

export const errorBody = z
  .object({
    error: z.object({
      // The codes of CollectErrorCode (errors.ts), one per status.
      code: z.enum([
        'invalid_request',
        'unauthorized',
        'forbidden',
        'not_found',
        'conflict',
        'gone',
        'rate_limited',
        'internal_error',
      ]),
      message: z.string(),
      field: z.string().optional().meta({ description: 'The parameter or field at fault, when one is' }),
    }),
  })
  .meta({ id: 'CollectError', description: 'Error body of the collections API' });
export const errorResponses = {
  400: errorBody,
  401: errorBody,
  403: errorBody,
  404: errorBody,
  409: errorBody,
};
