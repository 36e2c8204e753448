import type { FastifyRequest } from 'fastify';
import { authenticate, type Principal } from '../api-keys/authenticate.ts';
import type { Ctx } from '../context.ts';
import { DomainError } from '../shared/errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyContextConfig {
    /** The lowest API key level allowed to call the route (default 1). */
    level?: number;
  }
}

/** The key from `Authorization: Bearer KEY`. */
export function bearerKey(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new DomainError('unauthenticated', 'an API key is required');
  return request.principal;
}

/**
 * The onRequest hook of the Bearer-key surfaces: the key must be valid and of the route's level (config.level,
 * default 1). Sets request.principal; failures are DomainErrors for the surface's error handler.
 */
export function requireBearerKey(ctx: Ctx) {
  return async (request: FastifyRequest): Promise<void> => {
    const key = bearerKey(request);
    if (!key) throw new DomainError('unauthenticated', 'send your API key as Authorization: Bearer KEY');
    const principal = await authenticate(ctx, key);
    if (!principal) throw new DomainError('unauthenticated', 'the API key is not valid or has been revoked');
    request.principal = principal;
    const needed = request.routeOptions.config?.level ?? 1;
    if (principal.level < needed) throw new DomainError('forbidden', `this needs an API key of level ${needed} or more; this key is level ${principal.level}`);
  };
}
