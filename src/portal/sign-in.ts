// Signing in to the customer portal: no password. A person gives an email address; for each customer that
// address may sign in for (a portal contact, or the customer's own email), a one-time link is emailed
// (through the outbox). The link works once, for 15 minutes, and starts a session of 12 hours kept in the
// database (only a hash of its token); the session's own CSRF token guards every form it posts. Link and
// session tokens name their account (tokens/routed-token.ts), and are looked up in it.
import { randomBytes } from 'node:crypto';
import type { Ctx } from '../context.ts';
import type { PortalSessionRow } from './repo.ts';
import { enqueue } from '../outbox/repo.ts';
import { parseEmailList } from '../shared/contact.ts';
import {
  consumeLink,
  customersForEmail,
  findSession,
  insertLink,
  insertSession,
  revokeSession,
} from './repo.ts';
import { findByToken, tokenHash } from '../tokens/find-by-token.ts';
import { newRoutedToken } from '../tokens/routed-token.ts';

export const LINK_MINUTES = 15;
export const SESSION_HOURS = 12;

const TOKEN_CHARS = 43;

export function hashToken(token: string): Buffer {
  return tokenHash(token);
}

export interface SignInLinkJob {
  email: string;
  url: string;
  customerName: string;
  accountName: string;
  from: string;
}

/** Emails sign-in links for the address (nothing, silently, when it is unknown: no address is revealed). */
export async function requestSignIn(ctx: Ctx, emailInput: string, baseUrl: string): Promise<number> {
  const [email] = parseEmailList(emailInput.trim(), 'email');
  if (!email || emailInput.includes(',') || emailInput.includes(';')) return 0;
  const targets = await customersForEmail(ctx.db, email);
  const now = ctx.now();
  await ctx.db.transaction().execute(async (trx) => {
    for (const t of targets) {
      const token = newRoutedToken(t.account_id, TOKEN_CHARS);
      await insertLink(trx, {
        account_id: t.account_id,
        customer_id: t.customer_id,
        email,
        token_hash: hashToken(token),
        expires_at: new Date(now.getTime() + LINK_MINUTES * 60_000),
        created_at: now,
      });
      const job: SignInLinkJob = {
        email,
        url: `${baseUrl}/portal/sign-in/${token}`,
        customerName: t.customer_name,
        accountName: t.account_name,
        from: `"${t.account_name.replace(/"/g, "'")}" <${t.email_from ?? t.account_email ?? 'billing@ringbill.invalid'}>`,
      };
      const queued = await enqueue(trx, {
        accountId: t.account_id,
        kind: 'portal.sign_in_link',
        payload: job,
        now,
      });
      void queued;
    }
  });
  return targets.length;
}

export interface StartedSession {
  token: string;
  session: { accountId: number; customerId: number; csrf: string; expiresAt: Date };
}

/** Uses a link once and starts a session; undefined for an unknown, used or expired link. */
export async function signInWithLink(ctx: Ctx, token: string): Promise<StartedSession | undefined> {
  if (!/^[\w-]{20,100}$/.test(token)) return undefined;
  const now = ctx.now();
  return ctx.db.transaction().execute(async (trx) => {
    const hash = hashToken(token);
    const link = await findByToken(trx, 'portal_link', token, hash, (accountId) =>
      consumeLink(trx, accountId, hash, now),
    );
    if (!link) return undefined;
    const sessionToken = newRoutedToken(link.account_id, TOKEN_CHARS);
    const csrf = randomBytes(24).toString('base64url');
    const expiresAt = new Date(now.getTime() + SESSION_HOURS * 3600_000);
    await insertSession(trx, {
      account_id: link.account_id,
      customer_id: link.customer_id,
      email: link.email,
      token_hash: hashToken(sessionToken),
      csrf_token: csrf,
      expires_at: expiresAt,
      last_seen_at: now,
      created_at: now,
    });
    return {
      token: sessionToken,
      session: { accountId: link.account_id, customerId: link.customer_id, csrf, expiresAt },
    };
  });
}

export async function sessionOf(ctx: Ctx, token: string | undefined): Promise<PortalSessionRow | undefined> {
  if (!token || !/^[\w-]{20,100}$/.test(token)) return undefined;
  const hash = hashToken(token);
  const now = ctx.now();
  return findByToken(ctx.db, 'portal_session', token, hash, (accountId) =>
    findSession(ctx.db, accountId, hash, now),
  );
}

export async function signOut(ctx: Ctx, session: PortalSessionRow): Promise<void> {
  await revokeSession(ctx.db, session.account_id, session.id, ctx.now());
}
