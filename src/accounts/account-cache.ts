// What a process keeps of an account for a few seconds: its API keys and its row, so an authenticated request costs no database
// round trip for the key and none for the account. Every change to a key or an account notifies
// `ringbill_auth` when it commits (migration 0026), on every process: what this holds of that account is
// dropped then, so a revoked key is refused by the next request everywhere. The time limit only bounds how
// long an entry lives when nothing changes.
//
// Nothing is kept while the listening connection is down (notifications could be missed), and a lookup that
// was under way when any invalidation arrived does not store its answer (it may have read the row before the
// change committed). Unknown keys are never kept: guessing keys fills nothing.
import { afterUnitCommits, outsideUnitOfWork } from '../context.ts';
import type { AccountRow } from './repo.ts';
import type { Database } from '../db/connection.ts';
import type { Subscription } from '../db/notifications.ts';

export const AUTH_CHANNEL = 'ringbill_auth';
/** How long a key or an account is kept when nothing changes it. */
export const KEY_CACHE_TTL_MS = 5_000;
/** Bound on the entries of each map; past it, the oldest goes. */
const MAX_ENTRIES = 10_000;

export interface CachedKey {
  accountId: number;
  keyId: number;
  level: number;
  keyTimezone: string;
}

interface Entry<T> {
  value: T;
  until: number;
}

export class KeyCache {
  private readonly keys = new Map<string, Entry<CachedKey>>();
  private readonly accounts = new Map<number, Entry<AccountRow>>();
  /** Bumped by every invalidation: a lookup started before one does not store what it read. */
  private epoch = 0;
  private subscription: Subscription | undefined;

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Starts listening; until the subscription is live, nothing is kept. */
  async start(database: Database): Promise<void> {
    this.subscription = await database.listen(AUTH_CHANNEL, {
      onNotify: (payload) => this.invalidateAccount(Number(payload)),
      onReset: () => this.clear(),
    });
  }

  get live(): boolean {
    return this.subscription?.live === true;
  }

  /** The epoch a lookup starts at (pass it back to store what the lookup found). */
  begin(): number {
    return this.epoch;
  }

  key(hash: string): CachedKey | undefined {
    return this.fresh(this.keys, hash);
  }

  account(accountId: number): AccountRow | undefined {
    return this.fresh(this.accounts, accountId);
  }

  storeKey(epoch: number, hash: string, key: CachedKey, account: AccountRow | undefined): void {
    if (!this.live || epoch !== this.epoch) return;
    put(this.keys, hash, { value: key, until: this.now() + KEY_CACHE_TTL_MS });
    if (account) put(this.accounts, account.id, { value: account, until: this.now() + KEY_CACHE_TTL_MS });
  }

  storeAccount(epoch: number, account: AccountRow): void {
    if (!this.live || epoch !== this.epoch) return;
    put(this.accounts, account.id, { value: account, until: this.now() + KEY_CACHE_TTL_MS });
  }

  /** Forgets the account and every key of it (NaN, an unreadable payload: everything). */
  invalidateAccount(accountId: number): void {
    this.epoch++;
    if (!Number.isSafeInteger(accountId)) return this.clear();
    this.accounts.delete(accountId);
    for (const [hash, entry] of this.keys) if (entry.value.accountId === accountId) this.keys.delete(hash);
  }

  clear(): void {
    this.epoch++;
    this.keys.clear();
    this.accounts.clear();
  }

  async close(): Promise<void> {
    this.clear();
    await this.subscription?.close();
  }

  private fresh<K, T>(map: Map<K, Entry<T>>, k: K): T | undefined {
    if (!this.live) return undefined;
    const entry = map.get(k);
    if (entry === undefined) return undefined;
    if (entry.until <= this.now()) {
      map.delete(k);
      return undefined;
    }
    return entry.value;
  }
}

function put<K, T>(map: Map<K, Entry<T>>, k: K, entry: Entry<T>): void {
  map.delete(k);
  if (map.size >= MAX_ENTRIES) map.delete(map.keys().next().value!);
  map.set(k, entry);
}

const caches = new WeakMap<Database, KeyCache>();

/** The cache of this database (one per open database, listening from the first use). */
export function keyCacheOf(database: Database): KeyCache {
  let cache = caches.get(database);
  if (!cache) {
    cache = new KeyCache();
    caches.set(database, cache);
    // Not awaited: requests go to the database until the subscription is live. Outside the unit of work of
    // the request that happens to come first: on PGlite the LISTEN would join its transaction (and be undone
    // with it), and on either engine the subscription outlives the request.
    const started = cache;
    void outsideUnitOfWork(() => started.start(database)).catch(() => {});
  }
  return cache;
}

/**
 * This process forgets what it keeps of the account at once, and again when the caller's unit of work (if
 * any) commits: other processes forget it when the change's NOTIFY reaches them, but this one may answer
 * the caller's next request before its own NOTIFY arrives, and must not answer it with the row from before.
 */
export function accountChanged(database: Database, accountId: number): void {
  const forget = (): void => caches.get(database)?.invalidateAccount(accountId);
  forget();
  afterUnitCommits(database.db, async () => forget());
}
