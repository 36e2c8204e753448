// The console overview's charts read summaries, never all calls or all invoices, and must never drift from
// what they sum. Revenue per month (invoice_months, added to at approval) and collections (paid,
// outstanding, overdue, from the unsettled invoices) equal aggregates made straight from the invoices after
// approvals, payments and a refund.
//
// The console overview's call charts (calls and billed seconds per day, charge and cost per destination)
// come from call_hours, the calls summed per UTC hour and destination, plus the calls not yet summed. They
// must never drift from the calls: after ingest, after late calls for days already summed, after re-rating
// (new prices, a number allocated to a feature, a destination renamed), before and after the summing job,
// the charts equal an aggregate made straight from the calls. On PostgreSQL, a call whose transaction is
// still open when the job runs, under a lower id than calls already committed, is not skipped.
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { callActivity } from '../../src/calls/reports-repo.ts';
import { collectionTotals, revenueByMonth } from '../../src/invoices/reports-repo.ts';
import { approve, post } from '../helpers/billing.ts';
import { summariseCallHours } from '../../src/calls/summarise-call-hours.ts';
import { cdr, loadRates, makeRateCard, sendCalls } from '../helpers/call-billing.ts';
import { makeCustomer, makeFeature, useHarness, type Harness } from '../helpers/harness.ts';

const NOW = new Date('2026-04-10T12:00:00.000Z');
const SINCE = new Date('2026-03-12T00:00:00.000Z'); // 30 local days up to 10 April (London, GMT then BST)
const TZ = 'Europe/London';
const L1 = '441632960001';
const L2 = '441632960002';
const L3 = '441632960003';
const RATES = [
  { prefix: '44', destination: 'UK', ratePerMinute: '0.0125', costPerMinute: '0.004' },
  { prefix: '447', destination: 'UK mobile', ratePerMinute: '0.10', costPerMinute: '0.05' },
];

const h = useHarness();

/** The same figures straight from the calls: per local day, and per destination (rated calls only). */
async function direct(harness: Harness, accountId: number) {
  const days = await sql<{ day: string; calls: string; billable_s: string }>`
    select to_char((start_time at time zone ${TZ})::date, 'YYYY-MM-DD') as day, count(*)::text as calls,
           coalesce(sum(billable_s), 0)::text as billable_s
    from calls where account_id = ${accountId} and start_time >= ${SINCE} group by 1 order by 1
  `.execute(harness.ctx.db);
  const destinations = await sql<{ destination: string; charge: string; cost: string; calls: string }>`
    select coalesce(destination, 'Unknown') as destination, sum(charge)::numeric(24,6)::text as charge,
           sum(cost)::numeric(24,6)::text as cost, count(*)::text as calls
    from calls where account_id = ${accountId} and start_time >= ${SINCE} and rating_status = 'rated'
    group by 1 order by sum(charge) desc, 1
  `.execute(harness.ctx.db);
  return {
    byDay: days.rows.map((r) => ({ day: r.day, calls: Number(r.calls), billable_s: Number(r.billable_s) })),
    byDestination: destinations.rows.map((r) => ({
      destination: r.destination,
      charge: r.charge,
      cost: r.cost,
      calls: Number(r.calls),
    })),
  };
}

/** The charts as the overview reads them, amounts at the stored scale (PGlite and PostgreSQL print sums alike). */
async function charts(harness: Harness, accountId: number) {
  const a = await callActivity(harness.ctx.db, accountId, SINCE, TZ, 100);
  const scale = (x: string) => Number(x).toFixed(6);
  return {
    byDay: a.byDay,
    byDestination: a.byDestination.map((d) => ({ ...d, charge: scale(d.charge), cost: scale(d.cost) })),
  };
}

async function expectNoDrift(harness: Harness, accountId: number) {
  const want = await direct(harness, accountId);
  want.byDestination = want.byDestination.map((d) => ({
    ...d,
    charge: Number(d.charge).toFixed(6),
    cost: Number(d.cost).toFixed(6),
  }));
  expect(await charts(harness, accountId)).toEqual(want);
  return want;
}

async function mark(harness: Harness, accountId: number): Promise<number> {
  const r = await sql<{ summarised_to: string }>`
    select summarised_to::text from call_hours_marks where account_id = ${accountId}
  `.execute(harness.ctx.db);
  return Number(r.rows[0]?.summarised_to ?? 0);
}

async function maxCallId(harness: Harness, accountId: number): Promise<number> {
  const r = await sql<{
    id: string;
  }>`select max(id)::text as id from calls where account_id = ${accountId}`.execute(harness.ctx.db);
  return Number(r.rows[0]!.id);
}

/**
 * Runs the job until the account's mark reaches its newest call. On a PostgreSQL server other databases'
 * transactions (other test files) can be in flight, and the mark only moves past ids whose transactions
 * could all have ended: a few runs, as the scheduler would make a minute apart.
 */
async function summariseAll(harness: Harness, accountId: number): Promise<number> {
  let summed = 0;
  for (let run = 0; run < 200; run++) {
    summed += await summariseCallHours(harness.ctx);
    if ((await mark(harness, accountId)) === (await maxCallId(harness, accountId))) return summed;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('the mark never reached the newest call');
}

describe('the overview call charts (call_hours)', () => {
  it('equal the calls after ingest, late calls and re-rating, before and after the summing job', async () => {
    h.setNow(NOW);
    const { api, id: accountId } = await h.account({ timezone: TZ });
    const card = await makeRateCard(api, 'Standard', true);
    await loadRates(api, card.id, '2026-01-01', RATES);
    const customer = await makeCustomer(api);
    await makeFeature(api, customer.id, { name: 'Main line', phoneNumber: L1 });
    await makeFeature(api, customer.id, { name: 'Sales line', phoneNumber: L2 });

    // Before any run: everything is read live.
    await sendCalls(api, [
      cdr('a1', L1, '442079460000', '2026-03-20T10:00:00Z', 60),
      cdr('a2', L1, '447700900123', '2026-03-20T23:30:00Z', 95), // still 20 March in London (GMT until 29 March)
      cdr('a3', L2, '442079460001', '2026-04-01T23:30:00Z', 30), // 2 April in London (BST)
      cdr('a4', L2, '442079460002', '2026-04-02T09:00:00Z', 0, { status: 'missed' }),
      cdr('a5', L3, '442079460003', '2026-04-03T09:00:00Z', 45), // unallocated: no feature has L3
      cdr('a6', L1, '33140000000', '2026-04-04T09:00:00Z', 60), // unrated: no rate for France
      cdr('old', L1, '442079460000', '2026-02-01T09:00:00Z', 60), // before the 30 days
    ]);
    const first = await expectNoDrift(h, accountId);
    expect(first.byDay.map((d) => d.day)).toEqual(['2026-03-20', '2026-04-02', '2026-04-03', '2026-04-04']);
    expect(first.byDestination.map((d) => d.destination)).toEqual(['UK mobile', 'UK']);

    // The job sums everything in; the charts stay the same, now from call_hours.
    expect(await summariseAll(h, accountId)).toBe(7);
    expect(await mark(h, accountId)).toBe(await maxCallId(h, accountId));
    expect(await charts(h, accountId)).toEqual(await charts(h, accountId));
    await expectNoDrift(h, accountId);
    expect(await summariseCallHours(h.ctx)).toBe(0);

    // Late calls for days already summed: new ids above the mark, read live, then summed in.
    await sendCalls(api, [
      cdr('late1', L1, '442079460000', '2026-03-20T10:30:00Z', 120),
      cdr('late2', L2, '447700900123', '2026-03-25T08:00:00Z', 61),
    ]);
    await expectNoDrift(h, accountId);
    expect(await summariseAll(h, accountId)).toBe(2);
    await expectNoDrift(h, accountId);

    // Re-rating summarised calls: new prices, a new destination name, L3 allocated to a feature, France priced.
    await loadRates(api, card.id, '2026-01-01', [
      { ...RATES[0]!, ratePerMinute: '0.02' },
      { ...RATES[1]!, destination: 'UK mobiles' },
      { prefix: '33', destination: 'France', ratePerMinute: '0.05', costPerMinute: '0.01' },
    ]);
    await makeFeature(api, customer.id, { name: 'Third line', phoneNumber: L3 });
    const rerated = await api.post('/calls/rerate', {});
    expect(rerated.status).toBe(200);
    const after = await expectNoDrift(h, accountId);
    expect(after.byDestination.map((d) => d.destination).sort()).toEqual(['France', 'UK', 'UK mobiles']);
    // The summary rows themselves hold the change (not only the live part): nothing is above the mark.
    expect(await mark(h, accountId)).toBe(await maxCallId(h, accountId));
    expect(await summariseCallHours(h.ctx)).toBe(0);
    await expectNoDrift(h, accountId);

    // Re-rating calls not yet summed (above the mark) leaves call_hours alone; the job then sums them as they are.
    await sendCalls(api, [cdr('late3', L3, '33140000001', '2026-04-05T09:00:00Z', 30)]);
    await loadRates(api, card.id, '2026-01-01', [
      { ...RATES[0]!, ratePerMinute: '0.02' },
      { ...RATES[1]!, destination: 'UK mobiles' },
      { prefix: '33', destination: 'France', ratePerMinute: '0.07', costPerMinute: '0.01' },
    ]);
    expect((await api.post('/calls/rerate', { from: '2026-04-01' })).status).toBe(200);
    await expectNoDrift(h, accountId);
    expect(await summariseAll(h, accountId)).toBe(1);
    await expectNoDrift(h, accountId);
    h.setNow(undefined);
  });

  it.skipIf(process.env.RINGBILL_TEST_DB !== 'postgres')(
    'never skip a call committed after the job ran under a lower id than calls it summed',
    async () => {
      h.setNow(NOW);
      const { api, id: accountId } = await h.account({ timezone: TZ });
      const card = await makeRateCard(api, 'Standard', true);
      await loadRates(api, card.id, '2026-01-01', RATES);
      const customer = await makeCustomer(api);
      await makeFeature(api, customer.id, { name: 'Main line', phoneNumber: L1 });
      await sendCalls(api, [cdr('b1', L1, '442079460000', '2026-04-01T10:00:00Z', 60)]);
      expect(await summariseAll(h, accountId)).toBe(1);
      const b1 = await maxCallId(h, accountId);

      // A transaction takes an id and stays open while a later call (a higher id) is committed and the job runs.
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let inserted!: () => void;
      const insertedYet = new Promise<void>((resolve) => (inserted = resolve));
      const slow = h.ctx.db.transaction().execute(async (trx) => {
        await sql`
          insert into calls (account_id, source_call_id, complete_call_id, from_number, to_number, start_time, duration_s,
                             status, direction, customer_id, feature_id, rating_status, destination, billable_s, charge, cost)
          select account_id, 'slow', gen_random_uuid(), from_number, to_number, start_time - interval '1 day', duration_s,
                 status, direction, customer_id, feature_id, rating_status, destination, billable_s, charge, cost
          from calls where account_id = ${accountId} and source_call_id = 'b1'
        `.execute(trx);
        inserted();
        await held;
      });
      await insertedYet;
      await sendCalls(api, [cdr('b2', L1, '447700900123', '2026-04-02T10:00:00Z', 30)]);
      // b2 is committed under a higher id than the open transaction's call: the mark stays where it was.
      expect(await maxCallId(h, accountId)).toBeGreaterThan(b1 + 1);
      expect(await summariseCallHours(h.ctx)).toBe(0);
      expect(await mark(h, accountId)).toBe(b1);
      await expectNoDrift(h, accountId);
      release();
      await slow;
      await expectNoDrift(h, accountId);
      // Once the transaction has ended, the next runs sum both calls in.
      expect(await summariseAll(h, accountId)).toBe(2);
      await expectNoDrift(h, accountId);
      h.setNow(undefined);
    },
  );
});

describe('the overview revenue and collections charts', () => {
  it('equal the invoices after approvals, payments and a refund', async () => {
    h.setNow(new Date('2026-06-15T12:00:00.000Z'));
    const { api, id: accountId } = await h.account({ timezone: TZ });
    const direct = async (today: string) => {
      const months = await sql<{ month: string; net: string; vat: string }>`
        select to_char(invoice_date, 'YYYY-MM') as month, sum(invoice_amount)::numeric(24,6)::text as net,
               sum(invoice_vat)::numeric(24,6)::text as vat
        from invoices where account_id = ${accountId} and approved_at is not null and invoice_date >= '2025-07-01'
        group by 1 order by 1
      `.execute(h.ctx.db);
      const c = await sql<{ paid: string; outstanding: string; overdue: string; overdue_count: string }>`
        select coalesce(sum(paid_amount), 0)::numeric(24,6)::text as paid,
               coalesce(sum(total - paid_amount) filter (where total > paid_amount and (due_date is null or due_date >= ${today}::date)), 0)::numeric(24,6)::text as outstanding,
               coalesce(sum(total - paid_amount) filter (where total > paid_amount and due_date < ${today}::date), 0)::numeric(24,6)::text as overdue,
               count(*) filter (where total > paid_amount and due_date < ${today}::date)::text as overdue_count
        from invoices where account_id = ${accountId} and approved_at is not null
      `.execute(h.ctx.db);
      return {
        months: months.rows,
        collections: { ...c.rows[0]!, overdue_count: Number(c.rows[0]!.overdue_count) },
      };
    };
    const read = async (today: string) => {
      const six = (x: string) => Number(x).toFixed(6);
      const months = (await revenueByMonth(h.ctx.db, accountId, '2025-07-01')).map((m) => ({
        month: m.month,
        net: six(m.net),
        vat: six(m.vat),
      }));
      const c = await collectionTotals(h.ctx.db, accountId, today);
      return {
        months,
        collections: { ...c, paid: six(c.paid), outstanding: six(c.outstanding), overdue: six(c.overdue) },
      };
    };
    const expectSame = async (today: string) => {
      const want = await direct(today);
      expect(await read(today)).toEqual(want);
      return want;
    };

    // Three customers, invoices in April and May (20% VAT), each approved on its own date.
    const invoices: { id: string }[] = [];
    for (const [i, value, date, cutoff] of [
      [1, '100.00', '2026-04-10', '2026-04-11'],
      [2, '250.50', '2026-04-20', '2026-04-21'],
      [3, '80.25', '2026-05-05', '2026-05-06'],
    ] as const) {
      const c = await makeCustomer(api, { name: `Customer ${i}`, accountNumber: `OV${i}` });
      await post(api, `/customers/${c.id}/transactions`, {
        transactionType: 'oneOff',
        transactionValue: value,
        transactionVATRate: '20',
        transactionDate: date,
      });
      const invoice = await post(api, `/customers/${c.id}/invoices`, { cutoffDate: cutoff });
      await expectSame('2026-06-15'); // an unsent invoice counts nowhere
      const raised = await approve(api, invoice.id, { invoiceDate: date });
      invoices.push({ id: raised.id });
    }
    const raised = await expectSame('2026-06-15');
    expect(raised.months.map((m) => m.month)).toEqual(['2026-04', '2026-05']);

    // One paid in full, one in part; then part of the full payment refunded.
    const full = await api.post(`/invoices/${invoices[0]!.id}/payments`, { amount: '120.00' });
    expect(full.status, full.text).toBe(201);
    const part = await api.post(`/invoices/${invoices[1]!.id}/payments`, { amount: '100.00' });
    expect(part.status, part.text).toBe(201);
    await expectSame('2026-06-15');
    const refund = await api.post(`/payments/${full.body.payment.id}/refunds`, { amount: '20.00' });
    expect(refund.status, refund.text).toBe(201);
    const after = await expectSame('2026-06-15');
    expect(Number(after.collections.paid)).toBeCloseTo(120 - 20 + 100, 6);
    // Another day moves invoices from outstanding to overdue; the figures follow.
    expect((await expectSame('2026-04-01')).collections.overdue_count).toBe(0);
    expect((await expectSame('2027-01-01')).collections.overdue_count).toBe(3); // the refunded one is unpaid again
    h.setNow(undefined);
  });
});
