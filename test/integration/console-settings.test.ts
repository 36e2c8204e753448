// The console's settings and sign-in across accounts, in a real headless Chromium at phone and desktop
// widths. Settings: the account's details and address, a logo uploaded from the browser and printed on the
// bill style preview (the PDF renderer bills use), a new bill style and its preview, a message template
// edited with a preview filled in as the email is sent, an API key shown once and revoked, users invited,
// given a role, disabled and removed; each change in the audit log. A viewer sees no form and the server
// refuses its posts (403); another account's user gets 404 for this account's template; a post without
// the CSRF token is refused. Sign-in: one email in several accounts gets a chooser after the password is
// right (only the accounts whose user has that password), never before; a choice works once. axe-core
// finds no serious or critical violation and no page scrolls sideways at 390 px. Screenshots go to
// CONSOLE_SCREENSHOTS when it is set.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { listAuditLog } from '../../src/audit/list-audit-log.ts';
import { listMessageTemplates } from '../../src/delivery-settings/settings-repo.ts';
import { sql } from 'kysely';
import { loadConsoleData } from '../../bench/console-data.ts';
import { findAccount } from '../../src/accounts/repo.ts';
import { overview } from '../../src/dashboard/overview.ts';
import { money, sum } from '../../src/money/money.ts';
import { addDays, startOfDayInZone } from '../../src/shared/dates.ts';
import { useHarness } from '../helpers/harness.ts';
import { cookieHeader, DESKTOP, PASSWORD, PHONE, useConsoleBrowser } from '../helpers/console.ts';

const h = useHarness();
const { browser, checkPage, newPage, setUpUser, signIn } = useConsoleBrowser(h);

function post(path: string, form: Record<string, string>, cookie: string, ip?: string) {
  return fetch(`${h.url}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      cookie,
      ...(ip ? { 'x-forwarded-for': ip } : {}),
    },
    body: new URLSearchParams(form).toString(),
    redirect: 'manual',
  });
}

/** A 160x60 PNG drawn by the browser: a blue block with the letters RB. */
async function logoPng(page: Page): Promise<Buffer> {
  const dataUrl = await page.evaluate(() => {
    const canvas = document.createElement('canvas');
    canvas.width = 160;
    canvas.height = 60;
    const g = canvas.getContext('2d')!;
    g.fillStyle = '#1d4fc0';
    g.fillRect(0, 0, 160, 60);
    g.fillStyle = '#ffffff';
    g.font = 'bold 36px sans-serif';
    g.fillText('RB', 50, 44);
    return canvas.toDataURL('image/png');
  });
  return Buffer.from(dataUrl.split(',')[1]!, 'base64');
}

describe('console settings', () => {
  it(
    'edits the account, uploads a logo, previews bill styles and message templates, manages keys and users; all audited',
    { timeout: 400_000 },
    async () => {
      const account = await h.account({ name: 'Acme Telecom' });
      const owner = await setUpUser(account.id, 'owner@acme.example', 'owner');
      const context = await browser().newContext(DESKTOP);
      const page = await newPage(context);
      await signIn(page, 'owner@acme.example');
      await page.waitForURL(/\/console$/);

      // The account: address, VAT number, payment details.
      await page.goto(`${h.url}/console/settings`);
      await checkPage(page, 'settings-empty');
      await page.fill('#acc-vatNumber', 'GB123456789');
      await page.fill('#acc-line1', '1 Harbour Street');
      await page.fill('#acc-city', 'Leeds');
      await page.fill('#acc-postcode', 'LS1 4AB');
      await page.fill('#acc-country', 'GB');
      await page.fill('#acc-paymentDetails', 'Sort code 12-34-56, account 12345678');
      await page.getByRole('button', { name: 'Save account' }).click();
      await page.waitForURL(/settings\?ok=Account/);
      expect(await page.textContent('[role=status]')).toContain('Account saved');
      expect(await page.inputValue('#acc-vatNumber')).toBe('GB123456789');
      const details = await account.api.get('/account');
      expect(details.body).toMatchObject({
        vatNumber: 'GB123456789',
        paymentDetails: 'Sort code 12-34-56, account 12345678',
      });

      // A bad time zone is refused with the field named, and nothing changes.
      await page.fill('#acc-timezone', 'Mars/Olympus');
      await page.getByRole('button', { name: 'Save account' }).click();
      await page.waitForURL(/error=/);
      expect(await page.textContent('[role=alert]')).toContain('timezone');

      // The logo: uploaded from the browser (console.js sends the image as it is), then shown.
      const png = await logoPng(page);
      const withoutLogo = await fetch(`${h.url}/console/settings/bill-styles/preview.pdf?style=Full`, {
        headers: { cookie: await cookieHeader(context) },
      });
      expect(withoutLogo.headers.get('content-type')).toBe('application/pdf');
      const pdfBefore = Buffer.from(await withoutLogo.arrayBuffer());
      await page.goto(`${h.url}/console/settings#logo`);
      await page.setInputFiles('#logo-file', { name: 'logo.png', mimeType: 'image/png', buffer: png });
      await page.getByRole('button', { name: 'Upload logo' }).click();
      await page.waitForSelector('#logo-report img.logo');
      expect(await page.textContent('#logo-report')).toContain('Logo saved');
      const served = await fetch(`${h.url}/console/settings/logo`, {
        headers: { cookie: await cookieHeader(context) },
      });
      expect(Buffer.from(await served.arrayBuffer()).equals(png)).toBe(true);
      // The preview of a bill now carries the image (the PDF grows by an image object).
      const pdfAfter = Buffer.from(
        await (
          await fetch(`${h.url}/console/settings/bill-styles/preview.pdf?style=Full`, {
            headers: { cookie: await cookieHeader(context) },
          })
        ).arrayBuffer(),
      );
      expect(pdfBefore.toString('latin1')).not.toContain('/Subtype /Image');
      expect(pdfAfter.toString('latin1')).toContain('/Subtype /Image');

      // A bill style and its preview, in the page.
      await page.goto(`${h.url}/console/settings#bill-styles`);
      await page.fill('#bs-name', 'Compact');
      await page.selectOption('#bs-base', 'summary');
      await page.getByRole('button', { name: 'Create bill style' }).click();
      await page.waitForURL(/ok=Bill/);
      expect(await page.textContent('#bill-styles')).toContain('Compact');
      await page.getByRole('link', { name: 'Preview Compact' }).click();
      await page.waitForURL(/bill-styles\/preview\?style=Compact/);
      expect(await page.textContent('h1')).toBe('Preview: Compact');
      await checkPage(page, 'settings-bill-style-preview');
      const frame = await page.getAttribute('iframe.pdf', 'src');
      const pdf = await fetch(`${h.url}${frame}`, { headers: { cookie: await cookieHeader(context) } });
      expect(pdf.status).toBe(200);
      expect(
        Buffer.from(await pdf.arrayBuffer())
          .subarray(0, 5)
          .toString(),
      ).toBe('%PDF-');

      // A message template: previewed before it is saved (nothing stored), then saved and edited.
      await page.goto(`${h.url}/console/settings/templates/new`);
      await page.fill('#t-name', 'Friendly');
      await page.fill('#t-subject', 'Your bill {{invoiceNumber}} from {{accountName}}');
      await page.fill(
        '#t-body',
        'Hello {{customerName}}, {{currency}} {{total}} is due by {{dueDate}}. {{oops}}',
      );
      await page.getByRole('button', { name: 'Preview' }).click();
      await page.waitForSelector('[data-field=preview-subject]');
      expect(await page.textContent('[data-field=preview-subject]')).toMatch(
        /^Your bill \S+ from Acme Telecom$/,
      );
      expect(await page.textContent('[data-field=preview-text]')).toContain(
        'Hello Sample Customer Ltd, GBP 120.00 is due by',
      );
      expect(await page.textContent('#preview [role=alert]')).toContain('{{oops}}');
      expect(await page.inputValue('#t-body')).toContain('{{oops}}');
      expect((await listMessageTemplates(h.ctx.db, account.id, { limit: 10 })).rows).toEqual([]);
      await checkPage(page, 'settings-template-preview');
      // Saving refuses the unknown placeholder, naming it.
      await page.getByRole('button', { name: 'Create template' }).click();
      await page.waitForURL(/templates\/new\?error=/);
      expect(await page.textContent('[role=alert]')).toContain('{{oops}}');
      await page.fill('#t-name', 'Friendly');
      await page.fill('#t-subject', 'Your bill {{invoiceNumber}} from {{accountName}}');
      await page.fill('#t-body', 'Hello {{customerName}}, {{currency}} {{total}} is due by {{dueDate}}.');
      await page.getByRole('button', { name: 'Create template' }).click();
      await page.waitForURL(/templates\/\d+\?ok=/);
      const templateId = /templates\/(\d+)/.exec(page.url())![1]!;
      await page.fill('#t-body', 'Dear {{customerName}}, please pay {{currency}} {{outstanding}}.');
      await page.getByRole('button', { name: 'Save template' }).click();
      await page.waitForURL(/ok=Message/);
      expect(await page.textContent('[data-field=preview-text]')).toBe(
        'Dear Sample Customer Ltd, please pay GBP 120.00.',
      );
      await checkPage(page, 'settings-template');

      // An API key: shown once, in the answer; it works; revoked, it does not.
      await page.goto(`${h.url}/console/settings#keys`);
      await page.fill('#key-name', 'Switch');
      await page.selectOption('#key-level', '1');
      await page.getByRole('button', { name: 'Create API key' }).click();
      const key = (await page.textContent('[data-field=secret]'))!.trim();
      const keyId = /API key (\d+) created/.exec((await page.textContent('[role=status]'))!)![1]!;
      const withKey = () =>
        fetch(`${h.url}/backend/api/v1/account`, { headers: { authorization: `Bearer ${key}` } });
      expect((await withKey()).status).toBe(200);
      await page.goto(`${h.url}/console/settings`);
      expect(await page.content()).not.toContain(key);
      await page.getByRole('button', { name: `Revoke key ${keyId}` }).click();
      await page.waitForURL(/revoked/);
      expect((await withKey()).status).toBe(401);

      // Users: invite, change role, disable, remove.
      await page.fill('#inv-email', 'vic@acme.example');
      await page.fill('#inv-name', 'Vic Viewer');
      await page.selectOption('#inv-role', 'billing');
      await page.getByRole('button', { name: 'Invite user' }).click();
      await page.waitForURL(/invited/);
      const row = page.locator('#users tr', { hasText: 'vic@acme.example' });
      await row.locator('select').selectOption('viewer');
      await row.getByRole('button', { name: 'Set role' }).click();
      await page.waitForURL(/is\+now\+viewer|is%20now%20viewer/);
      await page
        .locator('#users tr', { hasText: 'vic@acme.example' })
        .getByRole('button', { name: 'Disable' })
        .click();
      await page.waitForURL(/disabled/);
      expect(await page.locator('#users tr', { hasText: 'vic@acme.example' }).textContent()).toContain(
        'disabled',
      );
      await page
        .locator('#users tr', { hasText: 'vic@acme.example' })
        .getByRole('button', { name: 'Remove' })
        .click();
      await page.waitForURL(/removed/);
      expect(await page.textContent('#users')).not.toContain('vic@acme.example');
      await checkPage(page, 'settings');

      // Every change is in the audit log, by this user, from the console.
      const log = await listAuditLog(h.ctx, account.id, {}, { limit: 100, order: 'asc' });
      const seen = log.rows.map((r) => `${r.action} ${r.resource}`);
      for (const expected of [
        'update account',
        'create billStyles',
        'create messageTemplates',
        'update messageTemplates',
        'create apiKeys',
        'revoke apiKeys',
        'create users',
        'update users',
        'disable users',
        'remove users',
      ])
        expect(seen).toContain(expected);
      expect(log.rows.filter((r) => r.surface === 'console').every((r) => r.actor_id === owner.id)).toBe(
        true,
      );
      const addressChange = log.rows.find(
        (r) => r.resource === 'account' && JSON.stringify(r.changes ?? {}).includes('vatNumber'),
      );
      expect(addressChange?.changes).toMatchObject({ vatNumber: { from: null, to: 'GB123456789' } });
      await page.goto(`${h.url}/console/audit?resource=messageTemplates`);
      expect(await page.textContent('main')).toContain('messageTemplates');

      // Phone width: the settings pages fit, nothing scrolls sideways.
      const phone = await browser().newContext(PHONE);
      await phone.addCookies(await context.cookies());
      const small = await newPage(phone);
      for (const [path, name] of [
        ['/console/settings', 'settings'],
        ['/console/settings/bill-styles/preview?style=Compact', 'settings-bill-style-preview'],
        [`/console/settings/templates/${templateId}`, 'settings-template'],
        ['/console/settings/templates/standard', 'settings-template-standard'],
      ] as const) {
        await small.goto(`${h.url}${path}`);
        await checkPage(small, name);
      }
      await phone.close();

      // CSRF: the owner's cookie without the token is refused.
      const cookie = await cookieHeader(context);
      expect((await post('/console/settings/bill-styles', { name: 'Forged' }, cookie)).status).toBe(403);

      // A viewer: no forms, and the server refuses the posts.
      await setUpUser(account.id, 'vera@acme.example', 'viewer');
      const viewerContext = await browser().newContext(DESKTOP);
      const viewerPage = await newPage(viewerContext);
      await signIn(viewerPage, 'vera@acme.example');
      await viewerPage.waitForURL(/\/console$/);
      await viewerPage.goto(`${h.url}/console/settings`);
      expect(
        await viewerPage
          .locator('button', {
            hasText: /Save account|Upload logo|Create bill style|Create API key|Invite user/,
          })
          .count(),
      ).toBe(0);
      await checkPage(viewerPage, 'settings-viewer');
      const viewerCookie = await cookieHeader(viewerContext);
      const csrf = (await viewerPage.getAttribute('meta[name=csrf-token]', 'content'))!;
      for (const [path, form] of [
        ['/console/settings/account', { name: 'Viewer was here' }],
        ['/console/settings/bill-styles', { name: 'Viewer style' }],
        ['/console/settings/templates', { name: 'V', subject: 'S', body: 'B' }],
        [`/console/settings/templates/${templateId}/delete`, {}],
        ['/console/settings/keys', { level: '5' }],
        ['/console/settings/logo/remove', {}],
      ] as const)
        expect((await post(path, { ...form, csrf }, viewerCookie)).status, path).toBe(403);
      const logoUpload = await fetch(`${h.url}/console/settings/logo`, {
        method: 'POST',
        headers: { 'content-type': 'image/png', cookie: viewerCookie, 'x-csrf-token': csrf },
        body: new Uint8Array(png),
      });
      expect(logoUpload.status).toBe(403);
      // The viewer may read a template and preview it.
      await viewerPage.goto(`${h.url}/console/settings/templates/${templateId}`);
      expect(await viewerPage.locator('button', { hasText: 'Save template' }).count()).toBe(0);
      await viewerContext.close();

      // Another account's owner: this account's template is a 404, its preview too.
      const other = await h.account({ name: 'Other Telecom' });
      await setUpUser(other.id, 'boss@other.example', 'owner');
      const otherContext = await browser().newContext(DESKTOP);
      const otherPage = await newPage(otherContext);
      await signIn(otherPage, 'boss@other.example');
      await otherPage.waitForURL(/\/console$/);
      const otherCookie = await cookieHeader(otherContext);
      const otherCsrf = (await otherPage.getAttribute('meta[name=csrf-token]', 'content'))!;
      expect(
        (
          await fetch(`${h.url}/console/settings/templates/${templateId}`, {
            headers: { cookie: otherCookie },
          })
        ).status,
      ).toBe(404);
      expect(
        (
          await fetch(`${h.url}/console/settings/bill-styles/preview.pdf?style=Compact`, {
            headers: { cookie: otherCookie },
          })
        ).status,
      ).toBe(404);
      expect(
        (await post(`/console/settings/templates/${templateId}/delete`, { csrf: otherCsrf }, otherCookie))
          .status,
      ).toBe(404);
      expect((await account.api.get(`/messageTemplates/${templateId}`)).status).toBe(200);
      await otherContext.close();
      await context.close();
    },
  );
});

describe('console sign-in across accounts', () => {
  it(
    'asks which account only after the password is right, offers only the accounts it opens, and each choice works once',
    { timeout: 200_000 },
    async () => {
      const north = await h.account({ name: 'North Telecom' });
      const south = await h.account({ name: 'South Telecom' });
      const west = await h.account({ name: 'West Telecom' });
      await setUpUser(north.id, 'sam@multi.example', 'owner');
      await setUpUser(south.id, 'sam@multi.example', 'viewer');
      // The same address in a third account with another password: never offered with this one.
      await setUpUser(west.id, 'sam@multi.example', 'owner', 'a different password');
      const attempt = (email: string, password: string, ip = '10.0.0.7') =>
        post('/console/sign-in', { email, password }, '', ip);

      // Wrong password and unknown address: the same answer, no account named.
      const wrong = await attempt('sam@multi.example', 'not the password');
      const unknown = await attempt('nobody@multi.example', 'not the password');
      expect([wrong.status, unknown.status]).toEqual([401, 401]);
      const wrongText = await wrong.text();
      const unknownText = await unknown.text();
      const message = (t: string) => /<div class="alert error" role="alert">([^<]+)<\/div>/.exec(t)?.[1];
      expect(message(wrongText)).toBe(message(unknownText));
      for (const name of ['North Telecom', 'South Telecom', 'West Telecom'])
        expect(wrongText).not.toContain(name);

      // The right password: the chooser, in a browser.
      const context = await browser().newContext(PHONE);
      const page = await newPage(context);
      await signIn(page, 'sam@multi.example');
      await page.waitForSelector('h1:text("Choose an account")');
      const offered = await page.locator('ul.choices button').allTextContents();
      expect(offered).toEqual(['North Telecom', 'South Telecom']);
      expect(await context.cookies()).toEqual([]);
      await checkPage(page, 'sign-in-choose');
      const southToken = await page
        .locator('ul.choices li', { hasText: 'South Telecom' })
        .locator('input[name=choice]')
        .inputValue();
      await page.getByRole('button', { name: 'South Telecom' }).click();
      await page.waitForURL(/\/console$/);
      expect(await page.textContent('header .brand')).toContain('South Telecom');
      expect(await page.textContent('header .badge')).toBe('viewer');
      // A choice works once.
      const again = await post('/console/sign-in/choose', { choice: southToken }, '');
      expect(again.status).toBe(401);
      expect(await again.text()).toContain('expired or was used');
      await context.close();

      // The other password opens only its own account: straight in, no chooser.
      const west1 = await attempt('sam@multi.example', 'a different password');
      expect(west1.status).toBe(303);
      expect(west1.headers.get('set-cookie')).toContain('rb_console=');

      // A choice token expires after five minutes.
      const chooser = await (await attempt('sam@multi.example', PASSWORD)).text();
      const token = /name="choice" value="([\w-]+)"/.exec(chooser)![1]!;
      h.setNow(new Date(Date.now() + 6 * 60_000));
      try {
        expect((await post('/console/sign-in/choose', { choice: token }, '')).status).toBe(401);
      } finally {
        h.setNow(undefined);
      }

      // The rate limit still counts per address and per email: five failures, then even the right one waits.
      for (let i = 0; i < 5; i++)
        expect((await attempt('sam@multi.example', 'wrong again!!', '10.0.0.8')).status).toBe(401);
      const limited = await attempt('sam@multi.example', PASSWORD, '10.0.0.9');
      expect(limited.status).toBe(429);
      expect(await limited.text()).not.toContain('North Telecom');
    },
  );
});

describe('console overview figures', () => {
  it('sums the last 30 days of calls per local day and per destination in one scan, as the calls say', async () => {
    const account = await h.account({ name: 'Figures Telecom' });
    await loadConsoleData(h.ctx, account.id, { customers: 20, calls: 20_000, invoices: 40 });
    const acc = (await findAccount(h.ctx.db, account.id))!;
    const o = await overview(h.ctx, acc);
    const since = startOfDayInZone(addDays(o.today, -29), acc.timezone);
    // The same figures, call by call, the slow way.
    const expected = await sql<{ calls: string; rated: string; charge: string; cost: string }>`
      select count(*)::text as calls, count(*) filter (where rating_status = 'rated')::text as rated,
             coalesce(sum(charge) filter (where rating_status = 'rated'), 0)::text as charge,
             coalesce(sum(cost) filter (where rating_status = 'rated'), 0)::text as cost
      from calls where account_id = ${account.id} and start_time >= ${since}
    `.execute(h.ctx.db);
    const e = expected.rows[0]!;
    expect(Number(e.calls)).toBeGreaterThan(1000);
    expect(o.calls.reduce((n, d) => n + d.calls, 0)).toBe(Number(e.calls));
    expect(o.margin.map((d) => d.destination).sort()).toEqual([
      'France',
      'Ireland',
      'UK landline',
      'UK mobile',
      'USA',
    ]);
    expect(o.margin.reduce((n, d) => n + d.calls, 0)).toBe(Number(e.rated));
    expect(sum(o.margin.map((d) => money(d.charge))).eq(money(e.charge))).toBe(true);
    expect(sum(o.margin.map((d) => money(d.cost))).eq(money(e.cost))).toBe(true);
    // Largest charge first; thirty days, each with calls.
    const charges = o.margin.map((d) => money(d.charge));
    expect(charges.every((c, i) => i === 0 || c.lte(charges[i - 1]!))).toBe(true);
    expect(o.calls).toHaveLength(30);
  });
});
