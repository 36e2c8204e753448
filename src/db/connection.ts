// One SQL dialect, PostgreSQL, two engines: PGlite (Postgres compiled to WASM, in-process, the default)
// and a PostgreSQL server named by DATABASE_URL. Both return the same JS types for the same columns.
import { PGlite } from '@electric-sql/pglite';
import { type CompiledQuery, Kysely, type LogConfig, PostgresDialect } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { copyRows, type CopyColumnType, parseInt8, RowHandlerError } from './copy-rows.ts';
import type { DB } from './schema.ts';
import { assertNoUnitOfWork, withUnitsOfWork } from './unit-of-work.ts';
import {
  PgListener,
  pgliteSubscribe,
  type NotificationHandlers,
  type Subscription,
} from './notifications.ts';

const OID_INT8 = 20;
const OID_DATE = 1082;

export type DatabaseKind = 'pglite' | 'postgres';

export interface Database {
  readonly kind: DatabaseKind;
  readonly db: Kysely<DB>;
  /** Runs a script of several statements (migrations). */
  exec(script: string): Promise<void>;
  /**
   * Bulk-loads rows with COPY (PostgreSQL's fastest way in). `text` is COPY text format (see copyText()),
   * as a string or UTF-8 bytes. The rows go in atomically; on a constraint violation none do and the
   * error is thrown.
   */
  copyInto(table: string, columns: readonly string[], text: string | Uint8Array): Promise<void>;
  /**
   * Runs `fn` in one transaction in which COPY works too (the call ingester: a batch of calls and their
   * feed rows commit together). `tx.db` is bound to the transaction; commits when `fn` resolves, rolls back
   * when it throws.
   */
  copyTransaction<T>(fn: (tx: CopyTransaction) => Promise<T>): Promise<T>;
  /**
   * Calls `handlers.onNotify` for each NOTIFY on `channel` once its transaction commits, from any process
   * (src/db/notifications.ts). Resolves once listening, or once a first attempt failed (the subscription
   * is then not live, and the listener keeps reconnecting).
   */
  listen(channel: string, handlers: NotificationHandlers): Promise<Subscription>;
  /**
   * Runs a read outside any transaction and returns its rows as arrays of values in select order, parsed as
   * `db`'s are: no object per row (the feed's pages, thousands of rows a request). On PostgreSQL a pooled
   * connection; on PGlite its one session, held as Kysely holds it (no other request's transaction is open
   * in it meanwhile). Inside a transaction use `db` (src/db/row-arrays.ts chooses).
   */
  selectArrays(query: CompiledQuery): Promise<unknown[][]>;
  /**
   * selectArrays() a row at a time, for reads of thousands of rows: `onRow` gets each row as it is read, and
   * no array of the rows is kept. On PostgreSQL through COPY (…) TO STDOUT (src/db/copy-rows.ts), each value
   * parsed by its column's type in `types` as the driver parses it; PGlite reads them all first. Resolves
   * with the count once the last has been handed over. If `onRow` throws, the rows after are read and
   * dropped, and that error is thrown.
   */
  eachArray(
    query: CompiledQuery,
    types: readonly CopyColumnType[],
    onRow: (row: unknown[]) => void,
  ): Promise<number>;
  close(): Promise<void>;
  /** The PGlite instance, for dumping a data folder (tests) and bulk loading; undefined on PostgreSQL. */
  readonly pglite?: PGlite;
  /** The PostgreSQL pool, for bulk loading; undefined on PGlite. */
  readonly pool?: pg.Pool;
}

/** A transaction that can also COPY (see Database.copyTransaction). */
export interface CopyTransaction {
  readonly db: Kysely<DB>;
  copyInto(table: string, columns: readonly string[], text: string | Uint8Array): Promise<void>;
}

const keepDateString = (value: string): string => value;

export interface PgliteOptions {
  /** A folder for the data, or undefined for an in-memory database. */
  dataDir?: string;
  /** A data folder dump to start from (tests: a migrated template). */
  loadDataDir?: Blob | File;
  /** Kysely query logging (benchmarks use it to see where time goes). */
  log?: LogConfig;
}

export async function openPglite(options: PgliteOptions = {}): Promise<Database> {
  const pglite = await PGlite.create(options.dataDir ?? 'memory://', {
    parsers: { [OID_INT8]: parseInt8, [OID_DATE]: keepDateString },
    ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
  });
  const units = withUnitsOfWork(new PGliteDialect(pglite));
  const db = new Kysely<DB>({
    dialect: units.dialect,
    ...(options.log ? { log: options.log } : {}),
  });
  units.register(db);
  const pgliteArrays = (query: CompiledQuery) =>
    db.connection().execute(async () => {
      const result = await pglite.query<unknown[]>(query.sql, [...query.parameters], { rowMode: 'array' });
      return result.rows;
    });
  return {
    kind: 'pglite',
    db,
    pglite,
    // As on PostgreSQL, these three refuse to run inside a unit of work (there they would take a client of
    // their own; here they would bypass the unit's queue of statements on its one session).
    exec: async (script) => {
      assertNoUnitOfWork('a script');
      await pglite.exec(script);
    },
    // PGlite has one session: hold Kysely's connection so no transaction of another request is open in it.
    copyInto: async (table, columns, text) => {
      assertNoUnitOfWork('COPY');
      await db.connection().execute(async () => {
        await pglite.query(`copy ${table} (${columns.join(', ')}) from '/dev/blob'`, [], {
          blob: new Blob([text as string | Uint8Array<ArrayBuffer>]),
        });
      });
    },
    // One session: COPY inside Kysely's transaction runs in that transaction.
    copyTransaction: async (fn) => {
      assertNoUnitOfWork('a COPY transaction');
      return await db.transaction().execute((trx) =>
        fn({
          db: trx,
          copyInto: async (table, columns, text) => {
            await pglite.query(`copy ${table} (${columns.join(', ')}) from '/dev/blob'`, [], {
              blob: new Blob([text as string | Uint8Array<ArrayBuffer>]),
            });
          },
        }),
      );
    },
    listen: (channel, handlers) => pgliteSubscribe(pglite, db, channel, handlers),
    selectArrays: (query) => pgliteArrays(query),
    eachArray: async (query, _types, onRow) => {
      const rows = await pgliteArrays(query);
      for (const row of rows) onRow(row);
      return rows.length;
    },
    // Kysely's destroy closes the PGlite instance through the dialect's driver.
    close: () => db.destroy(),
  };
}

export interface PostgresOptions {
  connectionString: string;
  maxConnections?: number;
  /** Kysely query logging (benchmarks use it to see where time goes). */
  log?: LogConfig;
}

export async function openPostgres(options: PostgresOptions): Promise<Database> {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.maxConnections ?? 10,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
        if (oid === OID_INT8) return parseInt8;
        if (oid === OID_DATE) return keepDateString;
        // pg-types declares its parsers `any`; each takes the value's text (or bytes) and returns what it reads.
        return pg.types.getTypeParser(oid, format) as (value: string) => unknown;
      }) as typeof pg.types.getTypeParser,
    },
  });
  // A connection that fails while idle must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  const listener = new PgListener(options.connectionString);
  const units = withUnitsOfWork(new PostgresDialect({ pool }));
  const db = new Kysely<DB>({
    dialect: units.dialect,
    ...(options.log ? { log: options.log } : {}),
  });
  units.register(db);
  return {
    kind: 'postgres',
    db,
    pool,
    // These three take a pooled client of their own, apart from Kysely's driver: never inside a unit of work,
    // which already holds one (src/db/unit-of-work.ts).
    exec: async (script) => {
      assertNoUnitOfWork('a script');
      await pool.query(script);
    },
    copyInto: async (table, columns, text) => {
      assertNoUnitOfWork('COPY');
      const client = await pool.connect();
      try {
        await pipeline(
          Readable.from([text]),
          client.query(copyFrom(`copy ${table} (${columns.join(', ')}) from stdin`)),
        );
      } finally {
        client.release();
      }
    },
    // One pooled client for the whole transaction: COPY goes through it directly, and a Kysely instance over
    // a one-client "pool" sends the other statements through it too.
    copyTransaction: async (fn) => {
      assertNoUnitOfWork('a COPY transaction');
      const client = await pool.connect();
      let broken = false;
      try {
        await client.query('begin');
        const single = {
          connect: async () => ({ query: client.query.bind(client), release: () => {} }),
          end: async () => {},
        };
        const trxDb = new Kysely<DB>({ dialect: new PostgresDialect({ pool: single }) });
        try {
          const result = await fn({
            db: trxDb,
            copyInto: async (table, columns, text) => {
              await pipeline(
                Readable.from([text]),
                client.query(copyFrom(`copy ${table} (${columns.join(', ')}) from stdin`)),
              );
            },
          });
          await client.query('commit');
          return result;
        } catch (error) {
          await client.query('rollback').catch(() => {
            broken = true;
          });
          throw error;
        }
      } finally {
        client.release(broken);
      }
    },
    listen: (channel, handlers) => listener.subscribe(channel, handlers),
    selectArrays: async (query) => {
      const result = await pool.query<unknown[]>({
        text: query.sql,
        values: [...query.parameters],
        rowMode: 'array',
      });
      return result.rows;
    },
    eachArray: async (query, types, onRow) => {
      assertNoUnitOfWork('a read row by row');
      const client = await pool.connect();
      let count: number;
      try {
        count = await copyRows(client, query, types, onRow);
      } catch (error) {
        if (error instanceof RowHandlerError) {
          // The COPY ran to its end: the connection is as good as after any query.
          client.release();
          throw error.thrown;
        }
        // As pool.query does: a client whose query failed is not reused (it may be in any state).
        client.release(error instanceof Error ? error : true);
        throw error;
      }
      client.release();
      return count;
    },
    close: async () => {
      await listener.close();
      await db.destroy();
    },
  };
}

/** One value in COPY text format: NULL as \N; backslash, tab, newline and carriage return escaped. */
export function copyValue(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '\\N';
  if (typeof value !== 'string') return String(value);
  return /[\\\t\n\r]/.test(value) ? value.replace(/[\\\t\n\r]/g, (c) => COPY_ESCAPES[c]!) : value;
}

const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/**
 * One row in COPY text format, with its line ending. Built with join, which makes one flat string: adding
 * strings up with + makes a tree of pieces that costs several times more to join and write later.
 */
export function copyRow(row: readonly (string | number | boolean | null | undefined)[]): string {
  const values = new Array<string>(row.length);
  for (let i = 0; i < row.length; i++) values[i] = copyValue(row[i]);
  return `${values.join('\t')}\n`;
}

/** Rows in COPY text format. */
export function copyText(
  rows: readonly (readonly (string | number | boolean | null | undefined)[])[],
): string {
  return rows.map(copyRow).join('');
}
