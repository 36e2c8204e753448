// The call transactions feed (document 000): GET /api/{version}/networks/transactions/{account_id}.{json|csv|xml}.
// Its own dialect: snake_case columns, the API key as `Authorization: Bearer KEY`, a bare `Authorization: KEY`
// (as existing clients of such feeds send it) or the `oauth_token` query parameter, and plain JSON errors
// {"error": "…"} with 400, 401, 403 or 404 whatever the format asked for.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { authenticate } from '../../api-keys/authenticate.ts';
import type { Ctx } from '../../context.ts';
import { checkFeedAccount, MAX_LIMIT, streamFeed } from '../../feed/read-feed.ts';
import type { FeedPageRow } from '../../feed/repo.ts';
import { DomainError, invalid } from '../../shared/errors.ts';
import type { ZodApp } from '../kit/app-type.ts';
import { classifyError, httpStatusOf } from '../errors.ts';
import { CONTENT_TYPES, DEFAULT_CSV, type FeedFormat, pageWriter, type PageWriter } from './formats.ts';
import { PageBuffer } from './page-buffer.ts';
import { csvOptionsQuery, feedQuery } from './query.ts';

export const FEED_PREFIX = '/api';

const MAX_KEY_LENGTH = 200;
const FILE = /^([1-9]\d{0,15})\.(json|csv|xml)$/;
const VERSION = /^\d{4}-\d{2}-\d{2}$/;

export function feedErrorHandler(err: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const classified = classifyError(err, request);
  if (!classified) {
    request.log.error({ err }, 'unexpected error');
    void reply
      .status(500)
      .type('application/json; charset=utf-8')
      .send({ error: 'An unexpected error occurred; it has been logged' });
    return;
  }
  void reply
    .status(classified.status ?? httpStatusOf(classified.error.code))
    .type('application/json; charset=utf-8')
    .send({ error: classified.error.message });
}

/** The API key: `Authorization: Bearer KEY`, `Authorization: KEY`, or `?oauth_token=KEY`. */
export function feedKey(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header === 'string' && header.trim() !== '') {
    const text = header.trim();
    const bearer = /^Bearer\s+(\S+)$/i.exec(text);
    if (bearer) return bearer[1];
    const token = /^Token\s+(?:token=)?"?([^"\s]+)"?$/i.exec(text);
    if (token) return token[1];
    return /^\S+$/.test(text) ? text : undefined;
  }
  // The key is read before the query is validated (onRequest), from the query string parser's object.
  const query: unknown = request.query;
  const fromQuery: unknown =
    typeof query === 'object' && query !== null && 'oauth_token' in query ? query.oauth_token : undefined;
  const value: unknown = Array.isArray(fromQuery) ? fromQuery[0] : fromQuery;
  return typeof value === 'string' && value !== '' ? value : undefined;
}

interface FeedTarget {
  accountId: number;
  format: FeedFormat;
}

/** The account and format of the path; a version or file the feed does not have is not found. */
function feedTarget(request: FastifyRequest, params: { version: string; file: string }): FeedTarget {
  const match = FILE.exec(params.file);
  if (!VERSION.test(params.version) || !match)
    throw new DomainError(
      'route_not_found',
      `No feed at ${request.url.split('?')[0]}: use /api/2024-01-01/networks/transactions/{account_id}.json, .csv or .xml`,
    );
  return { accountId: Number(match[1]), format: match[2] as FeedFormat };
}

/** The CSV options of a .csv request, validated after the rest of the query, as the first bad parameter. */
function csvOptions(raw: unknown) {
  const parsed = csvOptionsQuery.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw invalid(String(issue.path[0]), issue.message);
}

export function feedApi(ctx: Ctx) {
  return async function feed(app: ZodApp): Promise<void> {
    app.setErrorHandler(feedErrorHandler);
    app.setNotFoundHandler((request, reply) =>
      feedErrorHandler(
        new DomainError('route_not_found', `No route ${request.method} ${request.url.split('?')[0]}`),
        request,
        reply,
      ),
    );

    app.addHook('onRequest', async (request: FastifyRequest) => {
      const key = feedKey(request);
      if (key === undefined)
        throw new DomainError(
          'unauthenticated',
          'Send your API key as Authorization: Bearer KEY, Authorization: KEY, or the oauth_token parameter',
        );
      const principal = key.length > MAX_KEY_LENGTH ? undefined : await authenticate(ctx, key);
      if (!principal)
        throw new DomainError('unauthenticated', 'The API key is not valid or has been revoked');
      request.principal = principal;
    });

    app.get(
      '/:version/networks/transactions/:file',
      {
        schema: {
          tags: ['Call transactions feed'],
          operationId: 'getCallTransactionsFeed',
          summary: 'The call transactions feed',
          description: [
            'Rows of the call feed after `start_after_transaction_id`, in transaction id order: one row when a call is stored, one more for each correction (corrects_transaction_id) and post-call event. `{file}` is `{account_id}.json`, `.csv` or `.xml`; `{version}` is a date such as 2024-01-01 (all versions answer the same).',
            'Authenticate with `Authorization: Bearer KEY`, `Authorization: KEY` or `oauth_token=KEY`. Times are in the timezone the account had when the key was made; start_time_network_timezone is in its timezone now.',
            `Poll: keep the last transaction_id you received and ask again with start_after_transaction_id set to it, until a page has fewer rows than the limit (or none). limit: default 1000, at most ${MAX_LIMIT}.`,
            "from/to: dates (YYYY-MM-DD, inclusive) of the calls' start in the key's timezone, corrections included. transaction_type: call, post_call_event, signal or sale (repeat the parameter, or separate with commas). include_columns / exclude_columns: comma-separated column names, custom data API names and signal names ($invoca_default_columns and $invoca_custom_columns name the sets; exclude_columns removes what the sets bring in, never a column include_columns names itself; an empty include_columns is the default columns); custom_data (nested) in JSON and XML only. CSV: column_separator, row_separator, include_header, force_quotes.",
            'transaction_id: that row only (none if there is no such row). call_record_id: every row of that call (its complete_call_id: 32 characters 0-9A-F; none if no call has it). Both: the row only if it belongs to that call. The other parameters still apply. custom_data leaves out entries whose value is null.',
            'Errors: {"error": "…"} with 400 (a bad parameter), 401 (no or bad key), 404 (another account\'s id, an unknown format).',
          ].join('\n\n'),
          params: z.object({ version: z.string(), file: z.string() }),
          querystring: feedQuery,
          response: {
            200: z.unknown(),
            400: z.object({ error: z.string() }),
            401: z.object({ error: z.string() }),
            404: z.object({ error: z.string() }),
          },
        },
        // The path is answered before the query: an unknown feed or another account's is a 404 whatever the
        // parameters say (validation runs after this hook).
        preValidation: async (request) => {
          checkFeedAccount(request.principal!, feedTarget(request, request.params).accountId);
        },
      },
      async (request, reply) => {
        const { accountId, format } = feedTarget(request, request.params);
        const { request: feedRequest, csv: rawCsv } = request.query;
        const csv = format === 'csv' ? csvOptions(rawCsv) : DEFAULT_CSV;
        // The page is written into one buffer as the rows come off the connection, and sent whole with its
        // length once the last is in: a failure half way is an error answer, never half a page.
        const page = PageBuffer.take();
        let count: number;
        try {
          let writer: PageWriter<FeedPageRow> | undefined;
          count = await streamFeed(ctx, request.principal!, accountId, feedRequest, (view) => {
            const w = pageWriter(format, view, csv, page);
            writer = w;
            return (row) => w.row(row);
          });
          writer!.end();
        } catch (error) {
          page.release();
          throw error;
        }
        // Back to the pool once the answer is handed to the operating system; an answer cut short (the
        // client gone) drops it instead, as a write of it may still be pending.
        reply.raw.once('finish', () => page.release());
        return reply
          .status(200)
          .type(CONTENT_TYPES[format])
          .header('X-Row-Count', String(count))
          .send(page.bytes());
      },
    );
  };
}
