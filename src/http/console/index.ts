// The operator console, /console: server-rendered pages, progressively enhanced with htmx (live billing-run
// progress, inline refreshes) and charts drawn by uPlot; both come from npm and are served from here.
// Users sign in with email and password; sessions live in the database; every POST carries the session's
// CSRF token; every page has a strict CSP (scripts and styles from this server only, no inline script).
// Every action calls the same use cases as the API, checks the role's API key level, and is audited.
import fastifyCookie from '@fastify/cookie';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Ctx } from '../../context.ts';
import {
  changeOwnPassword,
  forgotPassword,
  linkInfo,
  setPasswordWithLink,
} from '../../console-users/manage-users.ts';
import {
  CHOICE_MINUTES,
  chooseAccount,
  IDLE_MINUTES,
  SESSION_HOURS,
  signIn,
  signOut,
  signOutEverywhere,
} from '../../console-users/sign-in.ts';
import { ROLE_LABEL } from '../../console-users/roles.ts';
import { recordAudit } from '../../audit/record.ts';
import { finishRequestUnit, runChangesInUnits } from '../kit/unit-of-work.ts';
import { DomainError } from '../../shared/errors.ts';
import { classifyError, httpStatusOf } from '../errors.ts';
import { addFormParser, secure, sendHtml } from '../kit/page.ts';
import { formField, messagesQuery, namedForm, pageQuery, tokenParams } from '../kit/form.ts';
import type { ZodApp } from '../kit/app-type.ts';
import { csrfField, errorBox, h, layout, okBox } from './html.ts';
import { COOKIE, CSP, makeKit, withMessage } from './kit.ts';
import { overviewPages } from './pages/overview.ts';
import { customerPages } from './pages/customers.ts';
import { invoicePages } from './pages/invoices.ts';
import { billingRunPages } from './pages/billing-runs.ts';
import { ratesAndCallsPages } from './pages/rates-calls.ts';
import { adminPages } from './pages/admin.ts';
import { collectionPages } from './pages/collections.ts';
import { collectionReportPages } from './pages/collections-report.ts';
import { settingsPages } from './pages/settings/index.ts';

export const CONSOLE_PREFIX = '/console';
const FORM_LIMIT = 64 * 1024;
const UPLOAD_LIMIT = 100 * 1024 * 1024;

const require = createRequire(import.meta.url);
/**
 * A file of the console's own (assets/): beside this module when it runs from src/, and under src/ of the
 * package when it runs bundled (bin/ringbill.js puts the bundle in .build/).
 */
function ownAsset(name: string): string {
  const beside = new URL(`./assets/${name}`, import.meta.url);
  return fileURLToPath(
    existsSync(beside) ? beside : new URL(`../src/http/console/assets/${name}`, import.meta.url),
  );
}
const ASSETS: Record<string, { path: string; type: string }> = {
  'htmx.min.js': {
    path: require.resolve('htmx.org/dist/htmx.min.js'),
    type: 'text/javascript; charset=utf-8',
  },
  'uPlot.iife.min.js': {
    path: require.resolve('uplot/dist/uPlot.iife.min.js'),
    type: 'text/javascript; charset=utf-8',
  },
  'uPlot.min.css': { path: require.resolve('uplot/dist/uPlot.min.css'), type: 'text/css; charset=utf-8' },
  'console.js': {
    path: ownAsset('console.js'),
    type: 'text/javascript; charset=utf-8',
  },
  'console.css': {
    path: ownAsset('console.css'),
    type: 'text/css; charset=utf-8',
  },
};
const assetCache = new Map<string, Buffer>();

/** The console's error page: the status and message of the error, in the console's frame. */
export function consoleErrorHandler(
  error: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  const classified = classifyError(error, request);
  if (!classified) {
    request.log.error({ err: error }, 'unexpected error on the console');
    return sendHtml(
      reply,
      500,
      () =>
        layout({
          title: 'Something went wrong',
          body: '<h1>Something went wrong</h1><div class="card"><p>Please try again in a moment.</p><a class="button" href="/console">Back</a></div>',
        }),
      CSP,
    );
  }
  const status = classified.status ?? httpStatusOf(classified.error.code);
  const title =
    status === 404 ? 'Not found' : status === 403 ? 'Not allowed' : 'This request could not be handled';
  return sendHtml(
    reply,
    status,
    () =>
      layout({
        title,
        body: `<h1>${h(title)}</h1><div class="card"><p>${h(classified.error.message)}</p><a class="button" href="/console">Back to the overview</a></div>`,
      }),
    CSP,
  );
}

export function consoleRoutes(ctx: Ctx, options: { publicUrl?: string | undefined } = {}) {
  return async function consolePlugin(plain: FastifyInstance): Promise<void> {
    const app: ZodApp = plain.withTypeProvider<ZodTypeProvider>();
    await app.register(fastifyCookie);
    addFormParser(app, FORM_LIMIT);
    // Uploads (rate cards, CDR files) arrive as the raw file, text/csv, from console.js.
    app.addContentTypeParser(
      'text/csv',
      { parseAs: 'string', bodyLimit: UPLOAD_LIMIT },
      (_request, body, done) => done(null, body),
    );
    const kit = makeKit(app, ctx, options.publicUrl);

    app.setErrorHandler(consoleErrorHandler);
    // Every change (a POST) runs in one unit of work with its audit entry (kit.audit, kit.action's audit),
    // committed as the answer leaves; an entry that cannot be written rolls the change back (a 500).
    runChangesInUnits(app, ctx, new Set(['POST']));
    app.addHook('onSend', (request, reply, payload) =>
      finishRequestUnit(request, reply, payload, undefined, {
        type: 'text/html; charset=utf-8',
        body: '<!doctype html><title>Something went wrong</title><h1>Something went wrong</h1><p>Nothing was changed. Please try again in a moment.</p><a href="/console">Back</a>',
      }),
    );

    app.get<{ Params: { name: string } }>(
      '/console/assets/:name',
      { schema: { hide: true } },
      async (request, reply) => {
        const asset = ASSETS[request.params.name];
        if (!asset) throw new DomainError('not_found', 'no such file');
        let content = assetCache.get(request.params.name);
        if (!content) {
          content = readFileSync(asset.path);
          assetCache.set(request.params.name, content);
        }
        return reply
          .header('cache-control', 'public, max-age=3600')
          .header('x-content-type-options', 'nosniff')
          .type(asset.type)
          .send(content);
      },
    );

    // ---- signing in

    const SignInQuery = pageQuery({ next: formField, email: formField });
    const SignInForm = namedForm({ email: formField, password: formField, next: formField });

    const signInPage = (q: z.output<typeof SignInQuery>, error?: string) =>
      `<div class="narrow"><h1>Sign in to the console</h1>${errorBox(error ?? q.error)}${okBox(q.ok)}<section class="card"><form method="post" action="/console/sign-in">
<input type="hidden" name="next" value="${h(q.next ?? '')}">
<label for="email">Email address</label><input id="email" name="email" type="email" autocomplete="username" required maxlength="254" value="${h(q.email ?? '')}">
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required maxlength="200">
<button type="submit">Sign in</button></form><p><a href="/console/forgot">Forgot your password?</a></p></section>
<p class="muted">No user yet? Create the first one with <code>ringbill users create --account ID --email you@example.com --role owner</code>.</p></div>`;

    app.get(
      '/console/sign-in',
      { schema: { hide: true, querystring: SignInQuery } },
      async (request, reply) =>
        kit.page(reply, undefined, {
          title: 'Sign in',
          body: signInPage(request.query),
        }),
    );

    const startSessionCookie = (
      request: FastifyRequest,
      reply: FastifyReply,
      token: string,
      next: string,
    ) => {
      void reply.setCookie(COOKIE, token, {
        path: '/console',
        httpOnly: true,
        sameSite: 'lax',
        // Over HTTPS: this request's (through a trusted proxy, X-Forwarded-Proto), or the console's public
        // address (PUBLIC_URL https://…, behind a proxy that ends TLS and is not named in TRUST_PROXY).
        secure: request.protocol === 'https' || kit.baseUrl(request).startsWith('https://'),
        maxAge: SESSION_HOURS * 3600,
      });
      return secure(reply).redirect(/^\/console(\/[\w\-/.?=&%]*)?$/.test(next) ? next : '/console', 303);
    };

    app.post('/console/sign-in', { schema: { hide: true, body: SignInForm } }, async (request, reply) => {
      kit.refuseCrossSite(request);
      const body = request.body;
      const next = String(body.next ?? '');
      try {
        const started = await signIn(ctx, {
          email: String(body.email ?? ''),
          password: String(body.password ?? ''),
          ip: request.ip,
        });
        if (started.kind === 'signed_in') return startSessionCookie(request, reply, started.token, next);
        // The password matched this person's user in several accounts: they choose one. Each button
        // carries a one-time token (five minutes) in the form, never in a URL.
        return kit.page(reply, undefined, {
          title: 'Choose an account',
          body: `<div class="narrow"><h1>Choose an account</h1><section class="card"><p class="muted">${h(
            String(body.email ?? '')
              .trim()
              .slice(0, 254),
          )} is a user in ${started.choices.length} accounts. Which one do you want to work in?</p><ul class="choices">${started.choices
            .map(
              (c) =>
                `<li><form method="post" action="/console/sign-in/choose"><input type="hidden" name="choice" value="${h(c.token)}"><input type="hidden" name="next" value="${h(next)}"><button type="submit">${h(c.accountName)}</button> <span class="badge">${h(ROLE_LABEL[c.role])}</span></form></li>`,
            )
            .join(
              '',
            )}</ul><p class="muted">These buttons work once, for ${CHOICE_MINUTES} minutes.</p></section></div>`,
        });
      } catch (error) {
        if (
          !(error instanceof DomainError) ||
          (error.code !== 'unauthenticated' && error.code !== 'rate_limited')
        )
          throw error;
        return kit.page(
          reply,
          undefined,
          {
            title: 'Sign in',
            body: signInPage({ email: String(body.email ?? '').slice(0, 254), next }, error.message),
          },
          error.code === 'rate_limited' ? 429 : 401,
        );
      }
    });

    const ChooseForm = namedForm({ choice: formField, next: formField });
    app.post(
      '/console/sign-in/choose',
      { schema: { hide: true, body: ChooseForm } },
      async (request, reply) => {
        kit.refuseCrossSite(request);
        const body = request.body;
        const started = await chooseAccount(ctx, String(body.choice ?? ''), request.ip);
        if (!started)
          return kit.page(
            reply,
            undefined,
            {
              title: 'Sign in',
              body: signInPage({}, 'That choice has expired or was used already: sign in again.'),
            },
            401,
          );
        return startSessionCookie(request, reply, started.token, String(body.next ?? ''));
      },
    );

    app.post('/console/sign-out', { schema: { hide: true } }, async (request, reply) => {
      const m = await kit.me(request, reply);
      if (!m) return reply;
      await signOut(ctx, m.session);
      void reply.clearCookie(COOKIE, { path: '/console' });
      return secure(reply).redirect('/console/sign-in?ok=Signed+out', 303);
    });

    app.post('/console/sign-out-everywhere', { schema: { hide: true } }, async (request, reply) => {
      const m = await kit.me(request, reply);
      if (!m) return reply;
      const n = await signOutEverywhere(ctx, m.session);
      await recordAudit(ctx, m.accountId, {
        actor: { type: 'user', id: m.user.id, name: m.user.email },
        action: 'sign_out_everywhere',
        resource: 'sessions',
        resourceId: m.user.id,
        ip: request.ip,
        surface: 'console',
        changes: { sessionsEnded: n },
      });
      void reply.clearCookie(COOKIE, { path: '/console' });
      return secure(reply).redirect(
        `/console/sign-in?ok=${encodeURIComponent(`Signed out of ${n} session${n === 1 ? '' : 's'}`)}`,
        303,
      );
    });

    app.get('/console/forgot', { schema: { hide: true } }, async (_request, reply) =>
      kit.page(reply, undefined, {
        title: 'Forgot password',
        body: `<div class="narrow"><h1>Reset your password</h1><section class="card"><form method="post" action="/console/forgot"><label for="email">Email address</label><input id="email" name="email" type="email" autocomplete="username" required maxlength="254"><button type="submit">Email me a reset link</button></form></section></div>`,
      }),
    );

    app.post(
      '/console/forgot',
      { schema: { hide: true, body: namedForm({ email: formField }) } },
      async (request, reply) => {
        kit.refuseCrossSite(request);
        const email = String(request.body.email ?? '').slice(0, 254);
        await forgotPassword(ctx, email, kit.baseUrl(request));
        // The same answer whether or not the address is known.
        return kit.page(reply, undefined, {
          title: 'Check your email',
          body: `<div class="narrow"><h1>Check your email</h1>${okBox(`If ${email} is a console user, a reset link is on its way. It works once, for 30 minutes.`)}<a class="button secondary" href="/console/sign-in">Back to sign in</a></div>`,
        });
      },
    );

    // A set-up or reset link: GET shows the form (mail scanners opening links do not use them up).
    app.get(
      '/console/password/:token',
      { schema: { hide: true, params: tokenParams, querystring: messagesQuery } },
      async (request, reply) => {
        const info = await linkInfo(ctx, request.params.token);
        if (!info)
          return kit.page(
            reply,
            undefined,
            {
              title: 'Link cannot be used',
              body: '<div class="narrow"><h1>This link cannot be used</h1><div class="card"><p>It has been used already or has expired.</p><a class="button" href="/console/forgot">Ask for a new one</a></div></div>',
            },
            410,
          );
        const error = request.query.error;
        return kit.page(reply, undefined, {
          title: 'Choose a password',
          body: `<div class="narrow"><h1>${info.purpose === 'set_up' ? 'Welcome' : 'Reset your password'}, ${h(info.user.name)}</h1>${errorBox(error)}<section class="card"><p class="muted">${h(info.user.email)} · ${h(ROLE_LABEL[info.user.role])}</p>
<form method="post" action="/console/password/${encodeURIComponent(request.params.token)}"><input type="hidden" name="username" value="${h(info.user.email)}" autocomplete="username">
<label for="password">New password (at least 10 characters)</label><input id="password" name="password" type="password" autocomplete="new-password" required minlength="10" maxlength="200">
<button type="submit">Save password</button></form></section></div>`,
        });
      },
    );

    app.post(
      '/console/password/:token',
      { schema: { hide: true, params: tokenParams, body: namedForm({ password: formField }) } },
      async (request, reply) => {
        kit.refuseCrossSite(request);
        const password = String(request.body.password ?? '');
        let user;
        try {
          user = await setPasswordWithLink(ctx, request.params.token, password);
        } catch (error) {
          if (!(error instanceof DomainError) || error.code !== 'invalid_input') throw error;
          return secure(reply).redirect(
            withMessage(
              `/console/password/${encodeURIComponent(request.params.token)}`,
              'error',
              error.message,
            ),
            303,
          );
        }
        if (!user)
          return kit.page(
            reply,
            undefined,
            {
              title: 'Link cannot be used',
              body: '<div class="narrow"><h1>This link cannot be used</h1><div class="card"><p>It has been used already or has expired.</p><a class="button" href="/console/forgot">Ask for a new one</a></div></div>',
            },
            410,
          );
        await recordAudit(ctx, user.account_id, {
          actor: { type: 'user', id: user.id, name: user.email },
          action: 'set_password',
          resource: 'users',
          resourceId: user.id,
          ip: request.ip,
          surface: 'console',
        });
        return secure(reply).redirect(
          `/console/sign-in?ok=${encodeURIComponent('Password saved: sign in with it now')}&email=${encodeURIComponent(user.email)}`,
          303,
        );
      },
    );

    // ---- the user's own profile

    app.get(
      '/console/profile',
      { schema: { hide: true, querystring: messagesQuery } },
      async (request, reply) => {
        const m = await kit.me(request, reply);
        if (!m) return reply;
        const q = request.query;
        return kit.page(reply, m, {
          title: 'Your profile',
          page: 'profile',
          body: `<h1>Your profile</h1>${errorBox(q.error)}${okBox(q.ok)}<div class="grid"><section class="card"><h2>You</h2><dl><dt>Name</dt><dd>${h(m.user.name)}</dd><dt>Email</dt><dd>${h(m.user.email)}</dd><dt>Role</dt><dd>${h(ROLE_LABEL[m.user.role])}</dd></dl>
<p class="muted">Sessions end after ${IDLE_MINUTES} idle minutes and ${SESSION_HOURS} hours after sign-in.</p><form method="post" action="/console/sign-out-everywhere">${csrfField(m.csrf)}<button type="submit" class="secondary">Sign out everywhere</button></form></section>
<section class="card"><h2>Change your password</h2><form method="post" action="/console/profile/password">${csrfField(m.csrf)}<input type="hidden" name="username" value="${h(m.user.email)}" autocomplete="username">
<label for="currentPassword">Current password</label><input id="currentPassword" name="currentPassword" type="password" autocomplete="current-password" required maxlength="200">
<label for="newPassword">New password (at least 10 characters)</label><input id="newPassword" name="newPassword" type="password" autocomplete="new-password" required minlength="10" maxlength="200">
<button type="submit">Change password</button></form></section></div>`,
        });
      },
    );

    kit.action(
      '/console/profile/password',
      1,
      async (m, body) => {
        await changeOwnPassword(
          ctx,
          m.user,
          String(body.currentPassword ?? ''),
          String(body.newPassword ?? ''),
          m.session.id,
        );
        return {
          redirect: '/console/profile',
          message: 'Password changed; your other sessions were signed out',
          audit: { action: 'change_password', resource: 'users', resourceId: m.user.id },
        };
      },
      () => '/console/profile',
    );

    overviewPages(app, kit);
    customerPages(app, kit);
    invoicePages(app, kit);
    billingRunPages(app, kit);
    ratesAndCallsPages(app, kit);
    collectionPages(app, kit);
    collectionReportPages(app, kit);
    adminPages(app, kit);
    settingsPages(app, kit);
  };
}
