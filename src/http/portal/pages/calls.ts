// Calls: search by number and period, newest first, and as CSV.
import { stringify } from 'csv-stringify/sync';
import type { z } from 'zod';
import type { PortalSessionRow } from '../../../portal/repo.ts';
import { portalCalls } from '../../../portal/customer-data.ts';
import { secure } from '../../kit/page.ts';
import type { ZodApp } from '../../kit/app-type.ts';
import { formField } from '../../kit/form.ts';
import { h, layout, table } from '../html.ts';
import { fmt, MAX_CSV, range, RangeQuery, sendPage, type PortalKit } from '../kit.ts';

const CALLS_PAGE = 50;

export function callPages(app: ZodApp, kit: PortalKit): void {
  const { ctx, requireSession, frame } = kit;

  const CallsQuery = RangeQuery.extend({ number: formField, before: formField });
  const callRows = async (
    session: PortalSessionRow,
    q: z.output<typeof CallsQuery>,
    timezone: string,
    limit: number,
  ) =>
    portalCalls(ctx, session, {
      number: q.number?.slice(0, 20),
      ...range(q, timezone),
      after: /^\d{1,15}$/.test(q.before ?? '') ? Number(q.before) : undefined,
      limit,
    });

  app.get('/portal/calls', { schema: { hide: true, querystring: CallsQuery } }, async (request, reply) => {
    const session = await requireSession(request, reply);
    if (!session) return reply;
    const f = await frame(session, 'calls', 'Calls');
    const q = request.query;
    const rows = await callRows(session, q, f.timezone, CALLS_PAGE);
    const more = rows.length > CALLS_PAGE;
    const shown = rows.slice(0, CALLS_PAGE);
    const query = new URLSearchParams(
      Object.entries({ number: q.number ?? '', from: q.from ?? '', to: q.to ?? '' }).filter(
        ([, v]) => v !== '',
      ),
    );
    return sendPage(reply, 200, (nonce) =>
      layout({
        ...f,
        nonce,
        body: `<h1>Calls</h1>
<section class="card"><form method="get" action="/portal/calls"><label for="number">Number contains</label><input id="number" name="number" inputmode="tel" value="${h(q.number)}" maxlength="20">
<div class="row"><div><label for="cfrom">From</label><input id="cfrom" name="from" type="date" value="${h(q.from)}"></div><div><label for="cto">To</label><input id="cto" name="to" type="date" value="${h(q.to)}"></div></div><button type="submit">Search</button></form>
<a class="button" href="/portal/calls.csv?${h(query.toString())}">Download CSV</a></section>
<section class="card">${table(
          'Calls, newest first',
          [
            { title: 'Start' },
            { title: 'Number' },
            { title: 'Destination' },
            { title: 'Seconds', amount: true },
            { title: 'Charge', amount: true },
          ],
          shown.map((c) => [
            h(c.start_time.toISOString().slice(0, 16).replace('T', ' ')),
            h(c.direction === 'outbound' ? c.to_number : c.from_number),
            h(c.destination ?? c.status),
            h(c.duration_s),
            h(c.charge === null ? '' : fmt(c.charge, f.currency)),
          ]),
          'No calls found.',
        )}${more ? `<a class="button" href="/portal/calls?${h(new URLSearchParams([...query, ['before', String(shown.at(-1)!.id)]]).toString())}">Older calls</a>` : ''}</section>`,
      }),
    );
  });

  app.get(
    '/portal/calls.csv',
    { schema: { hide: true, querystring: CallsQuery } },
    async (request, reply) => {
      const session = await requireSession(request, reply);
      if (!session) return reply;
      const f = await frame(session, 'calls', '');
      const rows = (await callRows(session, request.query, f.timezone, MAX_CSV)).slice(0, MAX_CSV);
      const csv = stringify(
        rows.map((c) => [
          c.id,
          c.start_time.toISOString(),
          c.from_number,
          c.to_number,
          c.direction,
          c.duration_s,
          c.status,
          c.destination ?? '',
          c.charge ?? '',
        ]),
        {
          header: true,
          columns: [
            'id',
            'start',
            'from',
            'to',
            'direction',
            'duration_s',
            'status',
            'destination',
            'charge',
          ],
        },
      );
      return secure(reply)
        .type('text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="calls.csv"')
        .send(csv);
    },
  );
}
