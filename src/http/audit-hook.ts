// The audit log's hook on the API: every successful change (POST, PUT, PATCH, DELETE answered 2xx) made
// with an API key is recorded once, here, for every route, instead of by hand in each handler. The
// resource, its id and the action come from the route's pattern (/customers/:id PATCH -> customers,
// update; /invoices/:id/approve -> invoices, approve; POST /customers -> customers, create, with the id
// from the answer). For a PATCH the resource is read before (the route's own GET, with the same key) and
// after (the answer), and the fields that changed are kept. Call traffic from switches (CDR pushes,
// authorisations, call events) is data coming in, not an operator's change, and is not logged here.
//
// The entry commits with the change: an audited request's handler runs in a unit of work
// (src/db/unit-of-work.ts) that its use cases' transactions join, and the entry is written in it before it
// commits. If the entry cannot be written, nothing the request did stays and the answer is a 500. A route
// whose work commits on its own before the request ends (a billing run's batches, a call file's import, a
// refund before its gateway call, an email queued before it is sent) says `unitOfWork: false` and hands the
// entry (apiAuditOf) to its use case, which writes it in its first transaction (`auditedByRoute`; the
// email actions are named in SENDS_AT_ONCE).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Ctx } from '../context.ts';
import { diff, recordAudit } from '../audit/record.ts';
import { addRouteHooks } from './idempotency.ts';
import { finishRequestUnit, runChangesInUnits } from './kit/unit-of-work.ts';

declare module 'fastify' {
  interface FastifyRequest {
    auditBefore?: Record<string, unknown>;
  }
}

const NOT_AUDITED = [
  /^\/calls$/,
  /^\/calls\/authorize/,
  /^\/calls\/push\//,
  /^\/callEvents$/,
  /^\/calls\/:id\/events$/,
];
const VERBS = new Set(['rerate']);
/**
 * Invoice actions that send the email inside the request and answer with the outcome: they run outside a
 * unit of work (the outbox's record of the send commits before the SMTP call), and the use case writes
 * their entry in the transaction that queues the email (the route hands it over).
 */
export const SENDS_AT_ONCE: ReadonlySet<string> = new Set(['email', 'emailCdrs']);
const CHANGE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export interface AuditTarget {
  resource: string;
  action: string;
  idParam?: string | undefined;
}

/** What a route pattern changes: /customers/:id/features POST -> features, create (id from the answer). */
export function auditTargetOf(method: string, pattern: string): AuditTarget | undefined {
  if (!CHANGE_METHODS.has(method) || NOT_AUDITED.some((r) => r.test(pattern))) return undefined;
  const segs = pattern.split('/').filter(Boolean);
  const last = segs.at(-1);
  if (!last) return undefined;
  const isParam = (s: string | undefined) => s !== undefined && s.startsWith(':');
  if (isParam(last)) {
    return {
      resource: segs.at(-2) ?? 'unknown',
      idParam: last.slice(1),
      action: method === 'DELETE' ? 'delete' : method === 'POST' ? 'action' : 'update',
    };
  }
  const before = segs.at(-2);
  if (isParam(before) && method === 'POST' && /^[a-z]+[A-Z]?[a-zA-Z]*$/.test(last) && !last.endsWith('s')) {
    // A verb on one resource: /invoices/:id/approve, /billingRuns/:id/resume, /webhooks/:id/rotateSecret.
    return { resource: segs.at(-3) ?? 'unknown', idParam: before!.slice(1), action: last };
  }
  if (VERBS.has(last) && before) return { resource: before, action: last };
  const parent = [...segs].reverse().find(isParam);
  return {
    resource: last,
    action:
      method === 'POST'
        ? 'create'
        : method === 'DELETE'
          ? 'delete'
          : method === 'PATCH'
            ? 'update'
            : 'replace',
    idParam: parent?.slice(1),
  };
}

/** A parsed JSON body that is an object (or an array, spread by index as before). */
function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function parseJson(payload: unknown): unknown {
  if (typeof payload !== 'string' || payload.length > 1_000_000) return undefined;
  try {
    return JSON.parse(payload);
  } catch {
    return undefined;
  }
}

function patternOf(request: FastifyRequest, prefix: string): string {
  const url = request.routeOptions.url ?? '';
  return url.startsWith(prefix) ? url.slice(prefix.length) : url;
}

const INTERNAL_ERROR = {
  type: 'application/json; charset=utf-8',
  body: JSON.stringify({
    error: 'Internal Error',
    error_code: 500001,
    hint: 'An unexpected error occurred; it has been logged',
  }),
};

function finishRequest(
  request: FastifyRequest,
  reply: FastifyReply,
  payload: unknown,
  entry: (() => Promise<void>) | undefined,
): Promise<unknown> {
  return finishRequestUnit(request, reply, payload, entry, INTERNAL_ERROR);
}

/** Registered on the routes of the methods that change things only: a GET costs it nothing. */
/**
 * The id of what a create made, from its answer: `id`, or the resource's own id field as the collect API
 * names it (`requestId` for /requests).
 */
function idOfCreated(answer: Record<string, unknown> | undefined, resource: string): string | undefined {
  if (!answer) return undefined;
  const id = answer.id ?? answer[`${resource.replace(/s$/, '')}Id`];
  return typeof id === 'string' || typeof id === 'number' ? String(id) : undefined;
}

export function registerApiAudit(app: FastifyInstance, ctx: Ctx, prefix: string): void {
  // The handler of each change route runs in a unit of work when the request is one the log records.
  runChangesInUnits(
    app,
    ctx,
    CHANGE_METHODS,
    (request) =>
      !!request.principal &&
      !!auditTargetOf(request.method, patternOf(request, prefix)) &&
      !SENDS_AT_ONCE.has(String((request.query as Record<string, unknown> | undefined)?.action)),
  );

  addRouteHooks(app, new Set(['PATCH']), {
    preHandler: async function auditBefore(request) {
      if (request.method !== 'PATCH' || !request.principal) return;
      // The resource before the change, as its GET shows it to the same key.
      const before = await app.inject({
        method: 'GET',
        url: request.url,
        headers: { authorization: request.headers.authorization ?? '' },
      });
      if (before.statusCode === 200) {
        const parsed = parseJson(before.payload);
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
          request.auditBefore = parsed as Record<string, unknown>;
      }
    },
  });

  addRouteHooks(app, CHANGE_METHODS, {
    onSend: async function auditRecord(request, reply, payload) {
      const query = (request.query ?? {}) as Record<string, unknown>;
      // A replayed answer (same Idempotency-Key) is the same change, already logged.
      if (
        reply.statusCode >= 300 ||
        !request.principal ||
        reply.getHeader('idempotent-replayed') ||
        request.routeOptions.config?.auditedByRoute ||
        SENDS_AT_ONCE.has(String(query.action))
      )
        return finishRequest(request, reply, payload, undefined);
      const target = auditTargetOf(request.method, patternOf(request, prefix));
      if (!target) return finishRequest(request, reply, payload, undefined);
      const principal = request.principal;
      const params = (request.params ?? {}) as Record<string, string>;
      const answer = parseJson(payload);
      const answerObject =
        answer && typeof answer === 'object' && !Array.isArray(answer)
          ? (answer as Record<string, unknown>)
          : undefined;
      let resourceId: string | undefined = target.idParam ? params[target.idParam] : undefined;
      let changes: Record<string, unknown> | null = null;
      let action = target.action;
      const createdId = target.action === 'create' ? idOfCreated(answerObject, target.resource) : undefined;
      if (createdId !== undefined) {
        // The parent's id (for /customers/:id/features) goes in the changes; the new row's id is the resource id.
        if (resourceId) changes = { parentId: resourceId };
        resourceId = createdId;
      }
      if (action === 'action' && typeof query.action === 'string') action = query.action;
      if (request.method === 'PATCH' && request.auditBefore && answerObject)
        changes = diff(request.auditBefore, answerObject);
      else if (request.method === 'PATCH' && isRecord(request.body)) changes = { ...request.body };
      return finishRequest(request, reply, payload, () =>
        recordAudit(ctx, principal.accountId, {
          actor: { type: 'api_key', id: principal.keyId },
          action,
          resource: target.resource,
          resourceId,
          ip: request.ip,
          surface: 'api',
          changes,
        }),
      );
    },
  });
}
