// Compiled rate tables kept in the process for call authorisation (a 20,000-prefix card costs tens of
// milliseconds to load and compile; an authorisation must cost well under one). A table is trusted for
// TRUST_MS; after that the card's fingerprint (count, newest id, ended rates) is read and the table compiled
// again only if it changed. A rate card changed in another server process is seen within TRUST_MS.
import type { Executor } from '../context.ts';
import { toRate } from '../rate-cards/rate-table.ts';
import { RateTable } from '../rating/rate-call.ts';
import { loadCardRates, rateCardFingerprint } from '../rate-cards/repo.ts';

export const TRUST_MS = 1000;
const MAX_TABLES = 1000;

const tables = new Map<string, { table: RateTable; fingerprint: string; checkedAtMs: number }>();

/** Checks and compiles in flight, by card: simultaneous requests wait for one instead of each doing it. */
const inFlight = new Map<string, Promise<RateTable>>();

export async function cachedRateTable(
  db: Executor,
  accountId: number,
  rateCardId: number,
): Promise<RateTable> {
  const key = `${accountId}:${rateCardId}`;
  const entry = tables.get(key);
  const ageMs = entry ? performance.now() - entry.checkedAtMs : Infinity;
  if (entry && ageMs < TRUST_MS) {
    // Past half its trust the table is checked in the background, so that under a steady load no request
    // waits for the check (a stall every second otherwise), and a change is still seen within TRUST_MS.
    if (ageMs > TRUST_MS / 2 && !inFlight.has(key))
      void refreshTable(db, key, accountId, rateCardId).catch(() => undefined); // a failed check is done again by the next request
    return entry.table;
  }
  return refreshTable(db, key, accountId, rateCardId);
}

function refreshTable(db: Executor, key: string, accountId: number, rateCardId: number): Promise<RateTable> {
  const pending = inFlight.get(key);
  if (pending) return pending;
  const refresh = (async () => {
    const fingerprint = await rateCardFingerprint(db, accountId, rateCardId);
    const current = tables.get(key);
    if (current && current.fingerprint === fingerprint) {
      current.checkedAtMs = performance.now();
      return current.table;
    }
    const table = new RateTable((await loadCardRates(db, accountId, rateCardId)).map(toRate));
    if (tables.size >= MAX_TABLES) tables.clear();
    tables.set(key, { table, fingerprint, checkedAtMs: performance.now() });
    return table;
  })();
  inFlight.set(key, refresh);
  void refresh.then(
    () => inFlight.delete(key),
    () => inFlight.delete(key),
  );
  return refresh;
}

/** Forgets every cached table (tests that change rates and authorise at once). */
export function forgetRateTables(): void {
  tables.clear();
  inFlight.clear();
}
