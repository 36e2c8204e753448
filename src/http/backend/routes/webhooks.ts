import { z } from 'zod';
import { KeyLevel } from '../../../api-keys/levels.ts';
import type { Ctx } from '../../../context.ts';
import { invalid, notFound } from '../../../shared/errors.ts';
import { createWebhookSubscription } from '../../../webhooks/create-subscription.ts';
import { deleteWebhookSubscription } from '../../../webhooks/delete-subscription.ts';
import {
  ALL_EVENT_TYPES,
  EVENT_TYPE_DESCRIPTIONS,
  WEBHOOK_EVENT_TYPES,
} from '../../../webhooks/event-types.ts';
import { MAX_SECRET_LENGTH, MIN_SECRET_LENGTH } from '../../../webhooks/input.ts';
import { replayWebhookDelivery, replayWebhookEvent } from '../../../webhooks/replay-event.ts';
import {
  findDelivery,
  findEventByPublicId,
  findSubscription,
  listAttempts,
  listDeliveries,
  listEvents,
  listSubscriptions,
} from '../../../webhooks/repo.ts';
import {
  DEFAULT_GRACE_PERIOD_HOURS,
  MAX_GRACE_PERIOD_HOURS,
  rotateWebhookSecret,
} from '../../../webhooks/rotate-secret.ts';
import { updateWebhookSubscription } from '../../../webhooks/update-subscription.ts';
import { principalOf } from '../../auth.ts';
import type { ZodApp } from '../../kit/app-type.ts';
import { pathId, sendPage } from '../../kit/route-helpers.ts';
import { deletedBody, errorBody, idParams, pageQuery } from '../schemas.ts';
import {
  toWebhookAttemptView,
  toWebhookDeliveryView,
  toWebhookEventView,
  toWebhookView,
  webhookDeliveryDetailView,
  webhookDeliveryView,
  webhookEventView,
  webhookView,
  webhookWithSecretView,
} from '../webhook-views.ts';

const tags = ['Webhooks'];

const eventTypeList = z
  .array(z.string().max(40))
  .max(20)
  .meta({
    description: `Event types to send: any of ${WEBHOOK_EVENT_TYPES.join(', ')}, or ["*"] for all (including types added later)`,
    example: ['invoice.approved', 'invoice.paid'],
  });
const webhookUrl = z.string().max(2048).meta({
  description: 'Where to POST events: an absolute http or https URL',
  example: 'https://example.com/webhooks/ringbill',
});
const description = z.string().max(500).nullish();

// Checked by the use case (checkWebhookSecret), so a bad one gets the same message on POST and PATCH.
const webhookSecret = z
  .string()
  .max(1000)
  .meta({
    description: `A signing secret of your own: ${MIN_SECRET_LENGTH} to ${MAX_SECRET_LENGTH} printable ASCII characters without spaces. Without it one is made (whsec_…)`,
  });

const createBody = z
  .object({
    url: webhookUrl,
    eventTypes: eventTypeList,
    description,
    enabled: z.boolean().optional(),
    secret: webhookSecret.optional(),
  })
  .strict();
const updateBody = z
  .object({
    url: webhookUrl.optional(),
    eventTypes: eventTypeList.optional(),
    description,
    enabled: z.boolean().optional(),
    secret: webhookSecret.optional().meta({
      description: `A new signing secret of your own (as on create); the old one also signs for ${DEFAULT_GRACE_PERIOD_HOURS} hours, as after rotateSecret`,
    }),
  })
  .strict();
const rotateBody = z
  .object({
    gracePeriodHours: z
      .number()
      .int()
      .min(0)
      .max(MAX_GRACE_PERIOD_HOURS)
      .optional()
      .meta({
        description: `How long deliveries also carry a signature made with the old secret (default ${DEFAULT_GRACE_PERIOD_HOURS}; 0: stop at once)`,
      }),
  })
  .strict()
  .nullish();

// Ids are strings on this surface, but a client that read one as a number may send it back as one.
const replayWebhookId = z.union([z.string().max(30), z.number().int()]).meta({
  description:
    'The webhook to send it to (its id, a string or a number); without it, every enabled webhook that takes the type',
  example: '2',
});

const EVENT_ID_PATTERN = /^evt_[0-9a-f]{32}$/;
const eventIdString = z
  .string()
  .max(40)
  .meta({ description: 'An event id, evt_…', example: 'evt_4f9c2d7e0b1a4c3e9d8f7a6b5c4d3e2f' });
const eventParams = z.object({ eventId: eventIdString });
const deliveryParams = z.object({ id: z.string().max(30), deliveryId: z.string().max(30) });
const deliveryStatus = z.enum(['pending', 'succeeded', 'failed', 'cancelled']);

function eventIdOf(value: string): string {
  if (!EVENT_ID_PATTERN.test(value)) throw notFound('Event', value);
  return value;
}

const level = KeyLevel.expert;

export function webhookRoutes(app: ZodApp, ctx: Ctx): void {
  app.get(
    '/webhooks',
    {
      schema: {
        tags,
        operationId: 'listWebhooks',
        summary: 'List webhook subscriptions',
        querystring: z.object(pageQuery),
        response: { 200: z.array(webhookView) },
      },
    },
    async (request, reply) => {
      const now = ctx.now();
      return sendPage(
        request,
        reply,
        await listSubscriptions(ctx.db, principalOf(request).accountId, request.query),
        (s) => toWebhookView(s, now),
      );
    },
  );

  app.post(
    '/webhooks',
    {
      // The answer holds the secret, shown once: it is never kept for a replay, so no Idempotency-Key here.
      config: { level, idempotent: false },
      schema: {
        tags,
        operationId: 'createWebhook',
        summary: 'Create a webhook subscription',
        description:
          'Events of the chosen types are POSTed to the URL as JSON, signed with the subscription\'s secret (header Ringbill-Signature: t=UNIX_SECONDS,v1=HEX_HMAC_SHA256 of "t.body"). The secret (yours, if you send one; otherwise a new whsec_…) is in this response and in a rotation\'s only, so this POST does not accept an Idempotency-Key (400). The URL must be a public internet address (or a name resolving only to public addresses): loopback, private, link-local, multicast, unspecified and reserved addresses are refused (400, the hint says which address and why), and checked again at every delivery; an operator can allow private networks with WEBHOOK_ALLOW_PRIVATE_NETWORKS=true. A 2xx answer within 10 s is success; anything else is retried with exponential backoff (1 min doubling to 6 h, 16 attempts over about 44 hours). Key level 5.',
        body: createBody,
        response: { 201: webhookWithSecretView, 400: errorBody, 409: errorBody },
      },
    },
    async (request, reply) => {
      const { subscription, secret } = await createWebhookSubscription(
        ctx,
        principalOf(request).accountId,
        request.body,
      );
      return reply.status(201).send({ ...toWebhookView(subscription, ctx.now()), secret });
    },
  );

  app.get(
    '/webhooks/eventTypes',
    {
      schema: {
        tags,
        operationId: 'listWebhookEventTypes',
        summary: 'The event types a webhook can subscribe to',
        response: { 200: z.array(z.object({ type: z.string(), description: z.string() })) },
      },
    },
    async () => [
      ...WEBHOOK_EVENT_TYPES.map((type) => ({ type, description: EVENT_TYPE_DESCRIPTIONS[type] })),
      { type: ALL_EVENT_TYPES, description: 'Every event type, including types added later' },
    ],
  );

  app.get(
    '/webhooks/events',
    {
      schema: {
        tags,
        operationId: 'listWebhookEvents',
        summary: 'List webhook events',
        description:
          'Events recorded for the account, oldest first. An event is recorded when at least one webhook takes its type, a paused (disabled) one included: it is not sent to a paused webhook, but can be replayed to it once it is enabled again.',
        querystring: z.object({
          type: z.enum(WEBHOOK_EVENT_TYPES).optional(),
          limit: pageQuery.limit,
          after: z
            .string()
            .max(40)
            .optional()
            .meta({ description: 'The id (evt_…) of the last event of the previous page' }),
        }),
        response: { 200: z.array(webhookEventView), 400: errorBody },
      },
    },
    async (request, reply) => {
      const accountId = principalOf(request).accountId;
      const { type, limit, after } = request.query;
      let afterId: number | undefined;
      if (after !== undefined) {
        const event = EVENT_ID_PATTERN.test(after)
          ? await findEventByPublicId(ctx.db, accountId, after)
          : undefined;
        if (!event) throw invalid('after', `no event ${after}`);
        afterId = event.id;
      }
      const page = await listEvents(ctx.db, accountId, { type }, { limit, after: afterId });
      const last = page.rows.at(-1);
      if (page.nextAfter !== undefined && last) {
        const url = new URL(request.url, 'http://placeholder');
        url.searchParams.set('after', last.public_id);
        void reply.header('Link', `<${url.pathname}${url.search}>; rel="next"`);
        void reply.header('X-Next-After', last.public_id);
      }
      return page.rows.map(toWebhookEventView);
    },
  );

  app.get(
    '/webhooks/events/:eventId',
    {
      schema: {
        tags,
        operationId: 'getWebhookEvent',
        summary: 'Get a webhook event',
        params: eventParams,
        response: { 200: webhookEventView, 404: errorBody },
      },
    },
    async (request) => {
      const id = eventIdOf(request.params.eventId);
      const event = await findEventByPublicId(ctx.db, principalOf(request).accountId, id);
      if (!event) throw notFound('Event', id);
      return toWebhookEventView(event);
    },
  );

  app.post(
    '/webhooks/events/:eventId/replay',
    {
      config: { level },
      schema: {
        tags,
        operationId: 'replayWebhookEvent',
        summary: 'Send an event again',
        description:
          'Queues a new delivery of the event, with the same event id, to the webhook named by webhookID (answered: the new delivery), or without it to every enabled webhook that takes its type (answered: an array of the new deliveries). Follow them in the delivery log. Key level 5.',
        params: eventParams,
        body: z.object({ webhookID: replayWebhookId.optional() }).strict().nullish(),
        response: {
          202: z.union([webhookDeliveryView, z.array(webhookDeliveryView)]),
          404: errorBody,
          409: errorBody,
        },
      },
    },
    async (request, reply) => {
      const id = eventIdOf(request.params.eventId);
      const webhookId = request.body?.webhookID;
      const deliveries = await replayWebhookEvent(ctx, principalOf(request).accountId, id, {
        webhookId: webhookId === undefined ? undefined : pathId(String(webhookId), 'Webhook'),
      });
      // One webhook named: its one new delivery, as the per-delivery replay answers; otherwise the list.
      if (webhookId !== undefined) return reply.status(202).send(toWebhookDeliveryView(deliveries[0]!));
      return reply.status(202).send(deliveries.map(toWebhookDeliveryView));
    },
  );

  app.get(
    '/webhooks/:id',
    {
      schema: {
        tags,
        operationId: 'getWebhook',
        summary: 'Get a webhook subscription',
        params: idParams,
        response: { 200: webhookView, 404: errorBody },
      },
    },
    async (request) => {
      const id = pathId(request.params.id, 'Webhook');
      const subscription = await findSubscription(ctx.db, principalOf(request).accountId, id);
      if (!subscription) throw notFound('Webhook', id);
      return toWebhookView(subscription, ctx.now());
    },
  );

  app.patch(
    '/webhooks/:id',
    {
      config: { level },
      schema: {
        tags,
        operationId: 'updateWebhook',
        summary: 'Change a webhook subscription',
        description:
          'Change its URL, event types, description or secret, or pause it (enabled: false): a paused webhook is sent nothing, and deliveries still waiting are called off; events it takes are still recorded and can be replayed to it once it is enabled again. A new secret works like a rotation with the default grace period. A new URL is checked as on create (public addresses only, unless the operator allows private networks). Key level 5.',
        params: idParams,
        body: updateBody,
        response: { 200: webhookView, 400: errorBody, 404: errorBody },
      },
    },
    async (request) =>
      toWebhookView(
        await updateWebhookSubscription(
          ctx,
          principalOf(request).accountId,
          pathId(request.params.id, 'Webhook'),
          request.body,
        ),
        ctx.now(),
      ),
  );

  app.delete(
    '/webhooks/:id',
    {
      config: { level },
      schema: {
        tags,
        operationId: 'deleteWebhook',
        summary: 'Delete a webhook subscription and its delivery log',
        params: idParams,
        response: { 200: deletedBody, 404: errorBody },
      },
    },
    async (request) => {
      const id = pathId(request.params.id, 'Webhook');
      await deleteWebhookSubscription(ctx, principalOf(request).accountId, id);
      return { success: true as const, message: `Webhook ${id} deleted` };
    },
  );

  app.post(
    '/webhooks/:id/rotateSecret',
    {
      config: { level, idempotent: false },
      schema: {
        tags,
        operationId: 'rotateWebhookSecret',
        summary: "Rotate a webhook's signing secret",
        description: `A new secret, in this response only (so this POST does not accept an Idempotency-Key: 400). For gracePeriodHours (default ${DEFAULT_GRACE_PERIOD_HOURS}) deliveries carry a second v1 signature made with the old secret. Key level 5.`,
        params: idParams,
        body: rotateBody,
        response: { 200: webhookWithSecretView, 400: errorBody, 404: errorBody },
      },
    },
    async (request) => {
      const { subscription, secret } = await rotateWebhookSecret(
        ctx,
        principalOf(request).accountId,
        pathId(request.params.id, 'Webhook'),
        request.body ?? {},
      );
      return { ...toWebhookView(subscription, ctx.now()), secret };
    },
  );

  app.get(
    '/webhooks/:id/deliveries',
    {
      schema: {
        tags,
        operationId: 'listWebhookDeliveries',
        summary: "A webhook's delivery log",
        description:
          'Every delivery to this webhook, oldest first: status, attempts, the last answer (HTTP status and the first 1 KB of its body when it is text) and when the next attempt is due. A delivery to an address the operator does not allow is not sent: lastError says which address and why, and it is retried on the usual schedule.',
        params: idParams,
        querystring: z.object({
          status: deliveryStatus.optional(),
          eventID: z.string().max(40).optional(),
          ...pageQuery,
        }),
        response: { 200: z.array(webhookDeliveryView), 404: errorBody },
      },
    },
    async (request, reply) => {
      const accountId = principalOf(request).accountId;
      const id = pathId(request.params.id, 'Webhook');
      if (!(await findSubscription(ctx.db, accountId, id))) throw notFound('Webhook', id);
      let eventId: number | undefined;
      if (request.query.eventID !== undefined) {
        const event = EVENT_ID_PATTERN.test(request.query.eventID)
          ? await findEventByPublicId(ctx.db, accountId, request.query.eventID)
          : undefined;
        if (!event) return [];
        eventId = event.id;
      }
      const page = await listDeliveries(
        ctx.db,
        accountId,
        id,
        { status: request.query.status, eventId },
        request.query,
      );
      return sendPage(request, reply, page, toWebhookDeliveryView);
    },
  );

  app.get(
    '/webhooks/:id/deliveries/:deliveryId',
    {
      schema: {
        tags,
        operationId: 'getWebhookDelivery',
        summary: 'One delivery, with every attempt',
        params: deliveryParams,
        response: { 200: webhookDeliveryDetailView, 404: errorBody },
      },
    },
    async (request) => {
      const accountId = principalOf(request).accountId;
      const id = pathId(request.params.id, 'Webhook');
      const deliveryId = pathId(request.params.deliveryId, 'Delivery');
      const delivery = await findDelivery(ctx.db, accountId, id, deliveryId);
      if (!delivery) throw notFound('Delivery', deliveryId);
      const attempts = await listAttempts(ctx.db, accountId, deliveryId);
      return { ...toWebhookDeliveryView(delivery), attemptLog: attempts.map(toWebhookAttemptView) };
    },
  );

  app.post(
    '/webhooks/:id/deliveries/:deliveryId/replay',
    {
      config: { level },
      schema: {
        tags,
        operationId: 'replayWebhookDelivery',
        summary: "Send a delivery's event again",
        description: 'Queues a new delivery of the same event (same event id) to this webhook. Key level 5.',
        params: deliveryParams,
        response: { 202: webhookDeliveryView, 404: errorBody, 409: errorBody },
      },
    },
    async (request, reply) => {
      const delivery = await replayWebhookDelivery(
        ctx,
        principalOf(request).accountId,
        pathId(request.params.id, 'Webhook'),
        pathId(request.params.deliveryId, 'Delivery'),
      );
      return reply.status(202).send(toWebhookDeliveryView(delivery));
    },
  );
}
