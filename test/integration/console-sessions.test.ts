// Console sessions and passwords over plain requests: the session cookie is Secure when the console is
// served over HTTPS (a request through a trusted proxy that says so, or a PUBLIC_URL of https), and not
// over plain HTTP; a user changes their own password on the profile page (the current one is checked, the
// other sessions end, the new one signs in); failed sign-ins are limited per client address as well as per
// email address, with the same answer for known and unknown addresses.
import { describe, expect, it } from 'vitest';
import { createConsoleUser } from '../../src/console-users/manage-users.ts';
import { MAX_FAILURES_PER_ADDRESS } from '../../src/console-users/sign-in.ts';
import { consoleForm, PASSWORD } from '../helpers/console.ts';
import { useHarness, type Harness } from '../helpers/harness.ts';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const proxied = useHarness({ server: { trustProxy: ['127.0.0.1'] } });
const behindTls = useHarness({ server: { publicUrl: 'https://billing.example.com' } });

async function user(h: Harness, email: string, password = PASSWORD): Promise<void> {
  const account = await h.account();
  const { setUpPath } = await createConsoleUser(h.ctx, account.id, { email, role: 'billing' });
  const set = await fetch(`${h.url}${setUpPath}`, {
    method: 'POST',
    headers: FORM,
    body: new URLSearchParams({ password }).toString(),
    redirect: 'manual',
  });
  expect(set.status).toBe(303);
}

function signIn(h: Harness, email: string, password: string, headers: Record<string, string> = {}) {
  return fetch(`${h.url}/console/sign-in`, {
    method: 'POST',
    headers: { ...FORM, ...headers },
    body: new URLSearchParams({ email, password }).toString(),
    redirect: 'manual',
  });
}

async function session(h: Harness, email: string, password = PASSWORD) {
  const res = await signIn(h, email, password);
  expect(res.status).toBe(303);
  const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
  const profile = await (await fetch(`${h.url}/console/profile`, { headers: { cookie } })).text();
  return { cookie, csrf: /name="csrf" value="([^"]+)"/.exec(profile)![1]! };
}

describe('console sessions', () => {
  it('sets a Secure cookie over HTTPS only: through a trusted proxy that says so, or with an https PUBLIC_URL', async () => {
    await user(proxied, 'pat@acme.example');
    const overHttps = await signIn(proxied, 'pat@acme.example', PASSWORD, { 'x-forwarded-proto': 'https' });
    expect(overHttps.status).toBe(303);
    expect(overHttps.headers.get('set-cookie')).toMatch(
      /^rb_console=[\w-]+; Max-Age=43200; Path=\/console; HttpOnly; Secure; SameSite=Lax$/,
    );
    const overHttp = await signIn(proxied, 'pat@acme.example', PASSWORD);
    expect(overHttp.headers.get('set-cookie')).toMatch(/HttpOnly; SameSite=Lax$/);
    expect(overHttp.headers.get('set-cookie')).not.toContain('Secure');

    await user(behindTls, 'pat@acme.example');
    const published = await signIn(behindTls, 'pat@acme.example', PASSWORD);
    expect(published.status).toBe(303);
    expect(published.headers.get('set-cookie')).toContain('; HttpOnly; Secure; SameSite=Lax');
  });

  it('lets a user change their own password: the current one is checked, the other sessions end', async () => {
    const h = proxied;
    await user(h, 'sam@acme.example');
    const here = await session(h, 'sam@acme.example');
    const elsewhere = await session(h, 'sam@acme.example');
    const change = (body: Record<string, string>) =>
      fetch(`${h.url}/console/profile/password`, consoleForm(here, body));
    const page = await (await fetch(`${h.url}/console/profile`, { headers: { cookie: here.cookie } })).text();
    expect(page).toContain('<h2>Change your password</h2>');

    const wrong = await change({ currentPassword: 'not-the-password', newPassword: 'a-new-long-password' });
    expect(decodeURIComponent(wrong.headers.get('location')!)).toContain(
      'error=currentPassword: is not right',
    );
    const short = await change({ currentPassword: PASSWORD, newPassword: 'short' });
    expect(decodeURIComponent(short.headers.get('location')!)).toContain('error=newPassword');
    expect(
      (
        await fetch(`${h.url}/console/profile/password`, {
          method: 'POST',
          headers: { ...FORM, cookie: here.cookie },
          body: new URLSearchParams({ currentPassword: PASSWORD, newPassword: 'a-new-long-password' }),
          redirect: 'manual',
        })
      ).status,
    ).toBe(403); // no CSRF token

    const done = await change({ currentPassword: PASSWORD, newPassword: 'a-new-long-password' });
    expect(done.status).toBe(303);
    expect(decodeURIComponent(done.headers.get('location')!)).toContain('ok=Password changed');
    const status = async (cookie: string) =>
      (await fetch(`${h.url}/console`, { headers: { cookie }, redirect: 'manual' })).status;
    expect(await status(here.cookie)).toBe(200);
    expect(await status(elsewhere.cookie)).toBe(303); // signed out
    expect((await signIn(h, 'sam@acme.example', PASSWORD)).status).toBe(401);
    expect((await signIn(h, 'sam@acme.example', 'a-new-long-password')).status).toBe(303);
    const log = (await h.ctx.db
      .selectFrom('audit_log')
      .select(['action', 'resource', 'changes'])
      .where('action', '=', 'change_password')
      .execute()) as { action: string; resource: string; changes: unknown }[];
    expect(log.map((e) => [e.action, e.resource])).toEqual([['change_password', 'users']]);
    expect(JSON.stringify(log)).not.toContain('a-new-long-password');
  });

  it('limits failed sign-ins per client address too, known and unknown addresses alike', async () => {
    const h = behindTls;
    await user(h, 'kim@acme.example');
    // Failures spread over many addresses (none reaches its own limit of 5) from one client.
    for (let i = 0; i < MAX_FAILURES_PER_ADDRESS; i++) {
      const res = await signIn(h, `guess${i % 10}@acme.example`, 'wrong-password!');
      expect(res.status, `attempt ${i + 1}`).toBe(401);
    }
    const unknown = await signIn(h, 'nobody@acme.example', 'wrong-password!');
    const known = await signIn(h, 'kim@acme.example', PASSWORD);
    expect([unknown.status, known.status]).toEqual([429, 429]);
    const message = (t: string) => /<div class="alert error" role="alert">([^<]+)<\/div>/.exec(t)?.[1];
    expect(message(await unknown.text())).toBe(message(await known.text()));
    // Fifteen minutes on, the client may try again.
    h.setNow(new Date(Date.now() + 16 * 60_000));
    try {
      expect((await signIn(h, 'kim@acme.example', PASSWORD)).status).toBe(303);
    } finally {
      h.setNow(undefined);
    }
  });
});
