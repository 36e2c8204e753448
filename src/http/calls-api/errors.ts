// The error shape of document 002: {"success": false, "error": {code, message}, "meta": {timestamp,
// request_id}}. This is the one place that maps domain error codes to it; the switch covers every code.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import type { Ctx } from '../../context.ts';
import { DomainError, type ErrorCode } from '../../shared/errors.ts';
import { classifyError, httpStatusOf } from '../errors.ts';
import { isoSeconds } from './views.ts';

export type WireErrorCode =
  | 'INVALID_REQUEST'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'RATE_LIMITED'
  | 'INTERNAL_ERROR';

const WIRE_CODE_OF_STATUS: Record<number, WireErrorCode> = {
  400: 'INVALID_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  429: 'RATE_LIMITED',
};

export function callsApiError(code: ErrorCode): { status: number; code: WireErrorCode } {
  const status = httpStatusOf(code);
  // Document 002 names no 410: a gone link is not found here.
  if (status === 410) return { status: 404, code: 'NOT_FOUND' };
  return { status, code: WIRE_CODE_OF_STATUS[status] ?? 'INTERNAL_ERROR' };
}

export interface ErrorBody {
  success: false;
  error: { code: WireErrorCode; message: string };
  meta: { timestamp: string; request_id: string };
}

function body(ctx: Ctx, request: FastifyRequest, code: WireErrorCode, message: string): ErrorBody {
  return {
    success: false,
    error: { code, message },
    meta: { timestamp: isoSeconds(ctx.now()), request_id: request.id },
  };
}

/**
 * Query validation on this surface words its own messages ("Missing required parameter: invoice_id",
 * "Invalid parameter: …", see schemas.ts); the first problem is reported, as the document shows one message.
 */
function validationError(err: FastifyError): DomainError {
  const first = err.validation![0]!;
  const field =
    first.instancePath.replace(/^\//, '').replace(/\//g, '.') || err.validationContext || 'request';
  const message = first.message ?? 'is invalid';
  if (message.startsWith('Missing required parameter:'))
    return new DomainError('missing_parameter', message, field);
  if (message.startsWith('Invalid parameter:')) return new DomainError('invalid_input', message, field);
  return new DomainError('invalid_input', `Invalid parameter: ${field}: ${message}`, field);
}

export function callsApiErrorHandler(ctx: Ctx) {
  return function handle(err: unknown, request: FastifyRequest, reply: FastifyReply): void {
    if (hasZodFastifySchemaValidationErrors(err)) {
      const error = validationError(err);
      void reply.status(400).send(body(ctx, request, 'INVALID_REQUEST', error.message));
      return;
    }
    if ((err as FastifyError | undefined)?.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      const limit = request.routeOptions.bodyLimit;
      void reply
        .status(413)
        .send(body(ctx, request, 'INVALID_REQUEST', `The file is too large: at most ${limit} bytes`));
      return;
    }
    if ((err as FastifyError | undefined)?.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      void reply
        .status(415)
        .send(
          body(
            ctx,
            request,
            'INVALID_REQUEST',
            'Content-Type: must be a media type such as audio/mpeg or text/plain',
          ),
        );
      return;
    }
    const classified = classifyError(err, request);
    if (!classified) {
      request.log.error({ err }, 'unexpected error');
      void reply
        .status(500)
        .send(body(ctx, request, 'INTERNAL_ERROR', 'An unexpected error occurred; it has been logged'));
      return;
    }
    const wire = callsApiError(classified.error.code);
    void reply
      .status(classified.status ?? wire.status)
      .send(body(ctx, request, wire.code, classified.error.message));
  };
}
