// Re-pricing calls (after a rate card changes, a number is given to a feature, or by hand):
//   - calls not yet billed are allocated and rated again, in place;
//   - calls on an unsent invoice are rated again and the invoice's call summaries made again;
//   - calls on a raised invoice keep their invoice: the difference between the new charge and what was
//     billed becomes an adjustment charge on the customer's next invoice, never a change to the raised one.
import type { Ctx, Executor } from '../context.ts';
import { findAccount } from '../accounts/repo.ts';
import { lockCustomers } from '../customers/repo.ts';
import type { AccountRow } from '../accounts/repo.ts';
import type { CallRow } from '../calls/repo.ts';
import { findUnsentInvoices, insertUnsentInvoices } from './repo.ts';
import { recalculateInvoices } from './recalculate.ts';
import { findDefaultRateCard } from '../rate-cards/repo.ts';
import { RateTables, ratingContextFor } from '../rate-cards/rate-table.ts';
import { fromMicros, toMicros } from '../money/micros.ts';
import { rateCall, type RatingContext } from '../rating/rate-call.ts';
import { addDays, isIsoDate, type IsoDate, startOfDayInZone } from '../shared/dates.ts';
import { invalid, notFound } from '../shared/errors.ts';
import { currencyMinorDigits, formatAmount, money } from '../money/money.ts';
import { roundLine } from '../money/rounding.ts';
import { featureNamesAndRates } from '../features/repo.ts';
import { accountToday } from '../shared/today.ts';
import { recordCallCorrections } from '../feed/record.ts';
import { onCallsRerated } from '../authorization/settle-calls.ts';
import { insertGeneratedCharges } from './transactions-repo.ts';
import { FeatureIndex, ownNumber } from '../calls/allocation.ts';
import { resummariseCalls } from './summarise.ts';
import {
  type CallUpdate,
  featureWindows,
  lockCallsByIds,
  pageCallIds,
  updateCallRatings,
} from '../calls/repo.ts';

export interface RerateOptions {
  /** Calls that started on or after this local date. */
  from?: IsoDate | undefined;
  /** Calls that started on or before this local date. */
  to?: IsoDate | undefined;
  /** Only calls still waiting to be priced (unallocated or unrated). */
  onlyWaiting?: boolean | undefined;
  /** Only this customer's calls. */
  customerId?: number | undefined;
  /** Only calls whose own number (the feature's side) is this one. */
  number?: string | undefined;
}

export interface RerateSummary {
  calls: number;
  changed: number;
  rated: number;
  free: number;
  unrated: number;
  unallocated: number;
  /** Adjustment charges made for calls already on raised invoices. */
  adjustments: number;
  adjustmentTotal: string;
  /** Unsent invoices whose call charges were summarised again. */
  invoicesUpdated: number;
}

const PAGE_SIZE = 2000;

export async function rerateCalls(
  ctx: Ctx,
  accountId: number,
  options: RerateOptions = {},
  onProgress: (done: number) => void = () => {},
): Promise<RerateSummary> {
  for (const key of ['from', 'to'] as const) {
    const value = options[key];
    if (value !== undefined && !isIsoDate(value)) throw invalid(key, 'must be a date YYYY-MM-DD');
  }
  if (options.from !== undefined && options.to !== undefined && options.from > options.to) {
    throw invalid('to', `${options.to} is before from (${options.from}): the range would hold no calls`);
  }
  const account = await findAccount(ctx.db, accountId);
  if (!account) throw notFound('Account', accountId);
  const range = {
    from: options.from ? startOfDayInZone(options.from, account.timezone) : undefined,
    to: options.to ? startOfDayInZone(addDays(options.to, 1), account.timezone) : undefined,
  };
  const summary: RerateSummary = {
    calls: 0,
    changed: 0,
    rated: 0,
    free: 0,
    unrated: 0,
    unallocated: 0,
    adjustments: 0,
    adjustmentTotal: '0',
    invoicesUpdated: 0,
  };
  const rating = ratingContextFor(account);
  const features = new FeatureIndex(await featureWindows(ctx.db, accountId));
  const defaultCard = (await findDefaultRateCard(ctx.db, accountId))?.id ?? null;
  let adjustmentTotal = money(0);
  let after = 0;
  for (;;) {
    const page = await pageCallIds(
      ctx.db,
      accountId,
      { ...range, onlyWaiting: options.onlyWaiting, number: options.number, customerId: options.customerId },
      after,
      PAGE_SIZE,
    );
    if (page.length === 0) break;
    after = page[page.length - 1]!.id;
    const result = await ctx.db
      .transaction()
      .execute((trx) =>
        reratePage(
          trx,
          account,
          page,
          { features, tables: new RateTables(trx, accountId), defaultCard, rating },
          ctx.now(),
        ),
      );
    summary.calls += result.calls;
    summary.changed += result.changed;
    summary.rated += result.counts.rated;
    summary.free += result.counts.free;
    summary.unrated += result.counts.unrated;
    summary.unallocated += result.counts.unallocated;
    summary.adjustments += result.adjustments;
    summary.invoicesUpdated += result.invoicesUpdated;
    adjustmentTotal = adjustmentTotal.plus(result.adjustmentTotal);
    onProgress(summary.calls);
    if (page.length < PAGE_SIZE) break;
  }
  summary.adjustmentTotal = adjustmentTotal.toFixed();
  return summary;
}

interface Pricing {
  features: FeatureIndex;
  tables: RateTables;
  defaultCard: number | null;
  rating: RatingContext;
}

async function reratePage(
  trx: Executor,
  account: AccountRow,
  page: { id: number; customer_id: number | null }[],
  pricing: Pricing,
  now: Date,
) {
  const accountId = account.id;
  // Customers first (the lock order of everything that touches invoices), then the calls.
  const customerIds = [...new Set(page.flatMap((c) => (c.customer_id === null ? [] : [c.customer_id])))].sort(
    (a, b) => a - b,
  );
  await lockCustomers(trx, accountId, customerIds);
  const calls = await lockCallsByIds(
    trx,
    accountId,
    page.map((c) => c.id),
  );
  const unsent = new Map((await findUnsentInvoices(trx, accountId, customerIds)).map((i) => [i.id, i]));

  const updates: CallUpdate[] = [];
  const counts = { rated: 0, free: 0, unrated: 0, unallocated: 0, internal: 0 };
  const deltas = new Map<
    string,
    { customerId: number; featureId: number | null; destination: string; micros: number; calls: number }
  >();
  const touchedUnsent = new Set<number>();
  for (const call of calls) {
    const update = await reprice(call, pricing);
    counts[update.ratingStatus] += 1;
    // A call on a raised invoice keeps the destination it was billed under, so the invoice's line (its
    // feature and destination) still finds it, whatever the rate that prices it now is called.
    const raised = call.invoice_id !== null && !unsent.has(call.invoice_id);
    if (raised) update.destination = call.destination;
    if (!sameRating(call, update)) updates.push(update);
    if (call.invoice_id === null) continue;
    if (unsent.has(call.invoice_id)) {
      if (!sameRating(call, update)) touchedUnsent.add(call.invoice_id);
      continue;
    }
    // On a raised invoice: bill the difference on the next invoice. A call that can no longer be priced is
    // never a zero charge (nor a full credit): it shows as unrated, keeps what was billed, and is adjusted
    // from that once a rate prices it again.
    if (update.ratingStatus === 'unrated') continue;
    const billed = call.billed_charge === null ? 0 : toMicros(call.billed_charge);
    const charged = update.charge === null ? 0 : toMicros(update.charge);
    if (charged !== billed) {
      update.billedCharge = update.charge ?? '0.000000';
      if (!updates.includes(update)) updates.push(update);
      const key = `${call.customer_id}/${call.feature_id}/${call.destination}`;
      const delta = deltas.get(key) ?? {
        customerId: call.customer_id!,
        featureId: call.feature_id,
        destination: call.destination ?? 'unknown destination',
        micros: 0,
        calls: 0,
      };
      delta.micros += charged - billed;
      delta.calls += 1;
      deltas.set(key, delta);
    }
  }
  await updateCallRatings(trx, accountId, updates, now);

  const adjustmentInvoices = await addAdjustments(trx, account, [...deltas.values()], unsent, now);
  for (const invoiceId of touchedUnsent) await resummariseCalls(trx, account, unsent.get(invoiceId)!, now);
  await recalculateInvoices(trx, account, [...new Set([...touchedUnsent, ...adjustmentInvoices.ids])], now);
  // Prepaid and credit-limited customers: correction entries for what re-rating changed (balance rows after the calls).
  await onCallsRerated(
    trx,
    accountId,
    updates.map((u) => u.id),
    now,
  );
  // Last (it takes the feed lock): a correction in the call feed for each call whose pay-in changed.
  await recordCallCorrections(
    trx,
    accountId,
    updates.map((u) => u.id),
    now,
  );
  return {
    calls: calls.length,
    changed: updates.length,
    counts,
    adjustments: adjustmentInvoices.count,
    adjustmentTotal: adjustmentInvoices.total,
    invoicesUpdated: touchedUnsent.size,
  };
}

async function reprice(call: CallRow, pricing: Pricing): Promise<CallUpdate> {
  // A billed call stays with its customer; an unbilled one follows its number to whoever has it now.
  let customerId = call.customer_id;
  let featureId = call.feature_id;
  let rateCardId: number | null = null;
  if (call.invoice_id === null) {
    const owner = pricing.features.find(
      ownNumber({ direction: call.direction, fromNumber: call.from_number, toNumber: call.to_number }),
      pricing.rating.clock.localDate(call.start_time.getTime()),
    );
    customerId = owner?.customerId ?? null;
    featureId = owner?.featureId ?? null;
    rateCardId = owner?.rateCardId ?? null;
  } else if (call.feature_id !== null) {
    rateCardId = pricing.features.byFeature(call.feature_id)?.rateCardId ?? null;
  }
  const base: CallUpdate = {
    id: call.id,
    customerId,
    featureId,
    ratingStatus: 'unallocated',
    ratingError: null,
    rateId: null,
    destination: null,
    band: null,
    billableS: null,
    charge: null,
    cost: null,
    billedCharge: call.billed_charge,
  };
  if (customerId === null) return base;
  const table = await pricing.tables.get(rateCardId ?? pricing.defaultCard);
  const rating = rateCall(
    {
      fromNumber: call.from_number,
      toNumber: call.to_number,
      direction: call.direction,
      status: call.status,
      startMs: call.start_time.getTime(),
      durationS: call.duration_s,
    },
    table,
    pricing.rating,
  );
  if (rating.status === 'free') return { ...base, ratingStatus: 'free', charge: '0.000000' };
  if (rating.status === 'unrated') return { ...base, ratingStatus: 'unrated', ratingError: rating.reason };
  return {
    ...base,
    ratingStatus: 'rated',
    rateId: rating.rateId,
    destination: rating.destination,
    band: rating.band,
    billableS: rating.billableS,
    charge: fromMicros(rating.chargeMicros),
    cost: rating.costMicros === null ? null : fromMicros(rating.costMicros),
  };
}

function sameRating(call: CallRow, u: CallUpdate): boolean {
  return (
    call.customer_id === u.customerId &&
    call.feature_id === u.featureId &&
    call.rating_status === u.ratingStatus &&
    // An unrated call may stay unrated for another reason (no rate card, then no rate for the number).
    call.rating_error === u.ratingError &&
    call.rate_id === u.rateId &&
    call.destination === u.destination &&
    call.band === u.band &&
    call.billable_s === u.billableS &&
    call.charge === u.charge &&
    call.cost === u.cost &&
    call.billed_charge === u.billedCharge
  );
}

/** Adjustment charges on each customer's unsent invoice (made if there is none). */
async function addAdjustments(
  trx: Executor,
  account: AccountRow,
  deltas: {
    customerId: number;
    featureId: number | null;
    destination: string;
    micros: number;
    calls: number;
  }[],
  unsent: Map<number, { id: number; customer_id: number }>,
  now: Date,
): Promise<{ ids: number[]; count: number; total: string }> {
  const digits = currencyMinorDigits(account.currency);
  const features = await featureNamesAndRates(trx, account.id, [
    ...new Set(deltas.flatMap((d) => (d.featureId === null ? [] : [d.featureId]))),
  ]);
  const invoiceByCustomer = new Map([...unsent.values()].map((i) => [i.customer_id, i.id]));
  const missing = [...new Set(deltas.map((d) => d.customerId))].filter((c) => !invoiceByCustomer.has(c));
  for (const inv of await insertUnsentInvoices(trx, account.id, missing, now))
    invoiceByCustomer.set(inv.customer_id, inv.id);
  const today = accountToday(account, now);
  let total = money(0);
  const charges = deltas
    .map((d) => ({ d, value: roundLine(money(fromMicros(d.micros)), digits) }))
    .filter(({ value }) => !value.isZero())
    .map(({ d, value }) => {
      total = total.plus(value);
      return {
        accountId: account.id,
        customerId: d.customerId,
        featureId: d.featureId,
        invoiceId: invoiceByCustomer.get(d.customerId)!,
        origin: 'adjustment' as const,
        type: 'calls' as const,
        description: `Re-rating adjustment: calls to ${d.destination} (${d.calls} call${d.calls === 1 ? '' : 's'})`,
        transactionDate: today,
        billDate: today,
        startDate: null,
        endDate: null,
        value: formatAmount(value, digits),
        vatRate:
          (d.featureId === null ? null : features.get(d.featureId)?.vatRate) ?? account.default_vat_rate,
        valueCarrier: null,
        callCount: null,
        callMinutes: null,
        callDestination: d.destination,
      };
    });
  await insertGeneratedCharges(trx, charges, now);
  return {
    ids: [...new Set(charges.map((c) => c.invoiceId))],
    count: charges.length,
    total: total.toFixed(),
  };
}
