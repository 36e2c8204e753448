// The collections surface's error shape: {"error": {"code", "message", "field"?}}. Document 003 names none,
// so this is a plain one a client can switch on. The one place that maps domain codes to it.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorCode } from '../../shared/errors.ts';
import { classifyError } from '../errors.ts';

export type CollectErrorCode = 'invalid_request' | 'unauthorized' | 'forbidden' | 'not_found' | 'conflict' | 'gone' | 'rate_limited' | 'internal_error';

export function collectError(code: ErrorCode): { status: number; code: CollectErrorCode } {
  switch (code) {
    case 'invalid_input':
    case 'malformed_request':
    case 'missing_parameter':
    case 'action_unknown':
    case 'action_failed':
    case 'recreate_failed':
    case 'invalid_email_address':
    case 'unknown_bill_style':
    case 'unknown_message_template':
    case 'unknown_attachment':
    case 'unknown_usage_report_profile':
    case 'no_cdrs':
      return { status: 400, code: 'invalid_request' };
    case 'unauthenticated':
      return { status: 401, code: 'unauthorized' };
    case 'forbidden':
    case 'module_not_enabled':
      return { status: 403, code: 'forbidden' };
    case 'not_found':
    case 'route_not_found':
      return { status: 404, code: 'not_found' };
    case 'download_link_expired':
      return { status: 410, code: 'gone' };
    case 'invoice_not_unsent':
    case 'invoice_raised':
    case 'customer_has_invoices':
    case 'feature_has_billed_charges':
    case 'phone_number_in_use':
    case 'account_number_in_use':
    case 'idempotency_key_reused':
    case 'idempotency_key_in_progress':
    case 'conflict':
      return { status: 409, code: 'conflict' };
    case 'rate_limited':
      return { status: 429, code: 'rate_limited' };
    case 'email_failed':
    case 'cdr_email_failed':
    case 'download_link_failed':
      return { status: 500, code: 'internal_error' };
  }
}

export interface CollectErrorBody {
  error: { code: CollectErrorCode; message: string; field?: string };
}

export function collectErrorHandler(err: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const classified = classifyError(err);
  if (!classified) {
    request.log.error({ err }, 'unexpected error');
    void reply.status(500).send({ error: { code: 'internal_error', message: 'an unexpected error occurred; it has been logged' } } satisfies CollectErrorBody);
    return;
  }
  const wire = collectError(classified.error.code);
  const body: CollectErrorBody = { error: { code: wire.code, message: classified.error.message } };
  if (classified.error.field) body.error.field = classified.error.field;
  void reply.status(classified.status ?? wire.status).send(body);
}
