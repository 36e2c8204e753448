// What each domain error code means, in words for the README's error catalogue (npm run docs:errors, from
// src/http/error-catalogue.ts). A Record over ErrorCode: a new code does not typecheck until it says what it
// means here, so the documented list cannot fall behind the code.
import type { ErrorCode } from './errors.ts';

export const ERROR_MEANINGS: Record<ErrorCode, string> = {
  invalid_input: 'a field or parameter is invalid; the message (hint) names it',
  malformed_request:
    'the request cannot be read: the body is not JSON or is nested more than 64 levels deep, the URL has a bad percent-escape',
  unauthenticated: 'no API key, or an unknown or revoked one',
  forbidden: "the API key's level is too low for the operation",
  not_found: "no such resource in the key's account (another account's ids included)",
  route_not_found: 'no such route (path or method)',
  invoice_not_unsent: 'the invoice is approved (raised): its contents are frozen',
  invoice_raised: 'the operation needs an approved invoice, and this one is not approved yet',
  customer_has_invoices: 'a customer with invoices cannot be deleted',
  feature_has_billed_charges: 'a feature with billed charges cannot be deleted',
  phone_number_in_use: "the phone number is another feature's",
  account_number_in_use: "the account number is another customer's",
  idempotency_key_reused: 'the Idempotency-Key was used for a different request',
  idempotency_key_in_progress: 'the first request with this Idempotency-Key is still being processed',
  action_unknown: 'an invoice action that does not exist',
  action_failed: 'the invoice action (or a card payment) could not be carried out; the message says why',
  missing_parameter: 'a required parameter is missing',
  conflict:
    'the resource is in a state that does not allow it (a billing run already completed, a link already paid), or a concurrent change won: retry',
  rate_limited: 'too many requests: wait (Retry-After) and retry',
  recreate_failed: 'the bill could not be rendered again',
  invalid_email_address: 'an email address is not valid',
  unknown_bill_style: 'no bill style of that name',
  unknown_message_template: 'no message template of that name',
  unknown_attachment: 'no attachment of that name',
  unknown_usage_report_profile: 'no usage report profile of that name',
  no_cdrs: 'the invoice has no calls to put in a CDR file',
  email_failed: 'the mail server refused the message (it is retried; asking again reports when)',
  cdr_email_failed: 'the mail server refused the CDR file message (it is retried)',
  download_link_failed: 'the download link could not be made',
  module_not_enabled: 'the account has not switched on the module the operation needs (xero)',
  download_link_expired: 'the download link has expired or its downloads are used up',
};
