// The OpenAPI document as a client generator uses it: every operation has a stable operationId (unique),
// servers and license are set, Redocly's recommended lint finds nothing (the lint of npm run openapi:lint),
// each surface's error answers are documented in the shape the server really sends, and a client generated
// from it (openapi-typescript's types, committed in test/generated/, with openapi-fetch) calls the server.
// The committed types pin every operationId too: renaming one changes them, and the last test fails.
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import createClient from 'openapi-fetch';
import { beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { buildOpenApiDocument, lintOpenApi } from '../../scripts/openapi-lint.ts';
import { openApiTypes, TYPES_PATH } from '../../scripts/openapi-types.ts';
import { Api, useHarness, type Res } from '../helpers/harness.ts';
import type { CollectErrorCode } from '../../src/http/collect/errors.ts';
import type { components, paths } from '../generated/ringbill-openapi.ts';

const h = useHarness();

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

let doc: any;
beforeAll(async () => {
  doc = await (await fetch(`${h.url}/openapi.json`)).json();
});

function operations(): { path: string; method: string; op: any }[] {
  return Object.entries<any>(doc.paths).flatMap(([path, item]) =>
    Object.entries<any>(item)
      .filter(([method]) => HTTP_METHODS.includes(method))
      .map(([method, op]) => ({ path, method, op })),
  );
}

describe('operationId', () => {
  it('is set on every operation, readable (camelCase, a verb first) and unique across the document', () => {
    const all = operations();
    expect(all.length).toBeGreaterThan(150);
    const missing = all
      .filter(({ op }) => typeof op.operationId !== 'string')
      .map(({ path, method }) => `${method.toUpperCase()} ${path}`);
    expect(missing).toStrictEqual([]);
    const unreadable = all
      .filter(({ op }) => !/^[a-z]+[A-Z][A-Za-z0-9]*$/.test(op.operationId))
      .map(({ op }) => op.operationId);
    expect(unreadable).toStrictEqual([]);
    const seen = new Map<string, string[]>();
    for (const { path, method, op } of all)
      seen.set(op.operationId, [...(seen.get(op.operationId) ?? []), `${method.toUpperCase()} ${path}`]);
    expect([...seen].filter(([, where]) => where.length > 1)).toStrictEqual([]);
  });

  it('names the operations as their resources and verbs', () => {
    const id = (method: string, path: string) => doc.paths[path]?.[method]?.operationId;
    const P = '/backend/api/v1';
    expect({
      listInvoices: id('get', `${P}/invoices`),
      getInvoice: id('get', `${P}/invoices/{id}`),
      runInvoiceAction: id('post', `${P}/invoices/{id}`),
      createCustomer: id('post', `${P}/customers`),
      createFeatureTransaction: id('post', `${P}/features/{id}/transactions`),
      listCustomerBalanceAlerts: id('get', `${P}/customers/{id}/balance/alerts`),
      replaceCustomDataField: id('put', `${P}/customDataFields/{id}`),
      updateCustomDataField: id('patch', `${P}/customDataFields/{id}`),
      uploadCallRecording: id('put', '/v1/calls/{id}/recording'),
      listInvoiceCalls: id('get', '/v1/calls'),
      createPaymentRequest: id('post', '/collect/v1/requests'),
      getCallTransactionsFeed: id('get', '/api/{version}/networks/transactions/{file}'),
      getHealth: id('get', '/healthz'),
    }).toStrictEqual({
      listInvoices: 'listInvoices',
      getInvoice: 'getInvoice',
      runInvoiceAction: 'runInvoiceAction',
      createCustomer: 'createCustomer',
      createFeatureTransaction: 'createFeatureTransaction',
      listCustomerBalanceAlerts: 'listCustomerBalanceAlerts',
      replaceCustomDataField: 'replaceCustomDataField',
      updateCustomDataField: 'updateCustomDataField',
      uploadCallRecording: 'uploadCallRecording',
      listInvoiceCalls: 'listInvoiceCalls',
      createPaymentRequest: 'createPaymentRequest',
      getCallTransactionsFeed: 'getCallTransactionsFeed',
      getHealth: 'getHealth',
    });
  });
});

describe('the document', () => {
  it('names its server (where it was fetched from, or PUBLIC_URL) and its license', async () => {
    expect(doc.servers).toStrictEqual([{ url: h.url, description: 'This Ringbill server' }]);
    expect(doc.info.license).toStrictEqual({ name: 'Apache-2.0', identifier: 'Apache-2.0' });
    // The UI's copy is the same document.
    expect(await (await fetch(`${h.url}/docs/json`)).json()).toStrictEqual(doc);
    // Behind a proxy: PUBLIC_URL (a server built as npm run openapi:lint builds it).
    const behindProxy = await buildOpenApiDocument({ publicUrl: 'https://billing.ringbill.test/' });
    expect(behindProxy.servers).toStrictEqual([
      { url: 'https://billing.ringbill.test', description: 'This Ringbill server' },
    ]);
  });

  it("passes Redocly's recommended lint: no error, no warning (the four accepted ambiguous paths aside)", async () => {
    const result = await lintOpenApi(doc);
    const shown = (p: (typeof result.problems)[number]) =>
      `${p.severity} ${p.ruleId} ${p.location[0]?.pointer}: ${p.message}`;
    expect(result.problems.filter((p) => !p.ignored).map(shown)).toStrictEqual([]);
    expect([result.errors, result.warnings]).toStrictEqual([0, 0]);
    // The accepted ones are exactly those .redocly.lint-ignore.yaml lists (none is stale).
    expect(
      result.problems
        .filter((p) => p.ignored)
        .map((p) => `${p.ruleId} ${p.location[0]?.pointer}`)
        .sort(),
    ).toStrictEqual([
      'no-ambiguous-paths #/paths/~1backend~1api~1v1~1calls~1{id}~1events',
      'no-ambiguous-paths #/paths/~1backend~1api~1v1~1calls~1{id}~1feed',
      'no-ambiguous-paths #/paths/~1backend~1api~1v1~1webhooks~1{id}~1deliveries',
      'no-ambiguous-paths #/paths/~1backend~1api~1v1~1webhooks~1{id}~1rotateSecret',
    ]);
  });

  it('has no component schema that nothing refers to', () => {
    const text = JSON.stringify({ ...doc, components: { ...doc.components, schemas: undefined } });
    const fromSchemas = JSON.stringify(doc.components.schemas);
    const unused = Object.keys(doc.components.schemas).filter(
      (name) =>
        !text.includes(`"#/components/schemas/${name}"`) &&
        !fromSchemas.includes(`"#/components/schemas/${name}"`),
    );
    expect(unused).toStrictEqual([]);
  });

  it("documents on every operation the errors of its surface, described, in the surface's shape", () => {
    const shapeOf = (path: string) =>
      path.startsWith('/backend/api/v1/')
        ? 'BackendError'
        : path.startsWith('/v1/')
          ? 'V1Error'
          : path.startsWith('/collect/v1/')
            ? 'CollectError'
            : undefined;
    const problems: string[] = [];
    for (const { path, method, op } of operations()) {
      const where = `${method.toUpperCase()} ${path}`;
      const errors = Object.entries<any>(op.responses).filter(([status]) => /^[45]/.test(status));
      if (!errors.some(([status]) => status === '400')) problems.push(`${where}: no 400`);
      if (op.security?.length !== 0 && !errors.some(([status]) => status === '401'))
        problems.push(`${where}: no 401`);
      if (path.includes('{') && !errors.some(([status]) => status === '404'))
        problems.push(`${where}: no 404`);
      for (const [status, response] of errors) {
        if (!response.description || response.description === 'Default Response')
          problems.push(`${where} ${status}: not described`);
        const shape = shapeOf(path);
        const schema = response.content?.['application/json']?.schema;
        if (shape && schema?.$ref !== `#/components/schemas/${shape}`)
          problems.push(`${where} ${status}: not a ${shape}`);
      }
    }
    expect(problems).toStrictEqual([]);
  });
});

/** A validator for the documented JSON body of one response. */
function responseValidator(path: string, method: string, status: number) {
  const schema =
    doc.paths[path]?.[method]?.responses?.[String(status)]?.content?.['application/json']?.schema;
  expect(schema, `${method.toUpperCase()} ${path} documents no ${status} JSON body`).toBeDefined();
  const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
  ajv.addSchema({ $id: 'openapi.json', components: doc.components }, 'openapi.json');
  return ajv.compile(
    JSON.parse(JSON.stringify(schema).replace(/"#\/components\//g, '"openapi.json#/components/')),
  );
}

function expectDocumented(res: Res, path: string, method: string, status: number): void {
  expect(res.status, `${method.toUpperCase()} ${path}: ${res.text}`).toBe(status);
  const validate = responseValidator(path, method, res.status);
  const ok = validate(res.body);
  expect({ path, method, status: res.status, errors: ok ? null : validate.errors }).toStrictEqual({
    path,
    method,
    status: res.status,
    errors: null,
  });
}

describe('error answers', () => {
  it('come in the documented shape of each surface', async () => {
    const account = await h.account();
    const { api } = account;
    const P = '/backend/api/v1';
    const anonymous = h.anonymous();
    // The backend: {"error", "error_code", "hint"}.
    expectDocumented(await anonymous.get('/customers'), `${P}/customers`, 'get', 401);
    expectDocumented(await api.get('/customers?limit=0'), `${P}/customers`, 'get', 400);
    expectDocumented(await api.get('/invoices/424242'), `${P}/invoices/{id}`, 'get', 404);
    expectDocumented(await api.get('/invoices/424242/payments'), `${P}/invoices/{id}/payments`, 'get', 404);
    expectDocumented(
      await (await account.withLevel(1)).post('/customers', { name: 'Too Low Ltd' }),
      `${P}/customers`,
      'post',
      403,
    );
    expectDocumented(
      await api.post('/customers', { name: 'x'.repeat(1024 * 1024 + 10) }),
      `${P}/customers`,
      'post',
      413,
    );
    expectDocumented(
      await api.post('/customers', '<name>x</name>', { 'content-type': 'application/xml' }),
      `${P}/customers`,
      'post',
      415,
    );
    expect(
      (await api.post('/customers', { name: 'Once Ltd' }, { 'idempotency-key': 'openapi-409' })).status,
    ).toBe(201);
    expectDocumented(
      await api.post('/customers', { name: 'Twice Ltd' }, { 'idempotency-key': 'openapi-409' }),
      `${P}/customers`,
      'post',
      409,
    );
    // The calls of an invoice (document 002): {"success": false, "error": {code, message}, "meta"}.
    const v1 = new Api(h.url, account.key, '/v1');
    expectDocumented(
      await new Api(h.url, undefined, '/v1').get('/calls/call_1'),
      '/v1/calls/{id}',
      'get',
      401,
    );
    expectDocumented(await v1.get('/calls'), '/v1/calls', 'get', 400);
    expectDocumented(await v1.get('/calls/call_424242'), '/v1/calls/{id}', 'get', 404);
    // Collections: {"error": {code, message, field?}}.
    const collect = new Api(h.url, account.key, '/collect/v1');
    expectDocumented(
      await new Api(h.url, undefined, '/collect/v1').get('/requests/1'),
      '/collect/v1/requests/{id}',
      'get',
      401,
    );
    expectDocumented(await collect.get('/requests/424242'), '/collect/v1/requests/{id}', 'get', 404);
    expectDocumented(await collect.post('/requests', { nope: 1 }), '/collect/v1/requests', 'post', 400);
    expectDocumented(
      await collect.post('/requests', '<x/>', { 'content-type': 'application/xml' }),
      '/collect/v1/requests',
      'post',
      415,
    );
    // The call transactions feed: {"error": "…"}.
    const feed = new Api(h.url, account.key, '/api');
    const FEED = '/api/{version}/networks/transactions/{file}';
    expectDocumented(
      await new Api(h.url, undefined, '/api').get(`/2024-01-01/networks/transactions/${account.id}.json`),
      FEED,
      'get',
      401,
    );
    expectDocumented(
      await feed.get(`/2024-01-01/networks/transactions/${account.id}.json?limit=abc`),
      FEED,
      'get',
      400,
    );
    expectDocumented(await feed.get(`/2024-01-01/networks/transactions/${account.id}.pdf`), FEED, 'get', 404);
    // Outside the surfaces: {"error": "…"}.
    expectDocumented(await new Api(h.url, undefined, '').get('/healthz?x=%00'), '/healthz', 'get', 400);
  });
});

describe('a client generated from the document', () => {
  it('is the committed one (npm run openapi:types regenerates it)', async () => {
    expect(await openApiTypes(doc)).toBe(readFileSync(TYPES_PATH, 'utf8'));
  });

  it('has the types of the wire shapes', () => {
    expectTypeOf<components['schemas']['BackendError']>().toEqualTypeOf<{
      error: string;
      error_code: number;
      hint: string;
    }>();
    expectTypeOf<components['schemas']['Customer']['id']>().toEqualTypeOf<string>();
    expectTypeOf<components['schemas']['V1Error']['error']['code']>().toEqualTypeOf<
      | 'INVALID_REQUEST'
      | 'UNAUTHORIZED'
      | 'FORBIDDEN'
      | 'NOT_FOUND'
      | 'CONFLICT'
      | 'RATE_LIMITED'
      | 'INTERNAL_ERROR'
    >();
    expectTypeOf<components['schemas']['CollectError']['error']['code']>().toEqualTypeOf<CollectErrorCode>();
  });

  it('calls the server with openapi-fetch: creates a customer, lists invoices, reads an error', async () => {
    const account = await h.account();
    const client = createClient<paths>({
      baseUrl: h.url,
      headers: { authorization: `Bearer ${account.key}` },
    });

    const created = await client.POST('/backend/api/v1/customers', {
      body: { name: 'Typed Client Ltd', email: ['billing@typed.example'], billingAddress: { city: 'York' } },
    });
    expect(created.response.status).toBe(201);
    const customer: components['schemas']['Customer'] | undefined = created.data;
    expect(customer).toMatchObject({ name: 'Typed Client Ltd', billingAddress: { city: 'York' } });

    const invoice = await client.POST('/backend/api/v1/customers/{id}/invoices', {
      params: { path: { id: customer!.id } },
      body: { cutoffDate: '2026-02-01' },
    });
    expect(invoice.response.status).toBe(201);
    const invoices = await client.GET('/backend/api/v1/invoices', {
      params: { query: { includeUnsent: 'true', limit: 10 } },
    });
    expect(invoices.response.status).toBe(200);
    const ids: string[] | undefined = invoices.data?.map((i) => i.id);
    expect(ids).toStrictEqual([invoice.data!.id]);

    const missing = await client.GET('/backend/api/v1/customers/{id}', {
      params: { path: { id: '424242' } },
    });
    expect(missing.data).toBeUndefined();
    const error: components['schemas']['BackendError'] | undefined = missing.error;
    expect(missing.response.status).toBe(404);
    expect(error).toStrictEqual({ error: 'Not Found', error_code: 404001, hint: expect.any(String) });

    // Document 002's surface, through the same client.
    const calls = await client.GET('/v1/calls', {
      params: { query: { invoice_id: `inv_${invoice.data!.id}` } },
    });
    expect(calls.response.status).toBe(200);
    expect(calls.data).toMatchObject({ success: true, data: false, meta: { total_calls: 0 } });
    const noInvoice = await client.GET('/v1/calls', { params: { query: { invoice_id: 'inv_424242' } } });
    expect(noInvoice.error?.error.code).toBe('NOT_FOUND');
  });
});
