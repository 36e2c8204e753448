// The HTTP server: every wire surface is a plugin under its own prefix, with its own error shape.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { pingDatabase } from '../db/executor.ts';
import { z } from 'zod';
import type { Ctx } from '../context.ts';
import { BACKEND_PREFIX, backendApi } from './backend/index.ts';
import { backendErrorHandler } from './backend/errors.ts';
import { DOWNLOAD_PREFIX, downloadErrorHandler, downloadRoutes } from './downloads.ts';
import { CALLS_API_PREFIX, callsApi, DEFAULT_RATE_LIMIT_PER_MINUTE } from './calls-api/index.ts';
import { callsApiErrorHandler } from './calls-api/errors.ts';
import { collectErrorHandler } from './collect/errors.ts';
import { classifyError, httpStatusOf } from './errors.ts';
import { registerJsonParser } from './json-body.ts';
import { registerOpenApi } from './openapi.ts';
import { clientErrorHandlerAt } from './client-errors.ts';
import { serverLoggerOptions } from './logging.ts';
import type { TrustProxy } from '../config.ts';
import { DomainError } from '../shared/errors.ts';
import { findNul, NUL_REASON } from '../shared/nul.ts';
import { FEED_PREFIX, feedApi, feedErrorHandler } from './feed/index.ts';
import { DEFAULT_EXPIRY_DAYS } from '../collections/create-request.ts';
import { COLLECT_PREFIX, collectApi } from './collect/index.ts';
import {
  PAY_PAGE_PREFIX,
  payPageErrorHandler,
  payPageRoutes,
  type PayPageOptions,
} from './pay-page/index.ts';
import { PORTAL_PREFIX, portalErrorHandler, portalRoutes } from './portal/index.ts';
import { CONSOLE_PREFIX, consoleErrorHandler, consoleRoutes } from './console/index.ts';
import type { AuthorizationSettings } from '../authorization/authorize.ts';

export interface ServerOptions {
  /** Log at this level (LOG_LEVEL) to standard output, credentials redacted (logging.ts); unset: no log. */
  logLevel?: string;
  /** Largest accepted request body on a route that names no limit of its own (default 1 MiB). */
  bodyLimitBytes?: number;
  /** Which proxies to believe about the client's address (TRUST_PROXY; default false). */
  trustProxy?: TrustProxy;
  /** Card posts per minute from one client address on the payment page (default 30). */
  payPostsPerMinutePerClient?: number;
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

/** The body size limit of a route that sets none (the bulk routes set their own: a batch of calls, a rate card, a file). */
export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;

export async function buildServer(ctx: Ctx, options: ServerOptions = {}): Promise<FastifyInstance> {
  // Each surface's error renderer, by URL prefix: for errors raised before any route is found (the router's,
  // an unknown route outside the prefixed surfaces), which no surface's own error handler sees.
  const renderError = errorRendererByPrefix(
    [
      { prefix: BACKEND_PREFIX, render: backendErrorHandler },
      { prefix: CALLS_API_PREFIX, render: callsApiErrorHandler(ctx) },
      { prefix: COLLECT_PREFIX, render: collectErrorHandler },
      { prefix: FEED_PREFIX, render: feedErrorHandler },
      { prefix: PAY_PAGE_PREFIX, render: payPageErrorHandler },
      { prefix: PORTAL_PREFIX, render: portalErrorHandler },
      { prefix: CONSOLE_PREFIX, render: consoleErrorHandler },
      { prefix: DOWNLOAD_PREFIX, render: downloadErrorHandler },
    ],
    rootErrorHandler,
  );
  const app = Fastify({
    logger: options.logLevel === undefined ? false : serverLoggerOptions(options.logLevel),
    bodyLimit: options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES,
    trustProxy: fastifyTrustProxy(options.trustProxy ?? false),
    // Errors the router raises before any route is found (a bad percent-escape, a path segment over
    // maxParamLength): answered in the shape of the surface the URL belongs to, like any other error.
    frameworkErrors: (error, request, reply) => renderError(error, request, reply),
    // Requests the HTTP parser refuses (headers over 16 KB, not HTTP): the same, from the request line.
    clientErrorHandler: clientErrorHandlerAt(() => ctx.now()),
    // Query strings like ?transaction_type=a&transaction_type=b arrive as arrays.
    routerOptions: { ignoreTrailingSlash: true },
    // Logged with every request and returned by /v1 as meta.request_id and X-Request-Id: 24 hex digits, a
    // random half per server and a counter (unique without asking the system for random bytes per request).
    genReqId: requestIds(),
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  registerJsonParser(app);

  await registerOpenApi(app, { publicUrl: options.publicUrl });
  app.get(
    '/healthz',
    {
      schema: {
        tags: ['Health'],
        operationId: 'getHealth',
        summary: 'Ready to serve',
        security: [],
        response: { 200: z.object({ status: z.literal('ok'), database: z.string() }) },
      },
    },
    async () => {
      await pingDatabase(ctx.db);
      return { status: 'ok' as const, database: ctx.database.kind };
    },
  );

  // Outside any surface: a plain JSON error. A URL no route matches is answered in the shape of the surface
  // its prefix names (the surfaces with a prefix of their own answer their own 404s; the pages share the root).
  app.setErrorHandler(rootErrorHandler);
  app.setNotFoundHandler((request, reply) =>
    renderError(
      new DomainError('route_not_found', `no route ${request.method} ${request.url.split('?')[0]}`),
      request,
      reply,
    ),
  );

  // No surface takes text with the NUL character in it (PostgreSQL cannot store it): a 400 naming the
  // field, in the surface's error shape. CSV bodies are checked line by line where they are read, so that
  // one bad line is refused and the rest go in.
  app.addHook('preValidation', async (request) => {
    // A file streamed to its route (POST /calls/files) is read, and checked, line by line there.
    const body =
      typeof request.body === 'string' || request.body instanceof Readable ? undefined : request.body;
    const where = findNul(request.params) ?? findNul(request.query) ?? findNul(body);
    if (where !== undefined) throw new DomainError('invalid_input', `${where}: ${NUL_REASON}`, where);
  });

  // Every 401 says how to authenticate (RFC 9110): an API key as a bearer token.
  app.addHook('onSend', async (_request, reply, payload) => {
    if (reply.statusCode === 401 && !reply.hasHeader('www-authenticate'))
      reply.header('www-authenticate', 'Bearer realm="Ringbill"');
    return payload;
  });

  await app.register(
    backendApi(ctx, { publicUrl: options.publicUrl, authorization: options.authorization }),
    { prefix: BACKEND_PREFIX },
  );
  await app.register(downloadRoutes(ctx));
  await app.register(
    callsApi(ctx, {
      rateLimitPerMinute: options.rateLimitPerMinute ?? DEFAULT_RATE_LIMIT_PER_MINUTE,
      publicUrl: options.publicUrl,
    }),
    { prefix: CALLS_API_PREFIX },
  );
  await app.register(
    collectApi(ctx, {
      publicUrl: options.publicUrl,
      linkExpiryDays: options.collectLinkExpiryDays ?? DEFAULT_EXPIRY_DAYS,
    }),
    { prefix: COLLECT_PREFIX },
  );
  await app.register(
    payPageRoutes(ctx, {
      ...options.payPage,
      postsPerMinutePerIp: options.payPage?.postsPerMinutePerIp ?? options.payPostsPerMinutePerClient,
    }),
  );
  await app.register(portalRoutes(ctx, { publicUrl: options.publicUrl }));
  await app.register(consoleRoutes(ctx, { publicUrl: options.publicUrl }));
  await app.register(feedApi(ctx), { prefix: FEED_PREFIX });
  return app;
}

/** req_ and 24 hex digits: 12 random per server, then a counter. */
function requestIds(): () => string {
  const prefix = `req_${randomBytes(6).toString('hex')}`;
  let n = 0;
  return () => prefix + (n++ % 0x1000000000000).toString(16).padStart(12, '0');
}

/**
 * TRUST_PROXY as Fastify takes it. A hop count n trusts the n addresses nearest the server (the peer, then
 * X-Forwarded-For from its right end), as Express does: this Fastify version treats a bare number as "trust
 * nothing" (a client that reaches the server directly could otherwise name any address), so a hop count is
 * for a server only its proxies can reach; a list of the proxies' addresses is safe anywhere.
 */
function fastifyTrustProxy(
  trust: TrustProxy,
): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (typeof trust !== 'number') return trust;
  const hops = trust;
  return (_address, hop) => hop < hops;
}

type ErrorRenderer = (error: unknown, request: FastifyRequest, reply: FastifyReply) => unknown;

/** Outside every surface: {"error": "…"}. */
function rootErrorHandler(err: unknown, request: FastifyRequest, reply: FastifyReply): unknown {
  const classified = classifyError(err, request);
  if (!classified) {
    request.log.error({ err }, 'unexpected error');
    return reply.status(500).send({ error: 'internal error' });
  }
  return reply
    .status(classified.status ?? httpStatusOf(classified.error.code))
    .send({ error: classified.error.message });
}

/** The renderer of the surface whose prefix the URL starts with (a whole path segment), or the fallback. */
function errorRendererByPrefix(
  surfaces: { prefix: string; render: ErrorRenderer }[],
  fallback: ErrorRenderer,
): ErrorRenderer {
  return (error, request, reply) => {
    const url = request.url;
    const surface = surfaces.find(
      ({ prefix }) => url === prefix || (url.startsWith(prefix) && '/?'.includes(url[prefix.length]!)),
    );
    return (surface?.render ?? fallback)(error, request, reply);
  };
}
