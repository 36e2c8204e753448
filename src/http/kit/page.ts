// Response helpers shared by the server-rendered surfaces: the security headers every page carries, a
// strict Content-Security-Policy with a fresh nonce per response, CSRF token comparison in constant time,
// and the form body parser.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';

export interface CspOptions {
  /** Scripts: the nonce (inline) and/or 'self' (files this server serves). */
  scriptSelf?: boolean;
  scriptNonce?: boolean;
  /** Style sheets this server serves (besides the nonce'd inline style). */
  styleSelf?: boolean;
  /** fetch()/XHR to this server (htmx). */
  connectSelf?: boolean;
  /** Frames of this server's own documents (an invoice's PDF in its page). */
  frameSelf?: boolean;
}

export function csp(nonce: string, o: CspOptions = {}): string {
  const script = [o.scriptSelf ? "'self'" : '', o.scriptNonce ? `'nonce-${nonce}'` : '']
    .filter(Boolean)
    .join(' ');
  return [
    "default-src 'none'",
    `style-src ${o.styleSelf ? "'self' " : ''}'nonce-${nonce}'`,
    script ? `script-src ${script}` : '',
    o.connectSelf ? "connect-src 'self'" : '',
    o.frameSelf ? "frame-src 'self'" : '',
    "img-src 'self' data:",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ]
    .filter(Boolean)
    .join('; ');
}

/** No caching, no Referer, no sniffing, no framing. */
export function secure(reply: FastifyReply): FastifyReply {
  return reply
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'no-referrer')
    .header('x-content-type-options', 'nosniff')
    .header('x-frame-options', 'DENY');
}

export function newNonce(): string {
  return randomBytes(16).toString('base64');
}

/** Sends an HTML page under a strict CSP whose nonce the page's inline style (and script) carry. */
export function sendHtml(
  reply: FastifyReply,
  status: number,
  render: (nonce: string) => string,
  options: CspOptions = {},
): FastifyReply {
  const nonce = newNonce();
  return secure(reply)
    .status(status)
    .header('content-security-policy', csp(nonce, options))
    .type('text/html; charset=utf-8')
    .send(render(nonce));
}

export function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** application/x-www-form-urlencoded bodies as a plain object of strings (the last of repeated names wins). */
export function addFormParser(app: FastifyInstance, bodyLimit: number): void {
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit },
    (_request, body, done) => {
      done(
        null,
        Object.fromEntries(new URLSearchParams(typeof body === 'string' ? body : body.toString('utf8'))),
      );
    },
  );
}
