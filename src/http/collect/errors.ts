// The collections surface's error shape: {"error": {"code", "message", "field"?}}. Document 003 names none,
// so this is a plain one a client can switch on. The one place that maps domain codes to it.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorCode } from '../../shared/errors.ts';
import { classifyError, httpStatusOf } from '../errors.ts';

export type CollectErrorCode =
  | 'invalid_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'gone'
  | 'rate_limited'
  | 'internal_error';

const CODE_OF_STATUS: Record<number, CollectErrorCode> = {
  400: 'invalid_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  410: 'gone',
  429: 'rate_limited',
};

export function collectError(code: ErrorCode): { status: number; code: CollectErrorCode } {
  const status = httpStatusOf(code);
  return { status, code: CODE_OF_STATUS[status] ?? 'internal_error' };
}

export interface CollectErrorBody {
  error: { code: CollectErrorCode; message: string; field?: string };
}

export function collectErrorHandler(err: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const classified = classifyError(err, request);
  if (!classified) {
    request.log.error({ err }, 'unexpected error');
    void reply.status(500).send({
      error: { code: 'internal_error', message: 'an unexpected error occurred; it has been logged' },
    } satisfies CollectErrorBody);
    return;
  }
  const wire = collectError(classified.error.code);
  const body: CollectErrorBody = { error: { code: wire.code, message: classified.error.message } };
  if (classified.error.field) body.error.field = classified.error.field;
  void reply.status(classified.status ?? wire.status).send(body);
}
