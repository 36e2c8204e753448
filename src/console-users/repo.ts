// The console users' SQL: users, one-time links, sessions and failed sign-ins. Every query that reads a
// tenant's rows names the account; sign-in alone looks an email address up across accounts.
import { sql } from 'kysely';
import type { Executor } from '../context.ts';
import type { ConsoleRole, ConsoleSessionRow, ConsoleUserRow } from '../db/schema-console.ts';
export type { ConsoleRole, ConsoleSessionRow, ConsoleUserRow } from '../db/schema-console.ts';

export const USER_COLUMNS = [
  'account_id',
  'id',
  'email',
  'name',
  'role',
  'password_hash',
  'disabled_at',
  'created_at',
  'updated_at',
] as const;

export async function insertUser(
  db: Executor,
  v: { account_id: number; email: string; name: string; role: ConsoleRole; now: Date },
): Promise<ConsoleUserRow> {
  return db
    .insertInto('console_users')
    .values({
      account_id: v.account_id,
      email: v.email,
      name: v.name,
      role: v.role,
      created_at: v.now,
      updated_at: v.now,
    })
    .returning(USER_COLUMNS)
    .executeTakeFirstOrThrow();
}

export async function findUser(
  db: Executor,
  accountId: number,
  id: number,
): Promise<ConsoleUserRow | undefined> {
  return db
    .selectFrom('console_users')
    .select(USER_COLUMNS)
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .executeTakeFirst();
}

export async function findUserByEmail(
  db: Executor,
  accountId: number,
  email: string,
): Promise<ConsoleUserRow | undefined> {
  return db
    .selectFrom('console_users')
    .select(USER_COLUMNS)
    .where('account_id', '=', accountId)
    .where(sql<string>`lower(email)`, '=', email.toLowerCase())
    .executeTakeFirst();
}

/** Users with this email address in any account (sign-in and "forgot password"); at most 20. */
export async function usersWithEmail(db: Executor, email: string): Promise<ConsoleUserRow[]> {
  return db
    .selectFrom('console_users')
    .select(USER_COLUMNS)
    .where(sql<string>`lower(email)`, '=', email.toLowerCase())
    .orderBy('account_id')
    .orderBy('id')
    .limit(20)
    .execute();
}

export async function listUsers(db: Executor, accountId: number): Promise<ConsoleUserRow[]> {
  return db
    .selectFrom('console_users')
    .select(USER_COLUMNS)
    .where('account_id', '=', accountId)
    .orderBy('id')
    .limit(1000)
    .execute();
}

export async function countActiveOwners(db: Executor, accountId: number): Promise<number> {
  const row = await db
    .selectFrom('console_users')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('account_id', '=', accountId)
    .where('role', '=', 'owner')
    .where('disabled_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function updateUser(
  db: Executor,
  accountId: number,
  id: number,
  values: {
    name?: string;
    role?: ConsoleRole;
    password_hash?: string;
    disabled_at?: Date | null;
    updated_at: Date;
  },
): Promise<ConsoleUserRow | undefined> {
  return db
    .updateTable('console_users')
    .set(values)
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .returning(USER_COLUMNS)
    .executeTakeFirst();
}

export async function deleteUser(db: Executor, accountId: number, id: number): Promise<void> {
  await db
    .deleteFrom('console_links')
    .where('account_id', '=', accountId)
    .where('user_id', '=', id)
    .execute();
  await db
    .deleteFrom('console_sessions')
    .where('account_id', '=', accountId)
    .where('user_id', '=', id)
    .execute();
  await db.deleteFrom('console_users').where('account_id', '=', accountId).where('id', '=', id).execute();
}

// ---- one-time links

/** set_up and reset: a link that sets a password; choose: a button of the sign-in's account chooser. */
export type LinkPurpose = 'set_up' | 'reset' | 'choose';

export async function insertLink(
  db: Executor,
  v: {
    account_id: number;
    user_id: number;
    purpose: LinkPurpose;
    token_hash: Buffer;
    expires_at: Date;
    created_at: Date;
  },
): Promise<void> {
  await db.insertInto('console_links').values(v).execute();
}

/** Uses a link once; undefined when unknown, used or expired. */
export async function consumeLink<P extends LinkPurpose>(
  db: Executor,
  accountId: number,
  tokenHash: Buffer,
  now: Date,
  purposes: readonly P[],
): Promise<{ account_id: number; user_id: number; purpose: P } | undefined> {
  return db
    .updateTable('console_links')
    .set({ used_at: now })
    .where('account_id', '=', accountId)
    .where('token_hash', '=', tokenHash)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .where('purpose', 'in', purposes)
    .returning(['account_id', 'user_id', 'purpose'])
    .executeTakeFirst() as Promise<{ account_id: number; user_id: number; purpose: P } | undefined>;
}

export async function peekLink<P extends LinkPurpose>(
  db: Executor,
  accountId: number,
  tokenHash: Buffer,
  now: Date,
  purposes: readonly P[],
): Promise<{ account_id: number; user_id: number; purpose: P } | undefined> {
  return db
    .selectFrom('console_links')
    .select(['account_id', 'user_id', 'purpose'])
    .where('account_id', '=', accountId)
    .where('token_hash', '=', tokenHash)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .where('purpose', 'in', purposes)
    .executeTakeFirst() as Promise<{ account_id: number; user_id: number; purpose: P } | undefined>;
}

// ---- sessions

export async function insertSession(
  db: Executor,
  v: {
    account_id: number;
    user_id: number;
    token_hash: Buffer;
    csrf_token: string;
    ip: string | null;
    expires_at: Date;
    last_seen_at: Date;
    created_at: Date;
  },
): Promise<void> {
  await db.insertInto('console_sessions').values(v).execute();
}

/** A live session (not revoked, not past its end, seen within the idle time) with its enabled user. */
export async function findLiveSession(
  db: Executor,
  accountId: number,
  tokenHash: Buffer,
  now: Date,
  idleSince: Date,
): Promise<{ session: ConsoleSessionRow; user: ConsoleUserRow } | undefined> {
  const session = await db
    .selectFrom('console_sessions')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('token_hash', '=', tokenHash)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .where('last_seen_at', '>', idleSince)
    .executeTakeFirst();
  if (!session) return undefined;
  const user = await findUser(db, session.account_id, session.user_id);
  if (!user || user.disabled_at !== null) return undefined;
  return { session, user };
}

export async function touchSession(db: Executor, accountId: number, id: number, now: Date): Promise<void> {
  await db
    .updateTable('console_sessions')
    .set({ last_seen_at: now })
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .execute();
}

export async function revokeSession(db: Executor, accountId: number, id: number, now: Date): Promise<void> {
  await db
    .updateTable('console_sessions')
    .set({ revoked_at: now })
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .execute();
}

export async function revokeUserSessions(
  db: Executor,
  accountId: number,
  userId: number,
  now: Date,
): Promise<number> {
  const r = await db
    .updateTable('console_sessions')
    .set({ revoked_at: now })
    .where('account_id', '=', accountId)
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

// ---- failed sign-ins

export async function countFailures(
  db: Executor,
  subjects: string[],
  since: Date,
): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom('console_sign_in_failures')
    .select(['subject', (eb) => eb.fn.countAll<string>().as('n')])
    .where('subject', 'in', subjects)
    .where('at', '>', since)
    .groupBy('subject')
    .execute();
  return new Map(rows.map((r) => [r.subject, Number(r.n)]));
}

export async function recordFailure(
  db: Executor,
  subjects: string[],
  now: Date,
  forgetBefore: Date,
): Promise<void> {
  await db
    .insertInto('console_sign_in_failures')
    .values(subjects.map((subject) => ({ subject, at: now })))
    .execute();
  await db.deleteFrom('console_sign_in_failures').where('at', '<', forgetBefore).execute();
}

export async function clearFailures(db: Executor, subject: string): Promise<void> {
  await db.deleteFrom('console_sign_in_failures').where('subject', '=', subject).execute();
}

/** Revokes a user's live sessions but one (the one changing the password). */
export async function revokeOtherSessions(
  db: Executor,
  accountId: number,
  userId: number,
  keepSessionId: number,
  now: Date,
): Promise<void> {
  await db
    .updateTable('console_sessions')
    .set({ revoked_at: now })
    .where('account_id', '=', accountId)
    .where('user_id', '=', userId)
    .where('id', '<>', keepSessionId)
    .where('revoked_at', 'is', null)
    .execute();
}

/** The id of the session with this token hash (just inserted). */
export async function sessionIdOfToken(
  db: Executor,
  accountId: number,
  tokenHash: Buffer,
): Promise<{ id: number }> {
  return db
    .selectFrom('console_sessions')
    .select('id')
    .where('account_id', '=', accountId)
    .where('token_hash', '=', tokenHash)
    .executeTakeFirstOrThrow();
}
