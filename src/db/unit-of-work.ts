// A request's unit of work: every statement a change request makes, and its audit entry, commit together or
// not at all. While a unit is open (runInUnitOfWork, keyed by the async context), the database's driver hands
// every query of that context one connection in one transaction, opened at the first query; a use case's
// own `db.transaction()` becomes a savepoint in it (rolled back alone when the use case throws, as its
// transaction was), and a lone write a savepoint too, so a refused statement the code catches does not
// abort the unit. The surface ends the unit (finishUnitOfWork) once it knows the answer: the audit entry is
// written in it, then it commits (what the use cases did commits as it did before, error answers included);
// an audit entry that fails (there, or earlier: doomUnitOfWork) rolls everything back. Use cases do not change: they keep
// calling `ctx.db` and `ctx.db.transaction()`.
//
// Joined transactions run one at a time (a use case running two at once, as a billing run does on
// PostgreSQL, would otherwise interleave savepoints on one connection). Work that must commit on its own
// while the request goes on (a billing run's batches, a call import) runs on a route that opens no unit.
//
// A unit holds one pooled connection and never needs a second: every query of its async context joins it,
// and what would take a connection of its own from the pool (COPY, a named prepared statement, a script)
// joins it too or refuses to run in it (connection.ts, prepared.ts: assertNoUnitOfWork). So units wait only
// for the pool, their own connection and row locks, and any number of them can be open on a pool of any
// size: none is capped (test/integration/audit-atomic.test.ts runs more writers than the pool holds).
import { AsyncLocalStorage } from 'node:async_hooks';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';

interface Unit {
  readonly driver: UnitOfWorkDriver;
  state: 'open' | 'finished';
  /** Set when the audit entry could not be written: the unit can only roll back. */
  doomed: boolean;
  /** The unit's connection, in its transaction, once a query needed it. */
  connection?: Promise<DatabaseConnection> | undefined;
  savepoints: number;
  /** The joined transactions' turn: one at a time. */
  turn: Promise<void>;
  /** What waits for the commit (outbox jobs tried at once: an email or webhook only for a kept change). */
  afterCommit: (() => Promise<void>)[];
}

const units = new AsyncLocalStorage<Unit>();
const driversOf = new WeakMap<object, UnitOfWorkDriver>();

/** A connection handed out inside a unit: the unit's, which it never releases. */
class JoinedConnection implements DatabaseConnection {
  savepoint: string | undefined;
  endTurn: (() => void) | undefined;
  constructor(
    readonly unit: Unit,
    readonly inner: DatabaseConnection,
  ) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    if (this.unit.state !== 'open') throw new Error('the request this query belongs to has finished');
    // A lone write gets its own savepoint: if it is refused (a unique key, a check) and the code goes on,
    // the unit is not left aborted.
    if (this.savepoint !== undefined || query.query.kind === 'SelectQueryNode')
      return this.inner.executeQuery<R>(query);
    const name = `rb_q${++this.unit.savepoints}`;
    await this.inner.executeQuery(CompiledQuery.raw(`savepoint ${name}`));
    try {
      const result = await this.inner.executeQuery<R>(query);
      await this.inner.executeQuery(CompiledQuery.raw(`release savepoint ${name}`));
      return result;
    } catch (error) {
      await this.inner.executeQuery(CompiledQuery.raw(`rollback to savepoint ${name}`));
      throw error;
    }
  }

  streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    return this.inner.streamQuery<R>(query, chunkSize);
  }
}

class UnitOfWorkDriver implements Driver {
  constructor(readonly inner: Driver) {}

  private unit(): Unit | undefined {
    const unit = units.getStore();
    return unit && unit.driver === this && unit.state === 'open' ? unit : undefined;
  }

  init(): Promise<void> {
    return this.inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const unit = this.unit();
    if (!unit) return this.inner.acquireConnection();
    unit.connection ??= (async () => {
      const connection = await this.inner.acquireConnection();
      try {
        await this.inner.beginTransaction(connection, {});
      } catch (error) {
        await this.inner.releaseConnection(connection);
        throw error;
      }
      return connection;
    })();
    return new JoinedConnection(unit, await unit.connection);
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    if (!(connection instanceof JoinedConnection)) return this.inner.beginTransaction(connection, settings);
    // Settings (an isolation level) cannot change inside a transaction: the unit's hold.
    const unit = connection.unit;
    const previous = unit.turn;
    let endTurn!: () => void;
    unit.turn = new Promise<void>((resolve) => (endTurn = resolve));
    await previous;
    connection.endTurn = endTurn;
    connection.savepoint = `rb_t${++unit.savepoints}`;
    try {
      await connection.inner.executeQuery(CompiledQuery.raw(`savepoint ${connection.savepoint}`));
    } catch (error) {
      endTurn();
      throw error;
    }
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    if (!(connection instanceof JoinedConnection)) return this.inner.commitTransaction(connection);
    try {
      await connection.inner.executeQuery(CompiledQuery.raw(`release savepoint ${connection.savepoint}`));
    } finally {
      connection.endTurn?.();
    }
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    if (!(connection instanceof JoinedConnection)) return this.inner.rollbackTransaction(connection);
    try {
      await connection.inner.executeQuery(CompiledQuery.raw(`rollback to savepoint ${connection.savepoint}`));
      await connection.inner.executeQuery(CompiledQuery.raw(`release savepoint ${connection.savepoint}`));
    } finally {
      connection.endTurn?.();
    }
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    if (connection instanceof JoinedConnection) return;
    return this.inner.releaseConnection(connection);
  }

  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}

/** The dialect with units of work; `register` the Kysely made with it (see connection.ts). */
export function withUnitsOfWork(dialect: Dialect): { dialect: Dialect; register(db: object): void } {
  const driver = new UnitOfWorkDriver(dialect.createDriver());
  return {
    dialect: {
      createAdapter: () => dialect.createAdapter(),
      createDriver: () => driver,
      createQueryCompiler: () => dialect.createQueryCompiler(),
      createIntrospector: (db) => dialect.createIntrospector(db),
    },
    register: (db) => driversOf.set(db, driver),
  };
}

/** An open unit of work, to finish once the answer is known. */
export interface UnitOfWork {
  readonly unit: Unit | undefined;
}

/**
 * Runs `fn` in a new unit of work on `db` (statements of `fn`, and of what it starts, join it). The unit
 * stays open after `fn` returns, until finishUnitOfWork. A database made without units (a test's own Kysely)
 * gets none: `fn` runs as it is.
 */
export function runInUnitOfWork<T>(db: object, fn: (work: UnitOfWork) => T): T {
  const driver = driversOf.get(db);
  if (!driver) return fn({ unit: undefined });
  const unit: Unit = {
    driver,
    state: 'open',
    doomed: false,
    savepoints: 0,
    turn: Promise.resolve(),
    afterCommit: [],
  };
  return units.run(unit, () => fn({ unit }));
}

/**
 * Ends the unit: `before` (the audit entry) runs in it, then it commits; with `commit: false`, or when
 * `before` or the commit fails, it rolls back (and the error is thrown). Safe to call twice.
 */
export async function finishUnitOfWork(
  work: UnitOfWork,
  options: { commit: boolean; before?: (() => Promise<void>) | undefined },
): Promise<void> {
  const unit = work.unit;
  if (!unit || unit.state !== 'open') return;
  let failure: Error | undefined = unit.doomed
    ? new Error('the unit of work was marked to roll back')
    : undefined;
  try {
    if (options.commit && options.before && failure === undefined) await units.run(unit, options.before);
  } catch (error) {
    failure = asError(error);
  }
  // Let a joined transaction still running finish (or fail) first.
  await unit.turn;
  unit.state = 'finished';
  if (!unit.connection) {
    if (failure !== undefined) throw failure;
    // Nothing was written: a unit ended without committing still drops what waited for its commit.
    if (options.commit) await runAfterCommit(unit);
    else unit.afterCommit.length = 0;
    return;
  }
  const connection = await unit.connection;
  const driver = unit.driver.inner;
  try {
    if (options.commit && failure === undefined) await driver.commitTransaction(connection);
    else await driver.rollbackTransaction(connection);
  } catch (error) {
    failure ??= asError(error);
    await driver.rollbackTransaction(connection).catch(() => {});
  } finally {
    await driver.releaseConnection(connection);
  }
  if (failure !== undefined) throw failure;
  await runAfterCommit(unit);
}

async function runAfterCommit(unit: Unit): Promise<void> {
  for (const fn of unit.afterCommit.splice(0)) await units.exit(fn);
}

/**
 * Inside a unit of work on `db`: keeps `fn` until the unit commits (it is dropped on a rollback) and
 * returns true. Outside one: returns false (the caller runs it now).
 */
export function afterUnitCommits(db: object, fn: () => Promise<void>): boolean {
  const unit = units.getStore();
  if (!unit || unit.state !== 'open' || unit.driver !== driversOf.get(db)) return false;
  unit.afterCommit.push(fn);
  return true;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** Marks the caller's unit of work (if any) to roll back when it ends: its audit entry failed. */
export function doomUnitOfWork(): void {
  const unit = units.getStore();
  if (unit && unit.state === 'open') unit.doomed = true;
}

/** Whether the caller runs inside an open unit of work on `db` (its reads see uncommitted changes). */
export function inUnitOfWork(db: object): boolean {
  const unit = units.getStore();
  return unit !== undefined && unit.state === 'open' && unit.driver === driversOf.get(db);
}

/**
 * Runs `fn` outside any unit of work: work a request merely starts and that lives on after it (a cache's
 * subscription), which must neither join that request's transaction nor be rolled back with it.
 */
export function outsideUnitOfWork<T>(fn: () => T): T {
  return units.exit(fn);
}

/**
 * Refuses, with a programming error, to take a connection of its own from the pool (`what`) while the caller
 * runs in an open unit of work: the unit already holds one, and waiting for a second is how a full pool
 * deadlocks (and the work would commit apart from the unit). Such work belongs on a route that opens no unit.
 */
export function assertNoUnitOfWork(what: string): void {
  const unit = units.getStore();
  if (unit && unit.state === 'open')
    throw new Error(`${what} takes a connection of its own, so it cannot run inside a unit of work`);
}

/** Whether the caller runs inside an open unit of work on any database (its queries must go through it). */
export function anyUnitOfWorkOpen(): boolean {
  const unit = units.getStore();
  return unit !== undefined && unit.state === 'open';
}
