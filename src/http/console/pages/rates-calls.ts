// Rate cards and calls. Rate cards: list, new card, upload a CSV (the CLI's import, with its report:
// rates taken, refused rows with line and reason), browse a card's rates by prefix or destination with
// bands and dates, set the default. Calls: search by number, customer, dates, status and rating status; a
// call's page with its rating; the rating-problems queue grouped by reason with "rerate" for a date range;
// upload a CDR file (progress bar from console.js, then the import report).
import { Readable } from 'node:stream';
import { KeyLevel } from '../../../api-keys/levels.ts';
import { findCall } from '../../../calls/repo.ts';
import { callRows, listCallEvents } from '../../../feed/repo.ts';
import { importCallStream } from '../../../calls/import-calls.ts';
import { rerateCalls } from '../../../invoices/rerate.ts';
import { CALL_FILE_FORMATS } from '../../../calls/formats/record.ts';
import { CALL_SORTS, ratingProblems, searchCalls } from '../../../calls/reports-repo.ts';
import { pageOffset, parseSort } from '../../../shared/sorting.ts';
import { importRates } from '../../../rate-cards/import-rates.ts';
import { createRateCard, updateRateCard } from '../../../rate-cards/manage-rate-cards.ts';
import { parseRatesCsv } from '../../../rate-cards/rate-csv.ts';
import { findRateCard, listRateCards, listRates } from '../../../rate-cards/repo.ts';
import { addDays, isIsoDate, startOfDayInZone, dateInZone, wallTimeInZone } from '../../../shared/dates.ts';
import { DomainError, invalid, notFound } from '../../../shared/errors.ts';
import { accountToday } from '../../../shared/today.ts';
import { pathId } from '../../kit/route-helpers.ts';
import type { ZodApp } from '../../kit/app-type.ts';
import { formField, idParams, messagesQuery, pageQuery, uploadBody } from '../../kit/form.ts';
import { z } from 'zod';
import { secure } from '../../kit/page.ts';
import {
  actionButton,
  csrfField,
  errorBox,
  h,
  listQuery,
  okBox,
  pageLinks,
  pager,
  sortColumn,
  table,
  when,
} from '../html.ts';
import type { ConsoleKit, Me } from '../kit.ts';
import { cursor } from './customers.ts';
import { fmt } from './overview.ts';

const PAGE = 50;
const MAX_PASTE = 60 * 1024;

function reportHtml(title: string, lines: string[], rejected: { line: number; reason: string }[]): string {
  return `<div class="alert ${rejected.length ? 'error' : 'ok'}" role="status" data-report><strong>${h(title)}</strong><ul>${lines.map((l) => `<li>${h(l)}</li>`).join('')}</ul>${
    rejected.length
      ? table(
          'Refused rows',
          [{ title: 'Line', amount: true }, { title: 'Reason' }],
          rejected.slice(0, 100).map((r) => [String(r.line), h(r.reason)]),
          '',
        ) + (rejected.length > 100 ? `<p class="muted">… and ${rejected.length - 100} more.</p>` : '')
      : ''
  }</div>`;
}

export function ratesAndCallsPages(app: ZodApp, kit: ConsoleKit): void {
  const { ctx } = kit;

  /** An upload's text: the raw body (console.js sends the file) or the pasted text of the plain form. */
  const uploadText = (body: string | { csv?: string | undefined }): string => {
    if (typeof body === 'string') return body;
    const pasted = body.csv ?? '';
    if (pasted.trim() === '') throw invalid('file', 'choose a CSV file or paste its rows');
    return pasted;
  };
  /** The answer to an upload: the report alone for console.js, the page for a plain form post. */
  const uploadAnswer = (
    request: { headers: Record<string, unknown> },
    reply: Parameters<ConsoleKit['page']>[0],
    m: Me,
    title: string,
    report: string,
    back: string,
  ) =>
    request.headers['hx-request']
      ? secure(reply).type('text/html; charset=utf-8').send(report)
      : kit.page(reply, m, {
          title,
          page: back.includes('rate') ? 'rates' : 'calls',
          body: `<h1>${h(title)}</h1>${report}<p><a class="button" href="${h(back)}">Back</a></p>`,
        });

  app.get(
    '/console/rate-cards',
    { schema: { hide: true, querystring: messagesQuery } },
    async (request, reply) => {
      const m = await kit.me(request, reply);
      if (!m) return reply;
      const q = request.query;
      const cards = await listRateCards(ctx.db, m.accountId, { limit: 500 });
      const may = kit.may(m, KeyLevel.invoices);
      const upload = may
        ? `<section class="card"><h2>Upload rates</h2><form method="post" action="/console/rate-cards/upload" data-upload="rates-report">${csrfField(m.csrf)}
<div class="filters"><div><label for="card-name">Rate card (made if new)</label><input id="card-name" name="rateCard" required maxlength="200" list="card-names" value="${h(cards.rows.find((c) => c.is_default)?.name ?? '')}"><datalist id="card-names">${cards.rows.map((c) => `<option value="${h(c.name)}">`).join('')}</datalist></div>
<div><label for="effective">Effective from</label><input id="effective" name="effectiveFrom" type="date" aria-describedby="effective-note"><p class="muted" id="effective-note">Empty: as <code>ringbill import rates</code>, a new card's first rates apply from the start of time (earlier calls are priced too), later uploads from today.</p></div>
<div><label><input type="checkbox" name="makeDefault" value="1"${cards.rows.length === 0 ? ' checked' : ''}> Make it the default</label></div></div>
<label for="rates-file">CSV file: prefix, destination, rate_per_minute, connection_fee, minimum_charge, initial_increment_s, subsequent_increment_s[, band, cost_per_minute]</label><input id="rates-file" name="file" type="file" accept=".csv,text/csv">
<label for="rates-csv">Or paste the rows</label><textarea id="rates-csv" name="csv" maxlength="${MAX_PASTE}"></textarea>
<progress hidden max="100" value="0" aria-label="Upload progress"></progress><button type="submit">Upload rates</button></form><div id="rates-report" tabindex="-1"></div></section>`
        : '';
      return kit.page(reply, m, {
        title: 'Rate cards',
        page: 'rates',
        body: `<h1>Rate cards</h1>${errorBox(q.error)}${okBox(q.ok)}${upload}
<section class="card"><h2>Rate cards</h2>${table(
          'Rate cards',
          [{ title: 'Name' }, { title: 'Default' }, { title: 'Updated' }, { title: '' }],
          cards.rows.map((c) => [
            `<a href="/console/rate-cards/${c.id}">${h(c.name)}</a>`,
            c.is_default ? '<span class="badge good">default</span>' : '',
            h(dateInZone(c.updated_at, m.account.timezone)),
            may && !c.is_default
              ? actionButton(`/console/rate-cards/${c.id}/default`, `Make ${c.name} the default`, m.csrf, {
                  secondary: true,
                })
              : '',
          ]),
          'No rate cards yet. Upload a CSV of rates above; calls are priced with the default card.',
        )}</section>`,
      });
    },
  );

  // The file as the body (text/csv, from console.js, with the fields in the query string), or the plain form.
  const rateFields = { rateCard: formField, effectiveFrom: formField, makeDefault: formField };
  const RatesUpload = {
    hide: true,
    querystring: z.object(rateFields),
    body: uploadBody({ ...rateFields, csv: formField }),
  };
  app.post('/console/rate-cards/upload', { schema: RatesUpload }, async (request, reply) => {
    const m = await kit.me(request, reply);
    if (!m) return reply;
    kit.need(m, KeyLevel.invoices);
    // From console.js the fields come in the query string and the file as the body.
    const fields = {
      ...request.query,
      ...(typeof request.body === 'object' ? request.body : {}),
    };
    let report: string;
    try {
      const name = String(fields.rateCard ?? '').trim();
      if (!name) throw invalid('rateCard', 'is required');
      const rows = parseRatesCsv(uploadText(request.body));
      const result = await importRates(ctx, m.accountId, { name }, rows, {
        effectiveFrom: fields.effectiveFrom || undefined,
        makeDefault: fields.makeDefault === '1',
        source: 'console upload',
      });
      const waiting = await rerateCalls(ctx, m.accountId, { onlyWaiting: true });
      await kit.audit(m, request.ip, {
        action: 'importRates',
        resource: 'rateCards',
        resourceId: result.rateCard.id,
        changes: {
          imported: result.imported,
          refused: result.rejected.length,
          effectiveFrom: result.effectiveFrom,
        },
      });
      report = reportHtml(
        `Rate card ${result.rateCard.name}: ${result.imported} rates taken from ${result.effectiveFrom ?? 'the start of time'}, ${result.rejected.length} refused.`,
        [`${waiting.rated} waiting calls priced now.`],
        result.rejected,
      );
    } catch (error) {
      if (!(error instanceof DomainError) || error.code === 'forbidden') throw error;
      report = `<div class="alert error" role="alert" data-report>${h(error.message)}</div>`;
    }
    return uploadAnswer(request, reply, m, 'Rate upload', report, '/console/rate-cards');
  });

  kit.action('/console/rate-cards/:id/default', KeyLevel.invoices, async (m, _b, p) => {
    const id = pathId(p.id!, 'Rate card');
    const card = await updateRateCard(ctx, m.accountId, id, { isDefault: true });
    return {
      redirect: '/console/rate-cards',
      message: `${card.name} is now the default rate card`,
      audit: {
        action: 'update',
        resource: 'rateCards',
        resourceId: id,
        changes: { isDefault: { from: false, to: true } },
      },
    };
  });

  kit.action(
    '/console/rate-cards',
    KeyLevel.invoices,
    async (m, b) => {
      const card = await createRateCard(ctx, m.accountId, {
        name: String(b.name ?? ''),
        isDefault: b.isDefault === '1',
      });
      return {
        redirect: `/console/rate-cards/${card.id}`,
        message: 'Rate card created',
        audit: { action: 'create', resource: 'rateCards', resourceId: card.id, changes: { name: card.name } },
      };
    },
    () => '/console/rate-cards',
  );

  const RatesQuery = pageQuery({
    prefix: formField,
    on: formField,
    after: formField,
    destination: formField,
  });
  app.get(
    '/console/rate-cards/:id',
    { schema: { hide: true, params: idParams, querystring: RatesQuery } },
    async (request, reply) => {
      const m = await kit.me(request, reply);
      if (!m) return reply;
      const id = pathId(request.params.id, 'Rate card');
      const card = await findRateCard(ctx.db, m.accountId, id);
      if (!card) throw notFound('Rate card', id);
      const q = request.query;
      const prefix = (q.prefix ?? '').replace(/\D/g, '').slice(0, 20) || undefined;
      const on = q.on && isIsoDate(q.on) ? q.on : undefined;
      const page = await listRates(
        ctx.db,
        m.accountId,
        id,
        { prefix, on },
        { after: cursor(q.after), limit: 100 },
      );
      const destination = (q.destination ?? '').trim().toLowerCase();
      const rows = destination
        ? page.rows.filter((r) => r.destination.toLowerCase().includes(destination))
        : page.rows;
      const keep = Object.fromEntries(
        Object.entries({ prefix: q.prefix ?? '', on: q.on ?? '', destination: q.destination ?? '' }).filter(
          ([, v]) => v,
        ),
      );
      return kit.page(reply, m, {
        title: card.name,
        page: 'rates',
        body: `<p><a href="/console/rate-cards">Rate cards</a></p><h1>${h(card.name)} ${card.is_default ? '<span class="badge good">default</span>' : ''}</h1>
<section class="card"><form method="get" action="/console/rate-cards/${id}" class="filters"><div><label for="prefix">Prefix starts with</label><input id="prefix" name="prefix" inputmode="numeric" value="${h(q.prefix)}" maxlength="20"></div><div><label for="destination">Destination contains (this page)</label><input id="destination" name="destination" value="${h(q.destination)}" maxlength="100"></div><div><label for="on">In effect on</label><input id="on" name="on" type="date" value="${h(q.on)}"></div><div><button type="submit">Show rates</button></div></form></section>
<section class="card">${table(
          `Rates of ${card.name}`,
          [
            { title: 'Prefix' },
            { title: 'Destination' },
            { title: 'Band' },
            { title: 'Per minute', amount: true },
            { title: 'Connection', amount: true },
            { title: 'Minimum', amount: true },
            { title: 'Increments' },
            { title: 'Cost/min', amount: true },
            { title: 'From' },
            { title: 'To' },
          ],
          rows.map((r) => [
            h(r.prefix),
            h(r.destination),
            h(String(r.band)),
            h(r.rate_per_minute),
            h(r.connection_fee),
            h(r.minimum_charge),
            `${r.initial_increment_s}/${r.subsequent_increment_s}`,
            h(r.cost_per_minute ?? ''),
            h(r.effective_from),
            h(r.effective_to ?? ''),
          ]),
          'No rates match. Upload a CSV on the Rate cards page.',
        )}${pager({ next: page.nextAfter === undefined ? undefined : `/console/rate-cards/${id}?${new URLSearchParams({ ...keep, after: String(page.nextAfter) })}` })}</section>`,
      });
    },
  );

  // ---- calls

  const CallsQuery = pageQuery({
    number: formField,
    customer: formField,
    from: formField,
    to: formField,
    status: formField,
    ratingStatus: formField,
    before: formField,
    sort: formField,
    page: formField,
  });
  app.get('/console/calls', { schema: { hide: true, querystring: CallsQuery } }, async (request, reply) => {
    const m = await kit.me(request, reply);
    if (!m) return reply;
    const q = request.query;
    const tz = m.account.timezone;
    // "Number contains" cannot use an index: without dates or a customer it looks at the last 30 days
    // (the start-time index bounds the scan), so a search stays fast on millions of calls.
    const recentOnly =
      (q.number ?? '').replace(/\D/g, '') !== '' && !(q.from && isIsoDate(q.from)) && !cursor(q.customer);
    // Sorted by a column: offset pages; else newest first, before the last id shown.
    const sort = q.sort ? parseSort(q.sort, CALL_SORTS, { key: 'start', dir: 'desc' }) : undefined;
    const { page: pageNo, offset } = pageOffset(q.page, PAGE);
    const rows = await searchCalls(ctx.db, m.accountId, {
      number: q.number?.slice(0, 20),
      customerId: cursor(q.customer),
      from:
        q.from && isIsoDate(q.from)
          ? startOfDayInZone(q.from, tz)
          : recentOnly
            ? startOfDayInZone(addDays(accountToday(m.account, ctx.now()), -29), tz)
            : undefined,
      to: q.to && isIsoDate(q.to) ? startOfDayInZone(addDays(q.to, 1), tz) : undefined,
      status: ['completed', 'missed', 'busy', 'failed'].includes(q.status ?? '') ? q.status : undefined,
      ratingStatus: ['rated', 'free', 'unrated', 'unallocated', 'internal'].includes(q.ratingStatus ?? '')
        ? q.ratingStatus
        : undefined,
      ...(sort ? { sort, offset } : { before: cursor(q.before) }),
      limit: PAGE,
    });
    const shown = rows.slice(0, PAGE);
    const keep = listQuery(q);
    const col = (title: string, key: keyof typeof CALL_SORTS, amount = false) =>
      sortColumn(title, key, sort ?? { key: '', dir: 'asc' }, '/console/calls', keep, amount);
    const problems = await ratingProblems(ctx.db, m.accountId);
    const may = kit.may(m, KeyLevel.invoices);
    const sel = (name: 'status' | 'ratingStatus', label: string, values: string[]) =>
      `<div><label for="${name}">${label}</label><select id="${name}" name="${name}"><option value="">Any</option>${values.map((v) => `<option${q[name] === v ? ' selected' : ''}>${v}</option>`).join('')}</select></div>`;
    const upload = may
      ? `<section class="card"><h2>Upload a CDR file</h2><form method="post" action="/console/calls/upload" data-upload="calls-report">${csrfField(m.csrf)}
<div class="filters"><div><label for="format">Format</label><select id="format" name="format">${CALL_FILE_FORMATS.map((f) => `<option value="${f}"${f === 'auto' ? ' selected' : ''}>${f === 'auto' ? 'Detect' : f}</option>`).join('')}</select></div></div>
<label for="calls-file">CDR file</label><input id="calls-file" name="file" type="file" accept=".csv,.json,.txt,text/csv">
<label for="calls-csv">Or paste the rows</label><textarea id="calls-csv" name="csv" maxlength="${MAX_PASTE}"></textarea>
<progress hidden max="100" value="0" aria-label="Upload progress"></progress><button type="submit">Upload calls</button></form><div id="calls-report" tabindex="-1"></div></section>`
      : '';
    const rerate = may
      ? `<form method="post" action="/console/calls/rerate" class="filters">${csrfField(m.csrf)}<div><label for="rr-from">Rerate calls from</label><input id="rr-from" name="from" type="date"></div><div><label for="rr-to">to</label><input id="rr-to" name="to" type="date"></div><div><label><input type="checkbox" name="onlyWaiting" value="1" checked> Only unrated and unallocated</label></div><div><button type="submit">Rerate</button></div></form>`
      : '';
    return kit.page(reply, m, {
      title: 'Calls',
      page: 'calls',
      body: `<h1>Calls</h1>${errorBox(q.error)}${okBox(q.ok)}
<section class="card"><form method="get" action="/console/calls" class="filters">${q.sort ? `<input type="hidden" name="sort" value="${h(q.sort)}">` : ''}
<div><label for="number">Number contains</label><input id="number" name="number" inputmode="tel" value="${h(q.number)}" maxlength="20"></div>
<div><label for="customer">Customer id</label><input id="customer" name="customer" inputmode="numeric" value="${h(q.customer)}" maxlength="15"></div>
<div><label for="from">From</label><input id="from" name="from" type="date" value="${h(q.from)}"></div><div><label for="to">To</label><input id="to" name="to" type="date" value="${h(q.to)}"></div>
${sel('status', 'Status', ['completed', 'missed', 'busy', 'failed'])}${sel('ratingStatus', 'Rating', ['rated', 'free', 'unrated', 'unallocated', 'internal'])}
<div><button type="submit">Search</button></div></form>${recentOnly ? '<p class="muted">A number search looks at the last 30 days: give dates or a customer to look further back.</p>' : ''}</section>
<section class="card">${table(
        'Calls',
        [
          col('Start', 'start'),
          col('From', 'from'),
          col('To', 'to'),
          col('Seconds', 'seconds', true),
          col('Status', 'status'),
          col('Rating', 'rating'),
          col('Destination', 'destination'),
          col('Charge', 'charge', true),
        ],
        shown.map((c) => [
          `<a href="/console/calls/${c.id}">${when(c.start_time, m.account.timezone)}</a>`,
          h(c.from_number),
          h(c.to_number),
          String(c.duration_s),
          h(c.status),
          h(c.rating_status),
          h(c.destination),
          h(c.charge === null ? '' : fmt(c.charge, m.account.currency)),
        ]),
        Object.keys(keep).length
          ? 'No calls match this search.'
          : 'No calls yet. Upload a CDR file below, or send calls to POST /backend/api/v1/calls.',
      )}${sort ? pageLinks('/console/calls', keep, pageNo, rows.length > PAGE) : pager({ next: rows.length > PAGE ? `/console/calls?${new URLSearchParams({ ...keep, before: String(shown.at(-1)!.id) })}` : undefined })}</section>
<section class="card" id="problems"><h2>Rating problems</h2>${table(
        'Unrated and unallocated calls by reason',
        [
          { title: 'Status' },
          { title: 'Reason' },
          { title: 'Calls', amount: true },
          { title: 'First' },
          { title: 'Last' },
        ],
        problems.map((p) => [
          `<a href="/console/calls?ratingStatus=${p.rating_status}">${h(p.rating_status)}</a>`,
          `${h(p.reason)}${p.example !== null && p.example !== p.reason ? `<div class="muted">e.g. ${h(p.example)}</div>` : ''}`,
          String(p.calls),
          h(dateInZone(p.first, m.account.timezone)),
          h(dateInZone(p.last, m.account.timezone)),
        ]),
        'Every call is priced.',
      )}${rerate}</section>
${upload}`,
    });
  });

  const CallsUpload = {
    hide: true,
    querystring: z.object({ format: formField }),
    body: uploadBody({ format: formField, csv: formField }),
  };
  app.post(
    '/console/calls/upload',
    { schema: CallsUpload, config: { unitOfWork: false } },
    async (request, reply) => {
      const m = await kit.me(request, reply);
      if (!m) return reply;
      kit.need(m, KeyLevel.invoices);
      const fields = {
        ...request.query,
        ...(typeof request.body === 'object' ? request.body : {}),
      };
      let report: string;
      try {
        const text = uploadText(request.body);
        const format = fields.format || 'auto';
        const source = 'console upload';
        // The import commits batch by batch as it goes (no unit of work on this route): its entry is written
        // with the first calls it stores (src/calls/ingest.ts).
        const s = await importCallStream(
          ctx,
          m.accountId,
          Readable.from([Buffer.from(text, 'utf8')]) as AsyncIterable<Buffer>,
          {
            format,
            source,
            sizeBytes: Buffer.byteLength(text),
            audit: kit.auditOf(m, request, {
              action: 'importCalls',
              resource: 'calls',
              changes: { format, source, sizeBytes: Buffer.byteLength(text) },
            }),
          },
        );
        report = reportHtml(
          `${s.inserted} calls stored from ${s.received} records (${s.formatDetail}).`,
          [
            `${s.duplicates} already stored`,
            `${s.rated} rated, ${s.free} free, ${s.unrated} unrated, ${s.unallocated} unallocated`,
            `${s.rejected} refused`,
            `Charges: ${s.chargeTotal}`,
          ],
          s.rejections,
        );
      } catch (error) {
        if (!(error instanceof DomainError) || error.code === 'forbidden') throw error;
        report = `<div class="alert error" role="alert" data-report>${h(error.message)}</div>`;
      }
      return uploadAnswer(request, reply, m, 'Call upload', report, '/console/calls');
    },
  );

  kit.action(
    '/console/calls/rerate',
    KeyLevel.invoices,
    async (m, b) => {
      const from = b.from && isIsoDate(b.from) ? b.from : undefined;
      const to = b.to && isIsoDate(b.to) ? b.to : undefined;
      const s = await rerateCalls(ctx, m.accountId, { from, to, onlyWaiting: b.onlyWaiting === '1' });
      return {
        redirect: '/console/calls#problems',
        message: `${s.calls} calls rerated: ${s.rated} rated, ${s.unrated} unrated, ${s.unallocated} unallocated, ${s.changed} changed`,
        audit: {
          action: 'rerate',
          resource: 'calls',
          changes: { from: from ?? null, to: to ?? null, calls: s.calls, changed: s.changed },
        },
      };
    },
    () => '/console/calls#problems',
  );

  app.get<{ Params: { id: string } }>(
    '/console/calls/:id',
    { schema: { hide: true } },
    async (request, reply) => {
      const m = await kit.me(request, reply);
      if (!m) return reply;
      const id = pathId(request.params.id, 'Call');
      const c = await findCall(ctx.db, m.accountId, id);
      if (!c) throw notFound('Call', id);
      const cur = m.account.currency;
      const [feedRows, events] = await Promise.all([
        callRows(ctx.db, m.accountId, id),
        listCallEvents(ctx.db, m.accountId, id),
      ]);
      const row = (label: string, value: string | number | null | undefined) =>
        `<dt>${h(label)}</dt><dd>${h(value ?? '')}</dd>`;
      return kit.page(reply, m, {
        title: `Call ${id}`,
        page: 'calls',
        body: `<p><a href="/console/calls">Calls</a></p><h1>Call ${id}</h1><div class="grid">
<section class="card"><h2>Call</h2><dl>${row('Call id', c.source_call_id)}${row('From', c.from_number)}${row('To', c.to_number)}${row('Direction', c.direction)}${row('Start', wallTimeInZone(c.start_time, m.account.timezone, true))}${row('Duration (s)', c.duration_s)}${row('Status', c.status)}${row('Carrier', c.carrier)}</dl></section>
<section class="card"><h2>Rating</h2><dl>${row('Rating status', c.rating_status)}${c.rating_error ? row('Problem', c.rating_error) : ''}${row('Destination', c.destination)}${row('Band', c.band)}${row('Rate id', c.rate_id)}${row('Billable seconds', c.billable_s)}${row('Charge', c.charge === null ? null : fmt(c.charge, cur))}${row('Cost', c.cost === null ? null : fmt(c.cost, cur))}${row('Rated', c.rated_at?.toISOString().slice(0, 19).replace('T', ' '))}</dl>
${c.customer_id ? `<p><a href="/console/customers/${c.customer_id}">Customer</a></p>` : ''}${c.invoice_id ? `<p><a href="/console/invoices/${c.invoice_id}">Invoice</a></p>` : ''}</section></div>
<section class="card"><h2>Feed rows</h2>${table(
          'Feed rows of this call',
          [
            { title: 'Transaction' },
            { title: 'Type' },
            { title: 'Corrects' },
            { title: 'Duration', amount: true },
            { title: 'Charge', amount: true },
            { title: 'Written' },
          ],
          feedRows
            .slice(0, 200)
            .map((r) => [
              String(r.transaction_id),
              h(r.transaction_type),
              h(r.corrects_transaction_id ?? ''),
              h(r.duration_s ?? ''),
              h(r.payin === null ? '' : fmt(r.payin, cur)),
              when(r.created_at, m.account.timezone, true),
            ]),
          'No feed rows yet.',
        )}</section>
<section class="card"><h2>Events</h2>${table(
          'Events of this call',
          [{ title: 'Event' }, { title: 'When' }, { title: 'Revenue', amount: true }],
          events
            .slice(0, 200)
            .map((e) => [
              h(e.partner_unique_id),
              when(e.occurred_at, m.account.timezone, true),
              h(e.revenue ?? ''),
            ]),
          'No events for this call.',
        )}</section>`,
      });
    },
  );

  void accountToday;
}
