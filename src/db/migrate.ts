// Versioned migrations, applied in order, each once, inside a transaction, under an advisory lock so
// that several processes starting at once on one PostgreSQL do not race.
import { sql } from 'kysely';
import type { Database } from './connection.ts';
import * as m0001 from './migrations/0001_billing_core.ts';
import * as m0002 from './migrations/0002_calls.ts';
import * as m0003 from './migrations/0003_delivery.ts';
import * as m0004 from './migrations/0004_delivery_settings.ts';
import * as m0005 from './migrations/0005_feed.ts';
import * as m0006 from './migrations/0006_webhooks.ts';
import * as m0007 from './migrations/0007_collections.ts';
import * as m0008 from './migrations/0008_payment_interest.ts';
import * as m0009 from './migrations/0009_rejected_rows_once.ts';
import * as m0011 from './migrations/0011_forget_stored_webhook_secrets.ts';
import * as m0013 from './migrations/0013_process_leases.ts';
import * as m0015 from './migrations/0015_switch_cdrs.ts';
import * as m0016 from './migrations/0016_prepaid.ts';
import * as m0017 from './migrations/0017_card_payment_safety.ts';
import * as m0019 from './migrations/0019_rates_from_the_start.ts';
import * as m0021 from './migrations/0021_console.ts';
import * as m0022 from './migrations/0022_checked_kinds.ts';
import * as m0023 from './migrations/0023_tokens_by_account.ts';
import * as m0026 from './migrations/0026_auth_notify.ts';
import * as m0027 from './migrations/0027_billing_run_scope.ts';
import * as m0028 from './migrations/0028_console_sign_in_choice.ts';
import * as m0029 from './migrations/0029_call_hours.ts';
import * as m0030 from './migrations/0030_hot_invoice_totals.ts';
import * as m0031 from './migrations/0031_charge_ranges.ts';
import * as m0032 from './migrations/0032_hot_features.ts';

interface Migration {
  version: number;
  name: string;
  up: string;
}

export const migrations: readonly Migration[] = [
  { version: 1, name: 'billing_core', up: m0001.up },
  { version: 2, name: 'calls', up: m0002.up },
  { version: 3, name: 'delivery', up: m0003.up },
  { version: 4, name: 'delivery_settings', up: m0004.up },
  { version: 5, name: 'feed', up: m0005.up },
  { version: 6, name: 'webhooks', up: m0006.up },
  { version: 7, name: 'collections', up: m0007.up },
  { version: 8, name: 'payment_interest', up: m0008.up },
  { version: 9, name: 'rejected_rows_once', up: m0009.up },
  { version: 11, name: 'forget_stored_webhook_secrets', up: m0011.up },
  { version: 13, name: 'process_leases', up: m0013.up },
  { version: 15, name: 'switch_cdrs', up: m0015.up },
  { version: 16, name: 'prepaid', up: m0016.up },
  { version: 17, name: 'card_payment_safety', up: m0017.up },
  { version: 19, name: 'rates_from_the_start', up: m0019.up },
  { version: 21, name: 'console', up: m0021.up },
  { version: 22, name: 'checked_kinds', up: m0022.up },
  { version: 23, name: 'tokens_by_account', up: m0023.up },
  { version: 26, name: 'auth_notify', up: m0026.up },
  { version: 27, name: 'billing_run_scope', up: m0027.up },
  { version: 28, name: 'console_sign_in_choice', up: m0028.up },
  { version: 29, name: 'call_hours', up: m0029.up },
  { version: 30, name: 'hot_invoice_totals', up: m0030.up },
  { version: 31, name: 'charge_ranges', up: m0031.up },
  { version: 32, name: 'hot_features', up: m0032.up },
];

const MIGRATION_LOCK_KEY = 72_616_863; // arbitrary, fixed: "ringbill migrations"

export interface MigrationResult {
  applied: { version: number; name: string }[];
  current: number;
}

/** Applies the pending migrations; `upTo` stops after that version (tests of a database migrated from an older one). */
export async function migrate(database: Database, options: { upTo?: number } = {}): Promise<MigrationResult> {
  await database.exec(`
    create table if not exists schema_migrations (
      version integer primary key,
      name text not null,
      applied_at timestamptz not null default now()
    );
  `);
  const applied: { version: number; name: string }[] = [];
  // The lock is held for the whole transaction: a second process waits, then finds nothing to do.
  await database.db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`.execute(trx);
    const done = await sql<{ version: number }>`select version from schema_migrations`.execute(trx);
    const doneVersions = new Set(done.rows.map((r) => Number(r.version)));
    for (const migration of migrations) {
      if (doneVersions.has(migration.version)) continue;
      if (options.upTo !== undefined && migration.version > options.upTo) break;
      for (const statement of splitStatements(migration.up)) {
        await sql.raw(statement).execute(trx);
      }
      await sql`insert into schema_migrations (version, name) values (${migration.version}, ${migration.name})`.execute(
        trx,
      );
      applied.push({ version: migration.version, name: migration.name });
    }
  });
  return { applied, current: migrations.at(-1)?.version ?? 0 };
}

/**
 * Splits a migration script into statements at semicolons that end a line. Migrations are plain DDL
 * written one statement per `;`-terminated line group (no function bodies), which keeps this exact.
 */
export function splitStatements(script: string): string[] {
  return script
    .split(/;\s*\n/)
    .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
    .filter((s) => s.length > 0);
}
