// Signing in with a one-time link sent by email, and signing out.
import { requestSignIn, SESSION_HOURS, signInWithLink, signOut } from '../../../portal/sign-in.ts';
import { DomainError } from '../../../shared/errors.ts';
import { publicBaseUrl } from '../../public-url.ts';
import { secure } from '../../kit/page.ts';
import type { ZodApp } from '../../kit/app-type.ts';
import { formField, namedForm, tokenParams } from '../../kit/form.ts';
import { h, layout } from '../html.ts';
import { COOKIE, sendPage, type PortalKit } from '../kit.ts';

export function signInPages(app: ZodApp, kit: PortalKit): void {
  const { ctx, publicUrl, requireSession } = kit;

  app.get('/portal/sign-in', { schema: { hide: true } }, async (_request, reply) =>
    sendPage(reply, 200, (nonce) =>
      layout({
        title: 'Sign in',
        nonce,
        body: `<h1>Sign in to your account</h1><section class="card"><p>Enter your email address. We will email you a link that signs you in; no password needed.</p>
<form method="post" action="/portal/sign-in"><label for="email">Email address</label><input id="email" name="email" type="email" autocomplete="email" required maxlength="254"><button type="submit">Email me a sign-in link</button></form></section>`,
      }),
    ),
  );

  app.post(
    '/portal/sign-in',
    { schema: { hide: true, body: namedForm({ email: formField }) } },
    async (request, reply) => {
      const email = String(request.body.email ?? '').slice(0, 254);
      try {
        await requestSignIn(ctx, email, publicBaseUrl(request, publicUrl));
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
      }
      // The same answer whether or not the address is known.
      return sendPage(reply, 200, (nonce) =>
        layout({
          title: 'Check your email',
          nonce,
          body: `<h1>Check your email</h1><div class="alert ok" role="status">If ${h(email)} may sign in, a link is on its way. It works once, for 15 minutes.</div><a class="button" href="/portal/sign-in">Send another link</a>`,
        }),
      );
    },
  );

  // The link's GET only shows a button: mail scanners that open links do not use them up.
  app.get('/portal/sign-in/:token', { schema: { hide: true, params: tokenParams } }, async (request, reply) =>
    sendPage(reply, 200, (nonce) =>
      layout({
        title: 'Sign in',
        nonce,
        body: `<h1>Sign in</h1><section class="card"><form method="post" action="/portal/sign-in/${encodeURIComponent(request.params.token)}"><button type="submit">Sign in to your account</button></form></section>`,
      }),
    ),
  );

  app.post(
    '/portal/sign-in/:token',
    { schema: { hide: true, params: tokenParams } },
    async (request, reply) => {
      const started = await signInWithLink(ctx, request.params.token);
      if (!started) {
        return sendPage(reply, 410, (nonce) =>
          layout({
            title: 'This link cannot be used',
            nonce,
            body: '<h1>This sign-in link cannot be used</h1><div class="card"><p>It has been used already or has expired. Ask for a new one.</p><a class="button" href="/portal/sign-in">Sign in</a></div>',
          }),
        );
      }
      void reply.setCookie(COOKIE, started.token, {
        path: '/portal',
        httpOnly: true,
        sameSite: 'lax',
        secure: request.protocol === 'https',
        maxAge: SESSION_HOURS * 3600,
      });
      return secure(reply).redirect('/portal', 303);
    },
  );

  app.post('/portal/sign-out', { schema: { hide: true } }, async (request, reply) => {
    const session = await requireSession(request, reply);
    if (!session) return reply;
    await signOut(ctx, session);
    void reply.clearCookie(COOKIE, { path: '/portal' });
    return secure(reply).redirect('/portal/sign-in', 303);
  });
}
