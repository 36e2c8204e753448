// The served API description: GET /openapi.json (OpenAPI 3.1, every backend path, schemas that are valid
// JSON Schema and that the real responses satisfy), the browsable UI at /docs, and GET /healthz.
// ajv comes with fastify (its validator and serializer); its 2020-12 dialect is the one OpenAPI 3.1 uses.
import { Ajv2020 } from 'ajv/dist/2020.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { testDbKind } from '../helpers/db.ts';
import { makeCharge, makeCustomer, makeFeature, useHarness, type Res } from '../helpers/harness.ts';

const h = useHarness();

const P = '/backend/api/v1';
/** Every route of the backend surface, from src/http/backend/routes/*, with its methods. */
const BACKEND_PATHS: Record<string, string[]> = {
  [`${P}/account`]: ['get', 'patch'],
  [`${P}/apiKeys`]: ['get', 'post'],
  [`${P}/apiKeys/{id}`]: ['delete'],
  [`${P}/auditLog`]: ['get'],
  [`${P}/customers`]: ['get', 'post'],
  [`${P}/customers/{id}`]: ['delete', 'get', 'patch'],
  [`${P}/customers/{id}/features`]: ['get', 'post'],
  [`${P}/customers/{id}/invoices`]: ['get', 'post'],
  [`${P}/customers/{id}/transactions`]: ['get', 'post'],
  [`${P}/features/{id}`]: ['delete', 'get', 'patch'],
  [`${P}/features/{id}/transactions`]: ['get', 'post'],
  [`${P}/invoices`]: ['get'],
  [`${P}/invoices/{id}`]: ['delete', 'get', 'patch', 'post'],
  [`${P}/invoices/{id}/transactions`]: ['get', 'post'],
  [`${P}/transactions`]: ['get'],
  [`${P}/transactions/{id}`]: ['delete', 'get', 'patch'],
  [`${P}/billingRuns`]: ['get', 'post'],
  [`${P}/billingRuns/{id}`]: ['get'],
  [`${P}/billingRuns/preview`]: ['get'],
  [`${P}/billingRuns/{id}/resume`]: ['post'],
  [`${P}/rateCards`]: ['get', 'post'],
  [`${P}/rateCards/rejected`]: ['get'],
  [`${P}/rateCards/{id}`]: ['delete', 'get', 'patch'],
  [`${P}/rateCards/{id}/rates`]: ['get', 'put'],
  [`${P}/calls`]: ['get', 'post'],
  [`${P}/calls/rejected`]: ['get'],
  [`${P}/calls/rejected/{id}`]: ['delete'],
  [`${P}/calls/rerate`]: ['post'],
  [`${P}/calls/files`]: ['post'],
  [`${P}/calls/push/freeswitch`]: ['post'],
  [`${P}/calls/push/asterisk`]: ['post'],
  [`${P}/calls/push/cgrates`]: ['post'],
  [`${P}/calls/{id}`]: ['get', 'patch'],
  [`${P}/account/logo`]: ['delete', 'get', 'put'],
  [`${P}/attachments`]: ['get', 'post'],
  [`${P}/attachments/{id}`]: ['delete', 'get', 'put'],
  [`${P}/attachments/{id}/content`]: ['get'],
  [`${P}/billStyles`]: ['get', 'post'],
  [`${P}/billStyles/{id}`]: ['delete', 'get', 'patch'],
  [`${P}/messageTemplates`]: ['get', 'post'],
  [`${P}/messageTemplates/{id}`]: ['delete', 'get', 'patch'],
  [`${P}/usageReportProfiles`]: ['get', 'post'],
  [`${P}/usageReportProfiles/{id}`]: ['delete', 'get', 'patch'],
  [`${P}/discountPlans`]: ['get', 'post'],
  [`${P}/discountPlans/{id}`]: ['delete', 'get', 'patch'],
  [`${P}/transactions/{id}/calls`]: ['get'],
  [`${P}/invoices/{id}/payments`]: ['get', 'post'],
  [`${P}/payments/{id}/refunds`]: ['post'],
  [`${P}/callEvents`]: ['post'],
  [`${P}/calls/{id}/events`]: ['post'],
  [`${P}/calls/{id}/feed`]: ['get'],
  [`${P}/customDataFields`]: ['get', 'post'],
  [`${P}/customDataFields/{id}`]: ['delete', 'get', 'patch', 'put'],
  [`${P}/feedSettings`]: ['get', 'patch'],
  [`${P}/webhooks`]: ['get', 'post'],
  [`${P}/webhooks/eventTypes`]: ['get'],
  [`${P}/webhooks/events`]: ['get'],
  [`${P}/webhooks/events/{eventId}`]: ['get'],
  [`${P}/webhooks/events/{eventId}/replay`]: ['post'],
  [`${P}/webhooks/{id}`]: ['delete', 'get', 'patch'],
  [`${P}/webhooks/{id}/rotateSecret`]: ['post'],
  [`${P}/webhooks/{id}/deliveries`]: ['get'],
  [`${P}/webhooks/{id}/deliveries/{deliveryId}`]: ['get'],
  [`${P}/webhooks/{id}/deliveries/{deliveryId}/replay`]: ['post'],
  [`${P}/customers/{id}/balance`]: ['get'],
  [`${P}/customers/{id}/balance/entries`]: ['get'],
  [`${P}/customers/{id}/balance/topUps`]: ['get', 'post'],
  [`${P}/customers/{id}/balance/topUps/{topUpId}`]: ['get'],
  [`${P}/customers/{id}/balance/adjustments`]: ['post'],
  [`${P}/customers/{id}/balance/autoTopUp`]: ['put'],
  [`${P}/customers/{id}/balance/alerts`]: ['get', 'post'],
  [`${P}/customers/{id}/balance/alerts/{alertId}`]: ['delete'],
  [`${P}/customers/{id}/balance/alerts/fired`]: ['get'],
  [`${P}/balanceAlerts`]: ['get', 'post'],
  [`${P}/balanceAlerts/{alertId}`]: ['delete'],
  [`${P}/balanceAlerts/active`]: ['get'],
  [`${P}/invoices/{id}/statement`]: ['get'],
  [`${P}/calls/authorize`]: ['post'],
  [`${P}/calls/authorize/{id}`]: ['get'],
  [`${P}/calls/authorize/{id}/extend`]: ['post'],
  [`${P}/calls/authorize/{id}/release`]: ['post'],
};
/** The call transactions feed, document 000 (src/http/feed); tested in detail in feed.test.ts. */
const FEED_PATHS: Record<string, string[]> = {
  '/api/{version}/networks/transactions/{file}': ['get'],
};
/** The calls of an invoice, document 002 (src/http/calls-api/routes/*); tested in detail in calls-api.test.ts. */
const V1_PATHS: Record<string, string[]> = {
  '/v1/calls': ['get'],
  '/v1/calls/{id}': ['get'],
  '/v1/calls/{id}/recording': ['get', 'put'],
  '/v1/calls/{id}/transcription': ['get', 'put'],
};
/** Collections, document 003 and payment requests (src/http/collect/routes/*); tested in collections.test.ts. */
const COLLECT_PATHS: Record<string, string[]> = {
  '/collect/v1/requests': ['post'],
  '/collect/v1/requests/batch': ['post'],
  '/collect/v1/requests/{id}': ['get'],
  '/collect/v1/requests/{id}/cancel': ['post'],
  '/collect/v1/requests/{id}/attempts': ['get'],
  '/collect/v1/requests/{id}/payments': ['get'],
  '/collect/v1/payments/{id}/refunds': ['post'],
  '/collect/v1/invoices': ['get'],
  '/collect/v1/sms': ['get'],
  '/collect/v1/plans/{id}': ['get'],
  '/collect/v1/requests/{id}/plan': ['get'],
};
/** Operations whose request body is a file of any type, not JSON. */
const RAW_BODY_OPERATIONS = [
  'PUT /v1/calls/{id}/recording',
  'PUT /v1/calls/{id}/transcription',
  'PUT /backend/api/v1/account/logo',
  'POST /backend/api/v1/attachments',
  'PUT /backend/api/v1/attachments/{id}',
  'POST /backend/api/v1/calls/files',
];
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

let doc: any;
beforeAll(async () => {
  const res = await fetch(`${h.url}/openapi.json`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  doc = await res.json();
});

/** Every value in the document with the JSON pointer that reaches it. */
function* walk(node: unknown, pointer = '#'): Generator<[string, any]> {
  yield [pointer, node];
  if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node))
      yield* walk(value, `${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`);
  }
}

function resolvePointer(pointer: string): unknown {
  let node: any = doc;
  for (const raw of pointer
    .replace(/^#\/?/, '')
    .split('/')
    .filter((s) => s !== '')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object' || !(key in node)) return undefined;
    node = node[key];
  }
  return node;
}

function operations(): { path: string; method: string; op: any }[] {
  return Object.entries<any>(doc.paths).flatMap(([path, item]) =>
    Object.entries<any>(item)
      .filter(([method]) => HTTP_METHODS.includes(method))
      .map(([method, op]) => ({ path, method, op })),
  );
}

/** A validator for the documented JSON body of one response. */
function responseValidator(path: string, method: string, status: number) {
  const schema =
    doc.paths[path]?.[method]?.responses?.[String(status)]?.content?.['application/json']?.schema;
  expect(schema, `${method.toUpperCase()} ${path} documents no ${status} JSON body`).toBeDefined();
  const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
  // Component schemas are reached by "#/components/schemas/X": give Ajv the document as the base.
  ajv.addSchema({ $id: 'openapi.json', components: doc.components }, 'openapi.json');
  const rebased = JSON.parse(
    JSON.stringify(schema).replace(/"#\/components\//g, '"openapi.json#/components/'),
  );
  return ajv.compile(rebased);
}

function expectMatchesDocument(res: Res, path: string, method: string): void {
  const validate = responseValidator(path, method, res.status);
  const ok = validate(res.body);
  expect({ path, method, status: res.status, errors: ok ? null : validate.errors }).toStrictEqual({
    path,
    method,
    status: res.status,
    errors: null,
  });
}

describe('GET /openapi.json', () => {
  it('is an OpenAPI 3.1 document describing the bearer-key API', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toMatchObject({ title: 'Ringbill', version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    expect(doc.info.description).toContain('/backend/api/v1');
    expect(doc.components.securitySchemes).toStrictEqual({ bearer: { type: 'http', scheme: 'bearer' } });
    expect(doc.security).toStrictEqual([{ bearer: [] }]);
  });

  it('lists every path with its methods, and only real paths', () => {
    const documented = Object.fromEntries(
      Object.entries<any>(doc.paths).map(([path, item]) => [
        path,
        Object.keys(item)
          .filter((k) => HTTP_METHODS.includes(k))
          .sort(),
      ]),
    );
    expect(documented).toStrictEqual({
      ...BACKEND_PATHS,
      ...V1_PATHS,
      ...FEED_PATHS,
      ...COLLECT_PATHS,
      '/healthz': ['get'],
    });
  });

  it('is well formed: responses on every operation, path parameters declared, every $ref resolves', () => {
    const problems: string[] = [];
    for (const { path, method, op } of operations()) {
      const where = `${method.toUpperCase()} ${path}`;
      const statuses = Object.keys(op.responses ?? {});
      if (statuses.length === 0) problems.push(`${where}: no responses`);
      for (const status of statuses)
        if (!/^([1-5]\d\d|[1-5]XX|default)$/.test(status)) problems.push(`${where}: bad status ${status}`);
      for (const [status, response] of Object.entries<any>(op.responses ?? {})) {
        if (typeof response.description !== 'string') problems.push(`${where} ${status}: no description`);
      }
      const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      const declared = (op.parameters ?? []).filter((p: any) => p.in === 'path');
      for (const name of templated) {
        if (!declared.some((p: any) => p.name === name && p.required === true))
          problems.push(`${where}: path parameter ${name} not declared`);
      }
      for (const p of declared)
        if (!templated.includes(p.name)) problems.push(`${where}: path parameter ${p.name} not in the path`);
      for (const p of op.parameters ?? []) {
        if (!['path', 'query', 'header', 'cookie'].includes(p.in))
          problems.push(`${where}: parameter ${p.name} in ${p.in}`);
      }
      if (
        op.requestBody &&
        !op.requestBody.content?.['application/json'] &&
        !RAW_BODY_OPERATIONS.includes(where)
      )
        problems.push(`${where}: a body that is not JSON`);
    }
    for (const [pointer, node] of walk(doc)) {
      if (node && typeof node === 'object' && typeof node.$ref === 'string') {
        if (!node.$ref.startsWith('#/') || resolvePointer(node.$ref) === undefined)
          problems.push(`${pointer}: unresolved $ref ${node.$ref}`);
      }
    }
    expect(problems).toStrictEqual([]);
  });

  it('documents query parameters of the lists: limit and after for pages', () => {
    for (const path of [
      `${P}/customers`,
      `${P}/customers/{id}/features`,
      `${P}/invoices`,
      `${P}/transactions`,
      `${P}/billingRuns`,
    ]) {
      const names = (doc.paths[path].get.parameters ?? [])
        .filter((p: any) => p.in === 'query')
        .map((p: any) => p.name);
      expect({ path, names }).toMatchObject({ path, names: expect.arrayContaining(['limit', 'after']) });
    }
    const invoiceQuery = doc.paths[`${P}/invoices`].get.parameters
      .filter((p: any) => p.in === 'query')
      .map((p: any) => p.name);
    expect(invoiceQuery).toEqual(
      expect.arrayContaining([
        'invoiceNumber',
        'unsent',
        'includeUnsent',
        'undelivered',
        'minDate',
        'maxDate',
        'minDueDate',
        'maxDueDate',
        'createdSince',
      ]),
    );
  });

  it('has schemas that compile as JSON Schema 2020-12', () => {
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    ajv.addSchema({ $id: 'openapi.json', components: doc.components }, 'openapi.json');
    const failures: string[] = [];
    for (const [pointer, node] of walk(doc.paths, '#/paths')) {
      if (!pointer.endsWith('/schema') || !node || typeof node !== 'object') continue;
      try {
        ajv.compile(
          JSON.parse(JSON.stringify(node).replace(/"#\/components\//g, '"openapi.json#/components/')),
        );
      } catch (error) {
        failures.push(`${pointer}: ${String(error)}`);
      }
    }
    expect(failures).toStrictEqual([]);
  });

  it('describes what the API really answers', async () => {
    const { api } = await h.account();
    const customer = await api.post('/customers', {
      name: 'Schema Check Ltd',
      email: ['a@example.com'],
      billingAddress: { city: 'Leeds' },
    });
    expectMatchesDocument(customer, `${P}/customers`, 'post');
    expectMatchesDocument(await api.get(`/customers/${customer.body.id}`), `${P}/customers/{id}`, 'get');
    // The check has teeth: a customer with a numeric id, or without a field, does not match.
    const validateCustomer = responseValidator(`${P}/customers/{id}`, 'get', 200);
    expect(validateCustomer({ ...customer.body, id: Number(customer.body.id) })).toBe(false);
    const { reverseCharge: _dropped, ...missingField } = customer.body;
    expect(validateCustomer(missingField)).toBe(false);
    expectMatchesDocument(await api.get('/customers'), `${P}/customers`, 'get');
    expectMatchesDocument(await api.get('/customers/424242'), `${P}/customers/{id}`, 'get');
    expectMatchesDocument(await api.post('/customers', { nope: 1 }), `${P}/customers`, 'post');

    const feature = await makeFeature(api, customer.body.id, {
      recurringValue: '10',
      startDate: '2026-01-01',
      phoneNumber: '+44 20 7946 0000',
    });
    expectMatchesDocument(await api.get(`/features/${feature.id}`), `${P}/features/{id}`, 'get');
    const charge = await makeCharge(api, `/features/${feature.id}`, { transactionDate: '2026-01-15' });
    expectMatchesDocument(await api.get(`/transactions/${charge.id}`), `${P}/transactions/{id}`, 'get');
    const invoice = await api.post(`/customers/${customer.body.id}/invoices`, { cutoffDate: '2026-02-01' });
    expectMatchesDocument(invoice, `${P}/customers/{id}/invoices`, 'post');
    expectMatchesDocument(await api.get(`/invoices/${invoice.body.id}`), `${P}/invoices/{id}`, 'get');
    expectMatchesDocument(await api.get('/invoices?includeUnsent'), `${P}/invoices`, 'get');
    expectMatchesDocument(
      await api.post('/billingRuns', { cutoffDate: '2026-02-01' }),
      `${P}/billingRuns`,
      'post',
    );
    expectMatchesDocument(await api.get('/account'), `${P}/account`, 'get');
    expectMatchesDocument(await api.get('/apiKeys'), `${P}/apiKeys`, 'get');
    expectMatchesDocument(await api.get('/auditLog'), `${P}/auditLog`, 'get');
    expectMatchesDocument(await api.post('/apiKeys', { level: 1 }), `${P}/apiKeys`, 'post');
    const deleted = await api.delete(
      `/features/${(await makeFeature(api, (await makeCustomer(api)).id)).id}`,
    );
    expectMatchesDocument(deleted, `${P}/features/{id}`, 'delete');
  });
});

describe('GET /docs', () => {
  it('serves the browsable API documentation as HTML, without a key', async () => {
    const res = await fetch(`${h.url}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toMatch(/<html/i);
    expect(html).toMatch(/swagger/i);
    // The UI loads the same document.
    const json = await fetch(`${h.url}/docs/json`);
    expect(json.status).toBe(200);
    expect(await json.json()).toStrictEqual(doc);
  });
});

describe('GET /healthz', () => {
  it('answers ok with the database kind, without a key', async () => {
    const res = await fetch(`${h.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toStrictEqual({ status: 'ok', database: testDbKind() });
  });
});
