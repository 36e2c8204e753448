// What every portal page shares: the signed-in session (or a redirect to sign in) with its CSRF and Origin
// checks on every POST, the page frame (customer, currency, time zone), and the money and date helpers.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Ctx } from '../../context.ts';
import type { PortalSessionRow } from '../../portal/repo.ts';
import { portalHeader } from '../../portal/customer-data.ts';
import { sessionOf } from '../../portal/sign-in.ts';
import { addDays, isIsoDate, startOfDayInZone } from '../../shared/dates.ts';
import { DomainError } from '../../shared/errors.ts';
import { currencyMinorDigits, formatAmountAtLeast, money as toMoney } from '../../money/money.ts';
import { publicBaseUrl } from '../public-url.ts';
import { sameToken, secure, sendHtml } from '../kit/page.ts';
import { csrfFieldOf, formField, pageQuery } from '../kit/form.ts';
import { money, type PortalPage } from './html.ts';

export const COOKIE = 'rb_portal';
export const MAX_CSV = 100_000;

export function sendPage(
  reply: FastifyReply,
  status: number,
  render: (nonce: string) => string,
): FastifyReply {
  return sendHtml(reply, status, render);
}

export function fmt(value: string, currency: string): string {
  return money(formatAmountAtLeast(toMoney(value).toFixed(), currencyMinorDigits(currency)), currency);
}

export const ENTRY_LABEL: Record<string, string> = {
  opening: 'Opening',
  top_up: 'Top-up',
  call: 'Call',
  call_correction: 'Call re-rated',
  reservation: 'Held for a call',
  release: 'Released',
  adjustment: 'Adjustment',
  refund: 'Refund',
  invoice_settlement: 'Statement',
  payment: 'Payment',
};

export const RangeQuery = pageQuery({ from: formField, to: formField });
export const range = (q: { from?: string | undefined; to?: string | undefined }, timezone: string) => ({
  from: q.from && isIsoDate(q.from) ? startOfDayInZone(q.from, timezone) : undefined,
  to: q.to && isIsoDate(q.to) ? startOfDayInZone(addDays(q.to, 1), timezone) : undefined,
});

export function portalKit(ctx: Ctx, options: { publicUrl?: string | undefined }) {
  /** The signed-in session, or a redirect to the sign-in page. POSTs must carry its CSRF token. */
  const requireSession = async (
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<PortalSessionRow | undefined> => {
    const session = await sessionOf(ctx, request.cookies[COOKIE]);
    if (!session) {
      void secure(reply).redirect('/portal/sign-in', 303);
      return undefined;
    }
    if (request.method === 'POST') {
      const origin = request.headers.origin;
      const sent = csrfFieldOf(request.body);
      const host = publicBaseUrl(request, options.publicUrl);
      // With Referrer-Policy: no-referrer, browsers send Origin: null on form posts; the token still decides.
      if (
        (origin !== undefined && origin !== 'null' && origin !== host) ||
        !sameToken(sent, session.csrf_token)
      ) {
        throw new DomainError(
          'forbidden',
          'this form has expired or did not come from this site: go back, reload the page and try again',
        );
      }
    }
    return session;
  };

  const frame = async (session: PortalSessionRow, page: PortalPage, title: string) => {
    const header = await portalHeader(ctx, session);
    return { title, ...header, csrf: session.csrf_token, page };
  };

  return { ctx, publicUrl: options.publicUrl, requireSession, frame };
}

export type PortalKit = ReturnType<typeof portalKit>;
