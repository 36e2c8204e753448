// The customer portal, /portal: a customer's own people sign in with a one-time link sent by email and see
// the balance and its entries, invoices (PDF), calls (search, CSV), payment requests; top up by card on the
// payment page; manage alert thresholds and who may sign in. Server-rendered HTML, no JavaScript.
//
// Security: sessions are kept in the database (only a hash of the cookie's token), the cookie is HttpOnly,
// SameSite=Lax, Path=/portal (Secure on HTTPS); every POST carries the session's CSRF token (a form field,
// compared in constant time) and, when the browser sends one, an Origin of this server; a strict CSP
// (nonce for the one inline style, no script, forms to this server only), no framing, no caching, no
// Referer. Every read is scoped to the session's account and customer.
import fastifyCookie from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Ctx } from '../../context.ts';
import type { PortalSessionRow } from '../../portal/repo.ts';
import { classifyError } from '../errors.ts';
import { addFormParser } from '../kit/page.ts';
import type { ZodApp } from '../kit/app-type.ts';
import { h, layout } from './html.ts';
import { portalKit, sendPage } from './kit.ts';
import { signInPages } from './pages/sign-in.ts';
import { balancePages } from './pages/balance.ts';
import { invoicePages, paymentPages } from './pages/invoices.ts';
import { callPages } from './pages/calls.ts';
import { settingsPages } from './pages/settings.ts';

export const PORTAL_PREFIX = '/portal';
const FORM_LIMIT = 8 * 1024;
declare module 'fastify' {
  interface FastifyRequest {
    portalSession?: PortalSessionRow;
  }
}

/** Any error on the portal is a page (a malformed URL included). */
export function portalErrorHandler(
  error: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  const classified = classifyError(error, request);
  if (!classified) {
    request.log.error({ err: error }, 'unexpected error on the portal');
    return sendPage(reply, 500, (nonce) =>
      layout({
        title: 'Something went wrong',
        nonce,
        body: '<h1>Something went wrong</h1><div class="card"><p>Please try again in a moment.</p></div>',
      }),
    );
  }
  const code = classified.error.code;
  const status =
    classified.status ??
    (code === 'not_found' || code === 'route_not_found'
      ? 404
      : code === 'forbidden'
        ? 403
        : code === 'conflict'
          ? 409
          : 400);
  const title = status === 404 ? 'Page not found' : 'This request could not be handled';
  return sendPage(reply, status, (nonce) =>
    layout({
      title,
      nonce,
      body: `<h1>${title}</h1><div class="card"><p>${h(classified.error.message)}</p><a class="button" href="/portal">Back</a></div>`,
    }),
  );
}

export function portalRoutes(ctx: Ctx, options: { publicUrl?: string | undefined } = {}) {
  return async function portal(plain: FastifyInstance): Promise<void> {
    const app: ZodApp = plain.withTypeProvider<ZodTypeProvider>();
    await app.register(fastifyCookie);
    addFormParser(app, FORM_LIMIT);

    app.setErrorHandler(portalErrorHandler);
    // Every route takes at most a form's worth of body, whatever the content type.
    app.addHook('onRoute', (route) => {
      route.bodyLimit ??= FORM_LIMIT;
    });

    const kit = portalKit(ctx, options);
    signInPages(app, kit);
    balancePages(app, kit);
    invoicePages(app, kit);
    callPages(app, kit);
    paymentPages(app, kit);
    settingsPages(app, kit);
  };
}
