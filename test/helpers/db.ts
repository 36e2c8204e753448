// Test databases: each test file gets a database of its own, already migrated, so runs and files never
// see each other's rows. PGlite: loaded from a migrated data folder dumped once by the global setup
// (a fresh initdb costs seconds). PostgreSQL: a new database copied from a migrated template.
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { inject } from 'vitest';
import { openPglite, openPostgres, type Database } from '../../src/db/connection.ts';

export type TestDbKind = 'pglite' | 'postgres';

export function testDbKind(): TestDbKind {
  return process.env.RINGBILL_TEST_DB === 'postgres' ? 'postgres' : 'pglite';
}

export const ADMIN_DATABASE_URL = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

export function databaseUrl(name: string): string {
  const url = new URL(ADMIN_DATABASE_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

export interface TestDatabase {
  database: Database;
  /** A PostgreSQL URL for this database (PostgreSQL runs only): for spawning the CLI against it. */
  url?: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  if (testDbKind() === 'pglite') {
    const dump = await readFile(inject('pgliteTemplatePath'));
    const database = await openPglite({ loadDataDir: new Blob([dump]) });
    return { database, drop: () => database.close() };
  }
  const name = `ringbill_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  await adminQuery(`create database ${name} template ${inject('postgresTemplateName')}`);
  const url = databaseUrl(name);
  const database = await openPostgres({ connectionString: url, maxConnections: 20 });
  return {
    database,
    url,
    drop: async () => {
      await database.close();
      await adminQuery(`drop database if exists ${name} with (force)`);
    },
  };
}

export async function adminQuery(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

declare module 'vitest' {
  export interface ProvidedContext {
    pgliteTemplatePath: string;
    postgresTemplateName: string;
  }
}
