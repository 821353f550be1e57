// The egress policy for sinks a tenant wrote (namespaced Sink resources):
// kubeherald sits inside the cluster with more reach than the tenant, so a
// Sink's URL may not point it at loopback, private, link-local, CGNAT,
// cluster-service or cloud-metadata addresses unless the admin's allow-list
// names them. Checked twice: on the URL as written (a literal address or a
// forbidden name fails validation) and on the address a name resolves to,
// inside the connection itself, so a name that resolves differently at send
// time (DNS rebinding) is refused before a byte is sent.

import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import { Agent, buildConnector } from 'undici';

export type AddressClass =
  | 'loopback'
  | 'unspecified'
  | 'link-local'
  | 'private'
  | 'unique-local'
  | 'carrier-grade NAT'
  | 'metadata'
  | 'multicast'
  | 'reserved'
  | 'cluster-service';

interface Range {
  family: 4 | 6;
  base: bigint;
  bits: number;
  cls: AddressClass;
}

/** IPv4 dotted quad (canonical, as URL and getaddrinfo give it) as a number; undefined if not one. */
function v4ToBig(ip: string): bigint | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    n = (n << 8n) | BigInt(Number(p));
  }
  return n;
}

/** IPv6 text (any valid form, zone dropped) as a 128-bit number; undefined if not one. */
function v6ToBig(ip: string): bigint | undefined {
  let s = ip.replace(/%.*$/, '');
  // a trailing dotted quad (::ffff:1.2.3.4) as two groups
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (quad) {
    const v4 = v4ToBig(quad[1]);
    if (v4 === undefined) return undefined;
    s = `${s.slice(0, -quad[1].length)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  let n = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    n = (n << 16n) | BigInt(parseInt(g, 16));
  }
  return n;
}

function range(cidr: string, cls: AddressClass): Range {
  const r = parseCidr(cidr);
  if (!r) throw new Error(`bad built-in range ${cidr}`);
  return { ...r, cls };
}

/** "10.0.0.0/8", "fd00::/8", or a single address (a /32 or /128). */
export function parseCidr(text: string): Omit<Range, 'cls'> | undefined {
  const [addr, len, ...rest] = text.split('/');
  if (rest.length) return undefined;
  const family = isIP(addr);
  if (family === 0) return undefined;
  const max = family === 4 ? 32 : 128;
  const bits = len === undefined ? max : /^\d{1,3}$/.test(len) ? Number(len) : NaN;
  if (!(bits >= 0 && bits <= max)) return undefined;
  const n = family === 4 ? v4ToBig(addr) : v6ToBig(addr);
  if (n === undefined) return undefined;
  const shift = BigInt(max - bits);
  return { family: family as 4 | 6, base: (n >> shift) << shift, bits };
}

function inRange(r: Omit<Range, 'cls'>, family: 4 | 6, n: bigint): boolean {
  if (r.family !== family) return false;
  const shift = BigInt((family === 4 ? 32 : 128) - r.bits);
  return n >> shift === r.base >> shift;
}

// most specific first: the first match names the class
const RANGES: Range[] = [
  range('169.254.169.254/32', 'metadata'),
  range('168.63.129.16/32', 'metadata'),
  range('fd00:ec2::254/128', 'metadata'),
  range('0.0.0.0/8', 'unspecified'),
  range('127.0.0.0/8', 'loopback'),
  range('10.0.0.0/8', 'private'),
  range('172.16.0.0/12', 'private'),
  range('192.168.0.0/16', 'private'),
  range('100.64.0.0/10', 'carrier-grade NAT'),
  range('169.254.0.0/16', 'link-local'),
  range('192.0.0.0/24', 'reserved'),
  range('192.0.2.0/24', 'reserved'),
  range('198.18.0.0/15', 'reserved'),
  range('198.51.100.0/24', 'reserved'),
  range('203.0.113.0/24', 'reserved'),
  range('224.0.0.0/4', 'multicast'),
  range('240.0.0.0/4', 'reserved'),
  range('::/128', 'unspecified'),
  range('::1/128', 'loopback'),
  range('fc00::/7', 'unique-local'),
  range('fe80::/10', 'link-local'),
  range('fec0::/10', 'private'),
  range('ff00::/8', 'multicast'),
  range('2001:db8::/32', 'reserved'),
  range('100::/64', 'reserved'),
  // IPv4-compatible (deprecated): whatever it embeds, nothing public uses it
  range('::/96', 'reserved'),
];

// prefixes that embed an IPv4 address in their low 32 bits: classified as that address
const EMBEDS_V4 = [parseCidr('::ffff:0:0/96')!, parseCidr('64:ff9b::/96')!];

/** The class of an internal address, or undefined for a public one (or text that is no address). */
export function classifyAddress(ip: string): AddressClass | undefined {
  const bare = ip.replace(/^\[|\]$/g, '');
  const family = isIP(bare);
  if (family === 0) return undefined;
  let n = family === 4 ? v4ToBig(bare) : v6ToBig(bare);
  if (n === undefined) return undefined;
  let fam = family as 4 | 6;
  if (fam === 6 && EMBEDS_V4.some((r) => inRange(r, 6, n!))) {
    n = n & 0xffffffffn;
    fam = 4;
  }
  return RANGES.find((r) => inRange(r, fam, n!))?.cls;
}

/**
 * Names refused whatever they resolve to: the cluster's Service names (its
 * service CIDR is not known, so its addresses cannot be), cloud metadata,
 * and localhost (RFC 6761).
 */
export function classifyHostName(host: string): AddressClass | undefined {
  const h = host.toLowerCase().replace(/\.$/, '');
  if (h === 'localhost' || h.endsWith('.localhost')) return 'loopback';
  if (h === 'metadata.google.internal' || h === 'metadata' || h === 'instance-data') return 'metadata';
  if (h === 'kubernetes' || h.startsWith('kubernetes.default') || h.endsWith('.svc') || h.includes('.svc.') || h.endsWith('.cluster.local')) return 'cluster-service';
  // reserved for private use (ICANN, 2024): never a public receiver
  if (h.endsWith('.internal') || h.endsWith('.local')) return 'private';
  // a single label is a search-domain name: in a pod, a Service of the same namespace
  if (!h.includes('.') && isIP(h) === 0) return 'cluster-service';
  return undefined;
}

export interface EgressRefusal {
  /** the host as the URL has it */
  host: string;
  /** the refused address, when the refusal is about one */
  address?: string;
  cls: AddressClass;
}

/** "loopback address 127.0.0.1", "cluster-service name kubernetes.default.svc" */
export function describeRefusal(r: EgressRefusal): string {
  if (r.address === undefined) return `${r.host} is a ${r.cls} name`;
  return r.address === r.host.replace(/^\[|\]$/g, '') ? `${r.address} is a ${r.cls} address` : `${r.host} resolves to ${r.address}, a ${r.cls} address`;
}

/** How an EgressError's message starts, for clients that keep only the message of a connect error. */
export const EGRESS_REFUSED = /refused by the egress policy/;

/** A connection the policy refused: no request was sent. */
export class EgressError extends Error {
  readonly code = 'EGRESS_REFUSED';
  readonly refusal: EgressRefusal;
  constructor(r: EgressRefusal) {
    super(`refused by the egress policy for namespaced Sinks: ${describeRefusal(r)} (a cluster admin may allow it: customResources.egress.allow)`);
    this.name = 'EgressError';
    this.refusal = r;
  }
}

/** The EgressError somewhere in an error's cause chain. */
export function egressErrorOf(err: unknown): EgressError | undefined {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown; original?: unknown }).cause ?? (e as { original?: unknown }).original, depth++) if (e instanceof EgressError) return e;
  return undefined;
}

export type LookupFn = (hostname: string, options: LookupOptions & { all: true }, cb: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;

export interface EgressPolicy {
  /** The refusal for a URL as written (a literal address or a refused name), or undefined. Names are not resolved here. */
  checkUrl(url: string): EgressRefusal | undefined;
  /** The refusal for a host and the address it resolved to, or undefined. */
  checkAddress(host: string, address: string): EgressRefusal | undefined;
  /** A `lookup` for net.connect that refuses what resolves to a forbidden address. */
  lookup: (hostname: string, options: LookupOptions, cb: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void) => void;
  /** An undici dispatcher whose every connection is checked (for fetch). */
  dispatcher(): Agent;
  /** undici's `connect` option doing the same (for clients that build their own undici Pool). */
  connect: buildConnector.connector;
}

/** Whether an allow-list entry is a CIDR, an address or a host name (`*.example.com` for a domain's names). */
export function isAllowEntry(entry: string): boolean {
  if (parseCidr(entry)) return true;
  return /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/i.test(entry);
}

export interface EgressOptions {
  /** CIDRs, addresses or host names the admin allows (customResources.egress.allow) */
  allow?: readonly string[];
  /** how names are resolved (default dns.lookup); tests pass their own */
  lookup?: LookupFn;
}

export function egressPolicy(opts: EgressOptions = {}): EgressPolicy {
  const cidrs = (opts.allow ?? []).flatMap((e) => parseCidr(e) ?? []);
  const names = (opts.allow ?? []).filter((e) => !parseCidr(e)).map((e) => e.toLowerCase());
  const resolve: LookupFn = opts.lookup ?? ((h, o, cb) => dnsLookup(h, o, cb));
  const nameAllowed = (host: string): boolean => {
    const h = host.toLowerCase().replace(/\.$/, '');
    return names.some((n) => (n.startsWith('*.') ? h.endsWith(n.slice(1)) : h === n));
  };
  const addressAllowed = (ip: string): boolean => {
    const bare = ip.replace(/^\[|\]$/g, '');
    const family = isIP(bare);
    const n = family === 4 ? v4ToBig(bare) : family === 6 ? v6ToBig(bare) : undefined;
    return n !== undefined && cidrs.some((r) => inRange(r, family as 4 | 6, n));
  };
  const checkAddress = (host: string, address: string): EgressRefusal | undefined => {
    if (nameAllowed(host) || addressAllowed(address)) return undefined;
    const cls = classifyAddress(address);
    return cls ? { host, address: address.replace(/^\[|\]$/g, ''), cls } : undefined;
  };
  const checkHost = (host: string): EgressRefusal | undefined => {
    const bare = host.replace(/^\[|\]$/g, '');
    if (isIP(bare)) return checkAddress(host, bare);
    if (nameAllowed(host)) return undefined;
    const cls = classifyHostName(host);
    return cls ? { host, cls } : undefined;
  };
  const checkUrl = (url: string): EgressRefusal | undefined => {
    let u: URL;
    try {
      // the WHATWG parser turns 0x7f000001, 2130706433 and 0177.0.0.1 into 127.0.0.1
      u = new URL(url);
    } catch {
      return undefined;
    }
    return checkHost(u.hostname);
  };
  const lookup: EgressPolicy['lookup'] = (hostname, options, cb) => {
    const early = checkHost(hostname);
    if (early) return cb(new EgressError(early) as NodeJS.ErrnoException, []);
    resolve(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return cb(err, []);
      // every address, not the first: a client may fall back to the next one
      for (const a of addresses) {
        const refused = checkAddress(hostname, a.address);
        if (refused) return cb(new EgressError(refused) as NodeJS.ErrnoException, []);
      }
      if (options.all) return cb(null, addresses);
      const first = addresses[0];
      if (!first) return cb(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), []);
      cb(null, first.address, first.family);
    });
  };
  // net.connect skips lookup for a literal address: it is checked before connecting
  const literal = (host: string | undefined | null): EgressError | undefined => {
    const bare = (host ?? '').replace(/^\[|\]$/g, '');
    if (!isIP(bare)) return undefined;
    const r = checkAddress(host!, bare);
    return r ? new EgressError(r) : undefined;
  };
  const connector = buildConnector({ lookup } as buildConnector.BuildOptions);
  const connect: buildConnector.connector = (o, cb) => {
    const refused = literal(o.hostname);
    if (refused) return cb(refused, null);
    connector(o, cb);
  };
  let agent: Agent | undefined;
  return {
    checkUrl,
    checkAddress,
    lookup,
    connect,
    dispatcher() {
      agent ??= new Agent({ connect });
      return agent;
    },
  };
}
