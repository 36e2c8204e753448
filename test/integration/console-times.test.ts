// The console shows every time in the account's timezone, says which in the page's footer, and keeps the
// exact instant in each <time> element's datetime. An account in Asia/Tokyo (UTC+9 all year) makes the
// difference plain: 20:15 UTC on 30 November is 05:15 on 1 December there.
import { describe, expect, it } from 'vitest';
import { consoleSession } from '../helpers/console.ts';
import { useHarness } from '../helpers/harness.ts';

const h = useHarness();
const TOKYO_OFFSET_MS = 9 * 3600_000;

/** Every <time> of a page: its datetime and its text. */
function times(html: string): { datetime: string; text: string }[] {
  return [...html.matchAll(/<time datetime="([^"]+)">([^<]*)<\/time>/g)].map((m) => ({
    datetime: m[1]!,
    text: m[2]!,
  }));
}

/** Tokyo's wall clock for an instant, computed apart from the code under test. */
function tokyo(iso: string, seconds: boolean): string {
  const wall = new Date(Date.parse(iso) + TOKYO_OFFSET_MS).toISOString().replace('T', ' ');
  return wall.slice(0, seconds ? 19 : 16);
}

describe('console times', () => {
  it("shows times in the account's timezone and names it in the footer", async () => {
    const account = await h.account({ timezone: 'Asia/Tokyo', currency: 'JPY' });
    const session = await consoleSession(h, account.id, 'tz@acme.example');
    h.setNow(new Date('2026-11-30T20:15:30Z'));
    try {
      await account.api.post('/customers', { name: 'Sakura KK' });
      const run = await account.api.post('/billingRuns', { cutoffDate: '2026-12-01' });
      expect(run.status).toBe(201);
      const runId = (run.body as { id: number | string }).id;

      const page = async (path: string) => {
        const res = await fetch(`${h.url}${path}`, { headers: { cookie: session.cookie } });
        expect(res.status, path).toBe(200);
        return res.text();
      };

      const detail = await page(`/console/billing-runs/${runId}`);
      expect(detail).toContain('<time datetime="2026-11-30T20:15:30.000Z">2026-12-01 05:15:30</time>');
      expect(detail).toContain("times in Asia/Tokyo, the account's timezone");
      expect(detail).not.toContain(' UTC');

      for (const path of ['/console/billing-runs', '/console/audit', '/console/settings']) {
        const html = await page(path);
        expect(html, path).toContain("times in Asia/Tokyo, the account's timezone");
        const found = times(html);
        expect(found.length, path).toBeGreaterThan(0);
        for (const t of found) expect(t.text, path).toBe(tokyo(t.datetime, t.text.length > 16));
      }
      // The runs list shows its start to the minute, on Tokyo's date.
      expect(await page('/console/billing-runs')).toContain(
        '<time datetime="2026-11-30T20:15:30.000Z">2026-12-01 05:15</time>',
      );
    } finally {
      h.setNow(undefined);
    }
  });
});
