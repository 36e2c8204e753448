// Overview: charts (revenue per month, calls and billed minutes per day, margin by destination,
// collections) and the counters that need attention, each linking to the list it counts.
import type { FastifyInstance } from 'fastify';
import { activeAlerts } from '../../../alerts/manage-alerts.ts';
import type { ActiveAlertRow } from '../../../alerts/repo.ts';
import { overview } from '../../../dashboard/overview.ts';
import { currencyMinorDigits, formatAmountAtLeast, money as toMoney } from '../../../money/money.ts';
import { chart, h, money, table, when } from '../html.ts';
import type { ConsoleKit } from '../kit.ts';

export function fmt(value: string, currency: string): string {
  return money(formatAmountAtLeast(toMoney(value).toFixed(), currencyMinorDigits(currency)), currency);
}

/** Alerts listed on the overview (the newest; GET /balanceAlerts/active has them all). */
const SHOWN_ALERTS = 20;

const ALERT_NAMES: Record<ActiveAlertRow['kind'], string> = {
  low_balance: 'Balance below',
  spend_daily: 'Spend today above',
  spend_monthly: 'Spend this month above',
  credit_used: 'Credit used at',
};

/** The balance, spend and credit alerts standing crossed now, customer by customer (prepaid and credit control). */
function alertsSection(alerts: ActiveAlertRow[], currency: string, timeZone: string): string {
  if (alerts.length === 0) return '';
  const threshold = (r: ActiveAlertRow) =>
    r.kind === 'credit_used' ? `${h(r.threshold)}% of the credit limit` : h(fmt(r.threshold, currency));
  return `<section class="card" id="alerts" aria-labelledby="alerts-title"><h2 id="alerts-title">Balance alerts crossed</h2>${table(
    'Balance alerts crossed now',
    [
      { title: 'Customer' },
      { title: 'Alert' },
      { title: 'Value when it fired', amount: true },
      { title: 'Since' },
    ],
    alerts.map((r) => [
      `<a href="/console/customers/${r.customer_id}">${h(r.customer_name)}</a>`,
      `${h(ALERT_NAMES[r.kind])} ${threshold(r)}${r.account_wide ? ' <span class="muted">(account-wide)</span>' : ''}`,
      r.value === null ? '' : h(r.kind === 'credit_used' ? `${r.value}%` : fmt(r.value, currency)),
      when(r.fired_at, timeZone),
    ]),
    '',
  )}</section>`;
}

export function overviewPages(app: FastifyInstance, kit: ConsoleKit): void {
  app.get('/console', { schema: { hide: true } }, async (request, reply) => {
    const m = await kit.me(request, reply);
    if (!m) return reply;
    const [o, alerts] = await Promise.all([
      overview(kit.ctx, m.account),
      activeAlerts(kit.ctx, m.account.id, SHOWN_ALERTS),
    ]);
    const cur = m.account.currency;
    const a = o.attention;
    const counter = (n: number, label: string, href: string) =>
      `<a class="counter${n > 0 ? ' warn' : ''}" href="${href}"><strong>${n}</strong>${h(label)}</a>`;
    const totalCalls = o.calls.reduce((s, d) => s + d.calls, 0);
    const body = `<h1>Overview</h1>
<section aria-label="Needs attention" class="counters">
${counter(a.unrated, 'unrated calls', '/console/calls?ratingStatus=unrated')}
${counter(a.unallocated, 'unallocated calls', '/console/calls?ratingStatus=unallocated')}
${counter(a.failedDeliveries, 'failed webhook deliveries', '/console/webhooks?status=failed')}
${counter(a.emailsRetrying, 'emails waiting out a failure', '/console/collections#outbox')}
${counter(o.collections.overdue_count, 'overdue invoices', '/console/invoices?overdue=1')}
${counter(a.interruptedRuns, 'interrupted billing runs', '/console/billing-runs?status=interrupted')}
${counter(alerts.length, alerts.length === SHOWN_ALERTS ? 'or more balance alerts crossed' : 'balance alerts crossed', '#alerts')}
</section>
${alertsSection(alerts, cur, m.account.timezone)}
<div class="grid">
<section class="card wide"><h2>Billed revenue per month</h2>${chart(
      'chart-revenue',
      'Billed revenue per month for 12 months, net and VAT',
      {
        xLabel: 'Month',
        labels: o.revenue.map((r) => r.month),
        series: [
          { label: 'Net', values: o.revenue.map((r) => Number(r.net)) },
          { label: 'VAT', values: o.revenue.map((r) => Number(r.vat)) },
        ],
        bars: true,
      },
      `Last 12 months of approved invoices: ${h(fmt(o.revenue.reduce((s, r) => s.plus(r.net), toMoney('0')).toFixed(), cur))} net, ${h(fmt(o.revenue.reduce((s, r) => s.plus(r.vat), toMoney('0')).toFixed(), cur))} VAT.`,
    )}</section>
<section class="card"><h2>Calls and billed minutes per day</h2>${chart(
      'chart-calls',
      'Calls and billed minutes per day for 30 days',
      {
        xLabel: 'Day',
        labels: o.calls.map((c) => c.day.slice(5)),
        series: [
          { label: 'Calls', values: o.calls.map((c) => c.calls), decimals: 0 },
          {
            label: 'Billed minutes',
            values: o.calls.map((c) => Math.round(c.billable_s / 6) / 10),
            decimals: 1,
            scale: 'y2',
          },
        ],
      },
      `${totalCalls} calls in the last 30 days.`,
    )}</section>
<section class="card"><h2>Margin by top destinations (30 days)</h2>${
      o.margin.length === 0
        ? '<p class="muted empty">No rated calls in the last 30 days. Upload a CDR file on the Calls page.</p>'
        : chart(
            'chart-margin',
            'Charge against cost by top destinations, last 30 days',
            {
              xLabel: 'Destination',
              labels: o.margin.map((d) => d.destination.slice(0, 14)),
              series: [
                { label: 'Charge', values: o.margin.map((d) => Number(d.charge)) },
                { label: 'Cost', values: o.margin.map((d) => Number(d.cost)) },
              ],
              bars: true,
            },
            '',
          ) +
          table(
            'Margin by destination',
            [
              { title: 'Destination' },
              { title: 'Calls', amount: true },
              { title: 'Charge', amount: true },
              { title: 'Cost', amount: true },
              { title: 'Margin', amount: true },
            ],
            o.margin.map((d) => [
              h(d.destination),
              String(d.calls),
              h(fmt(d.charge, cur)),
              h(fmt(d.cost, cur)),
              h(fmt(toMoney(d.charge).minus(d.cost).toFixed(), cur)),
            ]),
            '',
          )
    }</section>
<section class="card"><h2>Collections</h2>${chart(
      'chart-collections',
      'Collections: paid, outstanding and overdue',
      {
        xLabel: 'Collections',
        labels: ['Paid', 'Outstanding', 'Overdue'],
        series: [
          {
            label: cur,
            values: [
              Number(o.collections.paid),
              Number(o.collections.outstanding),
              Number(o.collections.overdue),
            ],
          },
        ],
        bars: true,
      },
      '',
    )}<dl><dt>Paid</dt><dd data-field="paid">${h(fmt(o.collections.paid, cur))}</dd><dt>Outstanding (not yet due)</dt><dd>${h(fmt(o.collections.outstanding, cur))}</dd><dt>Overdue</dt><dd><a href="/console/invoices?overdue=1">${h(fmt(o.collections.overdue, cur))}</a></dd></dl></section>
</div>`;
    return kit.page(reply, m, { title: 'Overview', page: 'overview', charts: true, body });
  });
}
