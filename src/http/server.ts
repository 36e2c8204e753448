// The HTTP server: every wire surface is a plugin under its own prefix, with its own error shape.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { sql } from 'kysely';
import { z } from 'zod';
import type { Ctx } from '../context.ts';
import { BACKEND_PREFIX, backendApi } from './backend/index.ts';
import { downloadRoutes } from './downloads.ts';
import { CALLS_API_PREFIX, callsApi, DEFAULT_RATE_LIMIT_PER_MINUTE } from './calls-api/index.ts';
import { classifyError } from './errors.ts';
import { DomainError } from '../shared/errors.ts';
import { findNul, NUL_REASON } from '../shared/nul.ts';
import { FEED_PREFIX, feedApi } from './feed/index.ts';
import { DEFAULT_EXPIRY_DAYS } from '../collections/create-request.ts';
import { COLLECT_PREFIX, collectApi } from './collect/index.ts';
import { payPageRoutes, type PayPageOptions } from './pay-page/index.ts';
import { portalRoutes } from './portal/index.ts';
import type { AuthorizationSettings } from '../authorization/authorize.ts';

export interface ServerOptions {
  logger?: FastifyServerOptions['logger'];
  /** Largest accepted request body. */
  bodyLimitBytes?: number;
  /** Requests per minute per API key on /v1 (RATE_LIMIT_PER_MINUTE, default 600). */
  rateLimitPerMinute?: number;
  /** The public base URL of this server (PUBLIC_URL), for URLs in responses; default: the request's host. */
  publicUrl?: string;
  /** Days a payment link works when a request does not say (COLLECT_LINK_EXPIRY_DAYS; default 30). */
  collectLinkExpiryDays?: number;
  /** Call authorisation: reservation expiry and the longest call one authorisation grants. */
  authorization?: AuthorizationSettings;
  /** The payment page's own limits (card posts per minute per address). */
  payPage?: PayPageOptions;
}

const VERSION = '0.1.0';

export async function buildServer(ctx: Ctx, options: ServerOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimitBytes ?? 10 * 1024 * 1024,
    // Query strings like ?transaction_type=a&transaction_type=b arrive as arrays.
    routerOptions: { ignoreTrailingSlash: true },
    // Logged with every request and returned by /v1 as meta.request_id and X-Request-Id.
    genReqId: () => `req_${randomBytes(12).toString('hex')}`,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  // JSON bodies: an empty body is no body (clients often send Content-Type on a bodiless POST); the
  // default parser (which rejects prototype-poisoning keys) handles the rest.
  const defaultJsonParser = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    defaultJsonParser(request, text, done);
  });

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Ringbill',
        version: VERSION,
        description:
          'Open-source call billing. The backend API (/backend/api/v1) speaks the transactions and invoices documents: camelCase fields, amounts as decimal strings, errors as {"error", "error_code", "hint"}. Authenticate with `Authorization: Bearer KEY`. Lists are pages of at most `limit` rows (default 100, max 1000) ordered by id; the `Link` header (rel="next") and `X-Next-After` give the next page. POSTs that create accept an `Idempotency-Key` header. The calls of an invoice (/v1/calls) speak document 002: the {success, data, meta} envelope, snake_case fields, prefixed ids (call_…, inv_…, acc_…), errors {success: false, error: {code, message}, meta}, and a per-key rate limit.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get(
    '/healthz',
    { schema: { tags: ['Health'], summary: 'Ready to serve', response: { 200: z.object({ status: z.literal('ok'), database: z.string() }) } } },
    async () => {
      await sql`select 1`.execute(ctx.db);
      return { status: 'ok' as const, database: ctx.database.kind };
    },
  );

  // Outside any surface: a plain JSON error.
  app.setErrorHandler((err, request, reply) => {
    const classified = classifyError(err);
    if (!classified) {
      request.log.error({ err }, 'unexpected error');
      return reply.status(500).send({ error: 'internal error' });
    }
    return reply.status(classified.status ?? 400).send({ error: classified.error.message });
  });

  // No surface takes text with the NUL character in it (PostgreSQL cannot store it): a 400 naming the
  // field, in the surface's error shape. CSV bodies are checked line by line where they are read, so that
  // one bad line is refused and the rest go in.
  app.addHook('preValidation', async (request) => {
    // A file streamed to its route (POST /calls/files) is read, and checked, line by line there.
    const body = typeof request.body === 'string' || request.body instanceof Readable ? undefined : request.body;
    const where = findNul(request.params) ?? findNul(request.query) ?? findNul(body);
    if (where !== undefined) throw new DomainError('invalid_input', `${where}: ${NUL_REASON}`, where);
  });

  // Every 401 says how to authenticate (RFC 9110): an API key as a bearer token.
  app.addHook('onSend', async (_request, reply, payload) => {
    if (reply.statusCode === 401 && !reply.hasHeader('www-authenticate')) reply.header('www-authenticate', 'Bearer realm="Ringbill"');
    return payload;
  });

  await app.register(backendApi(ctx, { publicUrl: options.publicUrl, authorization: options.authorization }), { prefix: BACKEND_PREFIX });
  await app.register(downloadRoutes(ctx));
  await app.register(
    callsApi(ctx, { rateLimitPerMinute: options.rateLimitPerMinute ?? DEFAULT_RATE_LIMIT_PER_MINUTE, publicUrl: options.publicUrl }),
    { prefix: CALLS_API_PREFIX },
  );
  await app.register(collectApi(ctx, { publicUrl: options.publicUrl, linkExpiryDays: options.collectLinkExpiryDays ?? DEFAULT_EXPIRY_DAYS }), { prefix: COLLECT_PREFIX });
  await app.register(payPageRoutes(ctx, options.payPage));
  await app.register(portalRoutes(ctx, { publicUrl: options.publicUrl }));
  await app.register(feedApi(ctx), { prefix: FEED_PREFIX });
  return app;
}
