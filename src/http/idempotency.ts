// Idempotency-Key on POSTs that create things: the same key with the same request returns the first
// response (with `Idempotent-Replayed: true`); with a different request, a 409. A key is claimed before
// the work starts, so two identical requests racing each other cannot both run. A claim names the process
// handling it and lasts only while that process lives (src/recovery/lease.ts): a retry after the process died
// between claim and answer takes the claim over and runs, instead of hearing "still being processed" for 24 hours.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  onSendAsyncHookHandler,
  preHandlerAsyncHookHandler,
} from 'fastify';
import type { Ctx } from '../context.ts';
import { claimIdempotencyKey, recordIdempotentResponse, releaseIdempotencyKey } from '../idempotency/repo.ts';
import { DomainError, invalid } from '../shared/errors.ts';
import { testHold } from '../shared/test-hold.ts';

declare module 'fastify' {
  interface FastifyRequest {
    idempotencyKey?: string;
  }
  interface FastifyContextConfig {
    /**
     * false for a route whose response carries a secret shown once (a new API key): replaying it would mean
     * storing the secret, so an Idempotency-Key is refused there.
     */
    idempotent?: boolean;
  }
}

const HEADER = 'idempotency-key';
const MAX_KEY_LENGTH = 255;

function requestHash(request: FastifyRequest): string {
  return createHash('sha256')
    .update(`${request.method} ${request.url}\n${JSON.stringify(request.body ?? null)}`)
    .digest('hex');
}

function isKeptStatus(status: number): boolean {
  return (status >= 200 && status < 400) || status === 409;
}

/**
 * Adds hooks to the routes of these methods declared after this call (a GET never pays for a hook that
 * has nothing to do on it).
 */
export function addRouteHooks(
  app: FastifyInstance,
  methods: ReadonlySet<string>,
  hooks: { preHandler?: preHandlerAsyncHookHandler; onSend?: onSendAsyncHookHandler },
): void {
  const list = <T>(value: T | T[] | undefined): T[] =>
    value === undefined ? [] : Array.isArray(value) ? value : [value];
  app.addHook('onRoute', (route) => {
    if (!list(route.method).some((m) => methods.has(m))) return;
    if (hooks.preHandler) route.preHandler = [...list(route.preHandler), hooks.preHandler];
    if (hooks.onSend) route.onSend = [...list(route.onSend), hooks.onSend];
  });
}

export function registerIdempotency(app: FastifyInstance, ctx: Ctx): void {
  addRouteHooks(app, new Set(['POST']), {
    preHandler: async function idempotencyClaim(request: FastifyRequest, reply: FastifyReply) {
      const key = request.headers[HEADER];
      if (request.method !== 'POST' || key === undefined || !request.principal) return;
      if (request.routeOptions.config?.idempotent === false) {
        throw invalid(
          'Idempotency-Key',
          'is not accepted here: the response carries a secret that is shown once and never stored',
        );
      }
      if (request.body instanceof Readable) {
        // A streamed file is not held, so it cannot be compared with the first request's.
        throw invalid(
          'Idempotency-Key',
          'is not taken with a file upload: each call is stored once by its call id, so sending the file again is harmless',
        );
      }
      if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH) {
        throw invalid('Idempotency-Key', `must be 1 to ${MAX_KEY_LENGTH} characters`);
      }
      const hash = requestHash(request);
      const existing = await claimIdempotencyKey(
        ctx.db,
        request.principal.accountId,
        key,
        hash,
        ctx.processId,
        ctx.liveness,
      );
      if (!existing) {
        request.idempotencyKey = key;
        await testHold('idempotency-claimed');
        return;
      }
      if (existing.request_hash !== hash) {
        throw new DomainError(
          'idempotency_key_reused',
          'this Idempotency-Key was used for a different request',
        );
      }
      if (existing.response_status === null) {
        throw new DomainError(
          'idempotency_key_in_progress',
          'a request with this Idempotency-Key is still being processed; retry shortly',
        );
      }
      return reply
        .status(existing.response_status)
        .header('content-type', 'application/json; charset=utf-8')
        .header('idempotent-replayed', 'true')
        .send(existing.response_body);
    },
    onSend: async function idempotencyRecord(request: FastifyRequest, reply: FastifyReply, payload: unknown) {
      const key = request.idempotencyKey;
      if (key === undefined || !request.principal) return payload;
      request.idempotencyKey = undefined;
      // Kept: what the request did (2xx), and a refusal of what it asked for (409: the first answer stands).
      // Released, so the key can be used again: a request whose parameters were refused (400, found by the
      // schema or by the domain rules alike), a 404, and a failure on our side (5xx).
      const { accountId } = request.principal;
      if (!isKeptStatus(reply.statusCode)) await releaseIdempotencyKey(ctx.db, accountId, key, ctx.processId);
      else
        await recordIdempotentResponse(
          ctx.db,
          accountId,
          key,
          ctx.processId,
          reply.statusCode,
          typeof payload === 'string' ? payload : JSON.stringify(payload),
        );
      return payload;
    },
  });
}
