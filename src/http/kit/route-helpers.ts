import type { FastifyReply, FastifyRequest } from 'fastify';
import { notFound } from '../../shared/errors.ts';
import type { Page } from '../../shared/pagination.ts';

const ID_PATTERN = /^[1-9]\d{0,15}$/;

/** An id from the path. Anything that cannot be an id is simply not found. */
export function pathId(value: string, what: string): number {
  if (!ID_PATTERN.test(value)) throw notFound(what, value);
  return Number(value);
}

/**
 * Sends one page of a list as a plain JSON array (as the documents show lists). When more rows may follow,
 * the `Link: <…>; rel="next"` header gives the next page's URL and `X-Next-After` its cursor.
 */
export function sendPage<Row, View>(
  request: FastifyRequest,
  reply: FastifyReply,
  page: Page<Row & { id: number }>,
  view: (row: Row) => View,
): View[] {
  if (page.nextAfter !== undefined) {
    const url = new URL(request.url, 'http://placeholder');
    url.searchParams.set('after', String(page.nextAfter));
    void reply.header('Link', `<${url.pathname}${url.search}>; rel="next"`);
    void reply.header('X-Next-After', String(page.nextAfter));
  }
  return page.rows.map(view);
}
