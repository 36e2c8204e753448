// Names for the console tables (migration 0021), derived from the generated types (see schema.ts).
import type { Selectable } from 'kysely';
import type * as G from './schema.generated.ts';

export type ConsoleRole = Selectable<G.ConsoleUsers>['role'];
export type ConsoleUserRow = Selectable<G.ConsoleUsers>;
export type ConsoleSessionRow = Selectable<G.ConsoleSessions>;
export type AuditLogRow = Selectable<G.AuditLog>;
