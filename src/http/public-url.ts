import type { FastifyRequest } from 'fastify';

/**
 * Where this server is reached, for absolute URLs in responses (uploaded files, download links):
 * PUBLIC_URL when set (behind a proxy), else the protocol and Host of the request.
 */
export function publicBaseUrl(request: FastifyRequest, publicUrl: string | undefined): string {
  if (publicUrl) return publicUrl.replace(/\/+$/, '');
  return `${request.protocol}://${request.host}`;
}
