// Text with the NUL character (U+0000), which PostgreSQL cannot store: every surface answers it with a
// 400 in its own error shape, and a CDR or rate file refuses just the lines that carry it.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importCallsFile } from '../../src/calls/import-file.ts';
import { Api, makeCustomer, makeFeature, useHarness } from '../helpers/harness.ts';

const h = useHarness();

describe('the NUL character', () => {
  it('is a 400 naming the field on every surface, in the query, the path or the JSON body', async () => {
    const account = await h.account();
    const { api } = account;
    const customer = await makeCustomer(api);

    const query = await api.get('/invoices?invoiceNumber=%00');
    expect(query.status).toBe(400);
    expect(query.body).toMatchObject({
      error_code: 400001,
      hint: expect.stringContaining('invoiceNumber: contains the NUL character'),
    });

    const body = await api.patch(`/customers/${customer.id}`, { name: 'a\u0000b' });
    expect(body.status).toBe(400);
    expect(body.body.hint).toContain('name: contains the NUL character');

    const batch = await api.post('/calls', [
      {
        call_id: 'x\u0000',
        from: '1234',
        to: '4567',
        start_time: '2026-10-01T00:00:00Z',
        duration_s: 1,
        status: 'completed',
      },
    ]);
    expect(batch.status).toBe(400);
    expect(batch.body.hint).toContain('0.call_id: contains the NUL character');

    const calls = new Api(api.baseUrl, account.key, '/v1');
    const v1 = await calls.get('/calls?invoice_id=inv_%00');
    expect(v1.status).toBe(400);
    expect(v1.body).toMatchObject({ success: false, error: { code: 'INVALID_REQUEST' } });

    const collect = new Api(api.baseUrl, account.key, '/collect/v1');
    const report = await collect.get('/invoices?startDate=2026-01-01%00&endDate=2026-01-02');
    expect(report.status).toBe(400);

    const feed = new Api(api.baseUrl, account.key, '/api/2024-01-01/networks/transactions');
    expect((await feed.get(`/${account.id}.json?limit=1%00`)).status).toBe(400);

    // Nothing was stored, and the server still answers.
    expect((await api.get(`/customers/${customer.id}`)).body.name).not.toContain('\u0000');
  });

  it('refuses just the lines of a CDR file or a rate card that carry it; the rest go in, and the refused lines can be read', async () => {
    const account = await h.account();
    const { api } = account;
    const customer = await makeCustomer(api);
    await makeFeature(api, customer.id, { phoneNumber: '441134960000' });
    const dir = await mkdtemp(join(tmpdir(), 'ringbill-nul-'));
    try {
      const file = join(dir, 'calls.csv');
      await writeFile(
        file,
        [
          'call_id,from,to,start_time,duration_s,status',
          'n1,441134960000,447700900123,2026-10-16T10:15:00Z,95,completed',
          'n\u00002,441134960000,447700900123,2026-10-16T10:15:00Z,95,completed',
          'n3,441134960000,447700900123,2026-10-16T10:15:00Z,95,comp\u0000leted',
          'n4,441134960000,447700900123,2026-10-16T10:16:00Z,95,completed',
          '',
        ].join('\n'),
      );
      const summary = await importCallsFile(h.ctx, account.id, file);
      expect(summary).toMatchObject({ received: 4, inserted: 2, rejected: 2 });
      const rejected = (await api.get('/calls/rejected')).body;
      expect(rejected.map((r: any) => [r.line, r.reason])).toEqual([
        [3, 'the line contains the NUL character, which cannot be stored'],
        [4, 'the line contains the NUL character, which cannot be stored'],
      ]);
      expect(rejected[0].raw).toBe('n\uFFFD2,441134960000,447700900123,2026-10-16T10:15:00Z,95,completed');

      const card = (await api.post('/rateCards', { name: 'Standard' })).body;
      const rates = await api.request(
        'PUT',
        `/rateCards/${card.id}/rates?effectiveFrom=2026-01-01`,
        'prefix,destination,rate_per_minute,connection_fee,minimum_charge,initial_increment_s,subsequent_increment_s\n44,UK\u0000x,0.01,0,0,60,60\n45,Denmark,0.01,0,0,60,60\n',
        { 'content-type': 'text/csv' },
      );
      expect(rates.status, rates.text).toBe(200);
      expect(rates.body).toMatchObject({ imported: 1 });
      expect(JSON.stringify(rates.body)).toContain('the line contains the NUL character');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
