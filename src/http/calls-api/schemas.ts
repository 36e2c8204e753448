// The wire shapes of document 002 (the calls of an invoice): the {success, data, meta} envelope, the call
// object and the error body. One zod schema per shape gives validation, the OpenAPI document and the types.
import { z } from 'zod';
import { DEFAULT_INVOICE_CALLS_PAGE, MAX_INVOICE_CALLS_PAGE } from '../../invoices/list-invoice-calls.ts';

/** The largest id digits we accept: 15 digits stay exact as a JavaScript number. */
const ID_DIGITS = '[1-9]\\d{0,14}';
export const INVOICE_ID = new RegExp(`^(inv_)?${ID_DIGITS}$`);
export const CALL_ID = new RegExp(`^(call_)?${ID_DIGITS}$`);

const missing = (name: string) => `Missing required parameter: ${name}`;

/**
 * A query parameter given once; missing (or empty) is reported as document 002 words it. Its form is not
 * checked here: a value that names nothing (inv_abc, inv_0) is not found, like an unknown id (kit/route-helpers.ts).
 */
function requiredParam(name: string) {
  return z
    .string({
      error: (issue) =>
        issue.input === undefined ? missing(name) : `Invalid parameter: ${name} must be given once`,
    })
    .min(1, { error: missing(name), abort: true });
}

export const listCallsQuery = z.object({
  invoice_id: requiredParam('invoice_id').meta({
    description:
      'The invoice whose calls to list: inv_<id>, or the id alone. Any value that names no invoice of the account is NOT_FOUND.',
    example: 'inv_987654321',
  }),
  limit: z.coerce
    .number({ error: `Invalid parameter: limit must be an integer from 1 to ${MAX_INVOICE_CALLS_PAGE}` })
    .int({ error: `Invalid parameter: limit must be an integer from 1 to ${MAX_INVOICE_CALLS_PAGE}` })
    .min(1, { error: `Invalid parameter: limit must be an integer from 1 to ${MAX_INVOICE_CALLS_PAGE}` })
    .max(MAX_INVOICE_CALLS_PAGE, {
      error: `Invalid parameter: limit must be an integer from 1 to ${MAX_INVOICE_CALLS_PAGE}`,
    })
    .default(DEFAULT_INVOICE_CALLS_PAGE)
    .meta({
      description: `Extension to document 002: the most calls to return, 1 to ${MAX_INVOICE_CALLS_PAGE} (default ${DEFAULT_INVOICE_CALLS_PAGE}). When more remain, meta has has_more: true and next_starting_after.`,
    }),
  starting_after: z
    .string({ error: 'Invalid parameter: starting_after must be given once' })
    .regex(CALL_ID, { error: 'Invalid parameter: starting_after must be a call id such as call_123456789' })
    .transform((v) => Number(v.replace(/^call_/, '')))
    .optional()
    .meta({
      description:
        "Extension to document 002: return the calls after this one (calls are in id order); pass the previous response's meta.next_starting_after",
      example: 'call_123456789',
    }),
});

export const callParams = z.object({
  id: z
    .string()
    .max(40)
    .meta({ description: 'The call: call_<id>, or the id alone', example: 'call_123456789' }),
});

export const apiCall = z
  .object({
    id: z.string().meta({ example: 'call_123456789' }),
    invoice_id: z.string().nullable().meta({
      description: 'The invoice the call is billed on (null while it is on none)',
      example: 'inv_987654321',
    }),
    duration: z.number().int().meta({ description: 'Seconds', example: 180 }),
    status: z.enum(['completed', 'missed', 'busy', 'failed']),
    from: z.string().meta({ example: '+1234567890' }),
    to: z.string().meta({ example: '+0987654321' }),
    transcription_url: z.string().nullable().meta({
      description:
        'The URL given when the call was sent in, or, once a transcription is uploaded, the URL that serves it (GET /v1/calls/{id}/transcription)',
    }),
    call_recording_url: z.string().nullable().meta({
      description:
        'The URL given when the call was sent in, or, once a recording is uploaded, the URL that serves it (GET /v1/calls/{id}/recording)',
    }),
    confidence_score: z.number().nullable().meta({ example: 0.95 }),
    voice_agent_id: z.string().nullable().meta({
      description: 'As given when the call was sent in, prefixed agent_ when it was given without',
      example: 'agent_456789123',
    }),
    timezone: z.string().meta({ description: "The account's IANA timezone", example: 'America/New_York' }),
    account_id: z.string().meta({ example: 'acc_789123456' }),
    created_time: z
      .string()
      .meta({ description: 'When the call started, ISO 8601 in UTC', example: '2024-01-15T10:30:00Z' }),
    billed_duration: z.number().int().nullable().meta({
      description:
        "Extension to document 002: the seconds the call was billed for, its rate's increments applied (a 100-second call at per-minute increments bills 120); `duration` is how long it lasted. Null while the call is not priced.",
      example: 180,
    }),
  })
  .meta({ id: 'V1Call' });

const baseMeta = {
  timestamp: z
    .string()
    .meta({ description: 'When the response was made, ISO 8601 in UTC', example: '2024-01-15T10:30:00Z' }),
  request_id: z
    .string()
    .meta({ description: 'Also sent as the X-Request-Id header', example: 'req_123456789' }),
};

export const listCallsResponse = z
  .object({
    success: z.literal(true),
    data: z
      .union([z.array(apiCall), z.literal(false)])
      .meta({ description: 'The calls, or false when the invoice has no calls' }),
    meta: z.object({
      ...baseMeta,
      total_calls: z.number().int().meta({ description: "The invoice's number of calls (all pages)" }),
      has_more: z
        .literal(true)
        .optional()
        .meta({ description: 'Extension: present (true) only when more calls follow this page' }),
      next_starting_after: z
        .string()
        .optional()
        .meta({ description: 'Extension: with has_more, the starting_after for the next page' }),
    }),
  })
  .meta({ id: 'V1CallList' });

export const callResponse = z
  .object({ success: z.literal(true), data: apiCall, meta: z.object(baseMeta) })
  .meta({ id: 'V1CallResponse' });

export const errorResponse = z
  .object({
    success: z.literal(false),
    error: z.object({
      code: z
        .enum([
          'INVALID_REQUEST',
          'UNAUTHORIZED',
          'FORBIDDEN',
          'NOT_FOUND',
          'CONFLICT',
          'RATE_LIMITED',
          'INTERNAL_ERROR',
        ])
        .meta({
          description:
            "Document 002 names INVALID_REQUEST (400), UNAUTHORIZED (401), NOT_FOUND (404) and RATE_LIMITED (429). Ringbill adds FORBIDDEN (403: the key's level is too low to upload files), CONFLICT (409) and INTERNAL_ERROR (500); INVALID_REQUEST also comes with 413 (file too large).",
        }),
      message: z.string(),
    }),
    meta: z.object(baseMeta),
  })
  .meta({ id: 'V1Error' });

const documented = (description: string) => ({
  description,
  content: { 'application/json': { schema: errorResponse } },
});

/** The error responses of every route on this surface, for the OpenAPI document. */
export const errorResponses = {
  400: documented(
    'INVALID_REQUEST: "Missing required parameter: invoice_id", or a malformed limit or starting_after',
  ),
  401: documented('UNAUTHORIZED: "Invalid or missing API key"'),
  404: documented('NOT_FOUND: "Invoice not found", "Call not found" (also for those of another account)'),
  429: documented('RATE_LIMITED: "Rate limit exceeded" (too many requests with this API key this minute)'),
};
