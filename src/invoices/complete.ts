// Completing invoices for a cut-off: the heart of billing, shared by "create an invoice for a customer"
// and billing runs. It works on a batch of customers at once with set-based statements, so a run over
// thousands of customers costs a few statements per batch, not several per customer.
import type { Executor } from '../context.ts';
import type { AccountRow } from '../accounts/repo.ts';
import { recurringFeatures, type RecurringFeatureRow, setBilledUntil } from '../features/repo.ts';
import { type ChargedPeriod, type RecurringDue, recurringDueByTerms } from '../features/recurring.ts';
import { lockCustomers } from '../customers/repo.ts';
import { assert, invalid } from '../shared/errors.ts';
import { currencyMinorDigits, fromMinorUnits, toMinorUnits } from '../money/money.ts';
import {
  type FeatureTerms,
  findTransactions,
  type GeneratedCharge,
  insertGeneratedCharges,
  insertRecurringCharges,
  recurringChargesAfterEnd,
  type TermsCharge,
} from './transactions-repo.ts';
import {
  attachQualifying,
  customersWithQualifyingCharges,
  detachNonQualifying,
  invoicesHoldingCharges,
  type MovedGroup,
  pinToInvoice,
  type InclusionRule,
} from './invoice-charges-repo.ts';
import { storedTotalsState } from './recalculate.ts';
import { findUnsentInvoiceTotals, saveCompletedInvoices } from './repo.ts';
import { customersWithCallsToBill } from '../calls/repo.ts';
import { summariseCalls } from './summarise.ts';
import { addDays, type IsoDate, startOfDayInZone } from '../shared/dates.ts';
import { addChargeGroups, netOfState, totalsFromState } from './totals.ts';
import { customersWithFeesDue, makeExtras, removeExtras } from './extras.ts';

export interface CompleteOptions {
  cutoffDate: IsoDate;
  transactionCutoffDate: IsoDate | null;
  /** Charges to put on the invoice whatever their dates (one customer only). */
  includeTransactionIds: number[];
  billingRunId: number | null;
  /** Make an invoice even if the customer has nothing to bill (an explicit request for one). */
  evenIfEmpty: boolean;
}

export interface CompleteResult {
  /**
   * The invoices completed. For a billing run (evenIfEmpty false), only those with something on them: a
   * customer whose unsent invoice holds nothing due at this cut-off (say, only charges dated after it) has
   * nothing to bill in this run. That invoice is still completed for the cut-off, but the run neither
   * counts it nor marks it as its own.
   */
  invoiceIds: number[];
  /** Invoices made by this call (the rest were the customers' existing unsent invoices). */
  createdInvoiceIds: Set<number>;
}

/** Upper bound on one batch; callers split larger sets. */
export const MAX_BATCH_CUSTOMERS = 1000;

/**
 * Completes the unsent invoices of a batch of customers for a cut-off. Each step is one set-based
 * statement for the whole batch: a batch costs about a dozen statements however many customers and charges
 * it holds. An invoice's row is written twice at most: made (with its range) then completed, or its range
 * extended then completed.
 */
export async function completeInvoices(
  trx: Executor,
  account: AccountRow,
  customerIds: number[],
  options: CompleteOptions,
  now: Date,
): Promise<CompleteResult> {
  assert(
    customerIds.length <= MAX_BATCH_CUSTOMERS,
    `batch of ${customerIds.length} customers exceeds ${MAX_BATCH_CUSTOMERS}`,
  );
  assert(
    options.includeTransactionIds.length === 0 || customerIds.length === 1,
    '_includeTransactionIDs applies to one customer',
  );
  const accountId = account.id;
  const customers = await lockCustomers(trx, accountId, customerIds);
  const lockedIds = customers.map((c) => c.id);
  const rule: InclusionRule = options.transactionCutoffDate
    ? { by: 'transactionDate', before: options.transactionCutoffDate }
    : { by: 'billDate', before: options.cutoffDate };

  const existing = await findUnsentInvoiceTotals(trx, accountId, lockedIds);
  const invoiceByCustomer = new Map(existing.map((inv) => [inv.customer_id, inv.id]));

  await checkIncluded(trx, accountId, lockedIds[0], invoiceByCustomer, options.includeTransactionIds);

  // Recurring charges due, per customer (pure calculation over the features).
  const minorDigits = currencyMinorDigits(account.currency);
  const features = await recurringFeatures(trx, accountId, lockedIds);
  const dueOptions = {
    cutoffDate: options.cutoffDate,
    transactionCutoffDate: options.transactionCutoffDate,
    minorDigits,
  };
  const charged = await chargedAfterEnd(trx, accountId, features);
  const dueFor = recurringDueByTerms(dueOptions);
  const due = features
    .map((feature) => ({ feature, result: dueFor(toRecurring(feature), charged.get(feature.id)) }))
    .filter((d) => d.result.charges.length > 0);
  const dueCustomers = new Set(due.map((d) => d.feature.customer_id));

  // Which customers get an invoice: those with one already, or with anything to bill. Only those with
  // none are looked up (usually few: charges posted go on the customer's unsent invoice at once), and of
  // those only the ones not already known to need one (a recurring charge due, usually most of them).
  const withoutInvoice = lockedIds.filter((id) => !invoiceByCustomer.has(id));
  const surelyBilled = options.evenIfEmpty || options.includeTransactionIds.length > 0;
  const toProbe = surelyBilled ? [] : withoutInvoice.filter((id) => !dueCustomers.has(id));
  const callsBefore = startOfDayInZone(options.cutoffDate, account.timezone);
  const withCharges = await customersWithQualifyingCharges(trx, accountId, toProbe, rule);
  for (const id of await customersWithCallsToBill(trx, accountId, toProbe, callsBefore)) withCharges.add(id);
  if (toProbe.length > 0) {
    for (const id of await customersWithFeesDue(trx, account, toProbe, options.cutoffDate, minorDigits))
      withCharges.add(id);
  }
  const needInvoice = withoutInvoice.filter(
    (id) => surelyBilled || withCharges.has(id) || dueCustomers.has(id),
  );

  // What each invoice's totals change by: charges taken off, put on, and generated below. A new invoice
  // has nothing to take off. New invoices are made as their charges are summed, with their range of
  // charges, so their rows are written twice in all (made, then completed).
  const existingIds = existing.map((inv) => inv.id);
  const removed = await detachNonQualifying(trx, accountId, existingIds, rule, now);
  const attached = await attachQualifying(trx, accountId, existingIds, rule, now, needInvoice);
  const added = attached.moved;
  const created = attached.made;
  for (const inv of created) invoiceByCustomer.set(inv.customer_id, inv.id);
  const invoiceIds = [...invoiceByCustomer.values()];
  const createdIds = new Set(created.map((inv) => inv.id));
  if (options.includeTransactionIds.length > 0) {
    added.push(
      ...(await pinToInvoice(
        trx,
        accountId,
        options.includeTransactionIds,
        invoiceByCustomer.get(lockedIds[0]!)!,
        now,
      )),
    );
  }

  // Generated recurring charges go straight onto the invoice; features remember how far they are billed.
  const recurring = recurringByTerms(account, due, invoiceByCustomer, minorDigits);
  const baselines = new Map<number, Record<string, string | null>>();
  for (const { feature } of due) {
    const invoiceId = invoiceByCustomer.get(feature.customer_id)!;
    const baseline = baselines.get(invoiceId) ?? {};
    baseline[String(feature.id)] = feature.billed_until;
    baselines.set(invoiceId, baseline);
  }
  // Call charges: the rated calls that started before the cut-off, summed per feature and destination.
  const calls = await summariseCalls(trx, account, invoiceIds, options.cutoffDate);
  removed.push(...calls.removed);
  await insertRecurringCharges(trx, accountId, recurring.features, recurring.charges, now);
  await insertGeneratedCharges(trx, calls.charges, now);
  await setBilledUntil(
    trx,
    accountId,
    due.map((d) => ({ featureId: d.feature.id, billedUntil: d.result.billedUntil })),
  );
  added.push(...recurring.groups);
  for (const c of calls.charges) added.push(chargeGroup(c));

  // New totals from the stored ones and the changes: the customers' locks keep the stored ones current,
  // and a run costs the same however many charges its invoices already hold.
  const reverseCharge = new Map(customers.map((c) => [c.id, c.reverse_charge]));
  const stored = new Map([...existing, ...created].map((inv) => [inv.id, inv]));

  // Discounts and fees, from everything else on the invoice: made again on every completion.
  removed.push(...(await removeExtras(trx, accountId, invoiceIds)));
  const removedBy = groupByInvoice(removed);
  const addedBy = groupByInvoice(added);
  const before = new Map(
    invoiceIds.map((invoiceId) => {
      const state = storedTotalsState(stored.get(invoiceId)!, minorDigits);
      addChargeGroups(state, removedBy.get(invoiceId) ?? [], -1, minorDigits);
      addChargeGroups(state, addedBy.get(invoiceId) ?? [], 1, minorDigits);
      return [invoiceId, state];
    }),
  );
  const netBefore = new Map(
    invoiceIds.map((id) => [id, fromMinorUnits(netOfState(before.get(id)!), minorDigits)]),
  );
  const extras = await makeExtras(
    trx,
    account,
    customers,
    invoiceByCustomer,
    netBefore,
    options.cutoffDate,
    minorDigits,
    now,
  );
  await insertGeneratedCharges(trx, extras, now);
  const extrasBy = groupByInvoice(extras.map(chargeGroup));
  for (const c of extras) added.push(chargeGroup(c));
  const totalsOf = (invoiceId: number) => {
    // The states are this function's own, and each invoice's is used once more, here.
    const state = before.get(invoiceId)!;
    addChargeGroups(state, extrasBy.get(invoiceId) ?? [], 1, minorDigits);
    return totalsFromState(state, {
      minorDigits,
      reverseCharge: reverseCharge.get(stored.get(invoiceId)!.customer_id)!,
    });
  };

  // A run bills only invoices with something on them (see CompleteResult).
  // Invoices that just had charges put on them hold some; the others are looked up.
  const gained = new Set(added.map((g) => g.invoiceId));
  const billed = options.evenIfEmpty
    ? new Set(invoiceIds)
    : new Set([
        ...gained,
        ...(await invoicesHoldingCharges(
          trx,
          accountId,
          invoiceIds.filter((id) => !gained.has(id)),
        )),
      ]);

  await saveCompletedInvoices(
    trx,
    accountId,
    invoiceIds.map((invoiceId) => {
      return {
        invoiceId,
        totals: totalsOf(invoiceId),
        baseline: baselines.get(invoiceId) ?? {},
        billingRunId: billed.has(invoiceId) ? options.billingRunId : null,
        stored: stored.get(invoiceId),
      };
    }),
    { cutoffDate: options.cutoffDate, transactionCutoffDate: options.transactionCutoffDate },
    now,
  );
  return {
    invoiceIds: invoiceIds.filter((id) => billed.has(id)),
    createdInvoiceIds: createdIds,
  };
}

function chargeGroup(c: GeneratedCharge): MovedGroup {
  return {
    invoiceId: c.invoiceId,
    type: c.type,
    vatRate: c.vatRate,
    value: c.value,
    callCount: c.callCount ?? 0,
    callMinutes: c.callMinutes ?? 0,
  };
}

function groupByInvoice(groups: MovedGroup[]): Map<number, MovedGroup[]> {
  const out = new Map<number, MovedGroup[]>();
  for (const g of groups) {
    const list = out.get(g.invoiceId);
    if (list) list.push(g);
    else out.set(g.invoiceId, [g]);
  }
  return out;
}

async function checkIncluded(
  trx: Executor,
  accountId: number,
  customerId: number | undefined,
  invoiceByCustomer: Map<number, number>,
  ids: number[],
): Promise<void> {
  if (ids.length === 0) return;
  const found = new Map((await findTransactions(trx, accountId, ids)).map((t) => [t.id, t]));
  for (const id of ids) {
    const t = found.get(id);
    if (!t || t.customer_id !== customerId)
      throw invalid('_includeTransactionIDs', `transaction ${id} is not a charge of customer ${customerId}`);
    if (t.invoice_id !== null && t.invoice_id !== invoiceByCustomer.get(t.customer_id)) {
      throw invalid('_includeTransactionIDs', `transaction ${id} is already on invoice ${t.invoice_id}`);
    }
  }
}

/**
 * For the features that ended inside days they were charged for in advance (rare), the charges for those
 * days, so that the credit gives back what was charged even if the price has changed since.
 */
async function chargedAfterEnd(
  trx: Executor,
  accountId: number,
  features: RecurringFeatureRow[],
): Promise<Map<number, ChargedPeriod[]>> {
  const ended = features.filter(
    (f) => f.end_date !== null && f.billed_until !== null && f.billed_until > addDays(f.end_date, 1),
  );
  const out = new Map<number, ChargedPeriod[]>();
  for (const row of await recurringChargesAfterEnd(
    trx,
    accountId,
    ended.map((f) => f.id),
  )) {
    const list = out.get(row.feature_id);
    const period = { startDate: row.start_date, endDate: row.end_date, value: row.value };
    if (list) list.push(period);
    else out.set(row.feature_id, [period]);
  }
  return out;
}

function toRecurring(feature: RecurringFeatureRow) {
  assert(
    feature.recurring_value !== null && feature.recurring_frequency !== null && feature.start_date !== null,
    `feature ${feature.id} recurring fields`,
  );
  return {
    recurringValue: feature.recurring_value,
    frequency: feature.recurring_frequency,
    billing: feature.billing,
    startDate: feature.start_date,
    endDate: feature.end_date,
    billedUntil: feature.billed_until,
  };
}

/**
 * The batch's recurring charges as insertRecurringCharges takes them: each set of terms' charges once (features
 * on the same terms share one RecurringDue, see recurringDueByTerms), each feature naming its set, and what
 * each feature adds to its invoice's totals (its set's charges summed: one group a feature, not one a charge).
 * A charge's description is the feature's name, then "monthly" (or the frequency; "credit" for a credit)
 * and its days, with " (pro rata)" for a part period; it is billed on its first day in advance, on its last
 * in arrears.
 */
function recurringByTerms(
  account: AccountRow,
  due: readonly { feature: RecurringFeatureRow; result: Readonly<RecurringDue> }[],
  invoiceByCustomer: ReadonlyMap<number, number>,
  minorDigits: number,
): { features: FeatureTerms[]; charges: TermsCharge[]; groups: MovedGroup[] } {
  const termsOf = new Map<Readonly<RecurringDue>, number>();
  const totals: string[] = [];
  const features: FeatureTerms[] = [];
  const charges: TermsCharge[] = [];
  const groups: MovedGroup[] = [];
  for (const { feature, result } of due) {
    const invoiceId = invoiceByCustomer.get(feature.customer_id);
    assert(invoiceId !== undefined, `customer ${feature.customer_id} has recurring charges but no invoice`);
    let terms = termsOf.get(result);
    if (terms === undefined) {
      terms = totals.length;
      termsOf.set(result, terms);
      let total = 0n;
      for (const charge of result.charges) {
        const what = charge.credit ? 'credit' : feature.recurring_frequency;
        charges.push({
          terms,
          label: `${what} ${charge.startDate} to ${charge.endDate}${charge.prorated && !charge.credit ? ' (pro rata)' : ''}`,
          transactionDate: charge.startDate,
          billDate: feature.billing === 'advance' ? charge.startDate : charge.endDate,
          startDate: charge.startDate,
          endDate: charge.endDate,
          value: charge.value,
        });
        total += toMinorUnits(charge.value, minorDigits);
      }
      totals.push(fromMinorUnits(total, minorDigits));
    }
    const vatRate = feature.vat_rate ?? account.default_vat_rate;
    features.push({
      featureId: feature.id,
      customerId: feature.customer_id,
      invoiceId,
      name: feature.name,
      vatRate,
      terms,
    });
    groups.push({
      invoiceId,
      type: 'recurring',
      vatRate,
      value: totals[terms]!,
      callCount: 0,
      callMinutes: 0,
    });
  }
  return { features, charges, groups };
}
