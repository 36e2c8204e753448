// Every change made with the `ringbill` command is in the account's audit log, as the same change made in
// the console or through the API is: key creation and revocation, billing runs (and resuming one), rate
// and call imports, re-rating. No console user or API key makes them, so the actor is `system:`, named by
// the command and by the operating-system user and host that ran it.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { makeCustomer, makeFeature, useHarness } from '../helpers/harness.ts';

const h = useHarness();
const ranBy = `run by ${userInfo().username}@${hostname()}`;

async function ringbill(...argv: string[]): Promise<string> {
  const r = await runCli(h, argv);
  if (r.code !== 0) throw new Error(`ringbill ${argv.join(' ')}: exit ${r.code}: ${r.err}`);
  return r.out;
}

describe("the command line's changes in the audit log", () => {
  it('records keys, billing runs, imports and re-rating with the command and who ran it', async () => {
    h.setNow(new Date('2026-11-10T12:00:00Z'));
    const account = await h.account();
    const customer = await makeCustomer(account.api);
    await makeFeature(account.api, customer.id, { phoneNumber: '+441632960001', startDate: '2026-10-01' });
    const folder = await mkdtemp(join(tmpdir(), 'ringbill-cli-audit-'));
    try {
      await writeFile(
        join(folder, 'rates.csv'),
        'prefix,destination,rate_per_minute\n44,United Kingdom,0.012\n',
      );
      await writeFile(
        join(folder, 'calls.csv'),
        'call_id,from,to,start_time,duration_s,status\nc1,+441632960001,+442079460000,2026-11-03T10:00:00Z,61,completed\n',
      );
      const a = String(account.id);
      const key = JSON.parse(
        await ringbill('keys', 'create', '--account', a, '--level', '3', '--name', 'ops', '--json'),
      );
      await ringbill('keys', 'revoke', '--account', a, '--key', String(key.id));
      await ringbill('import', 'rates', join(folder, 'rates.csv'), '--account', a, '--rate-card', 'Standard');
      await ringbill('import', 'calls', join(folder, 'calls.csv'), '--account', a);
      await ringbill('rerate', '--account', a, '--from', '2026-11-01');
      const run = JSON.parse(await ringbill('bill', '--account', a, '--cutoff', '2026-11-01', '--json'));
      // A failed command changes nothing and records nothing: another account's key is not found, and the
      // run is complete, so it cannot be resumed.
      const other = await h.account();
      const otherKey = JSON.parse(
        await ringbill('keys', 'create', '--account', String(other.id), '--level', '1', '--json'),
      );
      const refused = await runCli(h, ['keys', 'revoke', '--account', a, '--key', String(otherKey.id)]);
      expect(refused.code).not.toBe(0);
      expect(refused.err).toContain(`API key ${otherKey.id} not found`);
      const resumed = await runCli(h, ['bill', '--account', a, '--resume', String(run.id)]);
      expect(resumed.code).not.toBe(0);
      expect(resumed.err).toContain('is completed');

      const rateCard = (await account.api.get('/rateCards')).body[0];
      const log = (await account.api.get('/auditLog?actor=system:')).body;
      expect(
        log.map((e: any) => [e.surface, e.actor, e.actorName, e.action, e.resource, e.resourceId, e.changes]),
      ).toEqual([
        [
          'cli',
          'system:',
          `ringbill keys create, ${ranBy}`,
          'create',
          'apiKeys',
          String(key.id),
          { level: 3, name: 'ops' },
        ],
        ['cli', 'system:', `ringbill keys revoke, ${ranBy}`, 'revoke', 'apiKeys', String(key.id), null],
        [
          'cli',
          'system:',
          `ringbill import rates, ${ranBy}`,
          'importRates',
          'rateCards',
          String(rateCard.id),
          { source: 'rates.csv', imported: 1, refused: 0, effectiveFrom: null },
        ],
        [
          'cli',
          'system:',
          `ringbill import calls, ${ranBy}`,
          'create',
          'files',
          null,
          { format: 'ringbill', source: 'calls.csv' },
        ],
        [
          'cli',
          'system:',
          `ringbill rerate, ${ranBy}`,
          'rerate',
          'calls',
          null,
          { from: '2026-11-01', to: null, changed: 0 },
        ],
        [
          'cli',
          'system:',
          `ringbill bill, ${ranBy}`,
          'create',
          'billingRuns',
          String(run.id),
          { cutoffDate: '2026-11-01' },
        ],
      ]);
      // The key the command made and revoked is refused.
      expect(
        (
          await fetch(`${h.url}/backend/api/v1/customers`, {
            headers: { authorization: `Bearer ${key.key}` },
          })
        ).status,
      ).toBe(401);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});
