// The delivery settings a user manages: account logo, payment details, email From, default bill style and
// fees; customers' delivery fields; bill styles, message templates, attachments, usage report profiles and
// discount plans; printed/delivered flags.
import { describe, expect, it } from 'vitest';
import { makeCustomer, useHarness } from '../helpers/harness.ts';
import { billedCustomer, setUpAccount } from '../helpers/delivery.ts';

const PNG_1X1 = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

async function upload(
  url: string,
  key: string,
  path: string,
  body: Buffer,
  contentType: string,
  method = 'PUT',
) {
  const res = await fetch(`${url}/backend/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': contentType },
    body: new Uint8Array(body),
  });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, body: json, text, headers: res.headers };
}

describe('account delivery settings', () => {
  const h = useHarness();

  it('sets payment details, emailFrom, defaultBillStyle and fees, and shows them', async () => {
    const { api } = await h.account();
    const res = await api.patch('/account', {
      paymentDetails: 'Bank transfer: Acme Telecom Ltd, sort code 12-34-56, account 12345678',
      emailFrom: 'billing@acme.example',
      defaultBillStyle: 'summary',
      lateFee: '5',
      interestRate: 8,
      lowUsageMinimum: '10.00',
      manualBillingFee: '1.50',
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({
      paymentDetails: 'Bank transfer: Acme Telecom Ltd, sort code 12-34-56, account 12345678',
      emailFrom: 'billing@acme.example',
      defaultBillStyle: 'Summary',
      lateFee: '5.00',
      interestRate: '8',
      lowUsageMinimum: '10.00',
      manualBillingFee: '1.50',
      logo: null,
    });
    expect((await api.get('/account')).body).toMatchObject({ defaultBillStyle: 'Summary', lateFee: '5.00' });
    const cleared = await api.patch('/account', {
      lateFee: null,
      interestRate: '0',
      paymentDetails: null,
      emailFrom: null,
    });
    expect(cleared.body).toMatchObject({
      lateFee: null,
      interestRate: null,
      paymentDetails: null,
      emailFrom: null,
    });
  });

  it('refuses bad settings with 4xx and the error shape', async () => {
    const { api } = await h.account();
    const cases: [Record<string, unknown>, number, number][] = [
      [{ defaultBillStyle: 'Fancy' }, 400, 400703],
      [{ lateFee: '-1' }, 400, 400001],
      [{ lateFee: '1.005' }, 400, 400001],
      [{ lateFee: 'abc' }, 400, 400001],
      [{ interestRate: '101' }, 400, 400001],
      [{ emailFrom: 'not an address' }, 400, 400001],
      [{ emailFrom: 'a@b.example, c@d.example' }, 400, 400001],
      [{ paymentDetails: 'x'.repeat(2001) }, 400, 400001],
      [{ manualBillingFee: { amount: 1 } }, 400, 400001],
    ];
    for (const [body, status, code] of cases) {
      const res = await api.patch('/account', body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.body.error_code, JSON.stringify(body)).toBe(code);
      expect(typeof res.body.hint).toBe('string');
    }
    // JPY has no minor unit: a fee of 1.5 yen cannot be charged.
    const yen = await h.account({ currency: 'JPY' });
    expect((await yen.api.patch('/account', { lateFee: '1.5' })).status).toBe(400);
    expect((await yen.api.patch('/account', { lateFee: '500' })).body.lateFee).toBe('500');
  });

  it('needs an expert key for settings and the logo', async () => {
    const account = await h.account();
    const level4 = await account.withLevel(4);
    expect((await level4.patch('/account', { paymentDetails: 'x' })).status).toBe(403);
    expect((await upload(h.url, level4.key!, '/account/logo', PNG_1X1, 'image/png')).status).toBe(403);
  });

  it('uploads, serves and removes a PNG logo; refuses what is not one', async () => {
    const { api, key } = await h.account();
    const res = await upload(h.url, key, '/account/logo', PNG_1X1, 'image/png');
    expect(res.status, res.text).toBe(200);
    expect(res.body.logo).toEqual({ contentType: 'image/png', size: PNG_1X1.length });
    const served = await fetch(`${h.url}/backend/api/v1/account/logo`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await served.arrayBuffer()).equals(PNG_1X1)).toBe(true);

    // Declared PNG, but not one; a GIF; a damaged PNG; too large; empty.
    const bad = [
      [Buffer.from('hello'), 'image/png', 400],
      [Buffer.from('GIF89a......'), 'image/gif', 415],
      [Buffer.concat([PNG_1X1.subarray(0, 40), Buffer.alloc(20)]), 'image/png', 400],
      [Buffer.concat([PNG_1X1, Buffer.alloc(1024 * 1024)]), 'image/png', 413],
      [Buffer.alloc(0), 'image/png', 400],
      [PNG_1X1, 'image/jpeg', 400],
    ] as const;
    for (const [body, type, status] of bad) {
      const r = await upload(h.url, key, '/account/logo', body, type);
      expect(r.status, `${type} ${body.length}`).toBe(status);
      expect(r.body).toMatchObject({ error_code: expect.any(Number), hint: expect.any(String) });
    }
    expect((await api.get('/account')).body.logo).toEqual({ contentType: 'image/png', size: PNG_1X1.length });
    expect((await api.delete('/account/logo')).body.logo).toBeNull();
    expect((await api.get('/account/logo')).status).toBe(404);
  });
});

describe('customer delivery fields', () => {
  const h = useHarness();

  it('keeps billDelivery, discountPlanID, customerReference and purchaseOrderNumber', async () => {
    const { api } = await h.account();
    const plan = await api.post('/discountPlans', {
      name: 'Starter',
      rules: [{ kind: 'freeMinutes', minutes: 100 }],
    });
    expect(plan.status, plan.text).toBe(201);
    const customer = await makeCustomer(api, {
      billDelivery: 'post',
      discountPlanID: plan.body.id,
      customerReference: 'BD-001',
      purchaseOrderNumber: 'PO-7781',
    });
    expect(customer).toMatchObject({
      billDelivery: 'post',
      discountPlanID: plan.body.id,
      customerReference: 'BD-001',
      purchaseOrderNumber: 'PO-7781',
    });
    const changed = await api.patch(`/customers/${customer.id}`, {
      billDelivery: 'email',
      discountPlanID: null,
      purchaseOrderNumber: null,
    });
    expect(changed.body).toMatchObject({
      billDelivery: 'email',
      discountPlanID: null,
      customerReference: 'BD-001',
      purchaseOrderNumber: null,
    });
    const fresh = await makeCustomer(api, { name: 'Plain' });
    expect(fresh).toMatchObject({
      billDelivery: 'email',
      discountPlanID: null,
      customerReference: null,
      purchaseOrderNumber: null,
    });
  });

  it("refuses an unknown or another account's discount plan, and a bad billDelivery", async () => {
    const mine = await h.account();
    const other = await h.account();
    const theirs = await other.api.post('/discountPlans', {
      name: 'Theirs',
      rules: [{ kind: 'percentOff', percent: '10', type: 'recurring' }],
    });
    for (const body of [
      { discountPlanID: theirs.body.id },
      { discountPlanID: '999999' },
      { discountPlanID: 'abc' },
      { billDelivery: 'fax' },
    ]) {
      const res = await mine.api.post('/customers', { name: 'X', ...body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error_code).toBe(400001);
    }
  });
});

describe('bill styles, message templates, usage report profiles', () => {
  const h = useHarness();

  it('keeps what invoices name: no delete while an invoice names it (409), and a rename follows into them', async () => {
    const { api } = await setUpAccount(h);
    expect(
      (await api.post('/billStyles', { name: 'Detailed', base: 'full', itemiseCalls: true })).status,
    ).toBe(201);
    const template = (
      await api.post('/messageTemplates', {
        name: 'Reminder',
        subject: 'Bill {{invoiceNumber}}',
        body: 'Please pay.',
      })
    ).body;
    const profile = (await api.post('/usageReportProfiles', { name: 'ByLine', kind: 'callsByFeature' })).body;
    const style = (await api.get('/billStyles')).body.find((s: any) => s.name === 'Detailed');
    const { invoice: unsent } = await billedCustomer(api, { approve: false });
    const named = await api.patch(`/invoices/${unsent.id}`, {
      billStyle: 'detailed',
      invoiceMessage: 'Reminder',
      invoiceUsageReportCustomerProfile: 'ByLine',
    });
    expect(named.status, named.text).toBe(200);
    for (const path of [
      `/billStyles/${style.id}`,
      `/messageTemplates/${template.id}`,
      `/usageReportProfiles/${profile.id}`,
    ]) {
      const res = await api.delete(path);
      expect([path, res.status, res.body.error_code]).toEqual([path, 409, 409000]);
      expect(res.body.hint).toContain(`named by invoice ${unsent.id}`);
    }
    // Renamed: the invoice follows, and can still be approved, rendered and emailed.
    expect((await api.patch(`/billStyles/${style.id}`, { name: 'Long' })).status).toBe(200);
    expect((await api.patch(`/messageTemplates/${template.id}`, { name: 'Nudge' })).status).toBe(200);
    expect((await api.patch(`/usageReportProfiles/${profile.id}`, { name: 'PerLine' })).status).toBe(200);
    expect((await api.get(`/invoices/${unsent.id}`)).body).toMatchObject({
      billStyle: 'Long',
      invoiceMessage: 'Nudge',
      invoiceUsageReportCustomerProfile: 'PerLine',
    });
    expect((await api.post(`/invoices/${unsent.id}?action=approve`)).status).toBe(200);
    expect((await api.get(`/invoices/${unsent.id}`, { accept: 'application/pdf' })).status).toBe(200);
    expect((await api.post(`/invoices/${unsent.id}?action=email`)).status).toBe(200);

    // A style only used to render a bill (asked for by ?billStyle=) can go, and its kept bill with it:
    // recreate then renders the styles that are left.
    expect((await api.post('/billStyles', { name: 'Brief', base: 'summary' })).status).toBe(201);
    const brief = (await api.get('/billStyles')).body.find((s: any) => s.name === 'Brief');
    const { invoice: other } = await billedCustomer(api, {
      line: '441134960777',
      customer: { name: 'Other Ltd' },
    });
    expect(
      (await api.get(`/invoices/${other.id}?billStyle=Brief`, { accept: 'application/pdf' })).status,
    ).toBe(200);
    expect((await api.delete(`/billStyles/${brief.id}`)).status).toBe(200);
    const recreated = await api.post(`/invoices/${other.id}?action=recreate`);
    expect(recreated.status, recreated.text).toBe(200);
  });

  it('lists the built-ins first, then CRUD with unique names', async () => {
    const { api } = await h.account();
    const list = await api.get('/billStyles');
    expect(list.body.map((s: any) => s.name)).toEqual(['Full', 'Itemised', 'Summary']);
    expect(list.body[0]).toEqual({
      id: null,
      name: 'Full',
      base: 'full',
      itemiseCalls: false,
      showCallSummary: true,
      builtIn: true,
      created: null,
      updated: null,
    });
    const created = await api.post('/billStyles', { name: 'Detailed', base: 'full', itemiseCalls: true });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({
      name: 'Detailed',
      base: 'full',
      itemiseCalls: true,
      showCallSummary: true,
      builtIn: false,
    });
    expect((await api.post('/billStyles', { name: 'detailed' })).status).toBe(409);
    expect((await api.post('/billStyles', { name: 'summary' })).status).toBe(409);
    expect((await api.post('/billStyles', { name: '' })).status).toBe(400);
    expect((await api.post('/billStyles', { name: 'X', base: 'fancy' })).status).toBe(400);
    expect((await api.post('/billStyles', { name: 'X', colour: 'red' })).status).toBe(400);
    const patched = await api.patch(`/billStyles/${created.body.id}`, {
      name: 'Detailed calls',
      showCallSummary: false,
    });
    expect(patched.body).toMatchObject({
      name: 'Detailed calls',
      showCallSummary: false,
      itemiseCalls: true,
    });
    expect((await api.get('/billStyles')).body.map((s: any) => s.name)).toEqual([
      'Full',
      'Itemised',
      'Summary',
      'Detailed calls',
    ]);
    // The default style cannot be deleted; once it is not the default, it can.
    expect((await api.patch('/account', { defaultBillStyle: 'detailed CALLS' })).body.defaultBillStyle).toBe(
      'Detailed calls',
    );
    const refused = await api.delete(`/billStyles/${created.body.id}`);
    expect(refused.status).toBe(409);
    await api.patch('/account', { defaultBillStyle: 'Full' });
    expect((await api.delete(`/billStyles/${created.body.id}`)).status).toBe(200);
    expect((await api.get(`/billStyles/${created.body.id}`)).status).toBe(404);
  });

  it('checks template placeholders', async () => {
    const { api } = await h.account();
    const list = await api.get('/messageTemplates');
    expect(list.body).toHaveLength(1);
    expect(list.body[0]).toMatchObject({ id: null, name: 'Standard', builtIn: true });
    const ok = await api.post('/messageTemplates', {
      name: 'Friendly',
      subject: 'Your {{accountName}} bill {{invoiceNumber}}',
      body: 'Hi {{customerName}},\r\n\r\nYour bill for {{currency}} {{total}} is attached. Due {{dueDate}}. PO {{purchaseOrderNumber}}.',
    });
    expect(ok.status, ok.text).toBe(201);
    expect(ok.body.body).not.toContain('\r');
    const typo = await api.post('/messageTemplates', {
      name: 'Typo',
      subject: 'Bill {{invoiceNumbr}}',
      body: 'x',
    });
    expect(typo.status).toBe(400);
    expect(typo.body.hint).toContain('{{invoiceNumbr}}');
    expect(
      (await api.post('/messageTemplates', { name: 'Two lines', subject: 'a\nb', body: 'x' })).status,
    ).toBe(400);
    expect((await api.post('/messageTemplates', { name: 'standard', subject: 'a', body: 'x' })).status).toBe(
      409,
    );
    expect((await api.post('/messageTemplates', { name: 'NoBody', subject: 'a' })).status).toBe(400);
    const patched = await api.patch(`/messageTemplates/${ok.body.id}`, {
      subject: 'Invoice {{invoiceNumber}}',
    });
    expect(patched.body.subject).toBe('Invoice {{invoiceNumber}}');
    expect((await api.delete(`/messageTemplates/${ok.body.id}`)).status).toBe(200);
    expect((await api.delete(`/messageTemplates/${ok.body.id}`)).status).toBe(404);
  });

  it('manages usage report profiles', async () => {
    const { api } = await h.account();
    expect((await api.get('/usageReportProfiles')).body.map((p: any) => [p.name, p.kind])).toEqual([
      ['CallsByFeature', 'callsByFeature'],
      ['CallDetail', 'callDetail'],
    ]);
    const created = await api.post('/usageReportProfiles', { name: 'Every call', kind: 'callDetail' });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({ name: 'Every call', kind: 'callDetail', builtIn: false });
    expect((await api.post('/usageReportProfiles', { name: 'X', kind: 'everything' })).status).toBe(400);
    expect((await api.post('/usageReportProfiles', { name: 'calldetail', kind: 'callDetail' })).status).toBe(
      409,
    );
    expect(
      (await api.patch(`/usageReportProfiles/${created.body.id}`, { kind: 'callsByFeature' })).body.kind,
    ).toBe('callsByFeature');
    expect((await api.delete(`/usageReportProfiles/${created.body.id}`)).status).toBe(200);
  });

  it("keeps each account's own: another account's ids are 404, and key levels apply", async () => {
    const mine = await h.account();
    const other = await h.account();
    const style = await other.api.post('/billStyles', { name: 'Theirs' });
    const template = await other.api.post('/messageTemplates', { name: 'Theirs', subject: 's', body: 'b' });
    const profile = await other.api.post('/usageReportProfiles', { name: 'Theirs', kind: 'callDetail' });
    const plan = await other.api.post('/discountPlans', {
      name: 'Theirs',
      rules: [{ kind: 'freeMinutes', minutes: 5 }],
    });
    for (const path of [
      `/billStyles/${style.body.id}`,
      `/messageTemplates/${template.body.id}`,
      `/usageReportProfiles/${profile.body.id}`,
      `/discountPlans/${plan.body.id}`,
    ]) {
      expect((await mine.api.get(path)).status, path).toBe(404);
      expect((await mine.api.patch(path, { name: 'Mine now' })).status, path).toBe(404);
      expect((await mine.api.delete(path)).status, path).toBe(404);
    }
    expect((await mine.api.get('/billStyles')).body.map((s: any) => s.name)).not.toContain('Theirs');
    // Same names are fine in another account.
    expect((await mine.api.post('/billStyles', { name: 'Theirs' })).status).toBe(201);
    const reader = await mine.withLevel(3);
    expect((await reader.get('/billStyles')).status).toBe(200);
    expect((await reader.post('/billStyles', { name: 'Nope' })).status).toBe(403);
    expect((await reader.post('/messageTemplates', { name: 'Nope', subject: 's', body: 'b' })).status).toBe(
      403,
    );
  });
});

describe('attachments', () => {
  const h = useHarness();

  it('uploads, lists, serves, replaces and deletes named documents', async () => {
    const { api, key } = await h.account();
    const pdf = Buffer.from('%PDF-1.4\n% terms and conditions\n');
    const res = await upload(h.url, key, '/attachments?name=Terms', pdf, 'application/pdf', 'POST');
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({
      name: 'Terms',
      filename: 'Terms.pdf',
      contentType: 'application/pdf',
      size: pdf.length,
    });
    const csv = await upload(
      h.url,
      key,
      '/attachments?name=Price%20list&filename=prices-2026.csv',
      Buffer.from('a,b\n1,2\n'),
      'text/csv',
      'POST',
    );
    expect(csv.status, csv.text).toBe(201);
    expect(csv.body.filename).toBe('prices-2026.csv');
    expect((await api.get('/attachments')).body.map((a: any) => a.name)).toEqual(['Terms', 'Price list']);
    const content = await fetch(`${h.url}/backend/api/v1/attachments/${res.body.id}/content`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(content.headers.get('content-type')).toBe('application/pdf');
    expect(Buffer.from(await content.arrayBuffer()).equals(pdf)).toBe(true);
    const replaced = await upload(
      h.url,
      key,
      `/attachments/${res.body.id}`,
      Buffer.from('new terms'),
      'text/plain',
    );
    expect(replaced.body).toMatchObject({
      name: 'Terms',
      filename: 'Terms.txt',
      contentType: 'text/plain',
      size: 9,
    });
    expect((await api.delete(`/attachments/${res.body.id}`)).status).toBe(200);
    expect((await api.get(`/attachments/${res.body.id}`)).status).toBe(404);
  });

  it('refuses missing names, clashes, empty and oversized files, bad file names; isolates accounts', async () => {
    const mine = await h.account();
    const other = await h.account();
    const file = Buffer.from('x');
    expect((await upload(h.url, mine.key, '/attachments', file, 'text/plain', 'POST')).body.error_code).toBe(
      400503,
    );
    expect(
      (await upload(h.url, mine.key, '/attachments?name=A', Buffer.alloc(0), 'text/plain', 'POST')).status,
    ).toBe(400);
    expect(
      (
        await upload(
          h.url,
          mine.key,
          '/attachments?name=A',
          Buffer.alloc(5 * 1024 * 1024 + 1),
          'application/pdf',
          'POST',
        )
      ).status,
    ).toBe(413);
    expect(
      (
        await upload(
          h.url,
          mine.key,
          '/attachments?name=A&filename=../../etc/passwd',
          file,
          'text/plain',
          'POST',
        )
      ).status,
    ).toBe(400);
    expect((await upload(h.url, mine.key, '/attachments?name=A', file, 'not a type', 'POST')).status).toBe(
      415,
    );
    expect((await upload(h.url, mine.key, '/attachments?name=A', file, 'text/plain', 'POST')).status).toBe(
      201,
    );
    expect((await upload(h.url, mine.key, '/attachments?name=a', file, 'text/plain', 'POST')).status).toBe(
      409,
    );
    const theirs = await upload(
      h.url,
      other.key,
      '/attachments?name=Secret',
      Buffer.from('secret'),
      'text/plain',
      'POST',
    );
    expect((await mine.api.get(`/attachments/${theirs.body.id}`)).status).toBe(404);
    expect((await mine.api.get(`/attachments/${theirs.body.id}/content`)).status).toBe(404);
    expect((await upload(h.url, mine.key, `/attachments/${theirs.body.id}`, file, 'text/plain')).status).toBe(
      404,
    );
    expect((await mine.api.delete(`/attachments/${theirs.body.id}`)).status).toBe(404);
  });
});

describe('discount plans', () => {
  const h = useHarness();

  it('CRUD, rule checks, and no delete while assigned', async () => {
    const { api } = await h.account();
    const created = await api.post('/discountPlans', {
      name: 'Business',
      rules: [
        { kind: 'freeMinutes', minutes: 300, destinations: ['UK'] },
        { kind: 'percentOff', percent: '10', type: 'recurring', description: 'Loyalty discount' },
      ],
    });
    expect(created.status, created.text).toBe(201);
    expect(created.body.rules).toEqual([
      { kind: 'freeMinutes', minutes: 300, destinations: ['UK'] },
      { kind: 'percentOff', percent: '10', type: 'recurring', description: 'Loyalty discount' },
    ]);
    for (const rules of [
      [],
      [{ kind: 'free' }],
      [{ kind: 'freeMinutes', minutes: -1 }],
      [{ kind: 'percentOff', percent: '150', type: 'calls' }],
      [{ kind: 'freeAmount', amount: 'ten' }],
      'all',
    ]) {
      const res = await api.post('/discountPlans', { name: 'Bad', rules });
      expect(res.status, JSON.stringify(rules)).toBe(400);
      expect(res.body.error_code).toBe(400001);
    }
    expect(
      (await api.post('/discountPlans', { name: 'business', rules: [{ kind: 'freeMinutes', minutes: 1 }] }))
        .status,
    ).toBe(409);
    const customer = await makeCustomer(api, { discountPlanID: created.body.id });
    expect((await api.delete(`/discountPlans/${created.body.id}`)).status).toBe(409);
    await api.patch(`/customers/${customer.id}`, { discountPlanID: null });
    const renamed = await api.patch(`/discountPlans/${created.body.id}`, { name: 'Business plus' });
    expect(renamed.body.name).toBe('Business plus');
    expect((await api.get('/discountPlans')).body.map((p: any) => p.name)).toEqual(['Business plus']);
    expect((await api.delete(`/discountPlans/${created.body.id}`)).status).toBe(200);
  });
});
