// Taking calls in: each record is checked, allocated to the feature that owns its number, rated, and
// stored once (account + source call id). Records go in batches: while one batch is written (COPY),
// the next is being checked and rated, so parsing and the database work side by side. Bad records are
// kept with their line and reason; the good ones of the same file or batch still go in.
//
// An import that is audited (a file from the API or the console) writes its entry in the first transaction
// that stores calls, so the entry and the first calls commit together, or neither does and the import stops;
// until that transaction has committed, no other batch writes. An import that stores no call writes its
// entry on its own once it has read everything.
import type { Ctx, Executor } from '../context.ts';
import { recordAudit, type AuditChange } from '../audit/record.ts';
import { DEADLOCK, sqlStateOf, UNIQUE_VIOLATION } from '../db/sql-state.ts';
import { findAccount } from '../accounts/repo.ts';
import type { AccountRow } from '../accounts/repo.ts';
import type { RatingStatus } from './repo.ts';
import { findDefaultRateCard } from '../rate-cards/repo.ts';
import { RateTables, ratingContextFor } from '../rate-cards/rate-table.ts';
import { fromMicros } from '../money/micros.ts';
import { LocalClock } from '../rating/bands.ts';
import { rateCall, type RateTable, type RatingContext } from '../rating/rate-call.ts';
import { hasRejections, insertRejections, type Rejection } from '../rejections/repo.ts';
import { notFound } from '../shared/errors.ts';
import { publish } from '../shared/events.ts';
import { FeatureIndex, type FeatureWindow, ownNumber } from './allocation.ts';
import { callRowFromCopyLine, CopyWriter, ratingStatusOf, writeCallRow } from './call-copy.ts';
import { type CallInput, parseCall, type RawCall } from './call-input.ts';
import {
  type CallInsertRow,
  callIdHighWater,
  copyCallsText,
  existingSourceCallIds,
  featureWindows,
  insertCallsSkippingDuplicates,
  lockSlowIngest,
} from './repo.ts';

/** Records per batch: large enough for COPY to be efficient, small enough to keep memory flat. */
export const INGEST_BATCH_SIZE = 5000;
/** How many rejections a summary lists (all are kept in the database). */
const SUMMARY_REJECTIONS = 100;
/** A slow write that deadlocks with a fast one is tried again; each retry sees more of the other's calls. */
const SLOW_PATH_ATTEMPTS = 5;

function isRaceWithAnotherWriter(error: unknown): boolean {
  const code = sqlStateOf(error);
  return code === UNIQUE_VIOLATION || code === DEADLOCK;
}

export interface IngestSummary {
  source: string;
  /** Records read (data rows of a file, elements of a batch). */
  received: number;
  /** New calls stored. */
  inserted: number;
  /** Calls already stored (same call_id), skipped. */
  duplicates: number;
  /** Records refused, with their reasons (the first ones listed in `rejections`). */
  rejected: number;
  rated: number;
  /** Calls that did not complete: stored with nothing to charge. */
  free: number;
  /** Calls that could not be priced, by reason. */
  unrated: number;
  unratedReasons: Record<string, number>;
  /** Calls on numbers no feature has: priced when a feature gets the number. */
  unallocated: number;
  /** Calls between extensions (from a switch's records, when the account keeps them): stored, never rated. */
  internal: number;
  /** Sum of the charges of the calls stored, to the micro-unit. */
  chargeTotal: string;
  rejections: { line: number; reason: string }[];
}

/** A call ready to store: where its row is in the batch's COPY text, and what the summary counts. */
interface Pending {
  line: number;
  sourceCallId: string;
  /** Its row (CALL_INSERT_COLUMNS) in the batch's COPY text: bytes from `start` to `end`. */
  start: number;
  end: number;
  ratingStatus: RatingStatus;
  ratingReason: string | null;
  chargeMicros: number;
}

export class CallIngester {
  /** Lines from this source were refused before (see insertRejections); set by open(). */
  private sourceSeen = true;
  private batch: Pending[] = [];
  private batchIds = new Set<string>();
  /** When the batch's calls were rated (one instant per batch). */
  private batchNow = '';
  /** The batch's rows as COPY text. */
  private copy = new CopyWriter();
  /** Rate tables already loaded, by rate card id: rating needs no await once a card is loaded. */
  private readonly loadedTables = new Map<number, RateTable | undefined>();
  private rejections: (Rejection & { line: number })[] = [];
  /** The last batch handed to the writer: settled when stored; `copied` when its COPY is done (or it failed). */
  private inFlight: Promise<void> = Promise.resolve();
  private copied: Promise<void> = Promise.resolve();
  /** The batch before it (PostgreSQL: two batches may be in flight, see flush). */
  private inFlightBefore: Promise<void> = Promise.resolve();
  /** The source call ids of the last batch handed to the writer, perhaps not yet committed. */
  private previousIds = new Set<string>();
  private chargeMicros = 0;
  private readonly summary: IngestSummary;
  /** The import's audit entry, until a transaction that stored calls has committed with it. */
  private entry: ((db: Executor) => Promise<void>) | undefined;

  private constructor(
    private readonly ctx: Ctx,
    private readonly account: AccountRow,
    private readonly features: FeatureIndex,
    private readonly tables: RateTables,
    private readonly defaultRateCardId: number | null,
    private readonly rating: RatingContext,
    /** The clock local times without an offset are read on (the account's, or the switch's). */
    private readonly parseClock: LocalClock,
    source: string,
  ) {
    this.summary = {
      source,
      received: 0,
      inserted: 0,
      duplicates: 0,
      rejected: 0,
      rated: 0,
      free: 0,
      unrated: 0,
      unratedReasons: {},
      unallocated: 0,
      internal: 0,
      chargeTotal: '0.000000',
      rejections: [],
    };
  }

  /**
   * `options.timeZone`: the zone of times written without an offset (default the account's); `options.audit`:
   * the import's audit entry (see the top of this file).
   */
  static async open(
    ctx: Ctx,
    accountId: number,
    source: string,
    options: { timeZone?: string | undefined; audit?: AuditChange | undefined } = {},
  ): Promise<CallIngester> {
    const account = await findAccount(ctx.db, accountId);
    if (!account) throw notFound('Account', accountId);
    const features = new FeatureIndex(await featureWindows(ctx.db, accountId));
    const defaultCard = await findDefaultRateCard(ctx.db, accountId);
    const rating = ratingContextFor(account);
    const parseClock =
      options.timeZone === undefined || options.timeZone === account.timezone
        ? rating.clock
        : new LocalClock(options.timeZone);
    const ingester = new CallIngester(
      ctx,
      account,
      features,
      new RateTables(ctx.db, accountId),
      defaultCard?.id ?? null,
      rating,
      parseClock,
      source,
    );
    // A file seen before (sent again) has its refused lines checked against those kept; a new one need not.
    ingester.sourceSeen = await hasRejections(ctx.db, accountId, 'calls', source);
    const audit = options.audit;
    if (audit) ingester.entry = (db) => recordAudit(ctx, accountId, audit, db);
    return ingester;
  }

  /**
   * Takes one record. `line` is its line in the file (or position in the batch); `raw` its text, kept if
   * refused. Returns a promise only when the caller must wait before the next record (a full batch is
   * handed to the writer, or a rate card is loading): most records cost no promise at all.
   */
  add(record: RawCall, line: number, raw: () => string): Promise<void> | undefined {
    this.summary.received += 1;
    let call: CallInput;
    try {
      call = parseCall(record, this.parseClock);
    } catch (error) {
      this.reject(line, raw(), (error as Error).message);
      return undefined;
    }
    if (this.batchIds.has(call.sourceCallId) || this.previousIds.has(call.sourceCallId)) {
      this.summary.duplicates += 1;
      return undefined;
    }
    this.batchIds.add(call.sourceCallId);
    if (call.internal) return this.push(call, line, undefined, undefined);
    const localDate = this.rating.clock.localDate(call.startMs);
    let feature = this.features.find(ownNumber(call), localDate);
    if (feature === undefined && call.autoDirection) {
      // The switch did not say which way the call went: it is inbound when the number called is ours.
      feature = this.features.find(call.toNumber, localDate);
      if (feature !== undefined) call.direction = 'inbound';
    }
    const rateCardId = feature ? (feature.rateCardId ?? this.defaultRateCardId) : null;
    if (rateCardId !== null && !this.loadedTables.has(rateCardId)) {
      return this.tables.get(rateCardId).then((table) => {
        this.loadedTables.set(rateCardId, table);
        return this.push(call, line, feature, table);
      });
    }
    return this.push(
      call,
      line,
      feature,
      rateCardId === null ? undefined : this.loadedTables.get(rateCardId),
    );
  }

  private push(
    call: CallInput,
    line: number,
    feature: FeatureWindow | undefined,
    table: RateTable | undefined,
  ): Promise<void> | undefined {
    if (this.batch.length === 0) this.batchNow = this.ctx.now().toISOString();
    const rating = feature ? rateCall(call, table, this.rating) : undefined;
    const start = this.copy.length;
    writeCallRow(this.copy, this.account.id, call, feature, rating, this.batchNow);
    const status = ratingStatusOf(feature, rating, call.internal);
    this.batch.push({
      line,
      sourceCallId: call.sourceCallId,
      start,
      end: this.copy.length,
      ratingStatus: status,
      ratingReason: rating?.status === 'unrated' ? rating.error : null,
      chargeMicros: rating?.status === 'rated' ? rating.chargeMicros : 0,
    });
    if (this.batch.length >= INGEST_BATCH_SIZE) return this.flush();
    return undefined;
  }

  /** Refuses a record the caller could not even read (a malformed CSV line). */
  rejectRaw(line: number, raw: string, reason: string): void {
    this.summary.received += 1;
    this.reject(line, raw, reason);
  }

  async finish(): Promise<IngestSummary> {
    await this.flush();
    await this.inFlightBefore;
    await this.inFlight;
    // No call was stored: the entry has no transaction to join.
    if (this.entry) await this.entry(this.ctx.db);
    this.entry = undefined;
    this.summary.chargeTotal = fromMicros(this.chargeMicros);
    return this.summary;
  }

  private reject(line: number, raw: string, reason: string): void {
    this.summary.rejected += 1;
    this.rejections.push({ line, raw, reason });
    if (this.summary.rejections.length < SUMMARY_REJECTIONS) this.summary.rejections.push({ line, reason });
  }

  /**
   * Hands the batch to the writer. On PostgreSQL two batches may be in flight: this one looks its calls up
   * while the last one writes its feed rows and commits, and starts its COPY once the last one's COPY is done
   * (so call ids follow the file; the feed lock still gives feed rows out in commit order). Its lookup cannot
   * see the last batch's calls (not committed yet), so add() skips those itself (previousIds), and no COPY
   * waits on another's uncommitted call. On PGlite (one session) the last batch is stored first.
   */
  private async flush(): Promise<void> {
    const batch = this.batch;
    const rejections = this.rejections;
    const copy = this.copy.take();
    const ids = this.batchIds;
    this.batch = [];
    this.batchIds = new Set();
    this.rejections = [];
    // While the audit entry waits for its transaction, batches are stored one after the other: none may
    // commit before the one that carries the entry has.
    const overlap = this.ctx.database.kind === 'postgres' && this.entry === undefined;
    // Every batch before the last is stored: this batch's lookup sees their calls.
    await this.inFlightBefore;
    if (!overlap) await this.inFlight;
    this.inFlightBefore = this.inFlight;
    this.previousIds = ids;
    let copied!: () => void;
    const previousCopied = this.copied;
    this.copied = new Promise<void>((resolve) => (copied = resolve));
    // However the write ends, the next batch may start its COPY.
    this.inFlight = this.store(batch, copy, rejections, previousCopied, copied).finally(copied);
    // Surface a write failure now rather than after the whole file has been read.
    this.inFlight.catch(() => {});
  }

  private async store(
    batch: Pending[],
    copy: Buffer,
    rejections: (Rejection & { line: number })[],
    previousCopied: Promise<void>,
    copied: () => void,
  ): Promise<void> {
    const accountId = this.account.id;
    if (rejections.length > 0)
      await insertRejections(this.ctx.db, accountId, 'calls', this.summary.source, rejections, {
        sourceSeen: this.sourceSeen,
      });
    if (batch.length === 0) return;
    const stored = await existingSourceCallIds(
      this.ctx.db,
      accountId,
      batch.map((p) => p.sourceCallId),
    );
    const fresh = stored.size === 0 ? batch : batch.filter((p) => !stored.has(p.sourceCallId));
    this.summary.duplicates += batch.length - fresh.length;
    let inserted = fresh;
    // Every call already stored (a file sent again): nothing to write, no feed rows, no debits.
    if (fresh.length === 0) return;
    await previousCopied;
    const entry = this.entry;
    // The calls and their rows in the call feed commit together (one statement for the feed rows), and the
    // import's audit entry with the first of them.
    try {
      await this.ctx.database.copyTransaction(async (tx) => {
        if (entry) await entry(tx.db);
        const highWater = await callIdHighWater(tx.db, accountId);
        await copyCallsText(
          tx,
          fresh === batch ? copy : Buffer.concat(fresh.map((p) => copy.subarray(p.start, p.end))),
        );
        copied();
        // Its handlers (src/reactions.ts), in this transaction: prepaid and credit-limited customers' calls
        // debited and their reservations settled, then last the feed's rows (it takes the feed lock).
        const now = this.ctx.now();
        await publish(this.ctx, { type: 'calls-stored', db: tx.db, accountId, highWater, now });
      });
    } catch (error) {
      if (!isRaceWithAnotherWriter(error)) throw error;
      // The same calls arrived from elsewhere meanwhile (a unique violation, or a deadlock when two writers
      // stored them in different orders): take this batch the slow way, skipping them.
      const rows = fresh.map((p) => callRowFromCopyLine(copy.toString('utf8', p.start, p.end)));
      const ids = await this.insertSlowly(rows, entry);
      inserted = fresh.filter((p) => ids.has(p.sourceCallId));
      this.summary.duplicates += fresh.length - inserted.length;
    }
    if (entry) this.entry = undefined;
    for (const p of inserted) this.count(p);
  }

  /**
   * Inserts what is still new, one slow writer of the account at a time (so two never deadlock on each
   * other), retrying when it deadlocks with a fast writer's COPY; the retry sees that writer's calls.
   */
  private async insertSlowly(
    rows: CallInsertRow[],
    entry: ((db: Executor) => Promise<void>) | undefined,
  ): Promise<Set<string>> {
    const accountId = this.account.id;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.ctx.db.transaction().execute(async (trx) => {
          if (entry) await entry(trx);
          await lockSlowIngest(trx, accountId);
          const highWater = await callIdHighWater(trx, accountId);
          const stored = await insertCallsSkippingDuplicates(trx, rows);
          const now = this.ctx.now();
          await publish(this.ctx, { type: 'calls-stored', db: trx, accountId, highWater, now });
          return stored;
        });
      } catch (error) {
        if (attempt >= SLOW_PATH_ATTEMPTS || sqlStateOf(error) !== DEADLOCK) throw error;
      }
    }
  }

  private count(p: Pending): void {
    this.summary.inserted += 1;
    switch (p.ratingStatus) {
      case 'rated':
        this.summary.rated += 1;
        this.chargeMicros += p.chargeMicros;
        break;
      case 'free':
        this.summary.free += 1;
        break;
      case 'unallocated':
        this.summary.unallocated += 1;
        break;
      case 'internal':
        this.summary.internal += 1;
        break;
      case 'unrated':
        this.summary.unrated += 1;
        this.summary.unratedReasons[p.ratingReason!] =
          (this.summary.unratedReasons[p.ratingReason!] ?? 0) + 1;
        break;
    }
  }
}
