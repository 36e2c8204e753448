// Signing in to the console: email and password. Failed attempts are counted per email address and per
// client address (at most 5 and 30 in 15 minutes); past either, sign-in is refused for the rest of the
// window. An unknown email and a wrong password get the same answer, after the same work (one scrypt).
// Sessions live in the database (only a hash of the cookie's token): they end after 60 idle minutes, 12
// hours after sign-in, at sign-out, or when the user signs out everywhere.
import { randomBytes } from 'node:crypto';
import type { Ctx } from '../context.ts';
import type { ConsoleSessionRow, ConsoleUserRow } from './repo.ts';
import { DomainError } from '../shared/errors.ts';
import { verifyPassword } from './password.ts';
import {
  clearFailures,
  countFailures,
  findLiveSession,
  insertSession,
  recordFailure,
  revokeSession,
  sessionIdOfToken,
  revokeUserSessions,
  touchSession,
  usersWithEmail,
} from './repo.ts';
import { hashToken, TOKEN_CHARS } from './manage-users.ts';
import { findByToken } from '../tokens/find-by-token.ts';
import { newRoutedToken } from '../tokens/routed-token.ts';

export const SESSION_HOURS = 12;
export const IDLE_MINUTES = 60;
export const FAILURE_WINDOW_MINUTES = 15;
export const MAX_FAILURES_PER_EMAIL = 5;
export const MAX_FAILURES_PER_ADDRESS = 30;
/** last_seen_at is written at most once a minute per session. */
const TOUCH_EVERY_MS = 60_000;

export interface StartedSession {
  token: string;
  user: ConsoleUserRow;
  session: { id: number; csrf: string };
}

export const WRONG_CREDENTIALS = 'That email and password do not match a console user.';

/**
 * Signs in; returns the session or throws: `unauthenticated` (unknown email, wrong password, disabled
 * user, no password yet: one message for all) or `rate_limited`.
 */
export async function signIn(
  ctx: Ctx,
  input: { email: string; password: string; ip: string | null },
): Promise<StartedSession> {
  const email = input.email.trim().toLowerCase().slice(0, 254);
  const now = ctx.now();
  const since = new Date(now.getTime() - FAILURE_WINDOW_MINUTES * 60_000);
  const subjects = [`email:${email}`, `ip:${input.ip ?? 'unknown'}`];
  const failures = await countFailures(ctx.db, subjects, since);
  if (
    (failures.get(subjects[0]!) ?? 0) >= MAX_FAILURES_PER_EMAIL ||
    (failures.get(subjects[1]!) ?? 0) >= MAX_FAILURES_PER_ADDRESS
  ) {
    throw new DomainError(
      'rate_limited',
      `Too many failed sign-ins: wait ${FAILURE_WINDOW_MINUTES} minutes and try again, or reset your password.`,
    );
  }
  const candidates = email.includes('@')
    ? (await usersWithEmail(ctx.db, email)).filter((u) => u.disabled_at === null && u.password_hash !== null)
    : [];
  let user: ConsoleUserRow | undefined;
  if (candidates.length === 0) await verifyPassword(input.password, null);
  for (const candidate of candidates) {
    if (await verifyPassword(input.password, candidate.password_hash)) {
      user = candidate;
      break;
    }
  }
  if (!user) {
    await recordFailure(ctx.db, subjects, now, new Date(now.getTime() - 24 * 3600_000));
    throw new DomainError('unauthenticated', WRONG_CREDENTIALS);
  }
  await clearFailures(ctx.db, subjects[0]!);
  const token = newRoutedToken(user.account_id, TOKEN_CHARS);
  const csrf = randomBytes(24).toString('base64url');
  await insertSession(ctx.db, {
    account_id: user.account_id,
    user_id: user.id,
    token_hash: hashToken(token),
    csrf_token: csrf,
    ip: input.ip,
    expires_at: new Date(now.getTime() + SESSION_HOURS * 3600_000),
    last_seen_at: now,
    created_at: now,
  });
  const row = await sessionIdOfToken(ctx.db, user.account_id, hashToken(token));
  return { token, user, session: { id: row.id, csrf } };
}

/** The live session of a cookie's token and its user; marks it seen (so idle time restarts). */
export async function sessionOf(
  ctx: Ctx,
  token: string | undefined,
): Promise<{ session: ConsoleSessionRow; user: ConsoleUserRow } | undefined> {
  if (!token || !/^[\w-]{20,100}$/.test(token)) return undefined;
  const now = ctx.now();
  const hash = hashToken(token);
  const idleSince = new Date(now.getTime() - IDLE_MINUTES * 60_000);
  const found = await findByToken(ctx.db, 'console_session', token, hash, (accountId) =>
    findLiveSession(ctx.db, accountId, hash, now, idleSince),
  );
  if (!found) return undefined;
  if (now.getTime() - found.session.last_seen_at.getTime() > TOUCH_EVERY_MS)
    await touchSession(ctx.db, found.session.account_id, found.session.id, now);
  return found;
}

export async function signOut(ctx: Ctx, session: ConsoleSessionRow): Promise<void> {
  await revokeSession(ctx.db, session.account_id, session.id, ctx.now());
}

/** Ends every session of the user, this one included. */
export async function signOutEverywhere(ctx: Ctx, session: ConsoleSessionRow): Promise<number> {
  return revokeUserSessions(ctx.db, session.account_id, session.user_id, ctx.now());
}
