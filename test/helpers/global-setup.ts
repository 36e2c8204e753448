// Runs once per project: prepares a migrated database for the test files to copy.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { openPglite, openPostgres } from '../../src/db/connection.ts';
import { migrate } from '../../src/db/migrate.ts';
import { adminQuery, databaseUrl } from './db.ts';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (process.env.RINGBILL_TEST_DB === 'postgres' || project.config.env?.RINGBILL_TEST_DB === 'postgres') {
    const name = `ringbill_template_${process.pid}_${Date.now()}`;
    await adminQuery(`create database ${name}`);
    const database = await openPostgres({ connectionString: databaseUrl(name) });
    await migrate(database);
    await database.close();
    project.provide('postgresTemplateName', name);
    return async () => {
      await adminQuery(`drop database if exists ${name} with (force)`);
    };
  }
  const dir = await mkdtemp(join(tmpdir(), 'ringbill-test-'));
  const database = await openPglite();
  await migrate(database);
  const dump = await database.pglite!.dumpDataDir('none');
  await database.close();
  const path = join(dir, 'template.tar');
  await writeFile(path, Buffer.from(await dump.arrayBuffer()));
  project.provide('pgliteTemplatePath', path);
  return async () => {
    await rm(dir, { recursive: true, force: true });
  };
}
