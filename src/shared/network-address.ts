// Where an outbound request may go: the class of an IP address, for URLs a tenant gives (webhooks). Pure.
//
// ipaddr.js names the address's range (it parses every spelling: 127.0.0.1, 0x7f000001, 2130706433,
// 0177.0.0.1, 127.1, ::ffff:127.0.0.1, …); this file decides what each range means here:
//
//   public   the internet: anyone may send there.
//   private  the operator's own networks (loopback, RFC 1918, carrier-grade NAT, IPv6 unique local):
//            only with WEBHOOK_ALLOW_PRIVATE_NETWORKS=true, for an on-premises install.
//   never    no receiver can be there, or only something that must not be reached (unspecified,
//            broadcast, multicast, link-local — where cloud metadata services answer, 169.254.169.254 —,
//            reserved, documentation and benchmarking ranges, IPv6 outside global unicast 2000::/3,
//            Teredo): refused whatever the setting.
//
// An IPv6 address that carries an IPv4 address (IPv4-mapped ::ffff:a.b.c.d, IPv4-translated
// ::ffff:0:a.b.c.d, NAT64 64:ff9b::a.b.c.d, 6to4 2002:aabb:ccdd::) is as reachable as the IPv4 address it
// carries: ::ffff:127.0.0.1 is loopback, while 64:ff9b::5db8:d822 (a public address through DNS64) is public.
import ipaddr from 'ipaddr.js';

export type AddressReach = 'public' | 'private' | 'never';

export interface AddressClass {
  /** The address as written canonically (127.0.0.1, ::ffff:7f00:1). */
  address: string;
  reach: AddressReach;
  /** What it is, in words, for a message: "a loopback address", "IPv4-mapped 127.0.0.1, a loopback address". */
  description: string;
  /**
   * What it is without naming any address ("a loopback address"), for a message about a host name: saying
   * which address a name resolved to would let a tenant read the server's internal DNS.
   */
  kind: string;
}

type Classified = Omit<AddressClass, 'kind'> & { kind?: string };

const IPV4: Record<string, { reach: AddressReach; description: string }> = {
  unicast: { reach: 'public', description: 'a public address' },
  loopback: { reach: 'private', description: 'a loopback address' },
  private: { reach: 'private', description: 'a private-network address' },
  carrierGradeNat: { reach: 'private', description: 'a carrier-grade NAT address (100.64.0.0/10)' },
  linkLocal: { reach: 'never', description: 'a link-local address (where cloud metadata services answer)' },
  unspecified: { reach: 'never', description: 'an unspecified address (0.0.0.0/8)' },
  broadcast: { reach: 'never', description: 'the broadcast address' },
  multicast: { reach: 'never', description: 'a multicast address' },
  reserved: { reach: 'never', description: 'a reserved address' },
  benchmarking: { reach: 'never', description: 'a benchmarking address' },
  as112: { reach: 'never', description: 'a special-purpose (AS112) address' },
  amt: { reach: 'never', description: 'a special-purpose (AMT) address' },
};

const IPV6: Record<string, { reach: AddressReach; description: string }> = {
  loopback: { reach: 'private', description: 'a loopback address' },
  uniqueLocal: { reach: 'private', description: 'a unique local address (fc00::/7)' },
  linkLocal: { reach: 'never', description: 'a link-local address' },
  deprecatedSiteLocal: { reach: 'never', description: 'a site-local address' },
  unspecified: { reach: 'never', description: 'the unspecified address' },
  multicast: { reach: 'never', description: 'a multicast address' },
  teredo: { reach: 'never', description: 'a Teredo tunnelling address' },
  discard: { reach: 'never', description: 'a discard-only address' },
  reserved: { reach: 'never', description: 'a reserved address' },
  benchmarking: { reach: 'never', description: 'a benchmarking address' },
};
const SPECIAL_PURPOSE_V6 = { reach: 'never', description: 'a special-purpose address' } as const;

/** True for an IP address in any spelling ipaddr.js reads (also bracketed IPv6, as a URL host has it). */
export function isIpAddress(host: string): boolean {
  return ipaddr.isValid(unbracket(host));
}

/** "[::1]" → "::1": a URL's hostname keeps the brackets of an IPv6 address. */
export function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** The class of an IP address (any spelling, brackets allowed); undefined when `host` is not an IP address. */
export function classifyAddress(host: string): AddressClass | undefined {
  const text = unbracket(host);
  if (!ipaddr.isValid(text)) return undefined;
  const parsed = ipaddr.parse(text);
  const found: Classified =
    parsed.kind() === 'ipv4' ? classifyV4(parsed as ipaddr.IPv4) : classifyV6(parsed as ipaddr.IPv6);
  return { ...found, kind: found.kind ?? found.description };
}

function classifyV4(address: ipaddr.IPv4): Classified {
  const range: string = address.range();
  // An unknown range name (a later ipaddr.js) is special-purpose until this table says otherwise.
  const known = IPV4[range] ?? {
    reach: 'never' as const,
    description: `a special-purpose address (${range})`,
  };
  return { address: address.toString(), ...known };
}

function classifyV6(address: ipaddr.IPv6): Classified {
  const range: string = address.range();
  const text = address.toString();
  const parts = address.parts;
  const embedded = (v4: ipaddr.IPv4, form: string): Classified => {
    const inner = classifyV4(v4);
    return {
      address: text,
      reach: inner.reach,
      description: `${form} ${inner.address}, ${inner.description}`,
      kind: inner.description,
    };
  };
  const v4Of = (high: number, low: number) => new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
  switch (range) {
    case 'ipv4Mapped':
      return embedded(v4Of(parts[6]!, parts[7]!), 'IPv4-mapped');
    case 'rfc6145':
      return embedded(v4Of(parts[6]!, parts[7]!), 'IPv4-translated');
    case 'rfc6052':
      // 64:ff9b::/96 carries the IPv4 address in its last 32 bits; 64:ff9b:1::/48 is a network's own (local-use) NAT64.
      if (parts[2] === 0) return embedded(v4Of(parts[6]!, parts[7]!), 'NAT64 address of');
      return { address: text, reach: 'private', description: 'a local-use NAT64 address (64:ff9b:1::/48)' };
    case '6to4':
      return embedded(v4Of(parts[1]!, parts[2]!), '6to4 address of');
    case 'unicast': {
      // ipaddr.js calls everything it has no name for unicast; only 2000::/3 is global unicast (IANA).
      if ((parts[0]! & 0xe000) === 0x2000)
        return { address: text, reach: 'public', description: 'a public address' };
      if (parts.slice(0, 6).every((p) => p === 0)) {
        return {
          ...embedded(v4Of(parts[6]!, parts[7]!), 'IPv4-compatible (deprecated)'),
          reach: 'never',
          kind: 'an IPv4-compatible address (deprecated)',
        };
      }
      return { address: text, reach: 'never', description: 'an address outside global unicast (2000::/3)' };
    }
    default:
      return { address: text, ...(IPV6[range] ?? SPECIAL_PURPOSE_V6) };
  }
}

/** Whether a request may go to an address of this class. */
export function mayReach(reach: AddressReach, allowPrivateNetworks: boolean): boolean {
  return reach === 'public' || (reach === 'private' && allowPrivateNetworks);
}

/** Host names that are loopback by definition (RFC 6761), whatever a resolver says: localhost, *.localhost. */
export function isLoopbackName(host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  return name === 'localhost' || name.endsWith('.localhost');
}
