// Outbound HTTP to URLs a tenant gives (webhooks): only to addresses the operator allows (see
// network-address.ts for the classes). Checked twice:
//
// - when the URL is saved (checkOutboundHost): an IP address is classified; a host name is looked up and
//   every address it has is classified. A name that cannot be looked up (yet) is let through: it is checked
//   again at every connection.
// - at every connection (outboundFetch): the host name is looked up by a lookup function that refuses
//   before any connection is made when an address is not allowed, and the socket's remote address is checked
//   again once connected. So a name that pointed at a public address when it was saved and at 127.0.0.1 now
//   (DNS rebinding) is refused, and the check is on the address actually connected to.
import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import type { Agent, buildConnector, fetch as undiciFetch } from 'undici';
import {
  classifyAddress,
  isLoopbackName,
  mayReach,
  unbracket,
  type AddressClass,
} from './network-address.ts';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Looks a host name up: every address it has. */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export interface OutboundPolicy {
  /** WEBHOOK_ALLOW_PRIVATE_NETWORKS: loopback, private, carrier-grade NAT and unique local targets allowed. */
  readonly allowPrivateNetworks: boolean;
  /** How host names are looked up; default the system's resolver (getaddrinfo: /etc/hosts, then DNS). */
  readonly resolve?: Resolver;
}

/** The default: public addresses only, the system resolver. */
export const PUBLIC_ONLY: OutboundPolicy = Object.freeze({ allowPrivateNetworks: false });

/** The setting that lets requests reach private networks, named in refusals. */
export const ALLOW_PRIVATE_SETTING = 'WEBHOOK_ALLOW_PRIVATE_NETWORKS';

export const systemResolver: Resolver = async (hostname) =>
  (await dnsLookup(hostname, { all: true })).map((a) => ({
    address: a.address,
    family: a.family === 6 ? 6 : 4,
  }));

/** A request refused for where it would go. Its message says which host, which address, and why. */
export class OutboundAddressRefused extends Error {
  readonly code = 'ERR_OUTBOUND_ADDRESS_REFUSED';
  constructor(
    readonly host: string,
    readonly target: AddressClass,
    allowPrivateNetworks: boolean,
  ) {
    // The address a name resolved to is not named: a tenant must not learn the server's internal DNS from it.
    const what =
      target.address === host ? `${host} is ${target.description}` : `${host} resolves to ${target.kind}`;
    const why =
      target.reach === 'private' && !allowPrivateNetworks
        ? `only public internet addresses are allowed (the operator can allow private networks with ${ALLOW_PRIVATE_SETTING}=true)`
        : 'requests are never sent there';
    super(`${what}: ${why}`);
    this.name = 'OutboundAddressRefused';
  }
}

/** The refusal for `host` at `address`, or undefined when the policy lets a request go there. */
export function refusalFor(
  host: string,
  address: string,
  policy: OutboundPolicy,
): OutboundAddressRefused | undefined {
  const target = classifyAddress(address);
  // Not an IP address at all (a resolver that answered nonsense): nothing can be said to be safe.
  if (!target)
    return new OutboundAddressRefused(
      host,
      {
        address,
        reach: 'never',
        description: 'not an IP address',
        kind: 'something that is not an IP address',
      },
      policy.allowPrivateNetworks,
    );
  return mayReach(target.reach, policy.allowPrivateNetworks)
    ? undefined
    : new OutboundAddressRefused(host, target, policy.allowPrivateNetworks);
}

function loopbackNameRefusal(host: string, policy: OutboundPolicy): OutboundAddressRefused | undefined {
  if (policy.allowPrivateNetworks || !isLoopbackName(host)) return undefined;
  return new OutboundAddressRefused(
    host,
    { address: host, reach: 'private', description: 'a loopback name', kind: 'a loopback name' },
    false,
  );
}

/** How long saving a URL waits for its host name to be looked up. */
export const SAVE_LOOKUP_TIMEOUT_MS = 3000;

/**
 * The check when a URL is saved: the refusal for the host of `url` (an IP address, a loopback name, or a name
 * any of whose addresses is refused), or undefined. A name that cannot be looked up in time passes here.
 */
export async function checkOutboundHost(
  url: URL,
  policy: OutboundPolicy,
  timeoutMs = SAVE_LOOKUP_TIMEOUT_MS,
): Promise<OutboundAddressRefused | undefined> {
  const host = unbracket(url.hostname);
  if (classifyAddress(host)) return refusalFor(host, host, policy);
  const byName = loopbackNameRefusal(host, policy);
  if (byName) return byName;
  let timer: NodeJS.Timeout | undefined;
  const addresses = await Promise.race([
    (policy.resolve ?? systemResolver)(host).catch(() => [] as ResolvedAddress[]),
    new Promise<ResolvedAddress[]>((resolve) => {
      timer = setTimeout(() => resolve([]), timeoutMs);
      timer.unref();
    }),
  ]).finally(() => clearTimeout(timer));
  for (const { address } of addresses) {
    const refusal = refusalFor(host, address, policy);
    if (refusal) return refusal;
  }
  return undefined;
}

/**
 * A lookup function for net.connect / tls.connect: resolves with the policy's resolver and refuses (an error,
 * before any connection) when any address of the name is not allowed.
 */
export function guardedLookup(policy: OutboundPolicy): LookupFunction {
  return (hostname, options, callback) => {
    const byName = loopbackNameRefusal(hostname, policy);
    if (byName) {
      callback(byName, '', 0);
      return;
    }
    (policy.resolve ?? systemResolver)(hostname).then(
      (all) => {
        for (const { address } of all) {
          const refusal = refusalFor(hostname, address, policy);
          if (refusal) return callback(refusal, '', 0);
        }
        const wanted =
          options.family === 4 || options.family === 6 ? all.filter((a) => a.family === options.family) : all;
        if (wanted.length === 0) {
          const error: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
          error.code = 'ENOTFOUND';
          return callback(error, '', 0);
        }
        if (options.all)
          return callback(
            null,
            wanted.map((a): LookupAddress => ({ address: a.address, family: a.family })),
          );
        return callback(null, wanted[0]!.address, wanted[0]!.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 0),
    );
  };
}

/**
 * An undici connector that enforces the policy: an IP address host is checked before connecting, a name
 * through guardedLookup, and the remote address of every new socket once connected.
 */
function guardedConnector(undici: Undici, policy: OutboundPolicy): buildConnector.connector {
  const connect = undici.buildConnector({ lookup: guardedLookup(policy) });
  return (options, callback) => {
    const host = unbracket(options.hostname);
    if (classifyAddress(host)) {
      const refusal = refusalFor(host, host, policy);
      if (refusal) return callback(refusal, null);
    }
    connect(options, (error, socket) => {
      if (error || !socket) return callback(error ?? new Error('no socket'), null);
      const remote = socket.remoteAddress;
      const refusal =
        remote === undefined
          ? new OutboundAddressRefused(
              host,
              {
                address: '(unknown)',
                reach: 'never',
                description: 'no remote address',
                kind: 'no remote address',
              },
              policy.allowPrivateNetworks,
            )
          : refusalFor(host, remote, policy);
      if (refusal) {
        socket.destroy();
        return callback(refusal, null);
      }
      return callback(null, socket);
    });
  };
}

type Undici = typeof import('undici');
// Loaded when the first request goes out, not when the server or a CLI command starts.
let undiciModule: Promise<Undici> | undefined;

// One dispatcher (and so one connection pool) per policy object: a policy is replaced, never changed.
const dispatchers = new WeakMap<OutboundPolicy, Agent>();

function dispatcherFor(undici: Undici, policy: OutboundPolicy): Agent {
  let agent = dispatchers.get(policy);
  if (!agent) {
    agent = new undici.Agent({ connect: guardedConnector(undici, policy) });
    dispatchers.set(policy, agent);
  }
  return agent;
}

export type OutboundResponse = Awaited<ReturnType<typeof undiciFetch>>;
export type OutboundRequestInit = Omit<NonNullable<Parameters<typeof undiciFetch>[1]>, 'dispatcher'>;

/** fetch (undici's) under `policy`: every connection it makes is checked as described above. */
export async function outboundFetch(
  policy: OutboundPolicy,
  url: string,
  init: OutboundRequestInit,
): Promise<OutboundResponse> {
  const undici = await (undiciModule ??= import('undici'));
  return undici.fetch(url, { ...init, dispatcher: dispatcherFor(undici, policy) });
}

/** The OutboundAddressRefused behind an error (fetch wraps what the connection failed with in `cause`). */
export function refusalIn(error: unknown): OutboundAddressRefused | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth++) {
    if (current instanceof OutboundAddressRefused) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
