// The calls of an invoice, /v1 (document 002): GET /v1/calls?invoice_id=…, GET /v1/calls/{id}, and the
// recordings and transcriptions uploaded for calls. Its own dialect: the {success, data, meta} envelope,
// snake_case fields, prefixed ids, and errors {success: false, error: {code, message}, meta}.
import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { authenticate } from '../../api-keys/authenticate.ts';
import type { Ctx } from '../../context.ts';
import { assert, DomainError } from '../../shared/errors.ts';
import { bearerKey, principalOf } from '../auth.ts';
import type { ZodApp } from '../kit/app-type.ts';
import { callsApiErrorHandler } from './errors.ts';
import { callFileRoutes } from './routes/call-files.ts';
import { callRoutes } from './routes/calls.ts';

export const CALLS_API_PREFIX = '/v1';
export const DEFAULT_RATE_LIMIT_PER_MINUTE = 600;

export interface CallsApiOptions {
  /** Requests per API key per minute (fixed one-minute windows, counted in this process). */
  rateLimitPerMinute: number;
  /** The base of the URLs of uploaded files (PUBLIC_URL); default: the request's protocol and host. */
  publicUrl: string | undefined;
}

/** Most distinct API keys whose counts are kept at once; beyond it the least recently seen are forgotten. */
const RATE_LIMIT_KEYS_KEPT = 10_000;
const UNAUTHORIZED_MESSAGE = 'Invalid or missing API key';

export function callsApi(ctx: Ctx, options: CallsApiOptions) {
  assert(
    Number.isInteger(options.rateLimitPerMinute) && options.rateLimitPerMinute >= 1,
    'the rate limit is a positive whole number',
  );
  const handleError = callsApiErrorHandler(ctx);

  return async function calls(app: ZodApp): Promise<void> {
    app.setErrorHandler(handleError);
    // Uploads are raw bytes of any type, stored as sent (a JSON transcript stays JSON text): one parser,
    // for every content type, that keeps the body as a Buffer. Each route sets its own size limit.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    app.setNotFoundHandler((request, reply) =>
      handleError(
        new DomainError('route_not_found', `Route not found: ${request.method} ${request.url.split('?')[0]}`),
        request,
        reply,
      ),
    );

    app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
      void reply.header('X-Request-Id', request.id);
      const key = bearerKey(request);
      const principal = key === undefined ? undefined : await authenticate(ctx, key);
      if (!principal) throw new DomainError('unauthenticated', UNAUTHORIZED_MESSAGE);
      request.principal = principal;
      const needed = request.routeOptions.config?.level ?? 1;
      if (principal.level < needed)
        throw new DomainError(
          'forbidden',
          `This needs an API key of level ${needed} or more; this key is level ${principal.level}`,
        );
    });

    // Per API key, after the key is checked (route-level onRequest hooks run after the one above), so
    // requests with a bad key are refused without counting against anyone.
    await app.register(fastifyRateLimit, {
      max: options.rateLimitPerMinute,
      timeWindow: 60_000,
      hook: 'onRequest',
      cache: RATE_LIMIT_KEYS_KEPT,
      keyGenerator: (request) => `key:${principalOf(request).keyId}`,
      errorResponseBuilder: () => new DomainError('rate_limited', 'Rate limit exceeded'),
    });

    callRoutes(app, ctx, options);
    callFileRoutes(app, ctx, options);
  };
}
