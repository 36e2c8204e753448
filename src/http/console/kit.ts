// What every console page and action shares: the signed-in user (or a redirect to sign in), CSRF checks on
// every state-changing request, the role's level checks (the API key levels), and one place where actions
// are audited and their outcome becomes a redirect with a message.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { findAccount } from '../../accounts/repo.ts';
import { recordAudit, type AuditChange } from '../../audit/record.ts';
import type { Ctx } from '../../context.ts';
import type { AccountRow } from '../../accounts/repo.ts';
import type { ConsoleSessionRow, ConsoleUserRow } from '../../console-users/repo.ts';
import { sessionOf } from '../../console-users/sign-in.ts';
import { ROLE_LEVEL } from '../../console-users/roles.ts';
import { DomainError } from '../../shared/errors.ts';
import { publicBaseUrl } from '../public-url.ts';
import { sameToken, secure, sendHtml } from '../kit/page.ts';
import { csrfFieldOf, formBody, pathParams } from '../kit/form.ts';
import type { ZodApp } from '../kit/app-type.ts';
import { layout, type ConsoleFrame, type ConsolePage } from './html.ts';

export const COOKIE = 'rb_console';
export const CSP = { scriptSelf: true, styleSelf: true, connectSelf: true, frameSelf: true } as const;

export interface Me {
  user: ConsoleUserRow;
  session: ConsoleSessionRow;
  accountId: number;
  account: AccountRow;
  level: number;
  csrf: string;
}

export interface ActionResult {
  /** Where to go next (default: back where the form said). */
  redirect: string;
  /** The message shown there. */
  message?: string | undefined;
  audit?:
    | {
        action: string;
        resource: string;
        resourceId?: string | number | null | undefined;
        changes?: Record<string, unknown> | null | undefined;
      }
    | undefined;
}

/** What a console change did (who and from where are added by `kit.audit`). */
export type ConsoleChange = Omit<AuditChange, 'actor' | 'ip' | 'surface'>;

export interface ConsoleKit {
  ctx: Ctx;
  publicUrl: string | undefined;
  /** The signed-in user; a redirect to sign in (and undefined) when there is none. */
  me(request: FastifyRequest, reply: FastifyReply): Promise<Me | undefined>;
  page(
    reply: FastifyReply,
    me: Me | undefined,
    f: Omit<ConsoleFrame, 'user' | 'accountName' | 'csrf' | 'timeZone'>,
    status?: number,
  ): FastifyReply;
  /** Records a console change in the audit log: the user, their address, the surface. */
  audit(me: Me, ip: string, change: ConsoleChange): Promise<void>;
  /**
   * The entry for a use case that writes it in its own first transaction (an action with `unitOfWork:
   * false`: a billing run, a refund, an email sent at once, a call file import).
   */
  auditOf(me: Me, request: FastifyRequest, change: ConsoleChange): AuditChange;
  /**
   * Refuses (403) a POST that a browser says came from another site: the sign-in, account choice, forgot
   * password and password-link forms, which have no session (so no CSRF token) yet. A page elsewhere must
   * not sign a visitor in to the attacker's user (login CSRF) or set passwords and send reset emails in
   * their name. Browsers say where a request came from in Sec-Fetch-Site (whatever the referrer policy)
   * and, older ones, in Origin; a request with neither (curl, a script) is not a browser's to protect.
   */
  refuseCrossSite(request: FastifyRequest): void;
  /** Refuses (403) when the user's role is below the level. */
  need(me: Me, level: number): void;
  may(me: Me, level: number): boolean;
  /**
   * A state-changing route: signed in, CSRF token checked, level checked, the handler run, the change
   * audited, then a 303 to the result (or back with the error when the input was refused). Like every
   * console POST, it runs in a unit of work (see index.ts): the change and its audit entry commit together.
   */
  action(
    path: string,
    level: number,
    handler: (
      me: Me,
      body: Record<string, string>,
      params: Record<string, string>,
      request: FastifyRequest,
    ) => Promise<ActionResult>,
    back?: (params: Record<string, string>) => string,
    /**
     * unitOfWork false: the action's work commits on its own before the answer (a billing run, a refund
     * before its gateway call, an email before it is sent): its use case writes the entry (kit.auditOf).
     */
    options?: { unitOfWork?: false },
  ): void;
  baseUrl(request: FastifyRequest): string;
  ip(request: FastifyRequest): string;
}

export function withMessage(path: string, key: 'ok' | 'error', message: string): string {
  const [base, hash] = path.split('#') as [string, string | undefined];
  return `${base}${base.includes('?') ? '&' : '?'}${key}=${encodeURIComponent(message.slice(0, 300))}${hash ? `#${hash}` : ''}`;
}

export function makeKit(app: ZodApp, ctx: Ctx, publicUrl: string | undefined): ConsoleKit {
  const baseUrl = (request: FastifyRequest) => publicBaseUrl(request, publicUrl);
  const me = async (request: FastifyRequest, reply: FastifyReply): Promise<Me | undefined> => {
    const found = await sessionOf(ctx, request.cookies[COOKIE]);
    if (!found) {
      if (request.headers['hx-request']) void reply.header('hx-redirect', '/console/sign-in');
      void secure(reply).redirect(
        `/console/sign-in${request.method === 'GET' ? `?next=${encodeURIComponent(request.url.slice(0, 300))}` : ''}`,
        303,
      );
      return undefined;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      const origin = request.headers.origin;
      const sent = String(request.headers['x-csrf-token'] ?? csrfFieldOf(request.body));
      if (
        (origin !== undefined && origin !== 'null' && origin !== baseUrl(request)) ||
        !sameToken(sent, found.session.csrf_token)
      ) {
        throw new DomainError(
          'forbidden',
          'this form has expired or did not come from this site: go back, reload the page and try again',
        );
      }
    }
    const account = await findAccount(ctx.db, found.user.account_id);
    if (!account) return undefined;
    return {
      user: found.user,
      session: found.session,
      accountId: found.user.account_id,
      account,
      level: ROLE_LEVEL[found.user.role],
      csrf: found.session.csrf_token,
    };
  };
  const refuseCrossSite = (request: FastifyRequest) => {
    const site = request.headers['sec-fetch-site'];
    const origin = request.headers.origin;
    if (
      (site !== undefined && site !== 'same-origin' && site !== 'none') ||
      (site === undefined && origin !== undefined && origin !== 'null' && origin !== baseUrl(request))
    )
      throw new DomainError(
        'forbidden',
        'this form did not come from this site: open the console at its own address and try again',
      );
  };
  const need = (m: Me, level: number) => {
    if (m.level < level) throw new DomainError('forbidden', `your role (${m.user.role}) may not do this`);
  };
  const auditOf = (m: Me, ip: string, change: ConsoleChange): AuditChange => ({
    actor: { type: 'user', id: m.user.id, name: m.user.email },
    ip,
    surface: 'console',
    ...change,
  });
  const kit: ConsoleKit = {
    ctx,
    publicUrl,
    me,
    async audit(m, ip, change) {
      // In the request's unit of work (every console POST runs in one): the entry commits with the change,
      // and if it cannot be written the change is rolled back too (recordAudit).
      await recordAudit(ctx, m.accountId, auditOf(m, ip, change));
    },
    auditOf: (m, request, change) => auditOf(m, request.ip, change),
    refuseCrossSite,
    need,
    may: (m, level) => m.level >= level,
    baseUrl,
    ip: (request) => request.ip,
    page: (reply, m, f, status = 200) =>
      sendHtml(
        reply,
        status,
        () =>
          layout({
            ...f,
            user: m?.user,
            accountName: m?.account.name,
            timeZone: m?.account.timezone,
            csrf: m?.csrf,
          }),
        CSP,
      ),
    action(path, level, handler, back, options) {
      app.post(
        path,
        {
          schema: { hide: true, params: pathParams, body: formBody },
          ...(options?.unitOfWork === false ? { config: { unitOfWork: false } } : {}),
        },
        async (request, reply) => {
          const m = await me(request, reply);
          if (!m) return reply;
          need(m, level);
          const { params, body } = request;
          let result: ActionResult;
          try {
            result = await handler(m, body, params, request);
          } catch (error) {
            if (
              !(error instanceof DomainError) ||
              error.code === 'not_found' ||
              error.code === 'forbidden' ||
              !back
            )
              throw error;
            return secure(reply).redirect(withMessage(back(params), 'error', error.message), 303);
          }
          if (result.audit) await kit.audit(m, request.ip, result.audit);
          return secure(reply).redirect(
            result.message ? withMessage(result.redirect, 'ok', result.message) : result.redirect,
            303,
          );
        },
      );
    },
  };
  return kit;
}

export function pageOf(_: ConsolePage): ConsolePage {
  return _;
}
