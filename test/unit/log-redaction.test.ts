// What the server log keeps of a URL or a line of text: never a credential.
import { describe, expect, it } from 'vitest';
import { redactSecrets, redactUrl } from '../../src/http/logging.ts';

const KEY = 'rb_Yx3kq9Lw0Zt1Pa8Vb7Nc6Md5Re4Sf3Tg';

describe('redactUrl', () => {
  it.each([
    ['/pay/AbC123-_x', '/pay/[redacted]'],
    ['/pay/AbC123/payments/7?x=1', '/pay/[redacted]/payments/7?x=1'],
    ['/download/invoice/tok', '/download/invoice/[redacted]'],
    ['/portal/sign-in/tok', '/portal/sign-in/[redacted]'],
    ['/portal/sign-in', '/portal/sign-in'],
    ['/console/password/tok?next=1', '/console/password/[redacted]?next=1'],
    ['/pay/', '/pay/'],
    [
      `/api/2024-01-01/networks/transactions/1.json?limit=5&oauth_token=${KEY}`,
      '/api/2024-01-01/networks/transactions/1.json?limit=5&oauth_token=[redacted]',
    ],
    [
      '/x?api_key=1&access_token=2&signature=3&Password=4&keep=5',
      '/x?api_key=[redacted]&access_token=[redacted]&signature=[redacted]&Password=[redacted]&keep=5',
    ],
    ['/x?oauth%5Ftoken=1', '/x?oauth%5Ftoken=[redacted]'],
    ['/backend/api/v1/customers/12', '/backend/api/v1/customers/12'],
  ])('%s → %s', (url, expected) => {
    expect(redactUrl(url)).toBe(expected);
  });
});

describe('redactSecrets', () => {
  it('takes credentials out of any text: paths, parameters, keys, authorization schemes', () => {
    const line = `{"msg":"'/pay/T0KEN%E0' is not a valid url component","err":"GET /x?oauth_token=${KEY}&a=1 with Bearer ${KEY} and Basic c3dpdGNoOnJiX3NlY3JldGtleQ== and whsec_abcdefghijkl"}`;
    const out = redactSecrets(line);
    expect(out).toBe(
      `{"msg":"'/pay/[redacted]' is not a valid url component","err":"GET /x?oauth_token=[redacted]&a=1 with Bearer rb_[redacted] and Basic [redacted] and whsec_[redacted]"}`,
    );
    expect(redactSecrets('Basic authentication is accepted')).toBe('Basic authentication is accepted');
    expect(
      redactSecrets(
        'connect to postgres://billing:s3cr%40t@db.example.com:5432/rb failed; smtp://u:p@mail:587',
      ),
    ).toBe(
      'connect to postgres://billing:[redacted]@db.example.com:5432/rb failed; smtp://u:[redacted]@mail:587',
    );
  });
});
