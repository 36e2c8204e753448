// Calls pushed live by the switch as each ends: FreeSWITCH's mod_json_cdr POST exactly as
// mod_json_cdr.c makes it (its ?uuid=, cdr=<URL-encoded JSON>, base64 or raw JSON, HTTP Basic from its
// cred), Asterisk's AMI Cdr event through examples/asterisk-ami-bridge.mjs (against a stand-in AMI server
// speaking the manager protocol on a real socket: Asterisk itself cannot run here), a form from the
// dialplan's CURL(), Master.csv lines from cdr_custom and curl, and CGRateS JSON. Each call is stored once
// on the switch's call id, whichever way it comes.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { expectError, getAll } from '../helpers/billing.ts';
import { loadRates, makeRateCard } from '../helpers/call-billing.ts';
import { makeCustomer, makeFeature, useHarness } from '../helpers/harness.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'switch');
const A_LEG = readFileSync(
  join(FIXTURES, 'freeswitch/json_cdr/6c0e5a9e-1f0b-4b6e-9d3a-3d1f2c4b5a61.cdr.json'),
  'utf8',
).trim();
const B_LEG = readFileSync(
  join(FIXTURES, 'freeswitch/json_cdr/6c0e5a9e-1f0b-4b6e-9d3a-3d1f2c4b5a62.cdr.json'),
  'utf8',
).trim();

/** switch_url_encode(): SWITCH_URL_UNSAFE and anything outside printable ASCII as %XX. */
function switchUrlEncode(text: string): string {
  return [...Buffer.from(text, 'utf8')]
    .map((b) =>
      b < 32 || b > 126 || '\r\n #%&+:;<=>?@[\\]^`{|}"'.includes(String.fromCharCode(b))
        ? `%${b.toString(16).toUpperCase().padStart(2, '0')}`
        : String.fromCharCode(b),
    )
    .join('');
}

describe('pushes from the switch', () => {
  const h = useHarness();

  async function account() {
    h.setNow(new Date('2026-07-10T12:00:00Z'));
    const a = await h.account({ timezone: 'Europe/London' });
    const card = await makeRateCard(a.api, 'Standard', true);
    await loadRates(a.api, card.id, '2026-01-01', [
      { prefix: '44', destination: 'UK', ratePerMinute: '0.012' },
      {
        prefix: '447',
        destination: 'UK mobile',
        ratePerMinute: '0.10',
        initialIncrementS: 1,
        subsequentIncrementS: 1,
      },
    ]);
    const customer = await makeCustomer(a.api);
    await makeFeature(a.api, customer.id, { name: 'Reception', phoneNumber: '+441134960000' });
    return a;
  }

  /** A POST as mod_json_cdr sends it: Content-Type, body, User-Agent, Basic credentials, ?uuid=. */
  function modJsonCdr(
    url: string,
    key: string,
    body: string,
    contentType: string,
    uuid = '6c0e5a9e-1f0b-4b6e-9d3a-3d1f2c4b5a61',
  ) {
    return fetch(`${url}?uuid=${uuid}`, {
      method: 'POST',
      headers: {
        'content-type': contentType,
        'user-agent': 'freeswitch-json/1.0',
        authorization: `Basic ${Buffer.from(`freeswitch:${key}`).toString('base64')}`,
      },
      body,
    });
  }

  it("takes mod_json_cdr's POST in each of its encodings, once per uuid, and answers 200 for a B leg it refuses", async () => {
    const { api, key, id } = await account();
    const url = `${h.url}/backend/api/v1/calls/push/freeswitch`;
    // encode=true (its default): cdr=<URL-encoded JSON> as application/x-www-form-urlencoded
    const first = await modJsonCdr(
      url,
      key,
      `cdr=${switchUrlEncode(A_LEG)}`,
      'application/x-www-form-urlencoded',
    );
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({
      source: 'freeswitch-push',
      format: 'freeswitch',
      received: 1,
      inserted: 1,
      rated: 1,
      chargeTotal: '0.158333',
    });
    // encode=base64: cdr=<base64> as application/x-www-form-base64-encoded; encode=false: the JSON itself
    const again = await modJsonCdr(
      url,
      key,
      `cdr=${Buffer.from(A_LEG).toString('base64')}`,
      'application/x-www-form-base64-encoded',
    );
    expect(await again.json()).toMatchObject({ received: 1, inserted: 0, duplicates: 1 });
    const raw = await modJsonCdr(url, key, A_LEG, 'application/json');
    expect(await raw.json()).toMatchObject({ inserted: 0, duplicates: 1 });
    // The B leg: 200, so mod_json_cdr does not keep sending it; refused with its reason, kept once.
    for (let i = 0; i < 2; i++) {
      const b = await modJsonCdr(
        url,
        key,
        `cdr=${switchUrlEncode(B_LEG)}`,
        'application/x-www-form-urlencoded',
        '6c0e5a9e-1f0b-4b6e-9d3a-3d1f2c4b5a62',
      );
      expect(b.status).toBe(200);
      expect(await b.json()).toMatchObject({
        inserted: 0,
        rejected: 1,
        rejections: [
          {
            line: 1,
            reason: expect.stringMatching(/^the B leg of call 6c0e5a9e-1f0b-4b6e-9d3a-3d1f2c4b5a61/),
          },
        ],
      });
    }
    expect(await getAll(api, '/calls/rejected?source=freeswitch-push')).toHaveLength(1);
    const calls = await getAll(api, '/calls');
    expect(calls.map((c) => [c.callID, c.from, c.to, c.durationS, c.ratingStatus, c.charge])).toEqual([
      ['6c0e5a9e-1f0b-4b6e-9d3a-3d1f2c4b5a61', '+441134960000', '+447700900123', 95, 'rated', '0.158333'],
    ]);
    // The feed has the call once.
    const feed = await fetch(`${h.url}/api/2024-01-01/networks/transactions/${id}.json`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(
      (await feed.json()).filter((r: { transaction_type: string }) => r.transaction_type === 'call'),
    ).toHaveLength(1);
  });

  it('mends the URL mod_json_cdr makes from one that had a query, and refuses what it cannot read with a 400', async () => {
    const { api, key } = await account();
    const url = `${h.url}/backend/api/v1/calls/push/freeswitch?country=GB`;
    const ok = await modJsonCdr(
      url,
      key,
      `cdr=${switchUrlEncode(A_LEG)}`,
      'application/x-www-form-urlencoded',
    );
    expect(ok.status).toBe(200);
    expect((await getAll(api, '/calls')).map((c) => c.callID)).toEqual([
      '6c0e5a9e-1f0b-4b6e-9d3a-3d1f2c4b5a61',
    ]);
    const base = `${h.url}/backend/api/v1/calls/push/freeswitch`;
    const notJson = await modJsonCdr(base, key, 'cdr=%7Bnot%20json', 'application/x-www-form-urlencoded');
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toMatchObject({
      error_code: 400002,
      hint: expect.stringMatching(/^the cdr field is not JSON/),
    });
    const noCdr = await modJsonCdr(base, key, 'other=1', 'application/x-www-form-urlencoded');
    expect(noCdr.status).toBe(400);
    expect(await noCdr.json()).toMatchObject({ error_code: 400001, hint: expect.stringMatching(/^cdr:/) });
    expectError(
      await api.post('/calls/push/freeswitch', '[1,2]'),
      400,
      400001,
      /record 1 is not a JSON object/,
    );
    expectError(await api.post('/calls/push/freeswitch?country=XX', A_LEG), 400, 400001, /^country/);
  });

  it('authenticates a push by the key as a bearer token or the HTTP Basic password, with a challenge naming both, and a level of 2', async () => {
    const { key, withLevel } = await account();
    const url = `${h.url}/backend/api/v1/calls/push/freeswitch`;
    const none = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: A_LEG,
    });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="Ringbill", Basic realm="Ringbill"');
    expect(await none.json()).toMatchObject({ error_code: 401001 });
    const wrong = await modJsonCdr(url, 'rb_wrong', A_LEG, 'application/json');
    expect(wrong.status).toBe(401);
    const bearer = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: A_LEG,
    });
    expect(bearer.status).toBe(200);
    const reader = await withLevel(1);
    const low = await modJsonCdr(url, reader.key!, A_LEG, 'application/json');
    expect(low.status).toBe(403);
    expect(await low.json()).toMatchObject({ error_code: 403001 });
    // Basic is for the push routes only.
    const elsewhere = await fetch(`${h.url}/backend/api/v1/calls`, {
      headers: { authorization: `Basic ${Buffer.from(`x:${key}`).toString('base64')}` },
    });
    expect(elsewhere.status).toBe(401);
  });

  it('takes an Asterisk CDR as the AMI event, as a CURL() form and as Master.csv lines, and it is the call a Master.csv import finds', async () => {
    const { api } = await account();
    const event = {
      AccountCode: 'acme',
      Source: '01134960000',
      Destination: '07700900123',
      DestinationContext: 'from-internal',
      CallerID: '"Reception" <01134960000>',
      Channel: 'PJSIP/reception-00000012',
      DestinationChannel: 'PJSIP/trunk-00000013',
      LastApplication: 'Dial',
      LastData: 'PJSIP/07700900123@trunk,60',
      StartTime: '2026-07-01 10:00:00',
      AnswerTime: '2026-07-01 10:00:05',
      EndTime: '2026-07-01 10:01:42',
      Duration: '102',
      BillableSeconds: '97',
      Disposition: 'ANSWERED',
      AMAFlags: 'DOCUMENTATION',
      UniqueID: '1782896400.18',
      UserField: '',
    };
    const pushed = await api.post('/calls/push/asterisk?country=GB', event);
    expect(pushed.status).toBe(200);
    expect(pushed.body).toMatchObject({
      source: 'asterisk-push',
      inserted: 1,
      rated: 1,
      chargeTotal: '0.161667',
    });
    // The same record in Master.csv (its first line): already there.
    const file = await api.request(
      'POST',
      '/calls/files?format=asterisk&country=GB',
      readFileSync(join(FIXTURES, 'asterisk/Master.csv'), 'utf8'),
      { 'content-type': 'text/csv' },
    );
    expect(file.body).toMatchObject({ received: 10, inserted: 7, duplicates: 1 });
    // A form from the dialplan: CURL(url,src=${CDR(src)}&dst=…)
    const form = new URLSearchParams({
      src: '01134960000',
      dst: '02079460000',
      start: '2026-07-02 09:00:00',
      answer: '2026-07-02 09:00:03',
      end: '2026-07-02 09:01:03',
      billsec: '60',
      disposition: 'ANSWERED',
      uniqueid: '1782979200.77',
      dstchannel: 'PJSIP/trunk-00000090',
    });
    const curl = await api.request('POST', '/calls/push/asterisk?country=GB', form.toString(), {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(curl.body).toMatchObject({ inserted: 1, rated: 1, chargeTotal: '0.012000' });
    // cdr_custom + curl: a Master.csv line as it is written.
    const line = readFileSync(join(FIXTURES, 'asterisk/Master.csv'), 'utf8').split('\n')[0]!;
    const csv = await api.request('POST', '/calls/push/asterisk', `${line}\n`, {
      'content-type': 'text/csv',
    });
    expect(csv.body).toMatchObject({ source: 'asterisk-push', received: 1, duplicates: 1 });
    // CGRateS, JSON.
    const cgr = await api.post('/calls/push/cgrates', [
      {
        CGRID: 'aa',
        RunID: '*default',
        ToR: '*voice',
        OriginID: 'cgr-1',
        Account: '441134960000',
        Destination: '447700900123',
        SetupTime: '2026-07-02T10:00:00Z',
        AnswerTime: '2026-07-02T10:00:01Z',
        Usage: 60_000_000_000,
      },
      {
        CGRID: 'aa',
        RunID: 'reseller',
        ToR: '*voice',
        OriginID: 'cgr-1',
        Account: '441134960000',
        Destination: '447700900123',
        SetupTime: '2026-07-02T10:00:00Z',
        AnswerTime: '2026-07-02T10:00:01Z',
        Usage: '1m',
      },
    ]);
    expect(cgr.body).toMatchObject({
      source: 'cgrates-push',
      received: 2,
      inserted: 1,
      rejected: 1,
      chargeTotal: '0.100000',
    });
  });

  describe('the AMI bridge (examples/asterisk-ami-bridge.mjs)', () => {
    let bridge: ChildProcess | undefined;
    let spoolDir: string | undefined;
    afterEach(async () => {
      bridge?.kill('SIGTERM');
      bridge = undefined;
      if (spoolDir) await rm(spoolDir, { recursive: true, force: true });
    });

    it('logs in, forwards each Cdr event, and spools what Ringbill does not take until it does', async () => {
      const { api, key } = await account();
      // A stand-in for Asterisk's manager interface: the banner, a login answer, then Cdr events.
      const logins: string[] = [];
      let client: Socket | undefined;
      const ami = createServer((socket) => {
        client = socket;
        socket.write('Asterisk Call Manager/7.0.3\r\n');
        socket.on('data', (d) => {
          const text = d.toString();
          logins.push(text);
          if (text.includes('Action: Login'))
            socket.write('Response: Success\r\nMessage: Authentication accepted\r\n\r\n');
        });
      });
      await new Promise<void>((done) => ami.listen(0, '127.0.0.1', done));
      const amiPort = (ami.address() as { port: number }).port;
      spoolDir = await mkdtemp(join(tmpdir(), 'ringbill-bridge-'));
      const spool = join(spoolDir, 'spool.jsonl');
      let output = '';
      // First with a key Ringbill refuses (401): the CDR waits in the spool.
      const start = (ringbillKey: string) => {
        const child = spawn(process.execPath, [resolve('examples/asterisk-ami-bridge.mjs')], {
          env: {
            ...process.env,
            RINGBILL_URL: h.url,
            RINGBILL_KEY: ringbillKey,
            RINGBILL_QUERY: 'country=GB&timezone=Europe/London',
            AMI_HOST: '127.0.0.1',
            AMI_PORT: String(amiPort),
            AMI_USER: 'ringbill',
            AMI_SECRET: 's3cret',
            SPOOL: spool,
            RETRY_SECONDS: '1',
          },
          stdio: 'pipe',
        });
        child.stdout?.on('data', (d) => (output += d));
        child.stderr?.on('data', (d) => (output += d));
        return child;
      };
      const waitFor = async (what: () => Promise<boolean> | boolean, label: string) => {
        for (let i = 0; i < 600; i++) {
          if (await what()) return;
          await new Promise((r) => setTimeout(r, 100));
        }
        throw new Error(`timed out waiting for ${label}; the bridge said:\n${output}`);
      };
      try {
        bridge = start('rb_not_a_key');
        await waitFor(() => logins.some((l) => l.includes('Action: Login')), 'the login');
        expect(logins.join('')).toContain('Username: ringbill\r\nSecret: s3cret\r\nEvents: cdr\r\n\r\n');
        const cdrEvent = [
          'Event: Cdr',
          'Privilege: cdr,all',
          'AccountCode: acme',
          'Source: 07700900789',
          'Destination: 01134960000',
          'DestinationContext: from-trunk',
          'CallerID: "07700900789" <07700900789>',
          'Channel: PJSIP/trunk-0000001f',
          'DestinationChannel: PJSIP/reception-00000020',
          'LastApplication: Dial',
          'LastData: PJSIP/reception,30',
          'StartTime: 2026-07-01 12:00:06',
          'AnswerTime: 2026-07-01 12:00:06',
          'EndTime: 2026-07-01 12:03:06',
          'Duration: 180',
          'BillableSeconds: 180',
          'Disposition: ANSWERED',
          'AMAFlags: DOCUMENTATION',
          'UniqueID: 1782903600.32',
          'UserField: ',
          '',
          '',
        ].join('\r\n');
        client!.write(cdrEvent);
        await waitFor(
          async () => (await readFile(spool, 'utf8').catch(() => '')).includes('1782903600.32'),
          'the spooled CDR',
        );
        expect(await getAll(api, '/calls')).toEqual([]);
        bridge.kill('SIGTERM');
        // With the right key the spooled CDR goes in, once.
        bridge = start(key);
        await waitFor(async () => (await getAll(api, '/calls')).length === 1, 'the call');
        const [call] = await getAll(api, '/calls');
        // Inbound to Reception from a mobile: 180 s per second at 0.10 a minute.
        expect(call).toMatchObject({
          from: '+447700900789',
          to: '+441134960000',
          direction: 'inbound',
          durationS: 180,
          startTime: '2026-07-01T11:00:06.000Z',
          ratingStatus: 'rated',
          charge: '0.300000',
        });
        expect(call.callID.startsWith('1782903600.32#')).toBe(true);
        // The same record in Master.csv (line 9) is that call.
        const file = await api.request(
          'POST',
          '/calls/files?format=asterisk&country=GB',
          readFileSync(join(FIXTURES, 'asterisk/Master.csv'), 'utf8'),
          { 'content-type': 'text/csv' },
        );
        expect(file.body).toMatchObject({ inserted: 7, duplicates: 1 });
      } finally {
        ami.close();
        client?.destroy();
      }
    });
  });
});
