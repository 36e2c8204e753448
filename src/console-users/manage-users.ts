// Console users: create (with a one-time set-up link), invite, change role, disable, enable, remove; set a
// password from a link; change one's own password; "forgot password" (a reset link by email, through the
// outbox). Changes are audited by the caller's surface, which knows who acted.
import type { Ctx } from '../context.ts';
import type { ConsoleRole, ConsoleUserRow } from './repo.ts';
import { findAccount } from '../accounts/repo.ts';
import { enqueue } from '../outbox/repo.ts';
import { parseEmailList } from '../shared/contact.ts';
import { DomainError, invalid, notFound } from '../shared/errors.ts';
import { checkNewPassword, hashPassword, verifyPassword } from './password.ts';
import {
  countActiveOwners,
  consumeLink,
  deleteUser,
  findUser,
  findUserByEmail,
  insertLink,
  insertUser,
  peekLink,
  revokeOtherSessions,
  revokeUserSessions,
  updateUser,
  usersWithEmail,
} from './repo.ts';
import { isConsoleRole, mayManageRole } from './roles.ts';
import { findByToken, tokenHash } from '../tokens/find-by-token.ts';
import { newRoutedToken } from '../tokens/routed-token.ts';

export const SET_UP_LINK_HOURS = 72;
export const RESET_LINK_MINUTES = 30;

/** Link and session tokens: 43 base64url characters that name the account (tokens/routed-token.ts). */
export const TOKEN_CHARS = 43;
/** The links that set a password (a chooser's one-time button never does). */
const PASSWORD_LINKS = ['set_up', 'reset'] as const;

export function hashToken(token: string): Buffer {
  return tokenHash(token);
}

function email(value: string): string {
  const trimmed = value.trim();
  const [one] = parseEmailList(trimmed, 'email');
  if (!one || /[,;]/.test(trimmed)) throw invalid('email', 'must be one email address');
  return one;
}

function nameOf(value: string | undefined, fallback: string): string {
  const name = (value ?? '').trim() || fallback;
  if (name.length > 200) throw invalid('name', 'must be at most 200 characters');
  return name;
}

function roleOf(value: string): ConsoleRole {
  if (!isConsoleRole(value)) throw invalid('role', 'must be viewer, billing, admin or owner');
  return value;
}

export interface CreatedUser {
  user: ConsoleUserRow;
  /** The one-time set-up link (path and token; the caller puts its base URL in front). */
  setUpPath: string;
}

async function newLink(
  ctx: Ctx,
  db: Ctx['db'],
  user: ConsoleUserRow,
  purpose: 'set_up' | 'reset',
): Promise<string> {
  const token = newRoutedToken(user.account_id, TOKEN_CHARS);
  const now = ctx.now();
  const minutes = purpose === 'set_up' ? SET_UP_LINK_HOURS * 60 : RESET_LINK_MINUTES;
  await insertLink(db, {
    account_id: user.account_id,
    user_id: user.id,
    purpose,
    token_hash: hashToken(token),
    expires_at: new Date(now.getTime() + minutes * 60_000),
    created_at: now,
  });
  return `/console/password/${token}`;
}

export interface InviteJob {
  kind: 'set_up' | 'reset';
  email: string;
  name: string;
  accountName: string;
  url: string;
  from: string;
}

/**
 * Creates a user with no password and a set-up link (72 hours). With `baseUrl`, the link is also emailed
 * (an invitation, through the outbox).
 */
export async function createConsoleUser(
  ctx: Ctx,
  accountId: number,
  input: { email: string; name?: string | undefined; role: string },
  options: { actorRole?: ConsoleRole; emailBaseUrl?: string } = {},
): Promise<CreatedUser> {
  const address = email(input.email);
  const role = roleOf(input.role);
  if (options.actorRole && !mayManageRole(options.actorRole, role))
    throw new DomainError('forbidden', 'only an owner may make an owner');
  const account = await findAccount(ctx.db, accountId);
  if (!account) throw notFound('Account', accountId);
  return ctx.db.transaction().execute(async (trx) => {
    if (await findUserByEmail(trx, accountId, address))
      throw new DomainError('conflict', `${address} is already a user of this account`);
    const user = await insertUser(trx, {
      account_id: accountId,
      email: address,
      name: nameOf(input.name, address.split('@')[0]!),
      role,
      now: ctx.now(),
    });
    const setUpPath = await newLink(ctx, trx, user, 'set_up');
    if (options.emailBaseUrl) {
      const job: InviteJob = {
        kind: 'set_up',
        email: address,
        name: user.name,
        accountName: account.name,
        url: `${options.emailBaseUrl}${setUpPath}`,
        from: fromOf(account),
      };
      await enqueue(trx, { accountId, kind: 'console.user_link', payload: job, now: ctx.now() });
    }
    return { user, setUpPath };
  });
}

function fromOf(account: { name: string; email_from: string | null; email: string | null }): string {
  return `"${account.name.replace(/"/g, "'")}" <${account.email_from ?? account.email ?? 'billing@ringbill.invalid'}>`;
}

/** A new set-up link for a user who has not set a password yet (or lost the first link). */
export async function newSetUpLink(ctx: Ctx, accountId: number, userId: number): Promise<string> {
  const user = await findUser(ctx.db, accountId, userId);
  if (!user) throw notFound('User', userId);
  return newLink(ctx, ctx.db, user, 'set_up');
}

/** What a link is for (the set-password page shows it), or undefined when it cannot be used. */
export async function linkInfo(
  ctx: Ctx,
  token: string,
): Promise<{ user: ConsoleUserRow; purpose: 'set_up' | 'reset' } | undefined> {
  if (!/^[\w-]{20,100}$/.test(token)) return undefined;
  const hash = hashToken(token);
  const now = ctx.now();
  const link = await findByToken(ctx.db, 'console_link', token, hash, (accountId) =>
    peekLink(ctx.db, accountId, hash, now, PASSWORD_LINKS),
  );
  if (!link) return undefined;
  const user = await findUser(ctx.db, link.account_id, link.user_id);
  if (!user || user.disabled_at !== null) return undefined;
  return { user, purpose: link.purpose };
}

/** Sets the password from a one-time link (used up); signs the user out everywhere else. */
export async function setPasswordWithLink(
  ctx: Ctx,
  token: string,
  password: string,
): Promise<ConsoleUserRow | undefined> {
  checkNewPassword(password);
  if (!/^[\w-]{20,100}$/.test(token)) return undefined;
  const hash = await hashPassword(password);
  return ctx.db.transaction().execute(async (trx) => {
    const tokenHashed = hashToken(token);
    const link = await findByToken(trx, 'console_link', token, tokenHashed, (accountId) =>
      consumeLink(trx, accountId, tokenHashed, ctx.now(), PASSWORD_LINKS),
    );
    if (!link) return undefined;
    const user = await findUser(trx, link.account_id, link.user_id);
    if (!user || user.disabled_at !== null) return undefined;
    await revokeUserSessions(trx, user.account_id, user.id, ctx.now());
    return updateUser(trx, user.account_id, user.id, { password_hash: hash, updated_at: ctx.now() });
  });
}

/** Changes one's own password: the current one must be right. Other sessions are signed out. */
export async function changeOwnPassword(
  ctx: Ctx,
  user: ConsoleUserRow,
  current: string,
  next: string,
  keepSessionId: number,
): Promise<void> {
  checkNewPassword(next, 'newPassword');
  const fresh = await findUser(ctx.db, user.account_id, user.id);
  if (!fresh || !(await verifyPassword(current, fresh.password_hash)))
    throw invalid('currentPassword', 'is not right');
  const hash = await hashPassword(next);
  await ctx.db.transaction().execute(async (trx) => {
    await updateUser(trx, user.account_id, user.id, { password_hash: hash, updated_at: ctx.now() });
    await revokeOtherSessions(trx, user.account_id, user.id, keepSessionId, ctx.now());
  });
}

/** Emails a reset link to each enabled user with that address (nothing, silently, for an unknown one). */
export async function forgotPassword(ctx: Ctx, address: string, baseUrl: string): Promise<void> {
  let parsed: string;
  try {
    parsed = email(address);
  } catch {
    return;
  }
  const users = (await usersWithEmail(ctx.db, parsed)).filter((u) => u.disabled_at === null);
  await ctx.db.transaction().execute(async (trx) => {
    for (const user of users) {
      const account = await findAccount(trx, user.account_id);
      if (!account) continue;
      const path = await newLink(ctx, trx, user, 'reset');
      const job: InviteJob = {
        kind: 'reset',
        email: user.email,
        name: user.name,
        accountName: account.name,
        url: `${baseUrl}${path}`,
        from: fromOf(account),
      };
      await enqueue(trx, {
        accountId: user.account_id,
        kind: 'console.user_link',
        payload: job,
        now: ctx.now(),
      });
    }
  });
}

async function guardedUser(
  ctx: Ctx,
  accountId: number,
  actor: { id: number; role: ConsoleRole },
  userId: number,
): Promise<ConsoleUserRow> {
  const user = await findUser(ctx.db, accountId, userId);
  if (!user) throw notFound('User', userId);
  if (!mayManageRole(actor.role, user.role))
    throw new DomainError('forbidden', 'only an owner may change an owner');
  return user;
}

async function keepAnOwner(ctx: Ctx, accountId: number, user: ConsoleUserRow): Promise<void> {
  if (
    user.role === 'owner' &&
    user.disabled_at === null &&
    (await countActiveOwners(ctx.db, accountId)) <= 1
  ) {
    throw new DomainError('conflict', 'the account must keep one enabled owner');
  }
}

export async function changeUserRole(
  ctx: Ctx,
  accountId: number,
  actor: { id: number; role: ConsoleRole },
  userId: number,
  roleInput: string,
): Promise<{ before: ConsoleUserRow; after: ConsoleUserRow }> {
  const role = roleOf(roleInput);
  const user = await guardedUser(ctx, accountId, actor, userId);
  if (!mayManageRole(actor.role, role)) throw new DomainError('forbidden', 'only an owner may make an owner');
  if (role !== 'owner') await keepAnOwner(ctx, accountId, user);
  const after = await updateUser(ctx.db, accountId, userId, { role, updated_at: ctx.now() });
  return { before: user, after: after! };
}

export async function setUserDisabled(
  ctx: Ctx,
  accountId: number,
  actor: { id: number; role: ConsoleRole },
  userId: number,
  disabled: boolean,
): Promise<ConsoleUserRow> {
  const user = await guardedUser(ctx, accountId, actor, userId);
  if (disabled) {
    if (user.id === actor.id) throw new DomainError('conflict', 'you cannot disable yourself');
    await keepAnOwner(ctx, accountId, user);
  }
  return ctx.db.transaction().execute(async (trx) => {
    if (disabled) await revokeUserSessions(trx, accountId, userId, ctx.now());
    return (await updateUser(trx, accountId, userId, {
      disabled_at: disabled ? ctx.now() : null,
      updated_at: ctx.now(),
    }))!;
  });
}

export async function removeUser(
  ctx: Ctx,
  accountId: number,
  actor: { id: number; role: ConsoleRole },
  userId: number,
): Promise<ConsoleUserRow> {
  const user = await guardedUser(ctx, accountId, actor, userId);
  if (user.id === actor.id) throw new DomainError('conflict', 'you cannot remove yourself');
  await keepAnOwner(ctx, accountId, user);
  await ctx.db.transaction().execute((trx) => deleteUser(trx, accountId, userId));
  return user;
}
