// The OpenAPI document: GET /openapi.json, and the browsable UI at /docs. @fastify/swagger builds it from the
// route schemas (zod, through fastify-type-provider-zod); this file adds what a client generator needs and
// the routes cannot say one by one:
// - the error answers every operation of a surface can give, in that surface's error shape (a hook of the
//   surface sends them: the key check, the body parser, the id in the path), each with a description;
// - `servers`: where the document was fetched from (PUBLIC_URL when set, else the request's host);
// - the license, and no component schema that nothing refers to.
// Each operation names its own operationId in its route schema (test/integration/openapi.test.ts checks that
// every operation has one and that they are unique); `npm run openapi:lint` lints the result.
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { BACKEND_PREFIX } from './backend/index.ts';
import { errorBody as backendErrorBody } from './backend/schemas.ts';
import { CALLS_API_PREFIX } from './calls-api/index.ts';
import { errorResponse as callsApiErrorBody } from './calls-api/schemas.ts';
import { COLLECT_PREFIX } from './collect/index.ts';
import { errorBody as collectErrorBody } from './collect/schemas.ts';
import { FEED_PREFIX } from './feed/index.ts';
import { publicBaseUrl } from './public-url.ts';

export const API_VERSION = '0.1.0';

const DESCRIPTION =
  'Open-source call billing. The backend API (/backend/api/v1) speaks the transactions and invoices documents: camelCase fields, amounts as decimal strings, errors as {"error", "error_code", "hint"}. Authenticate with `Authorization: Bearer KEY`. Lists are pages of at most `limit` rows (default 100, max 1000) ordered by id; the `Link` header (rel="next") and `X-Next-After` give the next page. POSTs that create accept an `Idempotency-Key` header. A JSON body may nest at most 64 levels and be at most 1 MiB unless the route says otherwise (413); every error, including one for a malformed URL, comes in the error shape of its surface. The calls of an invoice (/v1/calls) speak document 002: the {success, data, meta} envelope, snake_case fields, prefixed ids (call_…, inv_…, acc_…), errors {success: false, error: {code, message}, meta}, and a per-key rate limit.';

/** The error body outside every surface (GET /healthz): {"error": "…"}. */
const plainErrorBody = z
  .object({ error: z.string() })
  .meta({ id: 'PlainError', description: 'Error body outside the API surfaces' });

type Status = 400 | 401 | 403 | 404 | 409 | 410 | 413 | 415 | 429 | 500;

/** What a surface's hooks may answer to any of its operations, and in which shape. */
interface SurfaceErrors {
  prefix: string;
  body: z.ZodType;
  /** Each error status of the surface, described. */
  describe: Partial<Record<Status, string>>;
  /** The statuses the operation can answer whatever it does (its route may list more). */
  statusesOf(operation: OperationFacts): Status[];
}

interface OperationFacts {
  method: string;
  hasPathParameters: boolean;
  /** A JSON body, read by the surface's parser (not a file taken as it comes). */
  hasJsonBody: boolean;
  /** Any body (JSON or a file). */
  hasBody: boolean;
  /** The lowest API key level the route takes (config.level; default 1). */
  level: number;
  /** The route refuses an Idempotency-Key (its answer carries a secret shown once). */
  idempotent: boolean;
}

const SURFACES: SurfaceErrors[] = [
  {
    prefix: BACKEND_PREFIX,
    body: backendErrorBody,
    describe: {
      400: 'error_code 400001 Invalid Parameter (a parameter or field does not validate; the hint names it), 400002 Malformed Request (a URL or body that cannot be read), or a code of this operation',
      401: 'error_code 401001 Unauthorized: no API key, or one that is not valid or has been revoked',
      403: "error_code 403001 Permission Denied: the API key's level is below what this operation needs; 403002 Module Not Enabled",
      404: "error_code 404001 Not Found: nothing with this id in the API key's account",
      409: 'error_code 409000 Conflict (a change made at the same time: retry), 409007 Idempotency Key Reused (with another request), 409008 Request In Progress, or a conflict of this operation (4090xx)',
      413: 'error_code 413001: the body is larger than this operation takes',
      415: 'error_code 415001: the body is not in a content type this operation takes (send JSON with Content-Type: application/json)',
      500: 'error_code 500001 Internal Error (logged), or a delivery failure (5006xx, 5007xx)',
    },
    statusesOf: (op) => [
      400,
      401,
      ...(op.level > 1 ? [403 as const] : []),
      ...(op.hasPathParameters ? [404 as const] : []),
      // An Idempotency-Key sent again with another request, or while the first is still being answered.
      ...(op.method === 'POST' && op.idempotent && op.hasJsonBody ? [409 as const] : []),
      ...(op.hasBody ? [413 as const] : []),
      ...(op.hasJsonBody ? [415 as const] : []),
    ],
  },
  {
    prefix: CALLS_API_PREFIX,
    body: callsApiErrorBody,
    describe: {
      400: 'INVALID_REQUEST: a missing or malformed parameter',
      401: 'UNAUTHORIZED: "Invalid or missing API key"',
      403: "FORBIDDEN: the API key's level is too low",
      404: 'NOT_FOUND (also for what belongs to another account)',
      409: 'CONFLICT',
      413: 'INVALID_REQUEST: the file is too large',
      415: 'INVALID_REQUEST: the Content-Type is not a media type',
      429: 'RATE_LIMITED: too many requests with this API key this minute (Retry-After says when to retry)',
    },
    statusesOf: (op) => [400, 401, ...(op.hasPathParameters ? [404 as const] : []), 429],
  },
  {
    prefix: COLLECT_PREFIX,
    body: collectErrorBody,
    describe: {
      400: 'invalid_request: a parameter or field does not validate (`field` names it)',
      401: 'unauthorized: no API key, or one that is not valid or has been revoked',
      403: "forbidden: the API key's level is too low, or collections are not enabled",
      404: "not_found: nothing with this id in the API key's account",
      409: 'conflict: the request cannot be done in its current state, or an Idempotency-Key reused',
      410: 'gone: the payment link has expired',
      413: 'invalid_request: the body is larger than this operation takes',
      415: 'invalid_request: send the body as JSON (Content-Type: application/json)',
    },
    statusesOf: (op) => [
      400,
      401,
      ...(op.hasPathParameters ? [404 as const] : []),
      ...(op.hasBody ? [413 as const] : []),
      ...(op.hasJsonBody ? [415 as const] : []),
    ],
  },
  {
    prefix: FEED_PREFIX,
    body: plainErrorBody,
    describe: {
      400: 'A bad parameter',
      401: 'No API key, or one that is not valid or has been revoked',
      404: "Another account's id, or an unknown format or version",
    },
    statusesOf: () => [400, 401, 404],
  },
  {
    prefix: '',
    body: plainErrorBody,
    describe: {
      400: 'A query that cannot be read (text with the NUL character)',
      500: 'The database did not answer',
    },
    statusesOf: () => [400, 500],
  },
];

const ERROR_STATUS = /^[45]\d\d$/;

function surfaceOf(url: string): SurfaceErrors {
  return (
    SURFACES.find(({ prefix }) => prefix !== '' && (url === prefix || url.startsWith(`${prefix}/`))) ??
    SURFACES.at(-1)!
  );
}

function isFileBody(body: unknown): boolean {
  const meta = body instanceof z.ZodType ? z.globalRegistry.get(body) : undefined;
  return meta?.format === 'binary';
}

type ResponseEntry = z.ZodType | { description?: string; content: Record<string, { schema: z.ZodType }> };

/**
 * The route's schema as the document shows it: its own responses, each error one described, plus the errors
 * its surface may answer to every operation (in the surface's shape).
 */
function withSurfaceErrors(
  schema: Record<string, unknown>,
  url: string,
  route: RouteOptions,
): Record<string, unknown> {
  const surface = surfaceOf(url);
  const method = String(route.method);
  const body = schema.body;
  const facts: OperationFacts = {
    method,
    hasPathParameters: /[:{]/.test(url),
    hasBody: body !== undefined,
    hasJsonBody: body !== undefined && !isFileBody(body) && schema.consumes === undefined,
    level: route.config?.level ?? 1,
    idempotent: route.config?.idempotent !== false,
  };
  const response: Record<string, ResponseEntry> = {
    ...(schema.response as Record<string, ResponseEntry> | undefined),
  };
  for (const status of surface.statusesOf(facts)) response[status] ??= surface.body;
  for (const [status, entry] of Object.entries(response)) {
    if (!ERROR_STATUS.test(status) || !(entry instanceof z.ZodType)) continue;
    const description = surface.describe[Number(status) as Status] ?? 'Error';
    response[status] = { description, content: { 'application/json': { schema: entry } } };
  }
  return { ...schema, response };
}

/** The document with `servers` set to where this request reached the server (or PUBLIC_URL). */
function documentFor(
  document: Readonly<Record<string, unknown>>,
  serverUrl: string,
): Record<string, unknown> {
  const { openapi, info, ...rest } = document;
  return { openapi, info, servers: [{ url: serverUrl, description: 'This Ringbill server' }], ...rest };
}

/** Every component schema some part of the document reaches (other schemas included). */
function prunedComponents(document: {
  components?: { schemas?: Record<string, unknown> } & Record<string, unknown>;
}): Record<string, unknown> {
  const schemas: Record<string, unknown> = document.components?.schemas ?? {};
  const reached = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) visit(item);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string' && value.startsWith('#/components/schemas/')) {
        const name = value.slice('#/components/schemas/'.length);
        if (!reached.has(name)) {
          reached.add(name);
          visit(schemas[name]);
        }
      } else {
        visit(value);
      }
    }
  };
  const { components, ...rest } = document;
  visit(rest);
  visit({ ...components, schemas: undefined });
  return {
    ...components,
    schemas: Object.fromEntries(Object.entries(schemas).filter(([name]) => reached.has(name))),
  };
}

export interface OpenApiOptions {
  /** PUBLIC_URL: the document's server; default: the protocol and host of the request for the document. */
  publicUrl?: string | undefined;
}

/** GET /openapi.json and the UI at /docs (and /docs/json, the same document). */
export async function registerOpenApi(app: FastifyInstance, options: OpenApiOptions = {}): Promise<void> {
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Ringbill',
        version: API_VERSION,
        description: DESCRIPTION,
        license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: (document) => {
      const { schema, url, route } = document;
      if (!schema || schema.hide) return jsonSchemaTransform(document);
      return jsonSchemaTransform({
        ...document,
        schema: withSurfaceErrors(schema as Record<string, unknown>, url, route),
      });
    },
    transformObject: (document) => {
      const object = jsonSchemaTransformObject(document) as {
        components?: { schemas?: Record<string, unknown> } & Record<string, unknown>;
      } & Record<string, unknown>;
      return { ...object, components: prunedComponents(object) };
    },
  });
  const served = (request: FastifyRequest) =>
    documentFor(
      app.swagger() as unknown as Record<string, unknown>,
      publicBaseUrl(request, options.publicUrl),
    );
  await app.register(fastifySwaggerUi, {
    routePrefix: '/docs',
    transformSpecification: (_document, request) => served(request),
    transformSpecificationClone: false,
  });
  app.get('/openapi.json', { schema: { hide: true } }, async (request) => served(request));
}
