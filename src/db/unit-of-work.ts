// A request's unit of work: every statement a change request makes, and its audit entry, commit together or
// not at all. While a unit is open (runInUnitOfWork, keyed by the async context), the database's driver hands
// every query of that context one connection in one transaction, opened at the first query; a use case's
// own `db.transaction()` becomes a savepoint in it (rolled back alone when the use case throws, as its
// transaction was), and a lone write a savepoint too, so a refused write the code catches does not abort
// the unit (a lone read has none: one that fails dooms the unit, see JoinedConnection.lone). The surface
// ends the unit (finishUnitOfWork) once it knows the answer: the audit entry is written in it, then it
// commits (what the use cases did commits as it did before, error answers included); an audit entry that
// fails (there, or earlier: doomUnitOfWork) rolls everything back. Use cases do not change: they keep
// calling `ctx.db` and `ctx.db.transaction()`.
//
// Any concurrency inside a unit is allowed, and runs one at a time on its connection, whose savepoints are a
// stack: two savepoints opened side by side nest, and releasing or rolling back the outer one takes the
// inner one (and another's statements) with it ("savepoint rb_q3 does not exist": a route reading its rows
// back with Promise.all answered 500). So a joined transaction holds the unit's turn from its savepoint to
// its end, and a lone statement holds it for its savepoint and statement; the line orders the statements
// of the transaction holding the turn. A lone statement made inside that transaction's callback (on `ctx.db`
// rather than its `trx`) would wait for itself: it runs in that transaction's savepoint, and is rolled back
// with it. A transaction opened inside another of the same unit would wait for itself too: it is refused
// with an error (outside a unit it would need a second connection, and on PGlite wait forever).
// A transaction whose statement failed and whose code went on cannot commit: its commit rolls it back and
// throws. Work that must commit on its own while the request goes on (a billing run's batches, a call
// import) runs on a route that opens no unit.
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
  /** Set when the unit can only roll back (its audit entry could not be written, or a statement broke it). */
  doomed: string | undefined;
  /** The unit's connection, in its transaction, once a query needed it. */
  connection?: Promise<DatabaseConnection> | undefined;
  savepoints: number;
  /**
   * The turn: held by a joined transaction from its savepoint to its end, or by a lone statement (with its
   * savepoint) made outside it. What holds it has the unit's transaction to itself.
   */
  turn: Lock;
  /** The joined transaction holding the turn (its statements, and lone ones made inside it, need no turn). */
  owner: object | undefined;
  /** The line: held by each statement sent on the connection, with its savepoint (one at a time). */
  line: Lock;
  /** What waits for the commit (outbox jobs tried at once: an email or webhook only for a kept change). */
  afterCommit: (() => Promise<void>)[];
}

/** One holder at a time, in the order asked. */
class Lock {
  private tail: Promise<void> = Promise.resolve();

  /** Resolves once held, with the function that lets it go. */
  acquire(): Promise<() => void> {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const previous = this.tail;
    this.tail = previous.then(() => held);
    return previous.then(() => release);
  }
}

const units = new AsyncLocalStorage<Unit>();
/** The joined transaction whose callback (or what it started) runs here. */
const transactions = new AsyncLocalStorage<object>();
const driversOf = new WeakMap<object, UnitOfWorkDriver>();

/** Runs `fn` holding the unit's line, once the unit is still open. */
async function onLine<T>(unit: Unit, fn: () => Promise<T>): Promise<T> {
  const release = await unit.line.acquire();
  try {
    if (unit.state !== 'open') throw new Error('the request this query belongs to has finished');
    return await fn();
  } finally {
    release();
  }
}

/** Whether the caller runs inside the callback of the joined transaction holding the unit's turn. */
function insideOwner(unit: Unit): boolean {
  return unit.owner !== undefined && transactions.getStore() === unit.owner;
}

/** A connection handed out inside a unit: the unit's, which it never releases. */
class JoinedConnection implements DatabaseConnection {
  /** Set while this connection carries a joined transaction: its savepoint, and what ends its turn. */
  transaction: { savepoint: string; endTurn: () => void } | undefined;
  constructor(
    readonly unit: Unit,
    readonly inner: DatabaseConnection,
  ) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const unit = this.unit;
    if (unit.state !== 'open') throw new Error('the request this query belongs to has finished');
    if (this.transaction) return onLine(unit, () => this.inner.executeQuery<R>(query));
    // A lone statement waits for the turn (a transaction's savepoint must not be rolled back over it), unless
    // it is made inside the transaction holding it, which would then wait for itself: it runs in that
    // transaction's savepoint.
    const inside = insideOwner(unit);
    const endTurn = inside ? undefined : await unit.turn.acquire();
    try {
      return await onLine(unit, () => this.lone<R>(query, inside));
    } finally {
      endTurn?.();
    }
  }

  /**
   * A lone write gets its own savepoint: if it is refused (a unique key, a check) and the code goes on, the
   * unit is not left aborted. A read gets none (a savepoint doubled a read's time in a unit): one that fails
   * outside a transaction leaves the unit aborted, so the unit can only roll back, and says so when it ends
   * (PostgreSQL would turn its COMMIT into a silent ROLLBACK).
   */
  private async lone<R>(query: CompiledQuery, inside: boolean): Promise<QueryResult<R>> {
    if (query.query.kind === 'SelectQueryNode') {
      try {
        return await this.inner.executeQuery<R>(query);
      } catch (error) {
        if (!inside) this.unit.doomed ??= `a read failed (${asError(error).message})`;
        throw error;
      }
    }
    const name = `rb_q${++this.unit.savepoints}`;
    await this.inner.executeQuery(CompiledQuery.raw(`savepoint ${name}`));
    let result: QueryResult<R>;
    try {
      result = await this.inner.executeQuery<R>(query);
    } catch (error) {
      await this.restore(name);
      throw error;
    }
    await this.inner.executeQuery(CompiledQuery.raw(`release savepoint ${name}`));
    return result;
  }

  /** Back to before `savepoint` (and out of it); a unit where that fails can only roll back. */
  async restore(savepoint: string): Promise<void> {
    try {
      await this.inner.executeQuery(CompiledQuery.raw(`rollback to savepoint ${savepoint}`));
      await this.inner.executeQuery(CompiledQuery.raw(`release savepoint ${savepoint}`));
    } catch (error) {
      this.unit.doomed ??= `its savepoint could not be rolled back (${asError(error).message})`;
    }
  }

  async *streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    const unit = this.unit;
    const endTurn = this.transaction || insideOwner(unit) ? undefined : await unit.turn.acquire();
    const endLine = await unit.line.acquire();
    try {
      if (unit.state !== 'open') throw new Error('the request this query belongs to has finished');
      yield* this.inner.streamQuery<R>(query, chunkSize);
    } finally {
      endLine();
      endTurn?.();
    }
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

  // Settings (an isolation level) cannot change inside a transaction: the unit's hold.
  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    if (!(connection instanceof JoinedConnection)) return this.inner.beginTransaction(connection, settings);
    const unit = connection.unit;
    if (insideOwner(unit))
      return Promise.reject(
        new Error(
          'a transaction opened inside another transaction of the same unit of work would wait for it: ' +
            "run its statements on the outer transaction's executor",
        ),
      );
    // Kysely runs the transaction's callback next, in the caller's async context: mark it (synchronously,
    // before any await) as inside this transaction, so lone statements it makes run in its turn.
    const token = {};
    transactions.enterWith(token);
    return this.begin(connection, token);
  }

  private async begin(connection: JoinedConnection, token: object): Promise<void> {
    const unit = connection.unit;
    const release = await unit.turn.acquire();
    const savepoint = `rb_t${++unit.savepoints}`;
    const endTurn = () => {
      connection.transaction = undefined;
      unit.owner = undefined;
      release();
    };
    unit.owner = token;
    try {
      await onLine(unit, () => connection.inner.executeQuery(CompiledQuery.raw(`savepoint ${savepoint}`)));
    } catch (error) {
      endTurn();
      throw error;
    }
    connection.transaction = { savepoint, endTurn };
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    if (!(connection instanceof JoinedConnection)) return this.inner.commitTransaction(connection);
    const transaction = connection.transaction;
    if (!transaction) return;
    try {
      await onLine(connection.unit, async () => {
        try {
          await connection.inner.executeQuery(
            CompiledQuery.raw(`release savepoint ${transaction.savepoint}`),
          );
        } catch (error) {
          // A statement of the transaction failed and the code went on: it rolls back, and says so (a
          // transaction of its own would have rolled back at its commit).
          await connection.restore(transaction.savepoint);
          throw error;
        }
      });
    } finally {
      transaction.endTurn();
    }
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    if (!(connection instanceof JoinedConnection)) return this.inner.rollbackTransaction(connection);
    const transaction = connection.transaction;
    if (!transaction) return;
    try {
      await onLine(connection.unit, () => connection.restore(transaction.savepoint));
    } finally {
      transaction.endTurn();
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
    doomed: undefined,
    savepoints: 0,
    turn: new Lock(),
    owner: undefined,
    line: new Lock(),
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
  let failure: Error | undefined =
    unit.doomed === undefined ? undefined : new Error(`the unit of work must roll back: ${unit.doomed}`);
  try {
    if (options.commit && options.before && failure === undefined) await units.run(unit, options.before);
  } catch (error) {
    failure = asError(error);
  }
  // Let what is running or waiting (a joined transaction, a lone statement) finish (or fail) first; what
  // comes after is refused.
  const endTurn = await unit.turn.acquire();
  const endLine = await unit.line.acquire();
  unit.state = 'finished';
  endLine();
  endTurn();
  if (failure === undefined && unit.doomed !== undefined)
    failure = new Error(`the unit of work must roll back: ${unit.doomed}`);
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
  if (unit && unit.state === 'open') unit.doomed ??= 'its audit entry could not be written';
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
