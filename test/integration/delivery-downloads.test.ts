// generateDownloadLink and the public download route: the documented response and defaults, expiry, exact
// use counts under 50 concurrent requests, the downloaded flag, error pages, tokens hashed at rest.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { expectError } from '../helpers/billing.ts';
import { billedCustomer, NOW, setUpAccount } from '../helpers/delivery.ts';
import { useHarness } from '../helpers/harness.ts';
import { pdfText } from '../helpers/pdf.ts';

const h = useHarness();

describe('generateDownloadLink', () => {
  it('answers the documented response with the defaults (168 hours, one use)', async () => {
    const { api } = await setUpAccount(h);
    const { invoice } = await billedCustomer(api);
    const res = await api.post(`/invoices/${invoice.id}?action=generateDownloadLink`);
    expect(res.status, res.text).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual([
      'download_url',
      'expires_at',
      'max_uses',
      'success',
      'token',
    ]);
    expect(res.body).toMatchObject({ success: true, max_uses: 1, expires_at: '2026-11-10T09:00:00+00:00' });
    expect(res.body.download_url).toBe(`${h.url}/download/invoice/${res.body.token}`);
    // At least 128 bits of randomness, URL-safe; only a hash is stored.
    expect(res.body.token).toMatch(/^[A-Za-z0-9_-]{22,}$/);
    expect(Buffer.from(res.body.token, 'base64url').length * 8).toBeGreaterThanOrEqual(128);
    const rows = await h.ctx.db
      .selectFrom('download_links')
      .selectAll()
      .where('invoice_id', '=', Number(invoice.id))
      .execute();
    expect(rows).toHaveLength(1);
    expect(
      Buffer.from(rows[0]!.token_hash).equals(createHash('sha256').update(res.body.token).digest()),
    ).toBe(true);
    expect(JSON.stringify(rows)).not.toContain(res.body.token);
    const second = await api.post(`/invoices/${invoice.id}?action=generateDownloadLink`, {
      expiryHours: 1,
      maxUses: 2,
    });
    expect(second.body).toMatchObject({ max_uses: 2, expires_at: '2026-11-03T10:00:00+00:00' });
    expect(second.body.token).not.toBe(res.body.token);
  });

  it('accepts every documented expiry and both use counts, and nothing else', async () => {
    const { api } = await setUpAccount(h);
    const { invoice } = await billedCustomer(api);
    const path = `/invoices/${invoice.id}?action=generateDownloadLink`;
    for (const expiryHours of [1, 6, 24, 72, 168, 336, 720]) {
      const res = await api.post(path, { expiryHours, maxUses: 1 });
      expect(res.status, String(expiryHours)).toBe(200);
      expect(Date.parse(res.body.expires_at) - NOW.getTime()).toBe(expiryHours * 3600_000);
    }
    expect((await api.post(path, { expiryHours: '72', maxUses: '2' })).body).toMatchObject({ max_uses: 2 });
    for (const body of [
      { expiryHours: 2 },
      { expiryHours: 0 },
      { expiryHours: 1.5 },
      { expiryHours: 'soon' },
      { maxUses: 3 },
      { maxUses: 0 },
      { maxUses: -1 },
      { maxUses: 1.5 },
      { expiry: 1 },
    ]) {
      const res = await api.post(path, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error_code).toBe(400001);
    }
    // Parameters go in the body: one in the query is refused by name, not dropped.
    expectError(await api.post(`${path}&expiryHours=1&maxUses=2`), 400, 400001, /expiryHours/);
  });

  it("refuses an unsent invoice (409), another account's (404), a read-only key (403)", async () => {
    const account = await setUpAccount(h);
    const { invoice: unsent } = await billedCustomer(account.api, { approve: false });
    expectError(
      await account.api.post(`/invoices/${unsent.id}?action=generateDownloadLink`),
      409,
      409002,
      /approved/,
    );
    const other = await setUpAccount(h);
    const { invoice } = await billedCustomer(other.api);
    expectError(await account.api.post(`/invoices/${invoice.id}?action=generateDownloadLink`), 404, 404001);
    expectError(
      await (await other.withLevel(1)).post(`/invoices/${invoice.id}?action=generateDownloadLink`),
      403,
      403001,
    );
  });
});

describe('downloads', () => {
  it('serves the bill with no API key, sets downloaded, then says the link is used up', async () => {
    const { api } = await setUpAccount(h);
    const { invoice } = await billedCustomer(api);
    const link = (await api.post(`/invoices/${invoice.id}?action=generateDownloadLink`)).body;
    // HEAD (a mail scanner, a link preview) answers like a GET but does not use the one download up.
    for (let i = 0; i < 3; i++) {
      const head = await fetch(link.download_url, { method: 'HEAD' });
      expect([head.status, head.headers.get('content-type')]).toEqual([200, 'application/pdf']);
    }
    expect((await api.get(`/invoices/${invoice.id}`)).body.status).toEqual(['approved']);
    const res = await fetch(link.download_url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    expect(res.headers.get('content-disposition')).toBe(
      `attachment; filename="Invoice-${invoice.invoiceNumber}.pdf"`,
    );
    expect(res.headers.get('cache-control')).toBe('no-store');
    const { text } = await pdfText(Buffer.from(await res.arrayBuffer()));
    expect(text).toContain(invoice.total);
    expect(text).toContain(invoice.invoiceNumber);
    expect((await api.get(`/invoices/${invoice.id}`)).body.status).toEqual(['approved', 'downloaded']);
    expect((await api.get('/invoices?undelivered')).body.map((i: any) => i.id)).not.toContain(invoice.id);
    expect((await fetch(link.download_url, { method: 'HEAD' })).status).toBe(410);
    const again = await fetch(link.download_url);
    expect(again.status).toBe(410);
    expect(again.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await again.text()).toContain('This link has been used');
  });

  it('50 concurrent requests on a maxUses 2 link: exactly 2 get the bill', async () => {
    const { api } = await setUpAccount(h);
    const { invoice } = await billedCustomer(api);
    const link = (await api.post(`/invoices/${invoice.id}?action=generateDownloadLink`, { maxUses: 2 })).body;
    const responses = await Promise.all(
      Array.from({ length: 50 }, () =>
        fetch(link.download_url).then(async (r) => ({
          status: r.status,
          body: Buffer.from(await r.arrayBuffer()),
        })),
      ),
    );
    const served = responses.filter((r) => r.status === 200);
    expect(served).toHaveLength(2);
    expect(responses.filter((r) => r.status === 410)).toHaveLength(48);
    expect(served[0]!.body.subarray(0, 5).toString()).toBe('%PDF-');
    const row = await h.ctx.db
      .selectFrom('download_links')
      .select(['uses', 'max_uses'])
      .where('invoice_id', '=', Number(invoice.id))
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ uses: 2, max_uses: 2 });
  });

  it('an expired link gets the expired page, an unknown token 404, a malformed one 404', async () => {
    const { api } = await setUpAccount(h);
    const { invoice } = await billedCustomer(api);
    const link = (await api.post(`/invoices/${invoice.id}?action=generateDownloadLink`, { expiryHours: 1 }))
      .body;
    h.setNow(new Date(NOW.getTime() + 3600_000 - 1000));
    h.setNow(new Date(NOW.getTime() + 3600_000));
    const expired = await fetch(link.download_url);
    expect(expired.status).toBe(410);
    expect(await expired.text()).toContain('This link has expired');
    // Expired before used: the link was never used, and the invoice never downloaded.
    expect((await api.get(`/invoices/${invoice.id}`)).body.status).toEqual(['approved']);
    const unknown = await fetch(`${h.url}/download/invoice/${'A'.repeat(32)}`);
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toContain('Link not found');
    expect((await fetch(`${h.url}/download/invoice/${'A'.repeat(500)}`)).status).toBe(414);
    for (const token of ['x', '..%2F..%2Fetc', "'; drop table invoices; --", 'A'.repeat(99)]) {
      expect((await fetch(`${h.url}/download/invoice/${encodeURIComponent(token)}`)).status, token).toBe(404);
    }
    h.setNow(NOW);
  });

  it('a link made before the clock passes its expiry still works one second before it', async () => {
    const { api } = await setUpAccount(h);
    const { invoice } = await billedCustomer(api);
    const link = (await api.post(`/invoices/${invoice.id}?action=generateDownloadLink`, { expiryHours: 1 }))
      .body;
    h.setNow(new Date(NOW.getTime() + 3600_000 - 1000));
    expect((await fetch(link.download_url)).status).toBe(200);
    h.setNow(NOW);
  });
});
