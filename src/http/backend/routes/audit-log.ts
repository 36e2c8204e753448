import { z } from 'zod';
import type { Ctx } from '../../../context.ts';
import { actorLabel, listAuditLog, parseActor } from '../../../audit/list-audit-log.ts';
import type { AuditLogRow } from '../../../audit/repo.ts';
import { addDays, startOfDayInZone } from '../../../shared/dates.ts';
import { invalid } from '../../../shared/errors.ts';
import { principalOf } from '../../auth.ts';
import { loadAccount, type ZodApp } from '../../kit/app-type.ts';
import { sendPage } from '../../kit/route-helpers.ts';
import { errorBody, isoDate, pageQuery } from '../schemas.ts';

const auditEntryView = z
  .object({
    id: z.string(),
    at: z.string().meta({ description: 'When, ISO 8601 UTC' }),
    actor: z.string().meta({
      description:
        'Who: user:ID (a console user), apiKey:ID (an API key) or system: (a change made with the CLI, such as `ringbill users create` or `ringbill bill`; actorName names the command and the operating-system user and host that ran it)',
    }),
    actorName: z
      .string()
      .nullable()
      .meta({ description: "The user's email address when a user acted; the command when the CLI did" }),
    action: z.string().meta({
      description: 'create, update, delete, or the action run (approve, email, replay, rotateSecret…)',
    }),
    resource: z
      .string()
      .meta({ description: 'What was changed: customers, features, invoices, rateCards, webhooks, users…' }),
    resourceId: z.string().nullable(),
    ip: z.string().nullable().meta({ description: 'The client address the change came from' }),
    surface: z.enum(['api', 'console', 'cli']).or(z.string()),
    changes: z.record(z.string(), z.unknown()).nullable().meta({
      description: 'For updates, {field: {from, to}} for each field that changed; secrets are never shown',
    }),
  })
  .meta({ id: 'AuditEntry' });

export function toAuditEntryView(r: AuditLogRow): z.infer<typeof auditEntryView> {
  return {
    id: String(r.id),
    at: r.at.toISOString(),
    actor: actorLabel(r),
    actorName: r.actor_name,
    action: r.action,
    resource: r.resource,
    resourceId: r.resource_id,
    ip: r.ip,
    surface: r.surface,
    changes: (r.changes as Record<string, unknown> | null) ?? null,
  };
}

export function auditLogRoutes(app: ZodApp, ctx: Ctx): void {
  app.get(
    '/auditLog',
    {
      schema: {
        tags: ['Account'],
        operationId: 'listAuditEntries',
        summary: 'The audit log: every change from the console and the API',
        description:
          'Append-only. Oldest first; page with `after` (the last id of the previous page) and `limit`, as every list here (Link rel="next", X-Next-After). Filter by resource, by actor (user:ID, apiKey:ID, or system: for the changes made with the CLI) and by date (from/to, inclusive dates in the account timezone).',
        querystring: z.object({
          ...pageQuery,
          resource: z.string().max(60).optional(),
          resourceId: z.string().max(100).optional(),
          actor: z
            .string()
            .max(40)
            .optional()
            .meta({ description: "user:ID, apiKey:ID, or system: (the CLI's changes)", example: 'apiKey:1' }),
          from: isoDate.optional(),
          to: isoDate.optional(),
        }),
        response: { 200: z.array(auditEntryView), 400: errorBody, 401: errorBody },
      },
    },
    async (request, reply) => {
      const { accountId } = principalOf(request);
      const account = await loadAccount(ctx, accountId);
      const q = request.query;
      if (q.from && q.to && q.to < q.from) throw invalid('to', `is before from (${q.to} < ${q.from})`);
      const page = await listAuditLog(
        ctx,
        accountId,
        {
          resource: q.resource,
          resourceId: q.resourceId,
          ...(q.actor ? parseActor(q.actor) : {}),
          from: q.from ? startOfDayInZone(q.from, account.timezone) : undefined,
          to: q.to ? startOfDayInZone(addDays(q.to, 1), account.timezone) : undefined,
        },
        { after: q.after, limit: q.limit, order: 'asc' },
      );
      return sendPage(request, reply, page, toAuditEntryView);
    },
  );
}
