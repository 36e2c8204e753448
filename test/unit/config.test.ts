import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';

describe('loadConfig', () => {
  it('runs on a fresh machine with no variables set', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ port: 8080, host: '0.0.0.0', databaseUrl: undefined, smtpUrl: undefined, sms: undefined, collectLinkExpiryDays: 30 });
    expect(config.dataDir.endsWith('/data')).toBe(true);
  });

  it('reads the SMS gateway and its credentials together', () => {
    const config = loadConfig({ SMS_URL: 'https://sms.example.com/send', SMS_FROM: 'Acme', SMS_TOKEN: 't0k' });
    expect(config.sms).toEqual({ url: 'https://sms.example.com/send', from: 'Acme', username: undefined, password: undefined, token: 't0k' });
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
    [{ WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'yes please' }, /^WEBHOOK_ALLOW_PRIVATE_NETWORKS must be true or false, not "yes please"$/],
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
