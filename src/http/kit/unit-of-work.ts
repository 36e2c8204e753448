// A change request in one unit of work (src/db/unit-of-work.ts), for the surfaces whose changes are audited
// (the API's audit hook, the console): the route's handler runs in the unit, and the unit ends when the
// answer is about to be sent, with the audit entry written in it before it commits. What the use cases did
// commits whatever the answer (as each of their transactions did before: a refused email stays queued); an
// audit entry or a commit that fails rolls it all back and turns the answer into a 500.
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import type { AuditChange } from '../../audit/record.ts';
import { finishUnitOfWork, runInUnitOfWork, type Ctx, type UnitOfWork } from '../../context.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The unit of work an audited change runs in, ended when the answer is sent. */
    unitOfWork?: UnitOfWork;
  }
  interface FastifyContextConfig {
    /**
     * false: the route's work commits on its own before the answer, outside a unit of work (a long process
     * that commits as it goes; a record that must commit before a gateway or SMTP call).
     */
    unitOfWork?: boolean;
    /** The API's route records its own audit entry in its use case's first transaction (see apiAuditOf). */
    auditedByRoute?: boolean;
  }
}

/**
 * Runs the handlers of the routes registered after this call (of these methods) in a unit of work, when
 * `wanted(request)` says so.
 */
export function runChangesInUnits(
  app: FastifyInstance,
  ctx: Ctx,
  methods: ReadonlySet<string>,
  wanted: (request: FastifyRequest) => boolean = () => true,
): void {
  app.addHook('onRoute', (route: RouteOptions) => {
    const list = Array.isArray(route.method) ? route.method : [route.method];
    if (!list.some((m) => methods.has(m)) || route.config?.unitOfWork === false) return;
    const handler = route.handler;
    route.handler = function inUnitOfWork(this: unknown, request, reply) {
      if (!methods.has(request.method) || !wanted(request))
        return handler.call(this as never, request, reply);
      return runInUnitOfWork(ctx.db, (work) => {
        request.unitOfWork = work;
        return handler.call(this as never, request, reply);
      });
    };
  });
  // A request that ended without its answer going through onSend still ends its unit.
  app.addHook('onResponse', async (request) => {
    const work = request.unitOfWork;
    request.unitOfWork = undefined;
    if (work)
      await finishUnitOfWork(work, { commit: true }).catch((error: unknown) =>
        request.log.error({ err: error }, 'a request ended and its unit of work could not commit'),
      );
  });
}

/**
 * Ends the request's unit (if it has one) from an onSend hook: `entry` (the audit entry) written in it, then
 * committed. When that fails, the answer becomes `failure` (a 500). Without a
 * unit, `entry` runs on its own.
 */
export async function finishRequestUnit(
  request: FastifyRequest,
  reply: FastifyReply,
  payload: unknown,
  entry: (() => Promise<void>) | undefined,
  failure: { type: string; body: string },
): Promise<unknown> {
  const work = request.unitOfWork;
  if (!work) {
    if (entry) await entry();
    return payload;
  }
  request.unitOfWork = undefined;
  try {
    await finishUnitOfWork(work, { commit: true, before: entry });
    return payload;
  } catch (error) {
    // An answer that already refuses the change (a read that failed, mapped to a 4xx) stays: what the unit
    // did is rolled back, which the refusal already tells the client.
    if (reply.statusCode >= 400 && reply.statusCode < 500) {
      request.log.warn({ err: error }, 'a refused change: its unit of work rolled back');
      return payload;
    }
    request.log.error({ err: error }, 'the change could not be committed with its audit entry: rolled back');
    void reply.removeHeader('location').status(500).header('content-type', failure.type);
    return failure.body;
  }
}

/** Who and from where, for an API route that records its own entry (`auditedByRoute`). */
export function apiAuditOf(
  request: FastifyRequest,
  change: Omit<AuditChange, 'actor' | 'ip' | 'surface'>,
): AuditChange | undefined {
  if (!request.principal) return undefined;
  return {
    actor: { type: 'api_key', id: request.principal.keyId },
    ip: request.ip,
    surface: 'api',
    ...change,
  };
}
