// The billing backend API, /backend/api/v1: documents 001 (transactions) and 004 (invoices), plus the
// customers, features, billing runs, account and API keys a user of them needs.
import type { Ctx } from '../../context.ts';
import { DomainError } from '../../shared/errors.ts';
import { requireBearerKey } from '../auth.ts';
import { registerIdempotency } from '../idempotency.ts';
import type { ZodApp } from '../kit/app-type.ts';
import { backendErrorHandler } from './errors.ts';
import { accountRoutes } from './routes/account.ts';
import { alertRoutes } from './routes/alerts.ts';
import { authorizeRoutes } from './routes/authorize.ts';
import { balanceRoutes } from './routes/balances.ts';
import type { AuthorizationSettings } from '../../authorization/authorize.ts';
import { billingRunRoutes } from './routes/billing-runs.ts';
import { callRoutes } from './routes/calls.ts';
import { callFileRoutes } from './routes/call-files.ts';
import { callFeedRoutes } from './routes/call-feed.ts';
import { RATE_CARD_BODY_LIMIT_BYTES, rateCardRoutes } from './routes/rate-cards.ts';
import { customerRoutes } from './routes/customers.ts';
import { deliverySettingsRoutes } from './routes/delivery-settings.ts';
import { discountPlanRoutes } from './routes/discount-plans.ts';
import { featureRoutes } from './routes/features.ts';
import { invoiceRoutes } from './routes/invoices.ts';
import { paymentRoutes } from './routes/payments.ts';
import { transactionRoutes } from './routes/transactions.ts';
import { webhookRoutes } from './routes/webhooks.ts';
import { auditLogRoutes } from './routes/audit-log.ts';
import { registerApiAudit } from '../audit-hook.ts';

export const BACKEND_PREFIX = '/backend/api/v1';

export interface BackendOptions {
  /** PUBLIC_URL, for absolute URLs in answers (download links). */
  publicUrl?: string | undefined;
  /** Reservation expiry and the longest call one authorisation grants (RESERVATION_TTL_SECONDS, AUTHORIZE_MAX_DURATION_SECONDS). */
  authorization?: AuthorizationSettings | undefined;
}

export function backendApi(ctx: Ctx, options: BackendOptions = {}) {
  return async function backend(app: ZodApp): Promise<void> {
    app.setErrorHandler(backendErrorHandler);
    // Bodies on this surface are JSON, and CSV where a route takes a file (a rate card). Fastify also
    // parses text/plain by default, which would turn a wrongly labelled body into a string and a confusing
    // 400 "expected object"; without the parser it is a 415 naming the content type to use.
    app.removeContentTypeParser('text/plain');
    app.addContentTypeParser(
      'text/csv',
      { parseAs: 'string', bodyLimit: RATE_CARD_BODY_LIMIT_BYTES },
      (_request, body, done) => done(null, body),
    );
    app.setNotFoundHandler((request, reply) =>
      backendErrorHandler(
        new DomainError('route_not_found', `no route ${request.method} ${request.url.split('?')[0]}`),
        request,
        reply,
      ),
    );

    app.addHook('onRequest', requireBearerKey(ctx));
    // The audit hook first: its onSend commits the change with its entry before the idempotency hook keeps
    // the answer (so a change rolled back is not replayed as done).
    registerApiAudit(app, ctx, BACKEND_PREFIX);
    registerIdempotency(app, ctx);

    accountRoutes(app, ctx);
    customerRoutes(app, ctx);
    featureRoutes(app, ctx);
    transactionRoutes(app, ctx);
    invoiceRoutes(app, ctx, options);
    paymentRoutes(app, ctx);
    billingRunRoutes(app, ctx);
    rateCardRoutes(app, ctx);
    authorizeRoutes(app, ctx, options.authorization);
    callRoutes(app, ctx);
    callFileRoutes(app, ctx);
    callFeedRoutes(app, ctx);
    webhookRoutes(app, ctx);
    deliverySettingsRoutes(app, ctx);
    discountPlanRoutes(app, ctx);
    balanceRoutes(app, ctx, options);
    alertRoutes(app, ctx);
    auditLogRoutes(app, ctx);
  };
}
