// Expected failures are typed domain errors with a stable code. Each HTTP surface maps these codes to its
// own wire shape in exactly one place (see src/http/*/errors.ts); use cases never know about HTTP.

export const errorCodes = [
  'invalid_input', // a field or parameter is malformed; `field` names it
  'malformed_request', // the body is not parseable JSON, wrong content type, too large
  'unauthenticated', // no API key, or an unknown or revoked one
  'forbidden', // the key's level is too low for the operation
  'not_found', // no such resource in the caller's account
  'route_not_found',
  'invoice_not_unsent', // the invoice is raised (approved): its contents are frozen
  'invoice_raised', // the operation needs a raised invoice but it is unsent
  'customer_has_invoices',
  'feature_has_billed_charges',
  'phone_number_in_use',
  'account_number_in_use',
  'idempotency_key_reused', // same Idempotency-Key, different request
  'idempotency_key_in_progress', // same Idempotency-Key, first request still running
  'action_unknown',
  'action_failed',
  'missing_parameter',
  'conflict', // any other state conflict
  'rate_limited',
  // invoice delivery (the invoices document's codes)
  'recreate_failed', // 400701
  'invalid_email_address', // 400702
  'unknown_bill_style', // 400703
  'unknown_message_template', // 400704
  'unknown_attachment', // 400705
  'unknown_usage_report_profile', // 400706
  'no_cdrs', // 400707
  'email_failed', // 500601
  'cdr_email_failed', // 500602
  'download_link_failed', // 500701
  'module_not_enabled', // the account has not switched the module on
  'download_link_expired', // a download link past its expiry or uses
] as const;

export type ErrorCode = (typeof errorCodes)[number];

export class DomainError extends Error {
  readonly code: ErrorCode;
  /** The request field at fault, for invalid_input and missing_parameter. */
  readonly field: string | undefined;

  constructor(code: ErrorCode, message: string, field?: string) {
    super(message);
    this.name = 'DomainError';
    this.code = code;
    this.field = field;
  }
}

export function invalid(field: string, message: string): DomainError {
  return new DomainError('invalid_input', `${field}: ${message}`, field);
}

export function notFound(what: string, id: string | number): DomainError {
  return new DomainError('not_found', `${what} ${id} not found`);
}

/** A programmer error: an invariant that must hold. Never caught as a domain error; it becomes a 500. */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`assertion failed: ${message}`);
}
