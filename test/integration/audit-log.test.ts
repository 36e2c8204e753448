// The audit log through the API: every change made with an API key is recorded once by the shared hook
// (who, what, when, from where; for updates the fields that changed), filters and cursor paging follow
// the backend's conventions, rows cannot be changed, and another account sees none of them.
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { auditTargetOf } from '../../src/http/audit-hook.ts';
import { makeCustomer, makeFeature, useHarness } from '../helpers/harness.ts';
import { approvedInvoice, collectApi, paymentRequest } from '../helpers/pay-page.ts';

const h = useHarness();

describe('audit log', () => {
  it('maps route patterns to resource, action and id', () => {
    expect(auditTargetOf('POST', '/customers')).toEqual({
      resource: 'customers',
      action: 'create',
      idParam: undefined,
    });
    expect(auditTargetOf('PATCH', '/customers/:id')).toEqual({
      resource: 'customers',
      action: 'update',
      idParam: 'id',
    });
    expect(auditTargetOf('POST', '/customers/:id/features')).toEqual({
      resource: 'features',
      action: 'create',
      idParam: 'id',
    });
    expect(auditTargetOf('POST', '/webhooks/:id/rotateSecret')).toEqual({
      resource: 'webhooks',
      action: 'rotateSecret',
      idParam: 'id',
    });
    expect(auditTargetOf('POST', '/webhooks/:id/deliveries/:deliveryId/replay')).toEqual({
      resource: 'deliveries',
      action: 'replay',
      idParam: 'deliveryId',
    });
    expect(auditTargetOf('POST', '/calls/rerate')).toEqual({ resource: 'calls', action: 'rerate' });
    expect(auditTargetOf('GET', '/customers')).toBeUndefined();
    expect(auditTargetOf('POST', '/calls/authorize')).toBeUndefined();
    expect(auditTargetOf('POST', '/calls/push/freeswitch')).toBeUndefined();
  });

  it('records each API change once, with what changed, and pages with after/limit', async () => {
    const { api, id: accountId } = await h.account();
    const key3 = await h.ctx.db
      .selectFrom('api_keys')
      .select('id')
      .where('account_id', '=', accountId)
      .executeTakeFirstOrThrow();
    const customer = await makeCustomer(api, { name: 'Bright Dental Ltd' });
    await api.patch(
      `/customers/${customer.id}`,
      { name: 'Bright Dental Group', vatNumber: 'GB123' },
      { 'idempotency-key': 'x' },
    );
    const feature = await makeFeature(api, customer.id);
    // A replay of the same Idempotency-Key is not a second change.
    const created = await api.post('/customers', { name: 'Other' }, { 'idempotency-key': 'once' });
    await api.post('/customers', { name: 'Other' }, { 'idempotency-key': 'once' });
    // A refused change is not logged.
    expect((await api.patch(`/customers/${customer.id}`, { paymentTermsDays: -1 })).status).toBe(400);

    const res = await api.get('/auditLog');
    expect(res.status).toBe(200);
    expect(res.body.map((e: any) => [e.action, e.resource, e.resourceId])).toEqual([
      ['create', 'customers', customer.id],
      ['update', 'customers', customer.id],
      ['create', 'features', feature.id],
      ['create', 'customers', created.body.id],
    ]);
    const update = res.body[1];
    expect(update).toMatchObject({ actor: `apiKey:${key3.id}`, surface: 'api', ip: '127.0.0.1' });
    expect(update.changes).toEqual({
      name: { from: 'Bright Dental Ltd', to: 'Bright Dental Group' },
      vatNumber: { from: null, to: 'GB123' },
    });
    expect(new Date(update.at).getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(res.body[2].changes).toEqual({ parentId: customer.id });

    // Filters and paging.
    expect((await api.get('/auditLog?resource=features')).body).toHaveLength(1);
    expect((await api.get(`/auditLog?actor=apiKey:${key3.id}`)).body).toHaveLength(4);
    expect((await api.get('/auditLog?actor=user:1')).body).toHaveLength(0);
    const first = await api.get('/auditLog?limit=3');
    expect(first.body).toHaveLength(3);
    const next = first.headers.get('x-next-after');
    expect(first.headers.get('link')).toBe(`</backend/api/v1/auditLog?limit=3&after=${next}>; rel="next"`);
    expect((await api.get(`/auditLog?limit=3&after=${next}`)).body.map((e: any) => e.resourceId)).toEqual([
      created.body.id,
    ]);
    expect((await api.get('/auditLog?from=2000-01-01&to=2000-01-31')).body).toEqual([]);
    // A range that ends before it starts is a 400 naming the field, not an empty page.
    const backwards = await api.get('/auditLog?from=2000-01-31&to=2000-01-01');
    expect(backwards.status).toBe(400);
    expect(backwards.body).toEqual({
      error: 'Invalid Parameter',
      error_code: 400001,
      hint: 'to: is before from (2000-01-01 < 2000-01-31)',
    });
    expect((await api.get('/auditLog?from=2000-01-01&to=2000-01-01')).status).toBe(200);
    const bad = await api.get('/auditLog?actor=somebody');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({
      error: 'Invalid Parameter',
      hint: expect.stringContaining('actor: must be user:ID or apiKey:ID'),
    });

    // Another account sees none of it.
    const other = await h.account();
    expect((await other.api.get('/auditLog')).body).toEqual([]);

    // Append-only: the database refuses to change or delete a row.
    await expect(
      sql`update audit_log set action = 'x' where account_id = ${accountId}`.execute(h.ctx.db),
    ).rejects.toThrow(/append-only/);
    await expect(
      sql`delete from audit_log where account_id = ${accountId}`.execute(h.ctx.db),
    ).rejects.toThrow(/append-only/);
  });

  it('records changes through the collect API too: a payment request made and cancelled', async () => {
    const account = await h.account();
    const invoice = await approvedInvoice(account);
    const { request } = await paymentRequest(account, { invoiceId: Number(invoice.id) });
    const cancelled = await collectApi(account).post(`/requests/${request.requestId}/cancel`);
    expect(cancelled.status).toBe(200);
    const entries = (await account.api.get('/auditLog?resource=requests')).body as any[];
    expect(entries.map((e) => [e.action, e.resourceId, e.surface])).toEqual([
      ['create', String(request.requestId), 'api'],
      ['cancel', String(request.requestId), 'api'],
    ]);
    expect(entries.every((e) => e.actor === entries[0].actor && e.actor.startsWith('apiKey:'))).toBe(true);
  });
});
