// Requests Node's HTTP parser refuses before Fastify sees them (a request line and headers over 16 KB, a
// malformed request, one that arrives too slowly): answered, as everything else, in the error shape of the
// surface the request line names, so a client of any surface can read the answer. The raw bytes received
// (which may hold an Authorization header) are read for the URL only, and never logged.
import { randomBytes } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyBaseLogger } from 'fastify';
import { backendError } from './backend/errors.ts';

/** The URL of the request line in the bytes received so far, if they start with one. */
function requestTarget(raw: Buffer | undefined): string {
  if (!raw) return '/';
  const head = raw.subarray(0, 2048).toString('latin1');
  return /^[A-Z]{3,10} (\S+)/.exec(head)?.[1] ?? '/';
}

function page(title: string, text: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1><p>${text}</p></body></html>`;
}

/** The body of an error answered outside Fastify, in the shape of the surface `url` belongs to. */
export function rawErrorBody(
  url: string,
  status: number,
  message: string,
  now: Date,
): { type: string; body: string } {
  const under = (prefix: string) =>
    url === prefix || url.startsWith(`${prefix}/`) || url.startsWith(`${prefix}?`);
  const json = (value: unknown) => ({ type: 'application/json; charset=utf-8', body: JSON.stringify(value) });
  if (under('/backend/api/v1')) {
    // As backendErrorHandler words a malformed_request answered with another status.
    const wire = backendError('malformed_request');
    return json({
      error: wire.error,
      error_code: status === wire.status ? wire.errorCode : status * 1000 + 1,
      hint: message,
    });
  }
  if (under('/v1')) {
    return json({
      success: false,
      error: { code: 'INVALID_REQUEST', message },
      meta: {
        timestamp: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
        request_id: `req_${randomBytes(12).toString('hex')}`,
      },
    });
  }
  if (under('/collect/v1')) return json({ error: { code: 'invalid_request', message } });
  if (under('/pay') || under('/portal') || under('/download'))
    return { type: 'text/html; charset=utf-8', body: page('This request could not be handled', message) };
  return json({ error: message });
}

/** Fastify's clientErrorHandler (called with the server as `this`), its answers timed by the server's clock (ctx.now). */
export function clientErrorHandlerAt(now: () => Date) {
  return function clientErrorHandler(
    this: { log: FastifyBaseLogger },
    err: Error & { code?: string; rawPacket?: unknown },
    socket: Socket,
  ): void {
    answerClientError.call(this, err, socket, now());
  };
}

function answerClientError(
  this: { log: FastifyBaseLogger },
  err: Error & { code?: string; rawPacket?: unknown },
  socket: Socket,
  now: Date,
): void {
  // A connection reset: nothing to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const status =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
  const message =
    status === 408
      ? 'the request took too long to arrive'
      : status === 431
        ? 'the request line and headers are larger than 16 KB: send long values in the body'
        : 'the request is not valid HTTP';
  const { type, body } = rawErrorBody(
    requestTarget(Buffer.isBuffer(err.rawPacket) ? err.rawPacket : undefined),
    status,
    message,
    now,
  );
  this.log.debug({ code: err.code, status }, 'client error');
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: ${type}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
