import { getCall } from '../../../calls/get-call.ts';
import {
  DEFAULT_INVOICE_CALLS_PAGE,
  listInvoiceCalls,
  MAX_INVOICE_CALLS_PAGE,
} from '../../../invoices/list-invoice-calls.ts';
import type { Ctx } from '../../../context.ts';
import { principalOf } from '../../auth.ts';
import type { ZodApp } from '../../kit/app-type.ts';
import type { CallsApiOptions } from '../index.ts';
import { callIdFromPath, envelopeMeta, invoiceIdFromQuery } from '../route-helpers.ts';
import { callParams, callResponse, errorResponses, listCallsQuery, listCallsResponse } from '../schemas.ts';
import { callRef, publicBaseUrl, toApiCall } from '../views.ts';

const tags = ['Calls of an invoice (document 002)'];

export function callRoutes(app: ZodApp, ctx: Ctx, options: CallsApiOptions): void {
  app.get(
    '/calls',
    {
      schema: {
        tags,
        operationId: 'listInvoiceCalls',
        summary: 'Get calls',
        description: [
          'Retrieve all calls associated with a specific invoice ID. `data` is false if the invoice has no calls, or an array of call objects if calls are found. An invoice of another account is not found.',
          `Extension for long invoices: at most \`limit\` calls are returned (default ${DEFAULT_INVOICE_CALLS_PAGE}, max ${MAX_INVOICE_CALLS_PAGE}), in id order. When more remain, \`meta.has_more\` is true and \`meta.next_starting_after\` is the call id to pass as \`starting_after\` for the next page; \`meta.total_calls\` is always the invoice's total. A page after the last call is an empty array.`,
          'Each API key may make a limited number of requests a minute on /v1 (RATE_LIMIT_PER_MINUTE, default 600); the X-RateLimit-Limit, X-RateLimit-Remaining and X-RateLimit-Reset headers tell where a key stands, and a 429 comes with Retry-After.',
        ].join('\n\n'),
        querystring: listCallsQuery,
        response: { 200: listCallsResponse, ...errorResponses },
      },
    },
    async (request) => {
      const { accountId } = principalOf(request);
      const { invoice_id: invoice, limit, starting_after: after } = request.query;
      const result = await listInvoiceCalls(ctx, accountId, invoiceIdFromQuery(invoice), { limit, after });
      const view = { timezone: result.timezone, baseUrl: publicBaseUrl(request, options.publicUrl) };
      const more =
        result.page.nextAfter === undefined
          ? {}
          : { has_more: true as const, next_starting_after: callRef(result.page.nextAfter) };
      return {
        success: true as const,
        data:
          result.totalCalls === 0 ? (false as const) : result.page.rows.map((row) => toApiCall(row, view)),
        meta: { ...envelopeMeta(ctx, request), total_calls: result.totalCalls, ...more },
      };
    },
  );

  app.get(
    '/calls/:id',
    {
      schema: {
        tags,
        operationId: 'getV1Call',
        summary: 'Get a call',
        description:
          'One call of the account, in the same form as the list. Not found: NOT_FOUND "Call not found".',
        params: callParams,
        response: { 200: callResponse, ...errorResponses },
      },
    },
    async (request) => {
      const { accountId } = principalOf(request);
      const { timezone, call } = await getCall(ctx, accountId, callIdFromPath(request.params.id));
      return {
        success: true as const,
        data: toApiCall(call, { timezone, baseUrl: publicBaseUrl(request, options.publicUrl) }),
        meta: envelopeMeta(ctx, request),
      };
    },
  );
}
