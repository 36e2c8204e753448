// Signing in to the console: email and password. Failed attempts are counted per email address and per
// client address (at most 5 and 30 in 15 minutes); past either, sign-in is refused for the rest of the
// window. An unknown email and a wrong password get the same answer, after the same work (the scrypt checks
// run side by side, so one account's user and an unknown address take about as long as each other).
// One email address may be a user in several accounts (each user with its own password): the password is
// checked against each, and only when it matches more than one does the person see which accounts they
// are (the chooser): each choice is a one-time link of five minutes, in its own account, whose use starts
// the session. Nothing about the other accounts is shown before a password is right.
// Sessions live in the database (only a hash of the cookie's token): they end after 60 idle minutes, 12
// hours after sign-in, at sign-out, or when the user signs out everywhere.
import { randomBytes } from 'node:crypto';
import type { Ctx } from '../context.ts';
import type { ConsoleSessionRow, ConsoleUserRow } from './repo.ts';
import { DomainError } from '../shared/errors.ts';
import { verifyPassword } from './password.ts';
import { findAccount } from '../accounts/repo.ts';
import {
  clearFailures,
  consumeLink,
  findUser,
  insertLink,
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
export const CHOICE_MINUTES = 5;
const CHOICE_LINKS = ['choose'] as const;

/** One account the person may enter (the password matched its user): a one-time token for the chooser. */
export interface AccountChoice {
  token: string;
  accountName: string;
  role: ConsoleUserRow['role'];
}

export type SignInResult =
  ({ kind: 'signed_in' } & StartedSession) | { kind: 'choose'; choices: AccountChoice[] };

/**
 * Signs in; returns the session (the password matched one user) or the accounts to choose from (it
 * matched users in several accounts), or throws: `unauthenticated` (unknown email, wrong password,
 * disabled user, no password yet: one message for all) or `rate_limited`.
 */
export async function signIn(
  ctx: Ctx,
  input: { email: string; password: string; ip: string | null },
): Promise<SignInResult> {
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
  // Every candidate is checked (side by side: scrypt runs on the thread pool), so the answer says nothing
  // about the accounts whose password did not match.
  const matched =
    candidates.length === 0
      ? (await verifyPassword(input.password, null), [])
      : (
          await Promise.all(
            candidates.map(async (u) => ((await verifyPassword(input.password, u.password_hash)) ? u : null)),
          )
        ).filter((u): u is ConsoleUserRow => u !== null);
  if (matched.length === 0) {
    await recordFailure(ctx.db, subjects, now, new Date(now.getTime() - 24 * 3600_000));
    throw new DomainError('unauthenticated', WRONG_CREDENTIALS);
  }
  await clearFailures(ctx.db, subjects[0]!);
  if (matched.length === 1) return { kind: 'signed_in', ...(await startSession(ctx, matched[0]!, input.ip)) };
  const choices: AccountChoice[] = [];
  for (const user of matched) {
    const account = await findAccount(ctx.db, user.account_id);
    if (!account) continue;
    const token = newRoutedToken(user.account_id, TOKEN_CHARS);
    await insertLink(ctx.db, {
      account_id: user.account_id,
      user_id: user.id,
      purpose: 'choose',
      token_hash: hashToken(token),
      expires_at: new Date(now.getTime() + CHOICE_MINUTES * 60_000),
      created_at: now,
    });
    choices.push({ token, accountName: account.name, role: user.role });
  }
  return { kind: 'choose', choices };
}

/**
 * The chooser's answer: the one-time token of the chosen account starts a session there. Undefined when
 * the token is unknown, used, older than five minutes, or its user was disabled since.
 */
export async function chooseAccount(
  ctx: Ctx,
  token: string,
  ip: string | null,
): Promise<StartedSession | undefined> {
  if (!/^[\w-]{20,100}$/.test(token)) return undefined;
  const hash = hashToken(token);
  const link = await findByToken(ctx.db, 'console_link', token, hash, (accountId) =>
    consumeLink(ctx.db, accountId, hash, ctx.now(), CHOICE_LINKS),
  );
  if (!link) return undefined;
  const user = await findUser(ctx.db, link.account_id, link.user_id);
  if (!user || user.disabled_at !== null || user.password_hash === null) return undefined;
  return startSession(ctx, user, ip);
}

async function startSession(ctx: Ctx, user: ConsoleUserRow, ip: string | null): Promise<StartedSession> {
  const now = ctx.now();
  const token = newRoutedToken(user.account_id, TOKEN_CHARS);
  const csrf = randomBytes(24).toString('base64url');
  await insertSession(ctx.db, {
    account_id: user.account_id,
    user_id: user.id,
    token_hash: hashToken(token),
    csrf_token: csrf,
    ip,
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
