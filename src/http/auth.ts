import type { FastifyRequest } from 'fastify';
import type { Principal } from '../api-keys/authenticate.ts';
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
