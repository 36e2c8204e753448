// Calls straight from the switch: a file of call records uploaded (streamed, any format
// `ringbill import calls` reads), and each call pushed by the switch as it ends, in the switch's own form
// (FreeSWITCH mod_json_cdr's POST, an Asterisk CDR, a CGRateS CDR), authenticated by an API key as a bearer
// token or as the password of HTTP Basic authentication (what mod_json_cdr's cred sends).
import { Readable } from 'node:stream';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { KeyLevel } from '../../../api-keys/levels.ts';
import { CALL_FILE_FORMATS } from '../../../calls/formats/record.ts';
import { importCallStream, importPushedRecords } from '../../../calls/import-calls.ts';
import type { Ctx } from '../../../context.ts';
import { DomainError, invalid } from '../../../shared/errors.ts';
import { jsonNestsDeeperThan, MAX_JSON_DEPTH } from '../../../shared/json-depth.ts';
import { principalOf } from '../../auth.ts';
import { apiAuditOf } from '../../kit/unit-of-work.ts';
import type { ZodApp } from '../../kit/app-type.ts';
import { errorBody } from '../schemas.ts';
import { ingestSummary } from './calls.ts';

const tags = ['Calls'];

export const importSummary = ingestSummary
  .extend({
    format: z
      .enum(CALL_FILE_FORMATS.filter((f) => f !== 'auto') as ['ringbill', ...string[]])
      .meta({ description: 'The format read: the one named, or the one detected' }),
    formatDetail: z.string().meta({
      description:
        'What exactly was recognised, e.g. "Asterisk cdr_csv Master.csv (18 columns: uniqueid, userfield), no header"',
    }),
    formatDetected: z.boolean().meta({ description: 'format=auto found the format' }),
    combined: z.number().int().meta({
      description:
        "Lines whose content went into another line's call (a Kamailio BYE into its INVITE's call); not counted in received",
    }),
  })
  .meta({ id: 'CallImportSummary' });

const listText = z.string().max(300);

/** How to read the switch's numbers and times, for this request (each defaults to the account's setting). */
const switchQuery = {
  timezone: z.string().max(64).optional().meta({
    description:
      "The switch's IANA time zone for local times without an offset (default: the account's cdrTimezone, else its timezone)",
  }),
  country: z.string().max(2).optional().meta({
    description:
      "The country whose national numbers the switch writes, e.g. GB (default: the account's cdrCountry)",
  }),
  internationalPrefixes: listText.optional().meta({
    description:
      "Comma-separated prefixes meaning an international number follows, e.g. 00,011 (default: the account's cdrInternationalPrefixes)",
  }),
  techPrefixes: listText.optional().meta({
    description: "Comma-separated routing prefixes to strip (default: the account's cdrTechPrefixes)",
  }),
  extensionMaxDigits: z.string().max(2).optional().meta({
    description:
      "Digits-only numbers this short are internal extensions (default: the account's cdrExtensionMaxDigits)",
  }),
  internalCalls: z.enum(['refuse', 'store']).optional().meta({
    description:
      "Records that are not calls to bill: refused with the reason, or stored as internal calls (default: the account's cdrInternalCalls)",
  }),
};

const fileQuery = z
  .object({
    format: z.enum(CALL_FILE_FORMATS).default('ringbill').meta({
      description:
        "The file's format; auto detects it (the answer's format and formatDetail say what was found)",
    }),
    source: z.string().min(1).max(200).optional().meta({
      description: 'The name refused lines are kept under (GET /calls/rejected?source=); default "upload"',
    }),
    ...switchQuery,
  })
  .strict();

const FILE_DESCRIPTION = `The body is the file itself, streamed (any size; memory stays flat): Ringbill's CSV (format=ringbill, the default), or what a switch writes, named or detected (format=auto):
- asterisk: cdr_csv's Master.csv with no header (16 to 21 columns, as cdr.conf's loguniqueid, loguserfield and newcdrcolumns make it), cdr_custom's Master.csv mapping, any CSV with a header naming Asterisk's fields (src, dst, start or calldate, billsec, disposition, uniqueid…), or cdr_custom's JSON lines. billsec is the billed duration; ANSWERED is completed, NO ANSWER and CANCEL missed, BUSY busy, FAILED and CONGESTION failed. The call id is the uniqueid (after the linkedid of another channel and a "/"), then "#" and a fingerprint of the record, as Asterisk writes several records per channel.
- freeswitch: mod_cdr_csv's templates (example, linksys, snom, asterisk, opencdrrate) or a header naming its variables; mod_json_cdr JSON, one CDR per file or per line. The call id is the uuid; B legs are refused (their A leg is the call).
- kamailio, opensips: the acc table exported with its header (an INVITE and its BYE make a call; with OpenSIPS's cdr flag or Kamailio's acc_cdrs, a row is a call). The call id is the callid.
- cgrates: a CGRateS CDR export (the default 15 columns, or with a header); Usage as a Go duration (1m5s) or nanoseconds. The *default run of *voice records; the call id is the OriginID.
Local times are read in the switch's time zone; numbers are made E.164 with the number plan (national numbers of the country, international prefixes, tech prefixes). Records that are not calls to bill (extensions, s/t destinations, SIP user names) are refused with their line and reason, or stored as internal calls, as the account says. Every call is stored once by its call id: sending the file again changes nothing. Send it with its Content-Type (text/csv, application/json, application/octet-stream…). An Idempotency-Key is not taken here (a 400): sending the file again is harmless.`;

/** mod_json_cdr adds "?uuid=…" to the URL it is given, so a URL that had a query gets a second "?". */
function mendQuery(url: string): Record<string, string> | undefined {
  const at = url.indexOf('?');
  if (at === -1 || url.indexOf('?', at + 1) === -1) return undefined;
  const params = new URLSearchParams(url.slice(at + 1).replaceAll('?', '&'));
  const out: Record<string, string> = {};
  for (const [k, v] of params) out[k] = v;
  return out;
}

/** A form body (application/x-www-form-urlencoded) as its fields. */
function formFields(body: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(body)) out[k] = v;
  return out;
}

function parseJson(text: string, what: string): unknown {
  if (jsonNestsDeeperThan(text, MAX_JSON_DEPTH))
    throw new DomainError('malformed_request', `${what} is nested more than ${MAX_JSON_DEPTH} levels deep`);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new DomainError('malformed_request', `${what} is not JSON: ${(error as Error).message}`);
  }
}

/** The records of a push body: an object, an array of objects, or a form's fields. */
function recordsOf(value: unknown): Record<string, unknown>[] {
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0) throw invalid('body', 'holds no call record');
  if (list.length > MAX_PUSHED_RECORDS)
    throw invalid('body', `at most ${MAX_PUSHED_RECORDS} records per request`);
  return list.map((item, i) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item))
      throw invalid('body', `record ${i + 1} is not a JSON object`);
    return item as Record<string, unknown>;
  });
}

const MAX_PUSHED_RECORDS = 1000;

/** What FreeSWITCH's mod_json_cdr posts: cdr=<URL-encoded JSON>, cdr=<base64 JSON> (encode=base64), or the JSON itself. */
function freeswitchRecords(body: unknown, contentType: string): Record<string, unknown>[] {
  if (typeof body === 'string' && contentType.startsWith('application/x-www-form-base64-encoded')) {
    // "cdr=" then base64: not URL-encoded, so its "+" must not become a space.
    const encoded = body.trim().replace(/^cdr=/, '');
    return recordsOf(parseJson(Buffer.from(encoded, 'base64').toString('utf8'), 'the base64 cdr'));
  }
  if (typeof body === 'string') {
    const fields = formFields(body);
    if (fields.cdr === undefined)
      throw invalid('cdr', 'the form has no cdr field (mod_json_cdr posts cdr=<JSON>)');
    return recordsOf(parseJson(fields.cdr, 'the cdr field'));
  }
  return recordsOf(body);
}

export function callFileRoutes(app: ZodApp, ctx: Ctx): void {
  // The file: streamed to the import as it arrives, whatever its content type.
  void app.register(async (plain) => {
    const scope = plain.withTypeProvider<ZodTypeProvider>();
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
    scope.post(
      '/calls/files',
      {
        // An import commits batch by batch as the file streams in (a long process): no unit of work; its
        // audit entry is written with the first calls it stores (src/calls/ingest.ts).
        config: { level: KeyLevel.charges, unitOfWork: false, auditedByRoute: true },
        schema: {
          tags,
          operationId: 'importCallFile',
          summary: "Import a file of calls (Ringbill CSV, or a switch's own records)",
          description: FILE_DESCRIPTION,
          consumes: [
            'text/csv',
            'application/json',
            'application/x-ndjson',
            'application/octet-stream',
            'text/plain',
          ],
          querystring: fileQuery,
          body: z.any().meta({ type: 'string', format: 'binary' }),
          response: { 200: importSummary, 400: errorBody },
        },
      },
      async (request) => {
        const body: unknown = request.body;
        if (body === undefined || body === null)
          throw invalid('file', 'the file is empty: send it as the request body');
        if (!(body instanceof Readable)) throw invalid('body', 'send the file as the request body');
        const q = request.query;
        const source = q.source ?? 'upload';
        return importCallStream(ctx, principalOf(request).accountId, body as AsyncIterable<Buffer>, {
          ...q,
          source,
          audit: apiAuditOf(request, {
            action: 'create',
            resource: 'files',
            changes: { format: q.format, source },
          }),
        });
      },
    );
  });

  // Pushes: one call (or a few) as the switch ends it.
  void app.register(async (plain) => {
    const scope = plain.withTypeProvider<ZodTypeProvider>();
    scope.addContentTypeParser(
      ['application/x-www-form-urlencoded', 'application/x-www-form-base64-encoded'],
      { parseAs: 'string', bodyLimit: 4 * 1024 * 1024 },
      (_request, body, done) => done(null, body),
    );
    scope.addHook('preValidation', async (request) => {
      const mended = mendQuery(request.url);
      if (mended) request.query = mended;
    });
    const pushQuery = z
      .object({
        uuid: z
          .string()
          .max(200)
          .optional()
          .meta({ description: "mod_json_cdr adds the channel's uuid to the URL" }),
        ...switchQuery,
      })
      .strict();
    const pushConfig = { level: KeyLevel.charges, basicAuth: true };
    const response = { 200: importSummary, 400: errorBody, 401: errorBody, 403: errorBody };

    scope.post(
      '/calls/push/freeswitch',
      {
        config: pushConfig,
        bodyLimit: 4 * 1024 * 1024,
        schema: {
          tags,
          operationId: 'pushFreeswitchCall',
          summary: "A call from FreeSWITCH as it ends (mod_json_cdr's POST)",
          description:
            "Set json_cdr.conf's url to this endpoint (no query string needed; ?uuid= is added by mod_json_cdr), cred to any-name:API_KEY (HTTP Basic, auth-scheme basic) and encode to true (cdr=<URL-encoded JSON>), base64 or false (the JSON itself). Values URL-encoded by encode-values are decoded. Answers 200 once the call is stored, already stored (same uuid: sending it again is harmless) or refused with its reason (a B leg, a record that is not a call to bill: listed at GET /calls/rejected?source=freeswitch-push), so mod_json_cdr does not send it again; a body that cannot be read is a 400 (mod_json_cdr retries, then keeps the CDR in its err-log-dir).",
          consumes: [
            'application/x-www-form-urlencoded',
            'application/x-www-form-base64-encoded',
            'application/json',
          ],
          querystring: pushQuery,
          body: z.any(),
          response,
        },
      },
      async (request) => {
        const { uuid, ...overrides } = request.query;
        const records = freeswitchRecords(request.body, String(request.headers['content-type'] ?? ''));
        return importPushedRecords(ctx, principalOf(request).accountId, 'freeswitch', records, {
          ...overrides,
          source: 'freeswitch-push',
          queryUuid: uuid,
        });
      },
    );

    scope.post(
      '/calls/push/asterisk',
      {
        config: pushConfig,
        bodyLimit: 4 * 1024 * 1024,
        schema: {
          tags,
          operationId: 'pushAsteriskCall',
          summary: 'A call from Asterisk as it ends',
          description:
            "An Asterisk CDR: JSON with the AMI Cdr event's fields (Source, Destination, StartTime, AnswerTime, EndTime, BillableSeconds, Disposition, UniqueID, DestinationChannel…, as examples/asterisk-ami-bridge.mjs sends them) or the CDR() names (src, dst, start, answer, end, billsec, disposition, uniqueid…), one object or an array; the same names as a form (the dialplan's CURL()); or lines of Master.csv as text/csv (cdr_custom and curl). Key as a bearer token or the HTTP Basic password. Each call is stored once (the same call id as a Master.csv import gives it); refused records are listed at GET /calls/rejected?source=asterisk-push.",
          consumes: ['application/json', 'application/x-www-form-urlencoded', 'text/csv'],
          querystring: pushQuery,
          body: z.any(),
          response,
        },
      },
      async (request) => {
        const { uuid: _uuid, ...overrides } = request.query;
        const accountId = principalOf(request).accountId;
        const contentType = String(request.headers['content-type'] ?? '');
        const body: unknown = request.body;
        if (typeof body === 'string' && contentType.startsWith('text/csv')) {
          const csv = body;
          async function* lines(): AsyncGenerator<Buffer> {
            yield Buffer.from(csv, 'utf8');
          }
          return importCallStream(ctx, accountId, lines(), {
            ...overrides,
            format: 'asterisk',
            source: 'asterisk-push',
          });
        }
        const records =
          typeof request.body === 'string' ? [formFields(request.body)] : recordsOf(request.body);
        return importPushedRecords(ctx, accountId, 'asterisk', records, {
          ...overrides,
          source: 'asterisk-push',
        });
      },
    );

    scope.post(
      '/calls/push/cgrates',
      {
        config: pushConfig,
        bodyLimit: 4 * 1024 * 1024,
        schema: {
          tags,
          operationId: 'pushCgratesCalls',
          summary: 'Calls from CGRateS as it exports them (*http_json_map)',
          description:
            'A CGRateS CDR as JSON (an object or an array), with its field names (OriginID, Account, Destination, SetupTime, AnswerTime, Usage, ToR, RunID…). Only the *default run of *voice records is a call; the others are refused with the reason (GET /calls/rejected?source=cgrates-push).',
          consumes: ['application/json'],
          querystring: pushQuery,
          body: z.any(),
          response,
        },
      },
      async (request) => {
        const { uuid: _uuid, ...overrides } = request.query;
        if (typeof request.body === 'string')
          throw new DomainError('malformed_request', 'send the CDRs as application/json');
        return importPushedRecords(ctx, principalOf(request).accountId, 'cgrates', recordsOf(request.body), {
          ...overrides,
          source: 'cgrates-push',
        });
      },
    );
  });
}
