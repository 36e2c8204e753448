// The README's first billing cycle and calls through the console's forms instead of curl (plain requests,
// no browser): a charge dated before the cut-off lands on the run's invoice; a rate card uploaded without a
// date prices last month's calls, as `ringbill import rates` does; the rating-problems queue groups calls
// by reason (not one group per number); and the forms that have no session yet (sign-in, account choice,
// forgot password, the password link) refuse a post a browser says came from another site.
import { readdir } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { createConsoleUser } from '../../src/console-users/manage-users.ts';
import { consoleForm, consoleSession, PASSWORD } from '../helpers/console.ts';
import { useHarness, type TestAccount } from '../helpers/harness.ts';

const h = useHarness();
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
const at = (offset: number) => `${day(offset)}T10:00:00Z`;

let account: TestAccount;
let cookie = '';
let csrf = '';

beforeAll(async () => {
  account = await h.account({ name: 'Acme Telecom' });
  ({ cookie, csrf } = await consoleSession(h, account.id, 'o@acme.example'));
});

async function post(path: string, body: Record<string, string>) {
  const res = await fetch(`${h.url}${path}`, consoleForm({ cookie, csrf }, body));
  return { status: res.status, location: res.headers.get('location') ?? '', text: await res.text() };
}

async function get(path: string): Promise<string> {
  const res = await fetch(`${h.url}${path}`, { headers: { cookie }, redirect: 'manual' });
  expect(res.status, path).toBe(200);
  return res.text();
}

describe('the README cycle in the console', () => {
  it('bills a charge dated before the cut-off, and prices earlier calls with a rate card uploaded without a date', async () => {
    const made = await post('/console/customers', {
      name: 'Bright Dental Ltd',
      email: 'accounts@brightdental.example',
    });
    expect(made.status).toBe(303);
    const customerId = /\/console\/customers\/(\d+)/.exec(made.location)![1]!;
    expect(
      (
        await post(`/console/customers/${customerId}/features`, {
          name: 'Main line',
          phoneNumber: '+44 113 496 0000',
          recurringValue: '25.00',
          recurringFrequency: 'monthly',
          startDate: day(-60),
        })
      ).location,
    ).toContain('ok=');

    // The charge form has a date (today unless changed); a bad one is named and nothing is added.
    expect(await get(`/console/customers/${customerId}`)).toMatch(
      new RegExp(`id="t-date" name="transactionDate" type="date" value="${day(0)}"`),
    );
    const bad = await post(`/console/customers/${customerId}/charges`, {
      transactionValue: '49.99',
      description: 'Handset',
      transactionDate: '2026-02-30',
    });
    expect(decodeURIComponent(bad.location)).toContain('error=transactionDate: must be a date');
    const charged = await post(`/console/customers/${customerId}/charges`, {
      transactionType: 'oneOff',
      transactionValue: '49.99',
      description: 'Handset',
      transactionDate: day(-45),
    });
    expect(charged.location).toContain('ok=Charge%20added');
    const charges = (await account.api.get(`/customers/${customerId}/transactions?includeUnsent`))
      .body as any[];
    expect(charges.map((t) => [t.transactionDescription, t.transactionDate])).toEqual([
      ['Handset', day(-45)],
    ]);
    // A run with a cut-off after the charge's date and before today bills it.
    expect((await account.api.post('/billingRuns', { cutoffDate: day(-40) })).status).toBeLessThan(300);
    const invoice = (await account.api.get(`/customers/${customerId}/invoices?unsent`)).body[0];
    const lines = (await account.api.get(`/invoices/${invoice.id}/transactions?includeUnsent`)).body as any[];
    expect(lines.map((t) => t.transactionDescription)).toContain('Handset');

    // The rate upload's date is empty by default: a new card's first rates apply from the start of time.
    const ratesPage = await get('/console/rate-cards');
    expect(ratesPage).toContain('id="effective" name="effectiveFrom" type="date" aria-describedby');
    expect(ratesPage).not.toMatch(/id="effective"[^>]*value=/);
    const rates = await post('/console/rate-cards/upload', {
      rateCard: 'Standard',
      effectiveFrom: '',
      csv: 'prefix,destination,rate_per_minute,connection_fee,minimum_charge,initial_increment_s,subsequent_increment_s\n44,United Kingdom,0.06,0,0,60,60\n447,UK mobile,0.12,0,0,60,60\n',
    });
    expect(rates.status).toBe(200);
    expect(rates.text).toContain('Rate card Standard: 2 rates taken from the start of time, 0 refused.');

    // Calls of three weeks ago: priced; the ones nothing can price are grouped by reason.
    const calls = await post('/console/calls/upload', {
      format: 'ringbill',
      csv: [
        'call_id,from,to,start_time,duration_s,status',
        `c-1,+441134960000,+447700900123,${at(-21)},120,completed`,
        `c-2,+441134960000,+441632960001,${at(-20)},60,completed`,
        `c-3,+441134960000,+8613800000000,${at(-20)},60,completed`,
        `c-4,+441134960000,+12025550100,${at(-19)},60,completed`,
        `c-5,+441134960000,+33140000000,${at(-18)},60,completed`,
        `c-6,+442079460000,+441632960003,${at(-18)},60,completed`,
        `c-7,+442079460001,+441632960004,${at(-17)},60,completed`,
      ].join('\n'),
    });
    expect(calls.text).toContain('7 calls stored from 7 records');
    expect(calls.text).toContain('2 rated');
    const callsPage = await get('/console/calls');
    const problems = callsPage.slice(callsPage.indexOf('id="problems"'));
    const rows = [...problems.matchAll(/<tr>(.*?)<\/tr>/gs)]
      .map((m) => m[1]!.replace(/<div class="muted">.*?<\/div>/g, '').replace(/<[^>]+>/g, '|'))
      .filter((r) => r.includes('unrated') || r.includes('unallocated'));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toContain('no rate for the called number: no prefix of the number is on card Standard');
    expect(rows[0]).toMatch(/\|3\|/);
    expect(rows[1]).toContain('no feature has the calling number on the call&#39;s day');
    expect(rows[1]).toMatch(/\|2\|/);
    // One call's own reason is the example.
    expect(problems).toMatch(/e\.g\. no rate for \+\d+: no prefix of the number is on card Standard/);
  });
});

describe('console forms without a session', () => {
  const send = (path: string, body: Record<string, string>, headers: Record<string, string>) =>
    fetch(`${h.url}${path}`, {
      method: 'POST',
      headers: { ...FORM, ...headers },
      body: new URLSearchParams(body).toString(),
      redirect: 'manual',
    });

  it('refuse a post from another site: sign-in, account choice, forgot password, the password link', async () => {
    const other = await h.account({ name: 'Other Telecom' });
    const { setUpPath } = await createConsoleUser(h.ctx, other.id, {
      email: 'new@other.example',
      role: 'viewer',
    });
    const crossSite: Record<string, string>[] = [
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
      { origin: 'https://evil.example' },
    ];
    for (const headers of crossSite) {
      const signIn = await send('/console/sign-in', { email: 'o@acme.example', password: PASSWORD }, headers);
      expect(signIn.status, JSON.stringify(headers)).toBe(403);
      expect(signIn.headers.get('set-cookie')).toBeNull();
      expect(await signIn.text()).toContain('did not come from this site');
      expect((await send('/console/sign-in/choose', { choice: 'x'.repeat(30) }, headers)).status).toBe(403);
      expect((await send('/console/forgot', { email: 'o@acme.example' }, headers)).status).toBe(403);
      expect((await send(setUpPath, { password: PASSWORD }, headers)).status).toBe(403);
    }
    await h.outbox.runOnce();
    expect(await readdir(h.mailDir).catch(() => [])).toEqual([]);

    // The console's own pages (same origin), and clients that are not browsers, still work.
    const sameSite: Record<string, string>[] = [{ 'sec-fetch-site': 'same-origin', origin: h.url }, {}];
    for (const headers of sameSite) {
      const res = await send('/console/sign-in', { email: 'o@acme.example', password: PASSWORD }, headers);
      expect(res.status).toBe(303);
      expect(res.headers.get('set-cookie')).toMatch(/^rb_console=.*HttpOnly; SameSite=Lax/);
    }
    const set = await send(setUpPath, { password: PASSWORD }, { 'sec-fetch-site': 'same-origin' });
    expect(set.status).toBe(303);
    expect(set.headers.get('location')).toContain('/console/sign-in?ok=');
  });
});
