// The collections surface, /collect/v1 (document 003 and the payment requests behind it): Bearer API key
// like the backend, its own error shape {"error": {"code", "message", "field"?}}.
import type { Ctx } from '../../context.ts';
import { DomainError } from '../../shared/errors.ts';
import { requireBearerKey } from '../auth.ts';
import { registerApiAudit } from '../audit-hook.ts';
import { registerIdempotency } from '../idempotency.ts';
import type { ZodApp } from '../kit/app-type.ts';
import { collectErrorHandler } from './errors.ts';
import { reportRoutes } from './routes/report.ts';
import { requestRoutes } from './routes/requests.ts';
import { planRoutes } from './routes/plans.ts';

export const COLLECT_PREFIX = '/collect/v1';

export interface CollectOptions {
  /** PUBLIC_URL: the base of payment links; default: the request's protocol and host. */
  publicUrl: string | undefined;
  /** Days a payment link works when a request does not say. */
  linkExpiryDays: number;
}

export function collectApi(ctx: Ctx, options: CollectOptions) {
  return async function collect(app: ZodApp): Promise<void> {
    app.setErrorHandler(collectErrorHandler);
    app.removeContentTypeParser('text/plain');
    app.setNotFoundHandler((request, reply) =>
      collectErrorHandler(
        new DomainError('route_not_found', `no route ${request.method} ${request.url.split('?')[0]}`),
        request,
        reply,
      ),
    );
    app.addHook('onRequest', requireBearerKey(ctx));
    // As on the backend API: the audit hook first, so a change commits with its entry before its answer is kept.
    registerApiAudit(app, ctx, COLLECT_PREFIX);
    registerIdempotency(app, ctx);
    requestRoutes(app, ctx, options);
    reportRoutes(app, ctx);
    planRoutes(app, ctx);
  };
}
