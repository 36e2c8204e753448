import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configEnv, loadConfig, readEnvFile } from '../../src/config.ts';

describe('loadConfig', () => {
  it('runs on a fresh machine with no variables set', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      databaseUrl: undefined,
      smtpUrl: undefined,
      sms: undefined,
      collectLinkExpiryDays: 30,
    });
    expect(config.dataDir.endsWith('/data')).toBe(true);
  });

  it('reads the SMS gateway and its credentials together', () => {
    const config = loadConfig({
      SMS_URL: 'https://sms.example.com/send',
      SMS_FROM: 'Acme',
      SMS_TOKEN: 't0k',
    });
    expect(config.sms).toEqual({
      url: 'https://sms.example.com/send',
      from: 'Acme',
      username: undefined,
      password: undefined,
      token: 't0k',
    });
  });

  it.each([
    [{ PORT: '70000' }, /PORT/],
    [{ PORT: 'http' }, /PORT/],
    [{ RATE_LIMIT_PER_MINUTE: '0' }, /RATE_LIMIT_PER_MINUTE/],
    [{ PUBLIC_URL: 'billing.example.com' }, /PUBLIC_URL/],
    [{ SMS_URL: 'ftp://sms.example.com' }, /SMS_URL/],
    [{ COLLECT_LINK_EXPIRY_DAYS: '0' }, /COLLECT_LINK_EXPIRY_DAYS/],
    [{ COLLECT_LINK_EXPIRY_DAYS: '367' }, /COLLECT_LINK_EXPIRY_DAYS/],
    [{ COLLECT_LINK_EXPIRY_DAYS: '7.5' }, /COLLECT_LINK_EXPIRY_DAYS/],
    [
      { WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'yes please' },
      /^WEBHOOK_ALLOW_PRIVATE_NETWORKS must be true or false, not "yes please"$/,
    ],
  ])('refuses %j at start, naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('takes a link expiry within 1 to 366 days', () => {
    expect(loadConfig({ COLLECT_LINK_EXPIRY_DAYS: '7' }).collectLinkExpiryDays).toBe(7);
    expect(loadConfig({ COLLECT_LINK_EXPIRY_DAYS: '366' }).collectLinkExpiryDays).toBe(366);
  });

  it('keeps webhooks to public addresses unless WEBHOOK_ALLOW_PRIVATE_NETWORKS is true', () => {
    expect(loadConfig({}).webhookAllowPrivateNetworks).toBe(false);
    expect(loadConfig({ WEBHOOK_ALLOW_PRIVATE_NETWORKS: '' }).webhookAllowPrivateNetworks).toBe(false);
    expect(loadConfig({ WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'false' }).webhookAllowPrivateNetworks).toBe(false);
    expect(loadConfig({ WEBHOOK_ALLOW_PRIVATE_NETWORKS: '0' }).webhookAllowPrivateNetworks).toBe(false);
    expect(loadConfig({ WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' }).webhookAllowPrivateNetworks).toBe(true);
    expect(loadConfig({ WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'TRUE' }).webhookAllowPrivateNetworks).toBe(true);
    expect(loadConfig({ WEBHOOK_ALLOW_PRIVATE_NETWORKS: '1' }).webhookAllowPrivateNetworks).toBe(true);
  });
});

describe('TRUST_PROXY', () => {
  it('is off unless set: the connecting address is the client', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '0' }).trustProxy).toBe(false);
  });

  it('takes true, a hop count, or proxy addresses and CIDR ranges', () => {
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1,::1 ,fd00::/8' }).trustProxy).toEqual([
      '10.0.0.0/8',
      '127.0.0.1',
      '::1',
      'fd00::/8',
    ]);
  });

  it.each(['yes', '10.0.0.0/40', 'proxy.example.com', '10.0.0.1,nope', '33', '-1', '1.5'])(
    'refuses %j, naming the variable',
    (value) => {
      expect(() => loadConfig({ TRUST_PROXY: value })).toThrow(/^TRUST_PROXY must be/);
    },
  );
});

describe('the .env file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ringbill-dotenv-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(
    join(dir, '.env'),
    [
      '# Ringbill, shared by `npm start` and `npx ringbill` in this folder',
      'DATABASE_URL=postgres://billing:s3cret@db.example.com:5432/ringbill?sslmode=require',
      'export PORT=8090',
      'PUBLIC_URL="https://billing.example.com"',
      "SMS_FROM='Acme # Telecom'",
      'LOG_LEVEL=warn # quieter',
      '',
    ].join('\n'),
  );

  it('is read from the working folder', () => {
    expect(readEnvFile(dir)).toEqual({
      DATABASE_URL: 'postgres://billing:s3cret@db.example.com:5432/ringbill?sslmode=require',
      PORT: '8090',
      PUBLIC_URL: 'https://billing.example.com',
      SMS_FROM: 'Acme # Telecom',
      LOG_LEVEL: 'warn',
    });
    const config = loadConfig(configEnv({}, dir));
    expect(config).toMatchObject({
      databaseUrl: 'postgres://billing:s3cret@db.example.com:5432/ringbill?sslmode=require',
      port: 8090,
      logLevel: 'warn',
    });
  });

  it('loses to the environment, even to a variable set empty', () => {
    const config = loadConfig(configEnv({ PORT: '9000', DATABASE_URL: '' }, dir));
    expect([config.port, config.databaseUrl, config.publicUrl]).toEqual([
      9000,
      undefined,
      'https://billing.example.com',
    ]);
  });

  it('may be absent; one that cannot be read stops with its path', () => {
    const empty = mkdtempSync(join(tmpdir(), 'ringbill-dotenv-none-'));
    expect(readEnvFile(empty)).toEqual({});
    rmSync(empty, { recursive: true });
    // A .env that is a folder cannot be read as a file.
    const odd = mkdtempSync(join(tmpdir(), 'ringbill-dotenv-dir-'));
    mkdirSync(join(odd, '.env'));
    expect(() => readEnvFile(odd)).toThrow(`${join(odd, '.env')} cannot be read (EISDIR)`);
    rmSync(odd, { recursive: true, force: true });
  });

  it('takes PROCESS_LEASE_SECONDS from 2 to 3600 seconds', () => {
    expect(loadConfig({}).processLeaseSeconds).toBe(30);
    expect(loadConfig({ PROCESS_LEASE_SECONDS: '5' }).processLeaseSeconds).toBe(5);
    for (const bad of ['1', '3601', '2.5', 'soon'])
      expect(() => loadConfig({ PROCESS_LEASE_SECONDS: bad })).toThrow(/PROCESS_LEASE_SECONDS/);
  });
});
