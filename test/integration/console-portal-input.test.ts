// Malformed input on the console and the portal: each route's schema names its query, form and path fields,
// so a field sent twice, a JSON body with the wrong types, or a hostile name is a 4xx page in the surface's
// own frame (never a 500), and nothing changes; well-formed input still works, CSRF is still checked.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { consoleSession } from '../helpers/console.ts';
import { makeCustomer, useHarness, type TestAccount } from '../helpers/harness.ts';

const h = useHarness();
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const JSON_BODY = { 'content-type': 'application/json' };

interface Page {
  status: number;
  type: string;
  csp: string;
  text: string;
}

async function send(path: string, init: RequestInit = {}): Promise<Page> {
  const res = await fetch(`${h.url}${path}`, { redirect: 'manual', ...init });
  return {
    status: res.status,
    type: res.headers.get('content-type') ?? '',
    csp: res.headers.get('content-security-policy') ?? '',
    text: await res.text(),
  };
}

/** The surface's error page: HTML under its CSP, the title, and the message naming the field. */
function expectErrorPage(page: Page, status: number, field: string): void {
  expect(page.status, page.text).toBe(status);
  expect(page.type).toBe('text/html; charset=utf-8');
  expect(page.csp).toContain("default-src 'none'");
  expect(page.text).toContain('<h1>This request could not be handled</h1>');
  expect(page.text).toContain(`${field}: `);
  expect(page.text).not.toContain('Something went wrong');
}

let account: TestAccount;
let cookie = '';
let csrf = '';

beforeAll(async () => {
  account = await h.account({ name: 'Acme Telecom' });
  ({ cookie, csrf } = await consoleSession(h, account.id, 'o@acme.example'));
});

describe('console', () => {
  const get = (path: string) => send(path, { headers: { cookie } });
  const post = (path: string, body: string, type: Record<string, string> = FORM) =>
    send(path, { method: 'POST', headers: { cookie, ...type }, body });
  const customers = async () => (await account.api.get('/customers')).body as { name: string }[];

  it('keeps answering well-formed queries, and refuses a parameter sent twice with a 400 page naming it', async () => {
    const ok = await get('/console/invoices?state=unsent&number=7&unpaid=1&unknown=a&unknown=b');
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('<h1>Invoices</h1>');
    expect(ok.text).toMatch(/name="unpaid" value="1" checked/);
    for (const [path, field] of [
      ['/console/invoices?state=unsent&state=raised', 'state'],
      ['/console/calls?status=missed&status=busy', 'status'],
      ['/console/customers?q=a&q=b', 'q'],
      ['/console/audit?from=2026-01-01&from=2026-02-01', 'from'],
      ['/console/profile?error=a&error=b', 'error'],
      ['/console/rate-cards?ok=a&ok=b', 'ok'],
      ['/console/sign-in?next=/console&next=/console/calls', 'next'],
    ] as const) {
      expectErrorPage(await get(path), 400, field);
    }
  });

  it('escapes hostile query values and ignores unknown or prototype-named parameters', async () => {
    const page = await get(
      `/console/customers?error=${encodeURIComponent('<script>alert(1)</script>')}&__proto__=x&constructor=y`,
    );
    expect(page.status).toBe(200);
    expect(page.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page.text).not.toContain('<script>alert(1)</script>');
    // A NUL in a parameter is refused before any route reads it.
    expectErrorPage(await get('/console/customers?q=a%00b'), 400, 'q');
  });

  it('refuses form bodies with the wrong types and changes nothing', async () => {
    const before = await customers();
    // A JSON body: fields must be strings, as a form sends them.
    const numbers = await post('/console/customers', JSON.stringify({ csrf, name: 5 }), JSON_BODY);
    expectErrorPage(numbers, 400, 'name');
    const nested = await post(
      '/console/customers',
      JSON.stringify({ csrf, name: 'Acme', email: { $ne: null } }),
      JSON_BODY,
    );
    expectErrorPage(nested, 400, 'email');
    const array = await post('/console/customers', JSON.stringify([csrf, 'Acme']), JSON_BODY);
    expect(array.status).toBe(400);
    expect(array.text).toContain('<h1>This request could not be handled</h1>');
    const keys = await post('/console/settings/keys', JSON.stringify({ csrf, level: 5 }), JSON_BODY);
    expectErrorPage(keys, 400, 'level');
    const webhook = await post(
      '/console/webhooks',
      JSON.stringify({ csrf, url: 'https://example.com/x', event_invoice: true }),
      JSON_BODY,
    );
    expectErrorPage(webhook, 400, 'event_invoice');
    expect(await customers()).toEqual(before);
    expect((await account.api.get('/webhooks')).body).toEqual([]);
  });

  it('takes well-formed forms as before, prototype-named fields included, and still checks the CSRF token', async () => {
    const created = await post(
      '/console/customers',
      `csrf=${encodeURIComponent(csrf)}&name=Bright+Dental&__proto__=x&constructor=y&toString=z`,
    );
    expect(created.status).toBe(303);
    expect((await customers()).map((c) => c.name)).toContain('Bright Dental');
    // A form the use case refuses goes back to the page with the message (not an error page).
    const refused = await post('/console/customers', `csrf=${encodeURIComponent(csrf)}&name=`);
    expect(refused.status).toBe(303);
    // No token, or a token in the wrong type: refused as before, with the console's 403 page.
    const noToken = await post('/console/customers', 'name=Other');
    expect(noToken.status).toBe(403);
    expect(noToken.text).toContain('this form has expired');
    const badToken = await post(
      '/console/customers',
      JSON.stringify({ csrf: [csrf], name: 'Other' }),
      JSON_BODY,
    );
    expectErrorPage(badToken, 400, 'csrf');
    expect((await customers()).map((c) => c.name)).not.toContain('Other');
  });

  it('refuses malformed sign-in forms with a 400 page (not a 500), and still signs in with good ones', async () => {
    expectErrorPage(
      await send('/console/sign-in', {
        method: 'POST',
        headers: JSON_BODY,
        body: JSON.stringify({ email: ['o@acme.example'], password: 'a-long-password' }),
      }),
      400,
      'email',
    );
    expectErrorPage(
      await send('/console/forgot', {
        method: 'POST',
        headers: JSON_BODY,
        body: JSON.stringify({ email: 1 }),
      }),
      400,
      'email',
    );
    const wrong = await send('/console/sign-in', {
      method: 'POST',
      headers: FORM,
      body: 'email=o%40acme.example&password=wrong-password&__proto__=x',
    });
    expect(wrong.status).toBe(401);
    expect(wrong.text).toContain('value="o@acme.example"');
  });

  it('uploads: the raw file with fields in the query, or the pasted form; malformed ones are a 400', async () => {
    const raw = await send('/console/calls/upload?format=ringbill', {
      method: 'POST',
      headers: { cookie, 'content-type': 'text/csv', 'x-csrf-token': csrf, 'hx-request': 'true' },
      body: 'call_id,from,to,start_time,duration_s,status\n',
    });
    expect(raw.status).toBe(200);
    expect(raw.text).toContain('data-report');
    const pasted = await post('/console/calls/upload', `csrf=${encodeURIComponent(csrf)}&format=auto&csv=`);
    expect(pasted.status).toBe(200);
    expect(pasted.text).toContain('choose a CSV file or paste its rows');
    expectErrorPage(
      await send('/console/calls/upload?format=a&format=b', {
        method: 'POST',
        headers: { cookie, 'content-type': 'text/csv', 'x-csrf-token': csrf },
        body: 'x',
      }),
      400,
      'format',
    );
    const numbers = await post(
      '/console/rate-cards/upload',
      JSON.stringify({ csrf, rateCard: 'Standard', csv: 42 }),
      JSON_BODY,
    );
    expectErrorPage(numbers, 400, 'body');
    expect(numbers.text).toContain('send the file as the body (text/csv), or the form with text fields');
    expect((await account.api.get('/rateCards')).body).toEqual([]);
  });
});

describe('portal', () => {
  let portalCookie = '';
  let portalCsrf = '';
  const get = (path: string) => send(path, { headers: { cookie: portalCookie } });
  const post = (path: string, body: string, type: Record<string, string> = FORM) =>
    send(path, { method: 'POST', headers: { cookie: portalCookie, ...type }, body });

  beforeAll(async () => {
    await makeCustomer(account.api, { name: 'Portal Ltd', email: 'portal@input.example' });
    expect(
      (await send('/portal/sign-in', { method: 'POST', headers: FORM, body: 'email=portal%40input.example' }))
        .status,
    ).toBe(200);
    await h.outbox.runOnce();
    let link = '';
    for (const f of await readdir(h.mailDir)) {
      const text = (await readFile(join(h.mailDir, f), 'utf8')).replace(/=\r?\n/g, '');
      const m = /http:\/\/[^\s]+(\/portal\/sign-in\/[\w-]+)/.exec(text);
      if (text.includes('portal@input.example') && m) link = m[1]!;
    }
    const res = await fetch(`${h.url}${link}`, { method: 'POST', redirect: 'manual' });
    expect(res.status).toBe(303);
    portalCookie = res.headers.get('set-cookie')!.split(';')[0]!;
    portalCsrf = /name="csrf" value="([^"]+)"/.exec((await get('/portal/settings')).text)![1]!;
  });

  it('answers well-formed queries, and a parameter sent twice with its 400 page', async () => {
    expect((await get('/portal/calls?number=44&from=2026-01-01&other=a&other=b')).status).toBe(200);
    const csv = await get('/portal/entries.csv?from=2026-01-01');
    expect(csv.status).toBe(200);
    expect(csv.type).toBe('text/csv; charset=utf-8');
    for (const [path, field] of [
      ['/portal/calls?from=2026-01-01&from=2026-02-01', 'from'],
      ['/portal/calls.csv?number=1&number=2', 'number'],
      ['/portal/entries?after=1&after=2', 'after'],
      ['/portal/entries.csv?to=a&to=b', 'to'],
      ['/portal?error=a&error=b', 'error'],
      ['/portal/settings?error=a&error=b', 'error'],
    ] as const) {
      const page = await get(path);
      expectErrorPage(page, 400, field);
      expect(page.text).toContain('<a class="button" href="/portal">Back</a>');
    }
  });

  it('refuses form bodies with the wrong types, sends no mail and changes nothing', async () => {
    const mails = (await readdir(h.mailDir)).length;
    expectErrorPage(
      await send('/portal/sign-in', {
        method: 'POST',
        headers: JSON_BODY,
        body: JSON.stringify({ email: { $ne: null } }),
      }),
      400,
      'email',
    );
    await h.outbox.runOnce();
    expect((await readdir(h.mailDir)).length).toBe(mails);
    expectErrorPage(
      await post('/portal/top-up', JSON.stringify({ csrf: portalCsrf, amount: 20 }), JSON_BODY),
      400,
      'amount',
    );
    expectErrorPage(
      await post(
        '/portal/alerts',
        JSON.stringify({ csrf: portalCsrf, type: 'low_balance', threshold: ['5'] }),
        JSON_BODY,
      ),
      400,
      'threshold',
    );
    expectErrorPage(
      await post('/portal/contacts', JSON.stringify({ csrf: portalCsrf, email: null }), JSON_BODY),
      400,
      'email',
    );
    const settings = await get('/portal/settings');
    expect(settings.text).toContain('No alerts yet.');
    expect(settings.text).not.toContain('Remove<span class="muted"> alert');
  });

  it('takes well-formed forms with prototype-named fields, and still checks the CSRF token', async () => {
    const added = await post(
      '/portal/contacts',
      `csrf=${encodeURIComponent(portalCsrf)}&email=second%40input.example&__proto__=x&constructor=y`,
    );
    expect(added.status).toBe(303);
    expect((await get('/portal/settings')).text).toContain('second@input.example');
    const noToken = await post('/portal/contacts', 'email=third%40input.example');
    expect(noToken.status).toBe(403);
    expect(noToken.text).toContain('this form has expired');
    expect((await get('/portal/settings')).text).not.toContain('third@input.example');
    // A path id that is not a number is not found, as before.
    expect((await post('/portal/contacts/abc/delete', `csrf=${encodeURIComponent(portalCsrf)}`)).status).toBe(
      404,
    );
  });
});
