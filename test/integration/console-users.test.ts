// `ringbill users create` (run in-process through the CLI's program, on a real database): it prints a
// one-time set-up link that works once; bad input is refused with the field named; the creation is audited.
import { describe, expect, it } from 'vitest';
import { hostname, userInfo } from 'node:os';
import { runCli } from '../helpers/cli.ts';
import { useHarness } from '../helpers/harness.ts';

const h = useHarness();
const cli = (argv: string[]) => runCli(h, argv, 'http://console.example:8080');
/** The actor name of the CLI's entries: the command, and who ran it on which machine. */
const ranBy = `run by ${userInfo().username}@${hostname()}`;

describe('ringbill users create', () => {
  it('prints a one-time set-up link', async () => {
    const account = await h.account();
    const r = await cli([
      'users',
      'create',
      '--account',
      String(account.id),
      '--email',
      'Owner@Acme.example',
      '--role',
      'owner',
      '--name',
      'Olive',
    ]);
    expect(r.code).toBe(0);
    expect(r.out).toContain(
      `Console user 1 (Owner@Acme.example) in account ${account.id}: Owner: everything, including owners.`,
    );
    const link = /(http:\/\/console\.example:8080\/console\/password\/[\w-]{43})/.exec(r.out)![1]!;
    const path = new URL(link).pathname;
    const form = await fetch(`${h.url}${path}`);
    expect(form.status).toBe(200);
    expect(await form.text()).toContain('Welcome, Olive');
    const set = await fetch(`${h.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'password=a-long-password',
      redirect: 'manual',
    });
    expect(set.status).toBe(303);
    expect((await fetch(`${h.url}${path}`)).status).toBe(410);
    // The same email again in the account is a conflict; a bad role names the field.
    const again = await cli([
      'users',
      'create',
      '--account',
      String(account.id),
      '--email',
      'owner@acme.example',
      '--role',
      'owner',
    ]);
    expect(again.code).not.toBe(0);
    expect(again.err).toContain('owner@acme.example is already a user of this account');
    const badRole = await cli([
      'users',
      'create',
      '--account',
      String(account.id),
      '--email',
      'x@acme.example',
      '--role',
      'god',
    ]);
    expect(badRole.err).toContain('role: must be viewer, billing, admin or owner');
    const json = await cli([
      'users',
      'create',
      '--account',
      String(account.id),
      '--email',
      'v@acme.example',
      '--role',
      'viewer',
      '--json',
    ]);
    expect(JSON.parse(json.out)).toMatchObject({
      email: 'v@acme.example',
      role: 'viewer',
      name: 'v',
      setUpLink: expect.stringMatching(/^http:\/\/console\.example:8080\/console\/password\//),
    });
    const log = (await account.api.get('/auditLog?resource=users')).body;
    expect(log.map((e: any) => [e.action, e.surface, e.actor, e.changes?.role])).toEqual([
      ['create', 'cli', 'system:', 'owner'],
      ['set_password', 'console', 'user:1', undefined],
      ['create', 'cli', 'system:', 'viewer'],
    ]);
    // The CLI's entries have no id: `actor=system:` (or `system`) finds them, and only them.
    for (const actor of ['system:', 'system']) {
      const cliOnly = (await account.api.get(`/auditLog?actor=${actor}`)).body;
      expect(cliOnly.map((e: any) => [e.actor, e.actorName, e.changes?.role])).toEqual([
        ['system:', `ringbill users create, ${ranBy}`, 'owner'],
        ['system:', `ringbill users create, ${ranBy}`, 'viewer'],
      ]);
    }
  });

  it('ends a session after 60 idle minutes, and keeps it alive while it is used', async () => {
    const account = await h.account();
    const created = await cli([
      'users',
      'create',
      '--account',
      String(account.id),
      '--email',
      'idle@acme.example',
      '--role',
      'viewer',
      '--json',
    ]);
    const path = new URL(JSON.parse(created.out).setUpLink).pathname;
    await fetch(`${h.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'password=a-long-password',
      redirect: 'manual',
    });
    const signIn = await fetch(`${h.url}/console/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'email=idle%40acme.example&password=a-long-password',
      redirect: 'manual',
    });
    expect(signIn.status).toBe(303);
    const setCookie = signIn.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/rb_console=[\w-]+; Max-Age=43200; Path=\/console; HttpOnly; SameSite=Lax/);
    expect(setCookie).not.toContain('Secure');
    const cookie = setCookie.split(';')[0]!;
    const start = Date.now();
    try {
      const at = (minutes: number) => h.setNow(new Date(start + minutes * 60_000));
      const get = async () =>
        (await fetch(`${h.url}/console`, { headers: { cookie }, redirect: 'manual' })).status;
      at(50);
      expect(await get()).toBe(200); // seen at 50 minutes: idle time starts again
      at(109);
      expect(await get()).toBe(200);
      at(170);
      expect(await get()).toBe(303); // 61 idle minutes
    } finally {
      h.setNow(undefined);
    }
  });
});
