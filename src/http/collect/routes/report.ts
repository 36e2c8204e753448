import { z } from 'zod';
import { reportInvoices, MAX_REPORT_ROWS } from '../../../payments/report-invoices.ts';
import type { Ctx } from '../../../context.ts';
import { listSms } from '../../../sms/repo.ts';
import { principalOf } from '../../auth.ts';
import type { ZodApp } from '../../kit/app-type.ts';
import { smsView, toSmsView } from '../payment-views.ts';
import { errorResponses, reportQuery, smsQuery } from '../schemas.ts';
import { collectInvoice, toCollectInvoice } from '../views.ts';

export function reportRoutes(app: ZodApp, ctx: Ctx): void {
  app.get(
    '/invoices',
    {
      schema: {
        tags: ['Collections: report (document 003)'],
        operationId: 'listProcessedInvoices',
        summary: 'Invoices processed in a date range',
        description: [
          'Given a date range returns the list of all the invoices (payment requests) processed within it. `startDate` and `endDate` are YYYY-MM-DD, both included, compared with the time the request was processed; all dates are UTC. A bad or reversed range is a 400.',
          `Extension: at most \`limit\` rows (default and max ${MAX_REPORT_ROWS}) in requestId order; when more remain, \`X-Next-After\` gives the \`after\` to pass for the next page.`,
        ].join('\n\n'),
        querystring: reportQuery,
        response: { 200: z.array(collectInvoice), ...errorResponses },
      },
    },
    async (request, reply) => {
      const { accountId } = principalOf(request);
      const { rows, nextAfter } = await reportInvoices(ctx, accountId, request.query);
      if (nextAfter !== undefined) void reply.header('X-Next-After', String(nextAfter));
      const now = ctx.now();
      return rows.map((r) => toCollectInvoice(r, now));
    },
  );

  app.get(
    '/sms',
    {
      schema: {
        tags: ['Collections: SMS'],
        operationId: 'listSentSms',
        summary: 'SMS sent (the local provider records them here without sending)',
        querystring: smsQuery,
        response: { 200: z.array(smsView), ...errorResponses },
      },
    },
    async (request) => {
      const { accountId } = principalOf(request);
      const q = request.query;
      const rows = await listSms(ctx.db, accountId, {
        requestId: q.requestId,
        to: q.to,
        afterId: q.after,
        limit: q.limit ?? 100,
      });
      return rows.map(toSmsView);
    },
  );
}
