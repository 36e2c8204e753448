// Request schemas of the server-rendered surfaces (console, portal): what their forms post and their links
// carry. A form field or a query parameter is one string (a name sent twice arrives as an array, and is
// malformed); the fields a route reads are named by its schema, so the request's type comes from it. What the
// field means (a date, an id, an amount) is still read by the handler as before, so a page can answer a
// wrong value with its own message.
import { z } from 'zod';

/** One form field or query parameter. */
export const formField = z.string().optional();

/** The messages every page shows after a redirect (`?ok=`, `?error=`). */
const messages = { ok: formField, error: formField };

/**
 * A page's query string: the messages and the named parameters; parameters the page does not read are
 * dropped (a link may carry more).
 */
export function pageQuery<S extends Record<string, typeof formField>>(shape: S) {
  return z.object({ ...messages, ...shape });
}

/** A query string of which the page reads only the messages. */
export const messagesQuery = pageQuery({});
export type PageMessages = z.output<typeof messagesQuery>;

/**
 * A posted form whose fields the handler reads by name (a few are made from data, like `event_<type>`):
 * every field a string; no body at all is an empty form.
 */
export const formBody = z.record(z.string(), z.string()).default({});

/**
 * A form with named fields and its CSRF token (`csrf`, checked by the surface's session guard); other fields
 * are dropped; no body at all is an empty form.
 */
export function namedForm<S extends Record<string, typeof formField>>(shape: S) {
  return z.preprocess((body) => body ?? {}, z.object({ csrf: formField, ...shape }));
}

/**
 * A query string a page reads by names made from data (`customer_<id>` ticks) or passes on whole: every
 * parameter one string (a name sent twice is malformed).
 */
export const formQuery = z.record(z.string(), z.string()).default({});
/** A route's path parameters (always strings; each handler checks its own, `pathId`). */
export const pathParams = z.record(z.string(), z.string());

/** The path parameter of routes like `/things/:id` or `/links/:token`. */
export const idParams = z.object({ id: z.string() });
export const tokenParams = z.object({ token: z.string() });

/** The CSRF token a form carries as a field (`csrf`), if the body has one; '' otherwise. */
export function csrfFieldOf(body: unknown): string {
  if (typeof body !== 'object' || body === null || !('csrf' in body)) return '';
  return typeof body.csrf === 'string' ? body.csrf : '';
}

/** An upload: the file itself as the body (text/csv), or the plain form (its text pasted in a field). */
export function uploadBody<S extends Record<string, typeof formField>>(shape: S) {
  return z.union([z.string(), namedForm(shape)], {
    error: 'send the file as the body (text/csv), or the form with text fields',
  });
}
