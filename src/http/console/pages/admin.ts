// Webhooks and the audit log — the admin side of the console (collections are in collections.ts,
// settings in settings.ts). A new webhook secret is shown once, in the answer to the post that made it, and
// never stored in the page's URL.
import type { FastifyReply } from 'fastify';
import { KeyLevel } from '../../../api-keys/levels.ts';
import { actorLabel, listAuditLog, parseActor } from '../../../audit/list-audit-log.ts';
import { latestFeedRows } from '../../../feed/reports-repo.ts';
import { secure } from '../../kit/page.ts';
import { createWebhookSubscription } from '../../../webhooks/create-subscription.ts';
import { WEBHOOK_EVENT_TYPES } from '../../../webhooks/event-types.ts';
import { findSubscription, listAttempts, listDeliveries, listSubscriptions } from '../../../webhooks/repo.ts';
import { replayWebhookDelivery } from '../../../webhooks/replay-event.ts';
import { rotateWebhookSecret } from '../../../webhooks/rotate-secret.ts';
import { updateWebhookSubscription } from '../../../webhooks/update-subscription.ts';
import { addDays, isIsoDate, startOfDayInZone } from '../../../shared/dates.ts';
import { DomainError, notFound } from '../../../shared/errors.ts';
import { pathId } from '../../kit/route-helpers.ts';
import type { ZodApp } from '../../kit/app-type.ts';
import { formBody, formField, idParams, pageQuery, type PageMessages } from '../../kit/form.ts';
import { actionButton, csrfField, errorBox, h, okBox, pager, table, when } from '../html.ts';
import type { ConsoleKit, Me } from '../kit.ts';
import { cursor } from './customers.ts';
import { fmt } from './overview.ts';

const PAGE = 50;

export function adminPages(app: ZodApp, kit: ConsoleKit): void {
  const { ctx } = kit;
  // ---- webhooks

  const webhooksPage = async (
    reply: FastifyReply,
    m: Me,
    q: PageMessages,
    secret?: { id: number; secret: string },
  ) => {
    const subs = await listSubscriptions(ctx.db, m.accountId, { limit: 100 });
    const may = kit.may(m, KeyLevel.expert);
    const create = may
      ? `<section class="card"><h2>New subscription</h2><form method="post" action="/console/webhooks">${csrfField(m.csrf)}<div class="filters"><div><label for="wh-url">URL (https)</label><input id="wh-url" name="url" type="url" required maxlength="2000" placeholder="https://example.com/ringbill"></div><div><label for="wh-desc">Description</label><input id="wh-desc" name="description" maxlength="200"></div></div>
<fieldset><legend>Events</legend>${WEBHOOK_EVENT_TYPES.map((t) => `<label><input type="checkbox" name="event_${t}" value="1" checked> ${h(t)}</label>`).join('')}</fieldset><button type="submit">Create subscription</button></form></section>`
      : '';
    return kit.page(reply, m, {
      title: 'Webhooks',
      page: 'webhooks',
      body: `<h1>Webhooks</h1>${errorBox(q.error)}${okBox(q.ok)}${
        secret
          ? `<div class="alert ok" role="status">The signing secret of subscription ${secret.id}, shown this once: store it now.<div class="secret" data-field="secret">${h(secret.secret)}</div></div>`
          : ''
      }
<section class="card"><h2>Subscriptions</h2>${table(
        'Webhook subscriptions',
        [{ title: 'URL' }, { title: 'Events' }, { title: 'State' }, { title: '' }],
        subs.rows.map((s) => [
          `<a href="/console/webhooks/${s.id}">${h(s.url)}</a>${s.description ? `<div class="muted">${h(s.description)}</div>` : ''}`,
          h(s.event_types.join(', ')),
          s.enabled ? '<span class="badge good">active</span>' : '<span class="badge bad">paused</span>',
          may
            ? `<div class="actions">${actionButton(`/console/webhooks/${s.id}/${s.enabled ? 'pause' : 'resume'}`, s.enabled ? 'Pause' : 'Resume', m.csrf, { secondary: true })}${actionButton(`/console/webhooks/${s.id}/rotate`, 'Rotate secret', m.csrf, { secondary: true })}</div>`
            : '',
        ]),
        'No subscriptions yet. Add one to receive calls and invoices as signed webhooks.',
      )}</section>${create}
<section class="card"><h2>Feed: newest rows</h2><p class="muted">The call transactions feed (document 000) as a poller reads it; this list refreshes every 5 seconds.</p>${await feedTail(m)}</section>`,
    });
  };

  const feedTail = async (m: Me) => {
    const rows = await latestFeedRows(ctx.db, m.accountId, 15);
    return `<div id="feed-tail" hx-get="/console/webhooks/feed-tail" hx-trigger="every 5s" hx-swap="outerHTML">${table(
      'Newest feed rows',
      [
        { title: 'Transaction' },
        { title: 'Type' },
        { title: 'Call' },
        { title: 'From' },
        { title: 'To' },
        { title: 'Status' },
        { title: 'Charge', amount: true },
      ],
      rows.map((r) => [
        `${r.transaction_id}${r.corrects_transaction_id ? ` <span class="muted">corrects ${r.corrects_transaction_id}</span>` : ''}`,
        h(r.transaction_type),
        `<a href="/console/calls/${r.call_id}">${r.call_id}</a>`,
        h(r.calling_phone_number),
        h(r.destination_phone_number),
        h(r.call_status),
        h(r.payin === null ? '' : fmt(r.payin, m.account.currency)),
      ]),
      'The feed is empty: rows appear as calls complete.',
    )}</div>`;
  };

  app.get('/console/webhooks/feed-tail', { schema: { hide: true } }, async (request, reply) => {
    const m = await kit.me(request, reply);
    if (!m) return reply;
    return secure(reply)
      .type('text/html; charset=utf-8')
      .send(await feedTail(m));
  });

  app.get(
    '/console/webhooks',
    { schema: { hide: true, querystring: pageQuery({ status: formField }) } },
    async (request, reply) => {
      const m = await kit.me(request, reply);
      if (!m) return reply;
      const q = request.query;
      if (q.status === 'failed') {
        // The overview's counter: the failed deliveries of every subscription.
        const subs = await listSubscriptions(ctx.db, m.accountId, { limit: 100 });
        if (subs.rows.length === 1)
          return reply.redirect(`/console/webhooks/${subs.rows[0]!.id}?status=failed`, 303);
      }
      return webhooksPage(reply, m, q);
    },
  );

  app.post('/console/webhooks', { schema: { hide: true, body: formBody } }, async (request, reply) => {
    const m = await kit.me(request, reply);
    if (!m) return reply;
    kit.need(m, KeyLevel.expert);
    const b = request.body;
    try {
      const eventTypes = WEBHOOK_EVENT_TYPES.filter((t) => b[`event_${t}`] === '1');
      const { subscription, secret } = await createWebhookSubscription(ctx, m.accountId, {
        url: String(b.url ?? '').trim(),
        eventTypes,
        description: b.description?.trim() || null,
      });
      await kit.audit(m, request.ip, {
        action: 'create',
        resource: 'webhooks',
        resourceId: subscription.id,
        changes: {
          url: subscription.url,
          eventTypes: subscription.event_types,
        },
      });
      return webhooksPage(reply, m, { ok: 'Subscription created' }, { id: subscription.id, secret });
    } catch (error) {
      if (!(error instanceof DomainError) || error.code === 'forbidden') throw error;
      return webhooksPage(reply.status(400), m, { error: error.message });
    }
  });

  app.post<{ Params: { id: string } }>(
    '/console/webhooks/:id/rotate',
    { schema: { hide: true } },
    async (request, reply) => {
      const m = await kit.me(request, reply);
      if (!m) return reply;
      kit.need(m, KeyLevel.expert);
      const id = pathId(request.params.id, 'Webhook subscription');
      const { secret } = await rotateWebhookSecret(ctx, m.accountId, id);
      await kit.audit(m, request.ip, { action: 'rotateSecret', resource: 'webhooks', resourceId: id });
      return webhooksPage(
        reply,
        m,
        { ok: 'Secret rotated: the old one keeps signing for the grace period' },
        { id, secret },
      );
    },
  );

  for (const [verb, enabled] of [
    ['pause', false],
    ['resume', true],
  ] as const) {
    kit.action(`/console/webhooks/:id/${verb}`, KeyLevel.expert, async (m, _b, p) => {
      const id = pathId(p.id!, 'Webhook subscription');
      await updateWebhookSubscription(ctx, m.accountId, id, { enabled });
      return {
        redirect: '/console/webhooks',
        message: enabled ? 'Subscription resumed' : 'Subscription paused',
        audit: {
          action: 'update',
          resource: 'webhooks',
          resourceId: id,
          changes: { enabled: { from: !enabled, to: enabled } },
        },
      };
    });
  }

  const DeliveriesQuery = pageQuery({ status: formField, after: formField, delivery: formField });
  app.get(
    '/console/webhooks/:id',
    { schema: { hide: true, params: idParams, querystring: DeliveriesQuery } },
    async (request, reply) => {
      const m = await kit.me(request, reply);
      if (!m) return reply;
      const id = pathId(request.params.id, 'Webhook subscription');
      const sub = await findSubscription(ctx.db, m.accountId, id);
      if (!sub) throw notFound('Webhook subscription', id);
      const q = request.query;
      const status = ['pending', 'succeeded', 'failed', 'cancelled'].includes(q.status ?? '')
        ? (q.status as 'failed')
        : undefined;
      const page = await listDeliveries(
        ctx.db,
        m.accountId,
        id,
        { status },
        { after: cursor(q.after), limit: PAGE },
      );
      const open = cursor(q.delivery);
      const attempts = open ? await listAttempts(ctx.db, m.accountId, open) : [];
      const may = kit.may(m, KeyLevel.expert);
      return kit.page(reply, m, {
        title: 'Webhook deliveries',
        page: 'webhooks',
        body: `<p><a href="/console/webhooks">Webhooks</a></p><h1>Deliveries to ${h(sub.url)}</h1>${errorBox(q.error)}${okBox(q.ok)}
<section class="card"><form method="get" action="/console/webhooks/${id}" class="filters"><div><label for="status">Status</label><select id="status" name="status"><option value="">Any</option>${['pending', 'succeeded', 'failed', 'cancelled'].map((s) => `<option${s === status ? ' selected' : ''}>${s}</option>`).join('')}</select></div><div><button type="submit">Filter</button></div></form></section>
<section class="card">${table(
          'Deliveries, oldest first',
          [
            { title: 'Delivery' },
            { title: 'Event' },
            { title: 'Status' },
            { title: 'Attempts', amount: true },
            { title: 'Last answer' },
            { title: '' },
          ],
          page.rows.map((d) => [
            `<a href="/console/webhooks/${id}?delivery=${d.id}#attempts">${d.id}</a>`,
            `${h(d.event_type)} <span class="muted">${h(d.event_public_id)}</span>`,
            h(d.status),
            String(d.attempts),
            h(d.last_response_status ?? ''),
            may
              ? actionButton(`/console/webhooks/${id}/deliveries/${d.id}/replay`, 'Replay', m.csrf, {
                  secondary: true,
                })
              : '',
          ]),
          status
            ? `No ${status} deliveries.`
            : 'Nothing delivered yet: deliveries appear when subscribed events happen.',
        )}${pager({ next: page.nextAfter === undefined ? undefined : `/console/webhooks/${id}?${new URLSearchParams({ ...(status ? { status } : {}), after: String(page.nextAfter) })}` })}</section>
${
  open
    ? `<section class="card" id="attempts"><h2>Attempts of delivery ${open}</h2>${table(
        'Attempts',
        [{ title: 'When' }, { title: 'Answer' }, { title: 'Error' }, { title: 'Milliseconds', amount: true }],
        attempts.map((a) => [
          when(a.attempted_at, m.account.timezone),
          h(a.response_status ?? ''),
          h(a.error ?? ''),
          h(a.duration_ms ?? ''),
        ]),
        'No attempts yet.',
      )}</section>`
    : ''
}`,
      });
    },
  );

  kit.action(
    '/console/webhooks/:id/deliveries/:deliveryId/replay',
    KeyLevel.expert,
    async (m, _b, p) => {
      const id = pathId(p.id!, 'Webhook subscription');
      const deliveryId = pathId(p.deliveryId!, 'Delivery');
      const d = await replayWebhookDelivery(ctx, m.accountId, id, deliveryId);
      return {
        redirect: `/console/webhooks/${id}`,
        message: `Delivery ${deliveryId} replayed as delivery ${d.id}`,
        audit: {
          action: 'replay',
          resource: 'deliveries',
          resourceId: deliveryId,
          changes: { newDelivery: d.id },
        },
      };
    },
    (p) => `/console/webhooks/${p.id}`,
  );

  // ---- audit log

  const AuditQuery = pageQuery({
    actor: formField,
    resource: formField,
    resourceId: formField,
    from: formField,
    to: formField,
    before: formField,
  });
  app.get('/console/audit', { schema: { hide: true, querystring: AuditQuery } }, async (request, reply) => {
    const m = await kit.me(request, reply);
    if (!m) return reply;
    const q = request.query;
    const tz = m.account.timezone;
    let actor = {};
    let error: string | undefined;
    try {
      if (q.actor) actor = parseActor(q.actor);
    } catch (e) {
      error = (e as Error).message;
    }
    if (q.from && q.to && isIsoDate(q.from) && isIsoDate(q.to) && q.to < q.from)
      error = `to: is before from (${q.to} < ${q.from})`;
    const page = await listAuditLog(
      ctx,
      m.accountId,
      {
        resource: q.resource?.trim() || undefined,
        resourceId: q.resourceId?.trim() || undefined,
        ...actor,
        from: q.from && isIsoDate(q.from) ? startOfDayInZone(q.from, tz) : undefined,
        to: q.to && isIsoDate(q.to) ? startOfDayInZone(addDays(q.to, 1), tz) : undefined,
      },
      { after: cursor(q.before), limit: PAGE, order: 'desc' },
    );
    const keep = Object.fromEntries(Object.entries(q).filter(([k, v]) => k !== 'before' && v !== ''));
    return kit.page(reply, m, {
      title: 'Audit log',
      page: 'audit',
      body: `<h1>Audit log</h1>${errorBox(error)}
<section class="card"><form method="get" action="/console/audit" class="filters"><div><label for="resource">Resource</label><input id="resource" name="resource" value="${h(q.resource)}" maxlength="60" placeholder="customers"></div><div><label for="actor">Actor</label><input id="actor" name="actor" value="${h(q.actor)}" maxlength="40" placeholder="user:1, apiKey:2 or system:"></div><div><label for="from">From</label><input id="from" name="from" type="date" value="${h(q.from)}"></div><div><label for="to">To</label><input id="to" name="to" type="date" value="${h(q.to)}"></div><div><button type="submit">Filter</button></div></form></section>
<section class="card">${table(
        'Changes, newest first',
        [
          { title: 'When' },
          { title: 'Who' },
          { title: 'Action' },
          { title: 'Resource' },
          { title: 'From' },
          { title: 'What changed' },
        ],
        page.rows.map((r) => [
          when(r.at, m.account.timezone),
          `${h(actorLabel(r))}${r.actor_name ? `<div class="muted">${h(r.actor_name)}</div>` : ''}`,
          h(r.action),
          `${h(r.resource)} ${h(r.resource_id ?? '')}`,
          `${h(r.surface)} ${h(r.ip ?? '')}`,
          r.changes ? `<code>${h(JSON.stringify(r.changes))}</code>` : '',
        ]),
        Object.keys(keep).length
          ? 'No changes match these filters.'
          : 'No changes yet. Every change made here or through the API is listed.',
      )}${pager({ next: page.nextAfter === undefined ? undefined : `/console/audit?${new URLSearchParams({ ...keep, before: String(page.nextAfter) })}` })}</section>`,
    });
  });
}
