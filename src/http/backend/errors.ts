// The backend API's error shape, from the invoices document: {"error", "error_code", "hint"}.
// error_code is six digits: the HTTP status, then a number within it. This is the one place that maps
// domain error codes to it; the switch covers every code.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorCode } from '../../shared/errors.ts';
import { classifyError } from '../errors.ts';

interface WireError {
  status: number;
  errorCode: number;
  error: string;
}

export function backendError(code: ErrorCode): WireError {
  switch (code) {
    case 'invalid_input':
      return { status: 400, errorCode: 400001, error: 'Invalid Parameter' };
    case 'malformed_request':
      return { status: 400, errorCode: 400002, error: 'Malformed Request' };
    case 'action_unknown':
      return { status: 400, errorCode: 400501, error: 'Invalid Action' };
    case 'action_failed':
      return { status: 400, errorCode: 400502, error: 'Action Failed' };
    case 'missing_parameter':
      return { status: 400, errorCode: 400503, error: 'Missing Parameters' };
    case 'unauthenticated':
      return { status: 401, errorCode: 401001, error: 'Unauthorized' };
    case 'forbidden':
      return { status: 403, errorCode: 403001, error: 'Permission Denied' };
    case 'not_found':
      return { status: 404, errorCode: 404001, error: 'Not Found' };
    case 'route_not_found':
      return { status: 404, errorCode: 404002, error: 'Not Found' };
    case 'conflict':
      return { status: 409, errorCode: 409000, error: 'Conflict' };
    case 'invoice_not_unsent':
      return { status: 409, errorCode: 409001, error: 'Invoice Approved' };
    case 'invoice_raised':
      return { status: 409, errorCode: 409002, error: 'Invoice Not Approved' };
    case 'customer_has_invoices':
      return { status: 409, errorCode: 409003, error: 'Customer Has Invoices' };
    case 'feature_has_billed_charges':
      return { status: 409, errorCode: 409004, error: 'Feature Has Billed Charges' };
    case 'phone_number_in_use':
      return { status: 409, errorCode: 409005, error: 'Phone Number In Use' };
    case 'account_number_in_use':
      return { status: 409, errorCode: 409006, error: 'Account Number In Use' };
    case 'idempotency_key_reused':
      return { status: 409, errorCode: 409007, error: 'Idempotency Key Reused' };
    case 'idempotency_key_in_progress':
      return { status: 409, errorCode: 409008, error: 'Request In Progress' };
    case 'rate_limited':
      return { status: 429, errorCode: 429001, error: 'Rate Limited' };
    case 'recreate_failed':
      return { status: 400, errorCode: 400701, error: 'Recreate Failed' };
    case 'invalid_email_address':
      return { status: 400, errorCode: 400702, error: 'Invalid Email Address' };
    case 'unknown_bill_style':
      return { status: 400, errorCode: 400703, error: 'Unknown Bill Style' };
    case 'unknown_message_template':
      return { status: 400, errorCode: 400704, error: 'Unknown Message Template' };
    case 'unknown_attachment':
      return { status: 400, errorCode: 400705, error: 'Unknown Attachment' };
    case 'unknown_usage_report_profile':
      return { status: 400, errorCode: 400706, error: 'Unknown Usage Report Profile' };
    case 'no_cdrs':
      return { status: 400, errorCode: 400707, error: 'No CDRs Available' };
    case 'email_failed':
      return { status: 500, errorCode: 500601, error: 'Email Sending Failed' };
    case 'cdr_email_failed':
      return { status: 500, errorCode: 500602, error: 'CDR Email Sending Failed' };
    case 'download_link_failed':
      return { status: 500, errorCode: 500701, error: 'Download Link Generation Failed' };
    case 'module_not_enabled':
      return { status: 403, errorCode: 403002, error: 'Module Not Enabled' };
    case 'download_link_expired':
      return { status: 410, errorCode: 410001, error: 'Link Expired' };
  }
}

export function backendErrorHandler(err: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const classified = classifyError(err, request);
  if (!classified) {
    request.log.error({ err }, 'unexpected error');
    void reply.status(500).send({
      error: 'Internal Error',
      error_code: 500001,
      hint: 'An unexpected error occurred; it has been logged',
    });
    return;
  }
  const wire = backendError(classified.error.code);
  const status = classified.status ?? wire.status;
  const errorCode =
    classified.status && classified.status !== wire.status ? classified.status * 1000 + 1 : wire.errorCode;
  void reply
    .status(status)
    .send({ error: wire.error, error_code: errorCode, hint: classified.error.message });
}
