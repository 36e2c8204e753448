// A seeded, bounded fuzz of every route: each operation of /openapi.json, and the pages (payment page,
// portal, download links), is sent bad input — malformed JSON, wrong types, huge and deeply nested values,
// the NUL character, bad percent-escapes, overlong path segments, absurd numbers and dates — and must answer
// without a server error, in the error shape of its surface:
//   /backend/api/v1   {"error", "error_code", "hint"}, error_code six digits led by the status
//   /v1               {"success": false, "error": {"code", "message"}, "meta": {"timestamp", "request_id"}}
//   /collect/v1       {"error": {"code", "message", "field"?}}
//   /api (the feed)   {"error": "…"}
//   pages             an HTML page (JSON {"error": {"code", "message"}} when the payment page is asked for JSON)
// The cases are drawn from a fixed seed (FUZZ_SEED to try another), so a failure reproduces; the number of
// requests is bounded (FUZZ_CASES per operation) to keep the file well under a minute per database.
import { describe, expect, it } from 'vitest';
import { makeCustomer, makeFeature, useHarness } from '../helpers/harness.ts';

const h = useHarness();

const SEED = Number(process.env.FUZZ_SEED ?? 20261206);
const FUZZ_CASES = Number(process.env.FUZZ_CASES ?? 5);
const CONCURRENCY = 4;

/** mulberry32: a small seeded generator, so every run sends the same requests. */
function generator(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    pick<T>(items: readonly T[]): T {
      return items[Math.floor(next() * items.length)]!;
    },
  };
}
type Rng = ReturnType<typeof generator>;

const DEEP = `${'['.repeat(20_000)}1${']'.repeat(20_000)}`;
const HUGE_TEXT = 'x'.repeat(200_000);

/** Path segments: bad ids, escapes the router cannot read, NUL, a segment over 100 characters. */
const BAD_SEGMENTS = [
  '0',
  '-1',
  '1.5',
  '1e3',
  '99999999999999999999',
  'abc',
  '%00',
  '%E0%A4',
  '%ZZ',
  '%F0%9F%98%80',
  'a'.repeat(101),
  '%27%3B%20drop%20table%20x',
  'call_%00',
  'inv_x',
  'acc_1',
  '..%2F..',
];
/** Query values (already encoded). */
const BAD_QUERY = [
  '',
  '%00',
  '%E0%A4',
  'x'.repeat(5000),
  '-1',
  '0',
  '1e309',
  '99999999999999999999',
  'null',
  '[]',
  '2026-13-45',
  '2026-02-30T25:61:00Z',
  'a,b,,c',
  '%F0%9F%98%80',
  'true',
];
/** JSON values as raw text (1e400 parses to Infinity; a string of 200,000 characters; NUL; deep). */
const BAD_JSON_VALUES = [
  '{"x":1}',
  '[1,2]',
  'true',
  'null',
  '-1',
  '0',
  '1e400',
  '-1e400',
  '99999999999999999999999',
  '1.0000000000000000001',
  `"${HUGE_TEXT}"`,
  '"\\u0000"',
  '"%E0%A4"',
  '"2026-02-30"',
  '"-0.001"',
  '""',
  '"\\ud800"',
  `${'['.repeat(40)}1${']'.repeat(40)}`,
];
/** Headers a client may get wrong: content types, charsets, keys, idempotency keys. */
const BAD_HEADERS: [string, string][] = [
  ['content-type', 'application/json; charset=latin1'],
  ['content-type', 'text/plain'],
  ['content-type', 'application/x-www-form-urlencoded'],
  ['content-type', 'multipart/form-data; boundary=x'],
  ['content-type', 'application/xml'],
  ['content-type', 'application/json; charset=utf-16'],
  ['authorization', `Bearer ${'x'.repeat(600)}`],
  ['authorization', 'Basic %%%'],
  ['authorization', 'Bearer'],
  ['idempotency-key', 'k'.repeat(5000)],
  ['idempotency-key', ' '],
  ['accept', 'application/pdf'],
  ['accept', '*/*;q=oops'],
];
/** Whole bodies as raw text. */
const BAD_BODIES = [
  '{"a":',
  '{',
  'nul',
  '[',
  '"unterminated',
  '{"a":1}}',
  '{"__proto__":{"x":1}}',
  '{"constructor":{"prototype":{"x":1}}}',
  DEEP,
  '[]',
  '[{}]',
  '1',
  '"text"',
  '{}',
  'null',
];

interface Operation {
  method: string;
  path: string;
  params: string[];
  query: string[];
  bodyProperties: string[] | undefined;
}

type Surface = 'backend' | 'calls' | 'collect' | 'feed' | 'pages' | 'root';

function surfaceOf(path: string): Surface {
  if (path.startsWith('/backend/api/v1')) return 'backend';
  if (path.startsWith('/v1/') || path === '/v1') return 'calls';
  if (path.startsWith('/collect/v1')) return 'collect';
  if (path.startsWith('/api/')) return 'feed';
  if (/^\/(pay|portal|download)(\/|$)/.test(path)) return 'pages';
  return 'root';
}

interface Answer {
  status: number;
  type: string;
  text: string;
  json: any;
}

/** Whether an error answer has its surface's shape; the reason when it has not. */
function shapeProblem(
  surface: Surface,
  request: { path: string; contentType?: string; accept: string },
  answer: Answer,
): string | undefined {
  const { json } = answer;
  const isObject = (v: unknown): v is Record<string, any> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  switch (surface) {
    case 'backend': {
      if (!isObject(json) || Object.keys(json).sort().join() !== 'error,error_code,hint')
        return 'not {error, error_code, hint}';
      if (
        typeof json.error !== 'string' ||
        typeof json.hint !== 'string' ||
        !Number.isInteger(json.error_code)
      )
        return 'wrong field types';
      if (Math.floor(json.error_code / 1000) !== answer.status)
        return `error_code ${json.error_code} does not lead with the status ${answer.status}`;
      return undefined;
    }
    case 'calls':
      if (
        !isObject(json) ||
        json.success !== false ||
        !isObject(json.error) ||
        typeof json.error.code !== 'string' ||
        typeof json.error.message !== 'string'
      )
        return 'not the {success:false, error} envelope';
      if (
        !isObject(json.meta) ||
        typeof json.meta.timestamp !== 'string' ||
        typeof json.meta.request_id !== 'string'
      )
        return 'no meta';
      return undefined;
    case 'collect':
      if (
        !isObject(json) ||
        !isObject(json.error) ||
        typeof json.error.code !== 'string' ||
        typeof json.error.message !== 'string'
      )
        return 'not {error: {code, message}}';
      return undefined;
    case 'feed':
    case 'root':
      if (!isObject(json) || Object.keys(json).join() !== 'error' || typeof json.error !== 'string')
        return 'not {error}';
      return undefined;
    case 'pages': {
      const wantsJson =
        request.path.startsWith('/pay/') &&
        ((request.contentType ?? '').startsWith('application/json') || request.accept === 'application/json');
      if (wantsJson) {
        if (!isObject(json) || !isObject(json.error) || typeof json.error.code !== 'string')
          return "not the payment page's JSON error";
        return undefined;
      }
      if (!answer.type.startsWith('text/html') || !/^<!doctype html>/i.test(answer.text))
        return `not an HTML page (${answer.type})`;
      return undefined;
    }
  }
}

/** The operations of the OpenAPI document, with their path parameters, query parameters and body fields. */
function operationsOf(doc: any): Operation[] {
  const ops: Operation[] = [];
  const resolve = (schema: any): any => {
    let s = schema;
    for (let i = 0; i < 10 && s?.$ref; i++) s = doc.components?.schemas?.[s.$ref.split('/').pop()];
    return s;
  };
  for (const [path, item] of Object.entries<any>(doc.paths)) {
    for (const [method, op] of Object.entries<any>(item)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const parameters: any[] = op.parameters ?? [];
      const body = resolve(op.requestBody?.content?.['application/json']?.schema);
      const properties = body
        ? Object.keys(
            resolve(body)?.properties ??
              body.anyOf?.map(resolve).find((s: any) => s?.properties)?.properties ??
              {},
          )
        : undefined;
      ops.push({
        method: method.toUpperCase(),
        path,
        params: parameters.filter((p) => p.in === 'path').map((p) => p.name),
        query: parameters.filter((p) => p.in === 'query').map((p) => p.name),
        bodyProperties: op.requestBody ? (properties ?? []) : undefined,
      });
    }
  }
  return ops;
}

/** The pages, which /openapi.json does not list (they are for people). */
const PAGE_OPERATIONS: Operation[] = [
  { method: 'GET', path: '/pay/{token}', params: ['token'], query: [], bodyProperties: undefined },
  {
    method: 'POST',
    path: '/pay/{token}/payments',
    params: ['token'],
    query: [],
    bodyProperties: ['option', 'amount', 'cardNumber', 'expiry', 'cvc', 'cardName', 'instalment'],
  },
  {
    method: 'GET',
    path: '/pay/{token}/payments/{paymentId}',
    params: ['token', 'paymentId'],
    query: [],
    bodyProperties: undefined,
  },
  {
    method: 'GET',
    path: '/pay/{token}/plan',
    params: ['token'],
    query: ['frequency', 'instalments'],
    bodyProperties: undefined,
  },
  {
    method: 'POST',
    path: '/pay/{token}/plans',
    params: ['token'],
    query: [],
    bodyProperties: ['frequency', 'instalments', 'cardNumber', 'saveCard'],
  },
  {
    method: 'GET',
    path: '/download/invoice/{token}',
    params: ['token'],
    query: [],
    bodyProperties: undefined,
  },
  { method: 'GET', path: '/portal/sign-in', params: [], query: [], bodyProperties: undefined },
  { method: 'POST', path: '/portal/sign-in', params: [], query: [], bodyProperties: ['email'] },
  { method: 'GET', path: '/portal/sign-in/{token}', params: ['token'], query: [], bodyProperties: undefined },
  { method: 'POST', path: '/portal/sign-in/{token}', params: ['token'], query: [], bodyProperties: [] },
  {
    method: 'GET',
    path: '/portal/calls',
    params: [],
    query: ['from', 'to', 'number', 'after'],
    bodyProperties: undefined,
  },
  { method: 'GET', path: '/portal/invoices/{id}', params: ['id'], query: [], bodyProperties: undefined },
];

interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** What was mutated, for the failure report. */
  what: string;
}

/** FUZZ_CASES requests for one operation: its path, its query and its body each made bad in turn. */
function casesFor(op: Operation, rng: Rng, ids: Record<string, string>, key: string): FuzzRequest[] {
  const surface = surfaceOf(op.path);
  const page = surface === 'pages';
  const out: FuzzRequest[] = [];
  for (let n = 0; n < FUZZ_CASES; n++) {
    const what: string[] = [];
    // A deleting request never gets a real id: the fuzz must not revoke its own key or delete what it uses.
    const realIds = op.method !== 'DELETE' && n % 2 === 0;
    let path = op.path;
    for (const param of op.params) {
      const good = realIds ? ids[param] : undefined;
      const bad =
        n === 0 && op.params.length > 0 ? 'a'.repeat(101) : n === 1 ? '%E0%A4' : rng.pick(BAD_SEGMENTS);
      const value = good !== undefined && rng.next() < 0.5 ? good : bad;
      if (value !== good) what.push(`path ${param}=${value.slice(0, 20)}`);
      path = path.replace(`{${param}}`, value);
    }
    const query = op.query
      .filter(() => rng.next() < 0.6)
      .map((name) => `${encodeURIComponent(name)}=${rng.pick(BAD_QUERY)}`);
    if (rng.next() < 0.3)
      query.push(`${rng.pick(['x', '%00', '%E0%A4', 'limit', 'after'])}=${rng.pick(BAD_QUERY)}`);
    if (query.length > 0) what.push(`query ${query.join('&').slice(0, 60)}`);
    const url = query.length > 0 ? `${path}?${query.join('&')}` : path;
    const headers: Record<string, string> = { accept: page ? 'text/html' : 'application/json' };
    if (!page && surface !== 'root') headers.authorization = `Bearer ${key}`;
    let body: string | undefined;
    if (op.bodyProperties !== undefined) {
      const form = page && n % 2 === 1;
      if (form) {
        headers['content-type'] = 'application/x-www-form-urlencoded';
        body = op.bodyProperties.map((p) => `${p}=${rng.pick(BAD_QUERY)}`).join('&');
        what.push(`form ${body.slice(0, 60)}`);
      } else {
        headers['content-type'] = 'application/json';
        if (op.bodyProperties.length === 0 || rng.next() < 0.35) {
          body = rng.pick(BAD_BODIES);
        } else {
          const fields = op.bodyProperties.filter(() => rng.next() < 0.7);
          body = `{${fields.map((f) => `${JSON.stringify(f)}:${rng.pick(BAD_JSON_VALUES)}`).join(',')}}`;
        }
        what.push(`body ${body.slice(0, 60)}`);
      }
    }
    if (rng.next() < 0.25) {
      const [name, value] = rng.pick(BAD_HEADERS);
      headers[name] = value;
      what.push(`header ${name}: ${value.slice(0, 40)}`);
    }
    out.push({ method: op.method, path: url, headers, body, what: what.join('; ') });
  }
  return out;
}

async function send(base: string, r: FuzzRequest): Promise<Answer> {
  const response = await fetch(`${base}${r.path}`, {
    method: r.method,
    headers: r.headers,
    body: r.body,
    redirect: 'manual',
  });
  const text = await response.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, type: response.headers.get('content-type') ?? '', text, json };
}

describe('fuzzing every route', () => {
  it(
    `answers bad input with a 4xx in the surface's shape, never a 5xx (seed ${SEED})`,
    { timeout: 240_000 },
    async () => {
      const account = await h.account();
      const customer = await makeCustomer(account.api);
      const feature = await makeFeature(account.api, customer.id, { phoneNumber: '441134960000' });
      const ids: Record<string, string> = {
        id: String(customer.id),
        featureId: String(feature.id),
        accountId: String(account.id),
        file: `${account.id}.json`,
        version: '2024-01-01',
      };

      const doc = await (await fetch(`${h.url}/openapi.json`)).json();
      const operations = [...operationsOf(doc), ...PAGE_OPERATIONS];
      // Every documented operation is fuzzed (the document lists the backend, /v1, collections and the feed).
      expect(operations.length).toBeGreaterThan(100);

      const rng = generator(SEED);
      const requests = operations.flatMap((op) => casesFor(op, rng, ids, account.key));
      // Bodies over a route's limit, on a few routes drawn from the seed.
      for (const op of operations.filter((o) => o.bodyProperties !== undefined && rng.next() < 0.08)) {
        const page = surfaceOf(op.path) === 'pages';
        requests.push({
          method: op.method,
          path: op.path.replace(/\{[^}]+\}/g, '1'),
          headers: {
            'content-type': 'application/json',
            accept: page ? 'text/html' : 'application/json',
            ...(page ? {} : { authorization: `Bearer ${account.key}` }),
          },
          body: JSON.stringify({ x: 'y'.repeat(1024 * 1024 + 10) }),
          what: 'a body over 1 MiB',
        });
      }

      const failures: string[] = [];
      const histogram: Record<string, number> = {};
      let statuses5xx = 0;
      let next = 0;
      const worker = async () => {
        while (next < requests.length) {
          const r = requests[next++]!;
          const answer = await send(h.url, r);
          if (answer.status >= 500) statuses5xx++;
          const bucket = `${surfaceOf(r.path)} ${answer.status}`;
          histogram[bucket] = (histogram[bucket] ?? 0) + 1;
          const problem =
            answer.status >= 500
              ? `a ${answer.status}`
              : answer.status >= 400
                ? shapeProblem(
                    surfaceOf(r.path),
                    { path: r.path, contentType: r.headers['content-type'], accept: r.headers.accept! },
                    answer,
                  )
                : undefined;
          if (problem)
            failures.push(
              `${r.method} ${r.path.slice(0, 120)} [${r.what}] → ${answer.status} ${problem}: ${answer.text.slice(0, 200)}`,
            );
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      if (process.env.FUZZ_REPORT)
        console.log(requests.length, 'requests', operations.length, 'operations', histogram);

      expect(failures).toStrictEqual([]);
      expect(statuses5xx).toBe(0);
      // The server still answers.
      expect((await account.api.get('/account')).status).toBe(200);
    },
  );
});
