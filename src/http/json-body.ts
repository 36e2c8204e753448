// JSON request bodies. The text is scanned for its nesting depth before it is parsed (shared/json-depth.ts):
// deeper than MAX_JSON_DEPTH is a 400 in the surface's shape, where it used to overflow the stack of a
// recursive walk and answer 500.
import type { FastifyInstance } from 'fastify';
import { DomainError } from '../shared/errors.ts';
import { jsonNestsDeeperThan, MAX_JSON_DEPTH } from '../shared/json-depth.ts';

export function tooDeep(): DomainError {
  return new DomainError(
    'malformed_request',
    `the request body is nested more than ${MAX_JSON_DEPTH} levels deep`,
  );
}

/**
 * The server's JSON parser: an empty body is no body (clients often send Content-Type on a bodiless POST);
 * a body nested too deep is refused; Fastify's own parser (which rejects prototype-poisoning keys) reads the
 * rest. Size limits are the route's `bodyLimit` (or the server's default).
 */
export function registerJsonParser(app: FastifyInstance): void {
  const defaultJsonParser = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    if (jsonNestsDeeperThan(text, MAX_JSON_DEPTH)) return done(tooDeep(), undefined);
    // Fastify's own parser answers through `done` and returns nothing: there is no promise to wait for.
    void defaultJsonParser(request, text, done);
  });
}
