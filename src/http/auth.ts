import type { FastifyReply, FastifyRequest } from 'fastify';
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
    /**
     * The route also takes the key as the password of HTTP Basic authentication (the user name is not
     * read): what a switch can send (FreeSWITCH mod_json_cdr's cred, curl's --user).
     */
    basicAuth?: boolean;
    /**
     * The handler checks the Bearer key itself, in the query that serves the request (the call
     * authorisation hot path: one read instead of two). The hook still refuses a request without a key,
     * and checks the key as usual when an Idempotency-Key header needs the principal before the handler.
     */
    keyCheckedByHandler?: boolean;
  }
}

/** The key from `Authorization: Bearer KEY`. */
export function bearerKey(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/** The password of `Authorization: Basic base64(user:password)`. */
export function basicPassword(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const password = colon === -1 ? decoded : decoded.slice(colon + 1);
  return password === '' ? undefined : password;
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
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const basic = request.routeOptions.config?.basicAuth === true;
    // A switch's HTTP client may wait to be asked (curl's "any" scheme): say both ways a key is taken.
    if (basic) reply.header('www-authenticate', 'Bearer realm="Ringbill", Basic realm="Ringbill"');
    const key = bearerKey(request) ?? (basic ? basicPassword(request) : undefined);
    if (!key)
      throw new DomainError(
        'unauthenticated',
        basic
          ? 'send your API key as Authorization: Bearer KEY, or as the password of HTTP Basic authentication'
          : 'send your API key as Authorization: Bearer KEY',
      );
    if (
      request.routeOptions.config?.keyCheckedByHandler === true &&
      request.headers['idempotency-key'] === undefined &&
      bearerKey(request) !== undefined
    )
      return;
    const principal = await authenticate(ctx, key);
    if (!principal) throw new DomainError('unauthenticated', 'the API key is not valid or has been revoked');
    if (basic) reply.removeHeader('www-authenticate');
    request.principal = principal;
    const needed = request.routeOptions.config?.level ?? 1;
    if (principal.level < needed)
      throw new DomainError(
        'forbidden',
        `this needs an API key of level ${needed} or more; this key is level ${principal.level}`,
      );
  };
}
