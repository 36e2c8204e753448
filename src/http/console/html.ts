// The console's page frame: top bar (account, user, sign out), navigation, and the assets it loads from
// this server only (htmx and uPlot from npm, the console's own CSS and script). No inline script; the
// CSRF token rides in a meta tag (for htmx and uploads) and in each form.
import type { ConsoleRole } from '../../console-users/repo.ts';
import { csrfField, h, type Column } from '../kit/html.ts';
import { formatDecimal } from '../../money/money.ts';
import { wallTimeInZone } from '../../shared/dates.ts';

export { csrfField, errorBox, h, money, okBox, table, type Column } from '../kit/html.ts';

export type ConsolePage =
  | 'overview'
  | 'customers'
  | 'invoices'
  | 'billing'
  | 'rates'
  | 'calls'
  | 'collections'
  | 'webhooks'
  | 'audit'
  | 'settings'
  | 'profile';

const NAV: [ConsolePage, string, string][] = [
  ['overview', '/console', 'Overview'],
  ['customers', '/console/customers', 'Customers'],
  ['invoices', '/console/invoices', 'Invoices'],
  ['billing', '/console/billing-runs', 'Billing runs'],
  ['rates', '/console/rate-cards', 'Rate cards'],
  ['calls', '/console/calls', 'Calls'],
  ['collections', '/console/collections', 'Collections'],
  ['webhooks', '/console/webhooks', 'Webhooks'],
  ['audit', '/console/audit', 'Audit log'],
  ['settings', '/console/settings', 'Settings'],
];

export interface ConsoleFrame {
  title: string;
  page?: ConsolePage | undefined;
  user?: { name: string; email: string; role: ConsoleRole } | undefined;
  accountName?: string | undefined;
  csrf?: string | undefined;
  charts?: boolean | undefined;
  /** The account's timezone, in which every time on the page is shown (said once, in the footer). */
  timeZone?: string | undefined;
  body: string;
}

/** A rate (VAT, interest) in its canonical form, as the API and the bill show it: "20", "17.5", never "20.0000". */
export function rate(value: string | null | undefined): string {
  return value === null || value === undefined || value === '' ? '' : formatDecimal(value);
}

/**
 * An instant as the console shows it: the wall-clock time in the account's timezone (the zone the footer
 * names), with the exact instant in the element's `datetime`. Empty for no instant.
 */
export function when(instant: Date | null | undefined, timeZone: string, withSeconds = false): string {
  if (!instant) return '';
  return `<time datetime="${instant.toISOString()}">${h(wallTimeInZone(instant, timeZone, withSeconds))}</time>`;
}

export const ASSET_VERSION = '2';

export function layout(f: ConsoleFrame): string {
  const signedIn = f.user && f.csrf;
  const nav = signedIn
    ? `<nav class="main" aria-label="Console"><ul>${NAV.map(([id, href, label]) => `<li><a href="${href}"${id === f.page ? ' aria-current="page"' : ''}>${label}</a></li>`).join('')}</ul></nav>`
    : '';
  const who = signedIn
    ? `<div class="who"><a href="/console/profile">${h(f.user!.name)}</a><span class="badge">${h(f.user!.role)}</span><form method="post" action="/console/sign-out">${csrfField(f.csrf!)}<button type="submit" class="link">Sign out</button></form></div>`
    : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
${f.csrf ? `<meta name="csrf-token" content="${h(f.csrf)}">` : ''}
<meta name="htmx-config" content='{"includeIndicatorStyles":false,"allowEval":false,"allowScriptTags":false,"selfRequestsOnly":true}'>
<title>${h(f.title)} · Ringbill console</title>
<link rel="stylesheet" href="/console/assets/console.css?v=${ASSET_VERSION}">
${f.charts ? `<link rel="stylesheet" href="/console/assets/uPlot.min.css?v=${ASSET_VERSION}">` : ''}
<script src="/console/assets/htmx.min.js?v=${ASSET_VERSION}" defer></script>
${f.charts ? `<script src="/console/assets/uPlot.iife.min.js?v=${ASSET_VERSION}" defer></script>` : ''}
<script src="/console/assets/console.js?v=${ASSET_VERSION}" defer></script>
</head>
<body>
<a class="skip" href="#content">Skip to content</a>
<header class="top"><div class="brand">Ringbill${f.accountName ? ` · ${h(f.accountName)}` : ''}</div>${who}</header>
${nav}
<main id="content" tabindex="-1">
${f.body}
</main>
<footer>Ringbill operator console${f.timeZone ? ` · times in ${h(f.timeZone)}, the account's timezone` : ''}</footer>
</body>
</html>`;
}

/** Chart data for console.js: JSON in a script element that is never executed (type application/json). */
export function chart(
  id: string,
  label: string,
  spec: {
    xLabel?: string;
    labels: string[];
    series: { label: string; values: number[]; decimals?: number; scale?: string }[];
    bars?: boolean;
  },
  fallback: string,
): string {
  const json = JSON.stringify(spec).replace(/</g, '\\u003c');
  return `<figure class="chart-figure"><div class="chart" id="${h(id)}" role="img" aria-label="${h(label)}"></div><script type="application/json" data-chart="${h(id)}">${json}</script><figcaption class="legend-note">${fallback}</figcaption></figure>`;
}

/** Pagination links. */
export function pager(links: { prev?: string | undefined; next?: string | undefined }): string {
  if (!links.prev && !links.next) return '';
  return `<div class="pager">${links.prev ? `<a class="button secondary" href="${h(links.prev)}">Newer</a>` : ''}${links.next ? `<a class="button secondary" href="${h(links.next)}">Next page</a>` : ''}</div>`;
}

/** A one-button form posting to `action` (shown only to who may use it: the caller decides). */
export function actionButton(
  action: string,
  label: string,
  csrf: string,
  options: { danger?: boolean; secondary?: boolean; fields?: Record<string, string> } = {},
): string {
  const hidden = Object.entries(options.fields ?? {})
    .map(([k, v]) => `<input type="hidden" name="${h(k)}" value="${h(v)}">`)
    .join('');
  return `<form method="post" action="${h(action)}">${csrfField(csrf)}${hidden}<button type="submit"${options.danger ? ' class="danger"' : options.secondary ? ' class="secondary"' : ''}>${h(label)}</button></form>`;
}

/** The query of a list page without the keys that are not filters (messages, paging), for its links. */
export function listQuery(
  q: Readonly<Record<string, string | undefined>>,
  drop: readonly string[] = [],
): Record<string, string> {
  const skip = ['ok', 'error', 'page', 'before', 'after', 'csrf', ...drop];
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(q))
    if (typeof v === 'string' && v !== '' && !skip.includes(k)) out[k] = v;
  return out;
}

/**
 * A sortable column header: its link sorts by `key` (ascending first, then descending), keeps the list's
 * filters and goes back to the first page.
 */
export function sortColumn(
  title: string,
  key: string,
  current: { key: string; dir: 'asc' | 'desc' },
  base: string,
  keep: Record<string, string>,
  amount = false,
): Column {
  const on = current.key === key;
  const next = on && current.dir === 'asc' ? `-${key}` : key;
  return {
    title,
    amount,
    sort: {
      href: `${base}?${new URLSearchParams({ ...keep, sort: next })}`,
      state: on ? (current.dir === 'asc' ? 'ascending' : 'descending') : 'none',
    },
  };
}

/** Previous and next page links of an offset-paged list, keeping its filters and sort. */
export function pageLinks(
  base: string,
  keep: Record<string, string>,
  page: number,
  more: boolean,
  anchor = '',
): string {
  if (page <= 1 && !more) return '';
  const link = (n: number, label: string) =>
    `<a class="button secondary" href="${h(`${base}?${new URLSearchParams({ ...keep, page: String(n) })}${anchor}`)}">${label}</a>`;
  return `<nav class="pager" aria-label="Pages">${page > 1 ? link(page - 1, 'Previous page') : ''}<span class="muted">Page ${page}</span>${more ? link(page + 1, 'Next page') : ''}</nav>`;
}
