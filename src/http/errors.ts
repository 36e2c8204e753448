// Turns anything a route can throw into a DomainError, or leaves it as an unexpected error (a 500).
// Each surface then maps the DomainError to its own wire shape, in one place.
import type { FastifyError, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { DEADLOCK, SERIALIZATION_FAILURE, sqlStateOf, UNIQUE_VIOLATION } from '../db/sql-state.ts';
import { DomainError, type ErrorCode } from '../shared/errors.ts';

export interface ClassifiedError {
  error: DomainError;
  /** Overrides the surface's status for the code (413, 415 from the HTTP layer). */
  status?: number;
}

const MAX_ISSUES_IN_HINT = 5;

/**
 * Statuses the HTTP layer gives some errors over their code's usual one (a too-large body is a
 * malformed_request, but 413). Listed for the error catalogue (npm run docs:errors).
 */
export const TRANSPORT_ERRORS = [
  {
    status: 413,
    code: 'malformed_request',
    meaning: 'the request body is larger than the route takes (1 MiB unless the route says otherwise)',
  },
  { status: 414, code: 'malformed_request', meaning: 'a path segment is longer than 100 characters' },
  { status: 415, code: 'malformed_request', meaning: 'the body has a content type the route does not take' },
  { status: 408, code: 'malformed_request', meaning: 'the request took too long to arrive' },
  { status: 431, code: 'malformed_request', meaning: 'the request line and headers are larger than 16 KB' },
] as const satisfies readonly { status: number; code: ErrorCode; meaning: string }[];

/** The body size limit of the request's route, if it has a route (a framework error comes before one). */
function bodyLimitOf(request: FastifyRequest | undefined): number | undefined {
  try {
    return request?.routeOptions.bodyLimit;
  } catch {
    return undefined;
  }
}

export function classifyError(err: unknown, request?: FastifyRequest): ClassifiedError | undefined {
  if (err instanceof DomainError) return { error: err };
  if (hasZodFastifySchemaValidationErrors(err)) {
    const context = (err as FastifyError).validationContext;
    const issues = (err as FastifyError).validation!.slice(0, MAX_ISSUES_IN_HINT).map((v) => {
      const path = v.instancePath.replace(/^\//, '').replace(/\//g, '.');
      const keys = (v.params as { keys?: string[] }).keys;
      if (v.keyword === 'unrecognized_keys' && keys) {
        return {
          field: path ? `${path}.${keys[0]}` : keys[0]!,
          message: `unknown field${keys.length > 1 ? 's' : ''} ${keys.join(', ')}`,
        };
      }
      return { field: path || context || 'request', message: v.message ?? 'is invalid' };
    });
    const first = issues[0]!;
    const message = issues.map((i) => `${i.field}: ${i.message}`).join('; ');
    return { error: new DomainError('invalid_input', message, first.field) };
  }
  const fastifyCode = (err as FastifyError | undefined)?.code;
  switch (fastifyCode) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return {
        error: new DomainError(
          'malformed_request',
          `the request body is not valid JSON: ${(err as Error).message}`,
        ),
      };
    case 'FST_ERR_CTP_BODY_TOO_LARGE': {
      const limit = bodyLimitOf(request);
      return {
        error: new DomainError(
          'malformed_request',
          `the request body is too large${limit ? `: at most ${limit} bytes` : ''}`,
        ),
        status: 413,
      };
    }
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return {
        error: new DomainError(
          'malformed_request',
          'send the body as JSON with Content-Type: application/json',
        ),
        status: 415,
      };
    case 'FST_ERR_BAD_URL':
    case 'FST_ERR_ASYNC_CONSTRAINT':
      return {
        error: new DomainError(
          'malformed_request',
          'the URL is malformed: a percent sign must start an escape of UTF-8 (%41, %C3%A9)',
        ),
      };
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return {
        error: new DomainError('malformed_request', 'the URL has a path segment longer than 100 characters'),
        status: 414,
      };
    case undefined: // not one of Fastify's errors
    default:
      break; // sorted below
  }
  // A JSON body that parsed into something a route cannot use (syntax errors reported by the parser).
  if (err instanceof SyntaxError)
    return {
      error: new DomainError('malformed_request', `the request body is not valid JSON: ${err.message}`),
    };
  const status = (err as { statusCode?: number } | undefined)?.statusCode;
  if (status !== undefined && status >= 400 && status < 500) {
    return { error: new DomainError('malformed_request', (err as Error).message), status };
  }
  // PostgreSQL: two requests raced for the same unique value (23505), or waited on each other's rows and
  // one was chosen to give way (40P01 deadlock, 40001 serialization failure). Nothing of it was stored.
  const sqlState = sqlStateOf(err);
  if (sqlState === UNIQUE_VIOLATION || sqlState === DEADLOCK || sqlState === SERIALIZATION_FAILURE) {
    return {
      error: new DomainError('conflict', 'a conflicting change was made at the same time; retry the request'),
    };
  }
  return undefined;
}

/**
 * The HTTP status of a domain error on the surfaces that use plain statuses (the calls API, the feed,
 * collections); each words the code its own way. The backend has its own six-digit codes (backend/errors.ts).
 * A link past its expiry is 410 Gone; the calls API and the feed have no such links and never see it.
 */
export function httpStatusOf(code: ErrorCode): number {
  switch (code) {
    case 'unauthenticated':
      return 401;
    case 'forbidden':
    case 'module_not_enabled':
      return 403;
    case 'not_found':
    case 'route_not_found':
      return 404;
    case 'download_link_expired':
      return 410;
    case 'rate_limited':
      return 429;
    case 'invoice_not_unsent':
    case 'invoice_raised':
    case 'customer_has_invoices':
    case 'feature_has_billed_charges':
    case 'phone_number_in_use':
    case 'account_number_in_use':
    case 'idempotency_key_reused':
    case 'idempotency_key_in_progress':
    case 'conflict':
      return 409;
    case 'email_failed':
    case 'cdr_email_failed':
    case 'download_link_failed':
      return 500;
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
      return 400;
  }
}
