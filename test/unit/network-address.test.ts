// Where a tenant's URL may send a request: every spelling of a loopback, private, link-local, multicast,
// unspecified or reserved address is classified as such, IPv4 carried inside IPv6 included; and the checks
// made when a URL is saved and when a connection is made (with a resolver of the test's own, so no name is
// looked up and nothing is connected to).
import type { LookupAddress } from 'node:dns';
import { describe, expect, it } from 'vitest';
import {
  classifyAddress,
  isLoopbackName,
  mayReach,
  type AddressReach,
} from '../../src/shared/network-address.ts';
import {
  checkOutboundHost,
  guardedLookup,
  OutboundAddressRefused,
  type OutboundPolicy,
  type Resolver,
} from '../../src/shared/outbound-http.ts';

/** The host a URL's parser makes of `host` (what an HTTP client connects to). */
function urlHost(host: string): string {
  return new URL(`http://${host}:8080/hooks`).hostname;
}

// [as written in a URL, the canonical address, reach, description]
const REFUSED: [string, string, AddressReach, string][] = [
  // IPv4 loopback, in every spelling a URL parser reads
  ['127.0.0.1', '127.0.0.1', 'private', 'a loopback address'],
  ['0x7f000001', '127.0.0.1', 'private', 'a loopback address'],
  ['2130706433', '127.0.0.1', 'private', 'a loopback address'],
  ['0177.0.0.1', '127.0.0.1', 'private', 'a loopback address'],
  ['127.1', '127.0.0.1', 'private', 'a loopback address'],
  ['0x7f.0.0.1', '127.0.0.1', 'private', 'a loopback address'],
  ['017700000001', '127.0.0.1', 'private', 'a loopback address'],
  ['127.255.255.254', '127.255.255.254', 'private', 'a loopback address'],
  ['127.0.0.1.', '127.0.0.1', 'private', 'a loopback address'],
  ['127.000.000.001', '127.0.0.1', 'private', 'a loopback address'],
  ['0x7F.0x0.0x0.0x1', '127.0.0.1', 'private', 'a loopback address'],
  ['%31%32%37.0.0.1', '127.0.0.1', 'private', 'a loopback address'],
  ['\u2460\u2461\u2466.0.0.1', '127.0.0.1', 'private', 'a loopback address'],
  ['127\u30020\u30020\u30021', '127.0.0.1', 'private', 'a loopback address'],
  // IPv6 loopback, and IPv4 loopback inside IPv6
  ['[::1]', '::1', 'private', 'a loopback address'],
  ['[0:0:0:0:0:0:0:1]', '::1', 'private', 'a loopback address'],
  ['[::ffff:127.0.0.1]', '::ffff:7f00:1', 'private', 'IPv4-mapped 127.0.0.1, a loopback address'],
  ['[::ffff:7f00:1]', '::ffff:7f00:1', 'private', 'IPv4-mapped 127.0.0.1, a loopback address'],
  ['[::ffff:0:7f00:1]', '::ffff:0:7f00:1', 'private', 'IPv4-translated 127.0.0.1, a loopback address'],
  ['[64:ff9b::7f00:1]', '64:ff9b::7f00:1', 'private', 'NAT64 address of 127.0.0.1, a loopback address'],
  ['[64:ff9b::127.0.0.1]', '64:ff9b::7f00:1', 'private', 'NAT64 address of 127.0.0.1, a loopback address'],
  ['[2002:7f00:1::1]', '2002:7f00:1::1', 'private', '6to4 address of 127.0.0.1, a loopback address'],
  // private networks
  ['10.0.0.1', '10.0.0.1', 'private', 'a private-network address'],
  ['012.0.0.1', '10.0.0.1', 'private', 'a private-network address'],
  ['172.16.0.1', '172.16.0.1', 'private', 'a private-network address'],
  ['172.31.255.255', '172.31.255.255', 'private', 'a private-network address'],
  ['192.168.1.1', '192.168.1.1', 'private', 'a private-network address'],
  ['0xc0a80101', '192.168.1.1', 'private', 'a private-network address'],
  ['100.64.0.1', '100.64.0.1', 'private', 'a carrier-grade NAT address (100.64.0.0/10)'],
  ['100.127.255.254', '100.127.255.254', 'private', 'a carrier-grade NAT address (100.64.0.0/10)'],
  ['[fc00::1]', 'fc00::1', 'private', 'a unique local address (fc00::/7)'],
  ['[fd12:3456:789a::1]', 'fd12:3456:789a::1', 'private', 'a unique local address (fc00::/7)'],
  ['[::ffff:10.0.0.1]', '::ffff:a00:1', 'private', 'IPv4-mapped 10.0.0.1, a private-network address'],
  [
    '[64:ff9b::10.0.0.1]',
    '64:ff9b::a00:1',
    'private',
    'NAT64 address of 10.0.0.1, a private-network address',
  ],
  ['[64:ff9b:1::a00:1]', '64:ff9b:1::a00:1', 'private', 'a local-use NAT64 address (64:ff9b:1::/48)'],
  // link-local, where cloud metadata services answer: never, whatever the setting
  [
    '169.254.169.254',
    '169.254.169.254',
    'never',
    'a link-local address (where cloud metadata services answer)',
  ],
  ['0xa9fea9fe', '169.254.169.254', 'never', 'a link-local address (where cloud metadata services answer)'],
  ['2852039166', '169.254.169.254', 'never', 'a link-local address (where cloud metadata services answer)'],
  [
    '[::ffff:169.254.169.254]',
    '::ffff:a9fe:a9fe',
    'never',
    'IPv4-mapped 169.254.169.254, a link-local address (where cloud metadata services answer)',
  ],
  [
    '[64:ff9b::a9fe:a9fe]',
    '64:ff9b::a9fe:a9fe',
    'never',
    'NAT64 address of 169.254.169.254, a link-local address (where cloud metadata services answer)',
  ],
  [
    '[2002:a9fe:a9fe::1]',
    '2002:a9fe:a9fe::1',
    'never',
    '6to4 address of 169.254.169.254, a link-local address (where cloud metadata services answer)',
  ],
  ['[fe80::1]', 'fe80::1', 'never', 'a link-local address'],
  ['[fe80::a9fe:a9fe]', 'fe80::a9fe:a9fe', 'never', 'a link-local address'],
  // unspecified
  ['0.0.0.0', '0.0.0.0', 'never', 'an unspecified address (0.0.0.0/8)'],
  ['0', '0.0.0.0', 'never', 'an unspecified address (0.0.0.0/8)'],
  ['0.1.2.3', '0.1.2.3', 'never', 'an unspecified address (0.0.0.0/8)'],
  ['[::]', '::', 'never', 'the unspecified address'],
  ['[::ffff:0.0.0.0]', '::ffff:0:0', 'never', 'IPv4-mapped 0.0.0.0, an unspecified address (0.0.0.0/8)'],
  // multicast and broadcast
  ['224.0.0.1', '224.0.0.1', 'never', 'a multicast address'],
  ['239.255.255.250', '239.255.255.250', 'never', 'a multicast address'],
  ['[ff02::1]', 'ff02::1', 'never', 'a multicast address'],
  ['[ff05::1:3]', 'ff05::1:3', 'never', 'a multicast address'],
  ['255.255.255.255', '255.255.255.255', 'never', 'the broadcast address'],
  // reserved, documentation, benchmarking, deprecated and special-purpose ranges
  ['240.0.0.1', '240.0.0.1', 'never', 'a reserved address'],
  ['192.0.2.10', '192.0.2.10', 'never', 'a reserved address'],
  ['198.51.100.7', '198.51.100.7', 'never', 'a reserved address'],
  ['203.0.113.9', '203.0.113.9', 'never', 'a reserved address'],
  ['198.18.0.1', '198.18.0.1', 'never', 'a reserved address'],
  ['192.0.0.8', '192.0.0.8', 'never', 'a reserved address'],
  ['[2001:db8::1]', '2001:db8::1', 'never', 'a reserved address'],
  ['[2001::1]', '2001::1', 'never', 'a Teredo tunnelling address'],
  ['[fec0::1]', 'fec0::1', 'never', 'a site-local address'],
  ['[100::1]', '100::1', 'never', 'a discard-only address'],
  ['[::7f00:1]', '::7f00:1', 'never', 'IPv4-compatible (deprecated) 127.0.0.1, a loopback address'],
  ['[::808:808]', '::808:808', 'never', 'IPv4-compatible (deprecated) 8.8.8.8, a public address'],
  ['[4000::1]', '4000::1', 'never', 'an address outside global unicast (2000::/3)'],
];

const PUBLIC: [string, string, string][] = [
  ['93.184.216.34', '93.184.216.34', 'a public address'],
  ['8.8.8.8', '8.8.8.8', 'a public address'],
  ['134744072', '8.8.8.8', 'a public address'],
  ['100.63.255.255', '100.63.255.255', 'a public address'],
  ['172.32.0.1', '172.32.0.1', 'a public address'],
  ['[2606:4700:4700::1111]', '2606:4700:4700::1111', 'a public address'],
  ['[::ffff:8.8.8.8]', '::ffff:808:808', 'IPv4-mapped 8.8.8.8, a public address'],
  ['[64:ff9b::808:808]', '64:ff9b::808:808', 'NAT64 address of 8.8.8.8, a public address'],
  ['[2002:808:808::1]', '2002:808:808::1', '6to4 address of 8.8.8.8, a public address'],
];

describe('classifyAddress', () => {
  it.each(REFUSED)('%s in a URL is %s, %s: %s', (written, address, reach, description) => {
    const host = urlHost(written);
    expect(classifyAddress(host)).toMatchObject({ address, reach, description });
    expect(mayReach(reach, false)).toBe(false);
  });

  it.each(PUBLIC)('%s in a URL is %s, public: %s', (written, address, description) => {
    expect(classifyAddress(urlHost(written))).toMatchObject({ address, reach: 'public', description });
    expect(mayReach('public', false)).toBe(true);
  });

  it.each(['0x7f000001', '2130706433', '0177.0.0.1', '127.1', '::ffff:127.0.0.1', '::ffff:7f00:1', '[::1]'])(
    'reads %s written as it is, not only as a URL parser leaves it',
    (written) => {
      expect(classifyAddress(written)).toMatchObject({
        reach: 'private',
        description: expect.stringContaining('a loopback address'),
      });
    },
  );

  it('says what an address is without naming it too, for messages about host names', () => {
    expect(classifyAddress('10.1.2.3')?.kind).toBe('a private-network address');
    expect(classifyAddress('::ffff:127.0.0.1')?.kind).toBe('a loopback address');
    expect(classifyAddress('64:ff9b::a9fe:a9fe')?.kind).toBe(
      'a link-local address (where cloud metadata services answer)',
    );
    expect(classifyAddress('::7f00:1')?.kind).toBe('an IPv4-compatible address (deprecated)');
    expect(classifyAddress('2002:a00:1::1')?.kind).toBe('a private-network address');
  });

  it('says a host name is not an address', () => {
    expect(classifyAddress('hooks.example.com')).toBeUndefined();
    expect(classifyAddress('localhost')).toBeUndefined();
    expect(classifyAddress('127.0.0.1.nip.io')).toBeUndefined();
  });

  it('lets private networks be reached only when the operator allows them, and the rest never', () => {
    expect([mayReach('public', false), mayReach('private', false), mayReach('never', false)]).toEqual([
      true,
      false,
      false,
    ]);
    expect([mayReach('public', true), mayReach('private', true), mayReach('never', true)]).toEqual([
      true,
      true,
      false,
    ]);
  });

  it('knows the loopback names of RFC 6761', () => {
    for (const name of ['localhost', 'LOCALHOST', 'localhost.', 'api.localhost', 'a.b.localhost.'])
      expect(isLoopbackName(name), name).toBe(true);
    for (const name of ['localhost.example.com', 'mylocalhost', 'example.com'])
      expect(isLoopbackName(name), name).toBe(false);
  });
});

/** A resolver of the test's own: names to addresses; anything else is not found. */
function resolverOf(names: Record<string, string[]>): Resolver & { asked: string[] } {
  const asked: string[] = [];
  const resolve = async (hostname: string) => {
    asked.push(hostname);
    const addresses = names[hostname];
    if (!addresses)
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({
      address,
      family: address.includes(':') ? (6 as const) : (4 as const),
    }));
  };
  return Object.assign(resolve, { asked });
}

const PRIVATE_HINT =
  'only public internet addresses are allowed (the operator can allow private networks with WEBHOOK_ALLOW_PRIVATE_NETWORKS=true)';

describe('checkOutboundHost (when a URL is saved)', () => {
  const resolve = resolverOf({
    'hooks.example.test': ['93.184.216.34', '2606:2800:220:1::1'],
    'mixed.example.test': ['93.184.216.34', '10.0.0.5'],
    'metadata.example.test': ['169.254.169.254'],
    'mapped.example.test': ['::ffff:127.0.0.1'],
  });
  const off: OutboundPolicy = { allowPrivateNetworks: false, resolve };
  const on: OutboundPolicy = { allowPrivateNetworks: true, resolve };
  const check = (url: string, policy: OutboundPolicy, timeoutMs?: number) =>
    checkOutboundHost(new URL(url), policy, timeoutMs);

  it('refuses an address in the URL, saying what it is and why', async () => {
    expect((await check('http://0x7f000001:9000/h', off))?.message).toBe(
      `127.0.0.1 is a loopback address: ${PRIVATE_HINT}`,
    );
    expect((await check('http://[::ffff:127.0.0.1]/h', off))?.message).toBe(
      `::ffff:7f00:1 is IPv4-mapped 127.0.0.1, a loopback address: ${PRIVATE_HINT}`,
    );
    expect((await check('http://169.254.169.254/latest/meta-data/', on))?.message).toBe(
      '169.254.169.254 is a link-local address (where cloud metadata services answer): requests are never sent there',
    );
    expect(await check('http://10.0.0.1/h', on)).toBeUndefined();
    expect(await check('https://93.184.216.34/h', off)).toBeUndefined();
    expect(resolve.asked).toEqual([]);
  });

  it('refuses a name any of whose addresses is refused', async () => {
    expect(await check('https://hooks.example.test/h', off)).toBeUndefined();
    const mixed = await check('https://mixed.example.test/h', off);
    expect(mixed).toBeInstanceOf(OutboundAddressRefused);
    expect(mixed?.message).toBe(`mixed.example.test resolves to a private-network address: ${PRIVATE_HINT}`);
    expect(await check('https://mixed.example.test/h', on)).toBeUndefined();
    expect((await check('https://metadata.example.test/h', on))?.message).toBe(
      'metadata.example.test resolves to a link-local address (where cloud metadata services answer): requests are never sent there',
    );
    expect((await check('https://mapped.example.test/h', off))?.message).toBe(
      `mapped.example.test resolves to a loopback address: ${PRIVATE_HINT}`,
    );
  });

  it('refuses localhost and *.localhost by name, without asking a resolver', async () => {
    const before = resolve.asked.length;
    expect((await check('http://localhost:9000/h', off))?.message).toBe(
      `localhost is a loopback name: ${PRIVATE_HINT}`,
    );
    expect((await check('http://API.LOCALHOST./h', off))?.message).toBe(
      `api.localhost. is a loopback name: ${PRIVATE_HINT}`,
    );
    expect(resolve.asked.length).toBe(before);
  });

  it('lets through a name that cannot be looked up (yet), or not in time: it is checked at every connection', async () => {
    expect(await check('https://not-yet.example.test/h', off)).toBeUndefined();
    const never: OutboundPolicy = {
      allowPrivateNetworks: false,
      resolve: () => new Promise(() => undefined),
    };
    const started = Date.now();
    expect(await check('https://slow.example.test/h', never, 50)).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('guardedLookup (at every connection)', () => {
  const lookupWith = (
    policy: OutboundPolicy,
    hostname: string,
    options: { all?: boolean; family?: number },
  ) =>
    new Promise<{ error: NodeJS.ErrnoException | null; address: string | LookupAddress[]; family?: number }>(
      (resolve) =>
        guardedLookup(policy)(hostname, options, (error, address, family) =>
          resolve({ error, address, family }),
        ),
    );
  const resolve = resolverOf({
    'rebound.example.test': ['127.0.0.1'],
    'dual.example.test': ['2606:2800:220:1::1', '93.184.216.34'],
  });

  it('refuses a name that now resolves to a refused address, and lets it through when the operator allows private networks', async () => {
    const refused = await lookupWith({ allowPrivateNetworks: false, resolve }, 'rebound.example.test', {
      all: true,
    });
    expect(refused.error).toBeInstanceOf(OutboundAddressRefused);
    expect(refused.error?.message).toBe(
      `rebound.example.test resolves to a loopback address: ${PRIVATE_HINT}`,
    );
    const allowed = await lookupWith({ allowPrivateNetworks: true, resolve }, 'rebound.example.test', {
      all: true,
    });
    expect(allowed).toEqual({
      error: null,
      address: [{ address: '127.0.0.1', family: 4 }],
      family: undefined,
    });
    const localhost = await lookupWith({ allowPrivateNetworks: false, resolve }, 'localhost', {});
    expect(localhost.error?.message).toBe(`localhost is a loopback name: ${PRIVATE_HINT}`);
  });

  it('answers as net.connect asks: every address, one address, or one family', async () => {
    const policy = { allowPrivateNetworks: false, resolve };
    expect(await lookupWith(policy, 'dual.example.test', { all: true })).toEqual({
      error: null,
      address: [
        { address: '2606:2800:220:1::1', family: 6 },
        { address: '93.184.216.34', family: 4 },
      ],
      family: undefined,
    });
    expect(await lookupWith(policy, 'dual.example.test', {})).toEqual({
      error: null,
      address: '2606:2800:220:1::1',
      family: 6,
    });
    expect(await lookupWith(policy, 'dual.example.test', { family: 4 })).toEqual({
      error: null,
      address: '93.184.216.34',
      family: 4,
    });
    expect((await lookupWith(policy, 'gone.example.test', {})).error?.code).toBe('ENOTFOUND');
  });
});
