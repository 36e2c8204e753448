// Typed view of the console tables (migration 0021) for Kysely. Only repositories import this.
import type { ColumnType, Generated, Selectable } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Id = Generated<number>;

export type ConsoleRole = 'viewer' | 'billing' | 'admin' | 'owner';

export interface ConsoleUsersTable {
  account_id: number;
  id: Id;
  email: string;
  name: string;
  role: ConsoleRole;
  password_hash: string | null;
  disabled_at: Date | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ConsoleLinksTable {
  account_id: number;
  id: Id;
  user_id: number;
  purpose: 'set_up' | 'reset';
  token_hash: Buffer | Uint8Array;
  expires_at: Timestamp;
  used_at: Date | null;
  created_at: Timestamp;
}

export interface ConsoleSessionsTable {
  account_id: number;
  id: Id;
  user_id: number;
  token_hash: Buffer | Uint8Array;
  csrf_token: string;
  ip: string | null;
  expires_at: Timestamp;
  last_seen_at: Timestamp;
  revoked_at: Date | null;
  created_at: Timestamp;
}

export interface ConsoleSignInFailuresTable {
  id: Id;
  subject: string;
  at: Timestamp;
}

export interface AuditLogTable {
  account_id: number;
  id: Id;
  at: Timestamp;
  actor_type: 'user' | 'api_key' | 'system';
  actor_id: number | null;
  actor_name: string | null;
  action: string;
  resource: string;
  resource_id: string | null;
  ip: string | null;
  surface: string;
  changes: ColumnType<unknown, string | null, never>;
}

export interface ConsoleTables {
  console_users: ConsoleUsersTable;
  console_links: ConsoleLinksTable;
  console_sessions: ConsoleSessionsTable;
  console_sign_in_failures: ConsoleSignInFailuresTable;
  audit_log: AuditLogTable;
}

export type ConsoleUserRow = Selectable<ConsoleUsersTable>;
export type ConsoleSessionRow = Selectable<ConsoleSessionsTable>;
export type AuditLogRow = Selectable<AuditLogTable>;
