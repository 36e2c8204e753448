import type { Ctx } from '../context.ts';
import { findAccount } from '../accounts/repo.ts';
import type { RateCardRow } from './repo.ts';
import { insertRejections, type Rejection } from '../rejections/repo.ts';
import { isIsoDate, type IsoDate } from '../shared/dates.ts';
import { invalid, notFound } from '../shared/errors.ts';
import { accountToday } from '../shared/today.ts';
import { parseRate, type RateRecord, type ValidRate } from './rate-input.ts';
import {
  accountHasRateCards,
  clearDefaultRateCard,
  closeRatesFrom,
  findRateCard,
  findRateCardByName,
  insertRateCard,
  insertRates,
  rateCardHasRates,
  updateRateCardRow,
} from './repo.ts';

export interface RateImportRow {
  /** Line in the file (1 is the header), or position in a JSON array (1-based). */
  line: number;
  raw: string;
  record: RateRecord;
  /** Set when the row could not even be read (a malformed CSV line): the reason. */
  unreadable?: string;
}

export interface RateImportResult {
  rateCard: RateCardRow;
  /** Null: the card's first rates, loaded without a date, apply from the start of time. */
  effectiveFrom: IsoDate | null;
  imported: number;
  rejected: (Rejection & { line: number })[];
}

/** Upper bound on one import; a national rate card has tens of thousands of prefixes. */
export const MAX_RATES_PER_IMPORT = 500_000;

/**
 * Loads a rate card's rates from a date. The rates in force on that date end the day before it and the
 * loaded ones apply from it, so calls before it keep their prices (also when re-rated). Without a date, a
 * card's first rates apply from the start of time (so last month's calls can be priced) and later ones
 * from today (so the history keeps its prices). The card is made if it does not exist (by name); the
 * account's first card becomes its default. Bad rows are reported, and kept, with their line and reason;
 * the good rows go in. One rate per prefix and band.
 */
export async function importRates(
  ctx: Ctx,
  accountId: number,
  target: { rateCardId: number } | { name: string },
  rows: Iterable<RateImportRow>,
  options: { effectiveFrom?: IsoDate | undefined; makeDefault?: boolean | undefined; source: string },
): Promise<RateImportResult> {
  if (options.effectiveFrom !== undefined && !isIsoDate(options.effectiveFrom))
    throw invalid('effectiveFrom', 'must be a date YYYY-MM-DD');
  const good: (ValidRate & { line: number })[] = [];
  const rejected: (Rejection & { line: number })[] = [];
  const seen = new Map<string, number>();
  let count = 0;
  for (const row of rows) {
    if (++count > MAX_RATES_PER_IMPORT)
      throw invalid('rates', `at most ${MAX_RATES_PER_IMPORT} rates in one import`);
    try {
      if (row.unreadable !== undefined) throw new Error(row.unreadable);
      const rate = parseRate(row.record);
      const key = `${rate.prefix}/${rate.band}`;
      const first = seen.get(key);
      if (first !== undefined)
        throw new Error(`prefix ${rate.prefix} (band ${rate.band}) is already on line ${first}`);
      seen.set(key, row.line);
      good.push({ ...rate, line: row.line });
    } catch (error) {
      rejected.push({ line: row.line, raw: row.raw, reason: (error as Error).message });
    }
  }

  return ctx.db.transaction().execute(async (trx) => {
    const account = await findAccount(trx, accountId);
    if (!account) throw notFound('Account', accountId);
    const now = ctx.now();
    let card: RateCardRow | undefined;
    if ('rateCardId' in target) {
      card = await findRateCard(trx, accountId, target.rateCardId);
      if (!card) throw notFound('Rate card', target.rateCardId);
    } else {
      const name = target.name.trim();
      if (name === '' || name.length > 100) throw invalid('name', 'a rate card name is 1 to 100 characters');
      card = await findRateCardByName(trx, accountId, name);
      // The account's first card is its default: calls of customers and features that name none use it.
      if (!card)
        card = await insertRateCard(trx, accountId, name, !(await accountHasRateCards(trx, accountId)), now);
    }
    if (options.makeDefault && !card.is_default) {
      await clearDefaultRateCard(trx, accountId, card.id);
      card = (await updateRateCardRow(trx, accountId, card.id, { is_default: true, updated_at: now }))!;
    }
    const effectiveFrom =
      options.effectiveFrom ??
      ((await rateCardHasRates(trx, accountId, card.id)) ? accountToday(account, now) : null);
    if (effectiveFrom !== null) await closeRatesFrom(trx, accountId, card.id, effectiveFrom);
    await insertRates(
      trx,
      good.map((r) => ({
        account_id: accountId,
        rate_card_id: card.id,
        prefix: r.prefix,
        destination: r.destination,
        band: r.band,
        rate_per_minute: r.ratePerMinute,
        connection_fee: r.connectionFee,
        minimum_charge: r.minimumCharge,
        initial_increment_s: r.initialIncrementS,
        subsequent_increment_s: r.subsequentIncrementS,
        cost_per_minute: r.costPerMinute,
        effective_from: effectiveFrom,
        created_at: now,
      })),
    );
    await insertRejections(trx, accountId, 'rates', options.source, rejected);
    return { rateCard: card, effectiveFrom, imported: good.length, rejected };
  });
}
