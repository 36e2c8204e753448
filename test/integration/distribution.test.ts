// Ready to distribute by account (issue 12): every primary key and unique index of a tenant table starts with
// account_id, read from the catalog of this run's migrated database (PGlite and PostgreSQL), with a short
// explicit list of the tables that are global and why. And the public tokens that used to be looked up by
// themselves: new ones carry their account; ones issued before migration 0023 keep opening what they opened.
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticate } from '../../src/api-keys/authenticate.ts';
import { createApiKey } from '../../src/api-keys/create-key.ts';
import { KEY_PREFIX, hashApiKey } from '../../src/api-keys/token.ts';
import { authorizeCallWithKey } from '../../src/authorization/authorize.ts';
import { findRequestByToken } from '../../src/collections/repo.ts';
import { linkInfo } from '../../src/console-users/manage-users.ts';
import { sessionOf as consoleSessionOf } from '../../src/console-users/sign-in.ts';
import { createCtx } from '../../src/context.ts';
import { openPglite, openPostgres, type Database } from '../../src/db/connection.ts';
import { migrate } from '../../src/db/migrate.ts';
import { peekDownloadLink } from '../../src/delivery/download-links.ts';
import { sessionOf as portalSessionOf, signInWithLink } from '../../src/portal/sign-in.ts';
import { tokenHash } from '../../src/tokens/find-by-token.ts';
import { accountOfRoutedToken } from '../../src/tokens/routed-token.ts';
import { adminQuery, createTestDatabase, databaseUrl, testDbKind, type TestDatabase } from '../helpers/db.ts';

/** The tables that belong to no account, and why. Everything else is a tenant table. */
const GLOBAL_TABLES: Record<string, string> = {
  accounts: 'the tenants themselves: their id is the distribution value (on Citus, a reference table)',
  schema_migrations: 'which migrations the database has had: the schema, not any tenant',
  processes:
    'the running Ringbill processes and their heartbeats (migration 0013): machines, not tenant data',
  console_sign_in_failures:
    'failed console sign-ins, counted per email and client address before any account is known (migration 0021)',
  legacy_tokens:
    'frozen by migration 0023: the account of each token issued before tokens carried their account',
};

interface KeyRow {
  table: string;
  index: string;
  primary: boolean;
  first_column: string | null;
  definition: string;
}

async function tenantKeyProblems(database: Database): Promise<string[]> {
  const tables = await sql<{ table: string; has_account_id: boolean; has_primary_key: boolean }>`
    select c.relname as "table",
      exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'account_id' and not a.attisdropped) as has_account_id,
      exists (select 1 from pg_index i where i.indrelid = c.oid and i.indisprimary) as has_primary_key
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relkind in ('r', 'p')
    order by 1
  `.execute(database.db);
  // indkey[0] is the index's first column (0 when it is an expression).
  const keys = await sql<KeyRow>`
    select c.relname as "table", ic.relname as "index", i.indisprimary as "primary", a.attname as first_column,
      pg_get_indexdef(i.indexrelid) as definition
    from pg_index i
    join pg_class c on c.oid = i.indrelid
    join pg_class ic on ic.oid = i.indexrelid
    join pg_namespace n on n.oid = c.relnamespace
    left join pg_attribute a on a.attrelid = c.oid and a.attnum = i.indkey[0]
    where n.nspname = 'public' and (i.indisunique or i.indisprimary)
    order by 1, 2
  `.execute(database.db);
  const problems: string[] = [];
  const names = new Set(tables.rows.map((t) => t.table));
  for (const name of Object.keys(GLOBAL_TABLES))
    if (!names.has(name)) problems.push(`${name}: listed as global but no such table`);
  for (const t of tables.rows) {
    if (t.table in GLOBAL_TABLES) continue;
    if (!t.has_account_id)
      problems.push(`${t.table}: a tenant table without account_id (or add it to GLOBAL_TABLES, saying why)`);
    if (!t.has_primary_key) problems.push(`${t.table}: no primary key`);
  }
  for (const k of keys.rows) {
    if (k.table in GLOBAL_TABLES) continue;
    if (k.first_column !== 'account_id')
      problems.push(
        `${k.table}.${k.index}: ${k.primary ? 'primary key' : 'unique index'} does not start with account_id: ${k.definition}`,
      );
  }
  return problems;
}

describe(`distribution by account (${testDbKind()})`, () => {
  let testDb: TestDatabase;
  beforeAll(async () => {
    testDb = await createTestDatabase();
  });
  afterAll(async () => {
    await testDb.drop();
  });

  it('every primary key and unique index of a tenant table starts with account_id', async () => {
    expect(await tenantKeyProblems(testDb.database)).toEqual([]);
  });

  it('the check sees a global unique index and a tenant table without account_id', async () => {
    await testDb.database.exec(`
      create table tenantless (id bigint primary key, name text);
      create unique index api_keys_prefix_everywhere on api_keys (key_prefix);
    `);
    try {
      expect(await tenantKeyProblems(testDb.database)).toEqual([
        'tenantless: a tenant table without account_id (or add it to GLOBAL_TABLES, saying why)',
        'api_keys.api_keys_prefix_everywhere: unique index does not start with account_id: CREATE UNIQUE INDEX api_keys_prefix_everywhere ON public.api_keys USING btree (key_prefix)',
        'tenantless.tenantless_pkey: primary key does not start with account_id: CREATE UNIQUE INDEX tenantless_pkey ON public.tenantless USING btree (id)',
      ]);
    } finally {
      await testDb.database.exec('drop table tenantless; drop index api_keys_prefix_everywhere;');
    }
  });
});

describe(`tokens issued before migration 0023 (${testDbKind()})`, () => {
  let database: Database;
  let dropDatabase = async () => {};
  const now = new Date('2026-12-01T10:00:00Z');
  const inAnHour = new Date(now.getTime() + 3600_000);
  const oldToken = () => randomBytes(32).toString('base64url');
  // An old token that happens to read as naming account 2 ("B" one digit, "C" = 2) while it is account 1's.
  const misleading = () => `BC${randomBytes(30).toString('base64url').slice(0, 41)}`;
  const issued = {
    apiKey: `rb_${randomBytes(24).toString('base64url')}`,
    misleadingApiKey: `rb_BC${randomBytes(24).toString('base64url').slice(0, 30)}`,
    download: randomBytes(24).toString('base64url'),
    misleadingDownload: misleading(),
    pay: oldToken(),
    portalLink: oldToken(),
    portalSession: misleading(),
    consoleLink: oldToken(),
    consoleSession: oldToken(),
  };
  let accountA = 0;
  let accountB = 0;

  beforeAll(async () => {
    if (testDbKind() === 'postgres') {
      const name = `ringbill_legacy_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
      await adminQuery(`create database ${name}`);
      database = await openPostgres({ connectionString: databaseUrl(name) });
      dropDatabase = async () => {
        await database.close();
        await adminQuery(`drop database if exists ${name} with (force)`);
      };
    } else {
      database = await openPglite();
      dropDatabase = () => database.close();
    }
    // A database as it was before tokens carried their account, with tokens of every kind already out there.
    await migrate(database, { upTo: 22 });
    const db = database.db;
    const account = async (name: string) =>
      (
        await db
          .insertInto('accounts')
          .values({ name, timezone: 'Europe/London', currency: 'GBP' })
          .returning('id')
          .executeTakeFirstOrThrow()
      ).id;
    accountA = await account('Old Tokens Ltd');
    accountB = await account('Other Ltd');
    expect([accountA, accountB]).toEqual([1, 2]); // the misleading tokens name account 2
    const a = accountA;
    const customer = await db
      .insertInto('customers')
      .values({ account_id: a, name: 'Bright Dental' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const invoice = await db
      .insertInto('invoices')
      .values({ account_id: a, customer_id: customer.id, approved_at: now })
      .returning('id')
      .executeTakeFirstOrThrow();
    for (const key of [issued.apiKey, issued.misleadingApiKey]) {
      await db
        .insertInto('api_keys')
        .values({
          account_id: a,
          level: 5,
          key_hash: hashApiKey(key),
          key_prefix: key.slice(0, 9),
          timezone: 'Europe/London',
        })
        .execute();
    }
    for (const token of [issued.download, issued.misleadingDownload]) {
      await db
        .insertInto('download_links')
        .values({
          account_id: a,
          invoice_id: invoice.id,
          token_hash: tokenHash(token),
          expires_at: inAnHour,
          max_uses: 1,
          created_at: now,
        })
        .execute();
    }
    await db
      .insertInto('payment_requests')
      .values({
        account_id: a,
        invoice_id: invoice.id,
        customer_id: customer.id,
        token: issued.pay,
        url: `http://ringbill.test/pay/${issued.pay}`,
        amount: '12.00',
        currency: 'GBP',
        expires_at: inAnHour,
      })
      .execute();
    const email = 'ann@bright.test';
    await db
      .insertInto('portal_links')
      .values({
        account_id: a,
        customer_id: customer.id,
        email,
        token_hash: tokenHash(issued.portalLink),
        expires_at: inAnHour,
        created_at: now,
      })
      .execute();
    await db
      .insertInto('portal_sessions')
      .values({
        account_id: a,
        customer_id: customer.id,
        email,
        token_hash: tokenHash(issued.portalSession),
        csrf_token: 'c',
        expires_at: inAnHour,
        last_seen_at: now,
        created_at: now,
      })
      .execute();
    const user = await db
      .insertInto('console_users')
      .values({ account_id: a, email, name: 'Ann', role: 'owner', created_at: now, updated_at: now })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db
      .insertInto('console_links')
      .values({
        account_id: a,
        user_id: user.id,
        purpose: 'set_up',
        token_hash: tokenHash(issued.consoleLink),
        expires_at: inAnHour,
        created_at: now,
      })
      .execute();
    await db
      .insertInto('console_sessions')
      .values({
        account_id: a,
        user_id: user.id,
        token_hash: tokenHash(issued.consoleSession),
        csrf_token: 'c',
        ip: null,
        expires_at: inAnHour,
        last_seen_at: now,
        created_at: now,
      })
      .execute();
    const applied = await migrate(database);
    expect(applied.applied.map((m) => m.version)).toContain(23);
  });
  afterAll(async () => {
    await dropDatabase();
  });

  it('keep opening what they opened, even one that reads as naming another account', async () => {
    const ctx = createCtx(database, () => now);
    expect(accountOfRoutedToken(issued.misleadingDownload)).toBe(accountB);
    expect(await authenticate(ctx, issued.apiKey)).toMatchObject({ accountId: accountA, level: 5 });
    expect(await authenticate(ctx, issued.misleadingApiKey)).toMatchObject({ accountId: accountA, level: 5 });
    // The authorisation hot path reads the key in its own query: the key is good (no line for this number).
    await expect(
      authorizeCallWithKey(ctx, issued.apiKey, 1, { from: '+441632960001', to: '+441632960002' }),
    ).resolves.toMatchObject({ accountId: accountA });
    expect(await peekDownloadLink(ctx, issued.download)).toBe('good');
    expect(await peekDownloadLink(ctx, issued.misleadingDownload)).toBe('good');
    expect(await findRequestByToken(database.db, issued.pay)).toMatchObject({
      account_id: accountA,
      token: issued.pay,
    });
    expect(await portalSessionOf(ctx, issued.portalSession)).toMatchObject({ account_id: accountA });
    expect(await linkInfo(ctx, issued.consoleLink)).toMatchObject({
      user: { account_id: accountA, email: 'ann@bright.test' },
      purpose: 'set_up',
    });
    expect(await consoleSessionOf(ctx, issued.consoleSession)).toMatchObject({
      session: { account_id: accountA },
    });
    // A link used after the migration starts a session whose token carries the account.
    const started = await signInWithLink(ctx, issued.portalLink);
    expect(started?.session.accountId).toBe(accountA);
    expect(accountOfRoutedToken(started!.token)).toBe(accountA);
    expect(await portalSessionOf(ctx, started!.token)).toMatchObject({ account_id: accountA });
    expect(await signInWithLink(ctx, issued.portalLink)).toBeUndefined(); // used once
  });

  it('new tokens carry their account, and naming another account opens nothing', async () => {
    const ctx = createCtx(database, () => now);
    const created = await createApiKey(ctx, accountB, { level: 3 });
    expect(created.key).toMatch(/^rb_[A-Za-z0-9_-]{32}$/);
    expect(accountOfRoutedToken(created.key.slice(KEY_PREFIX.length))).toBe(accountB);
    expect(await authenticate(ctx, created.key)).toMatchObject({ accountId: accountB, level: 3 });
    // The same random part with account 1's id: hashed whole, it is no key of either account.
    const forged = `rb_BB${created.key.slice(5)}`;
    expect(await authenticate(ctx, forged)).toBeUndefined();
    // Only tokens issued before the migration are in legacy_tokens: 2 keys, 2 links, 1 pay link, 4 sign-in tokens.
    const legacy = await database.db
      .selectFrom('legacy_tokens')
      .select(['kind', 'account_id'])
      .orderBy('kind')
      .execute();
    expect(legacy.map((r) => `${r.kind}:${r.account_id}`)).toEqual([
      'api_key:1',
      'api_key:1',
      'console_link:1',
      'console_session:1',
      'download:1',
      'download:1',
      'pay:1',
      'portal_link:1',
      'portal_session:1',
    ]);
  });
});
