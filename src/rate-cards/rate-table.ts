import type { Executor } from '../context.ts';
import type { AccountRow } from '../accounts/repo.ts';
import type { RateRow } from './repo.ts';
import { minutesOfDay } from '../rating/bands.ts';
import { toMicros } from '../money/micros.ts';
import { createRatingContext, type Rate, RateTable, type RatingContext } from '../rating/rate-call.ts';
import { findRateCard, loadRates } from './repo.ts';

export function toRate(row: RateRow): Rate {
  return {
    id: row.id,
    prefix: row.prefix,
    destination: row.destination,
    band: row.band,
    ratePerMinuteMicros: toMicros(row.rate_per_minute),
    connectionFeeMicros: toMicros(row.connection_fee),
    minimumChargeMicros: toMicros(row.minimum_charge),
    initialIncrementS: row.initial_increment_s,
    subsequentIncrementS: row.subsequent_increment_s,
    costPerMinuteMicros: row.cost_per_minute === null ? null : toMicros(row.cost_per_minute),
    effectiveFrom: row.effective_from,
    effectiveTo: row.effective_to,
  };
}

/** Compiled rate tables by rate card id, loaded once each for a run of rating. */
export class RateTables {
  private readonly tables = new Map<number, RateTable>();

  constructor(
    private readonly db: Executor,
    private readonly accountId: number,
  ) {}

  async get(rateCardId: number | null): Promise<RateTable | undefined> {
    if (rateCardId === null) return undefined;
    let table = this.tables.get(rateCardId);
    if (!table) {
      const card = await findRateCard(this.db, this.accountId, rateCardId);
      table = new RateTable((await loadRates(this.db, this.accountId, rateCardId)).map(toRate), card?.name);
      this.tables.set(rateCardId, table);
    }
    return table;
  }
}

export function ratingContextFor(
  account: Pick<AccountRow, 'timezone' | 'peak_start' | 'peak_end'>,
): RatingContext {
  return createRatingContext({
    timeZone: account.timezone,
    peakStartMinutes: minutesOfDay(account.peak_start),
    peakEndMinutes: minutesOfDay(account.peak_end),
  });
}
