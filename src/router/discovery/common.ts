// What the discovery sources share: the checks on what they are told (plugin types, host:port addresses), so a
// static list, an EndpointSlice and a Register call are judged alike.

import { isIPv4, isIPv6 } from 'node:net';
import type { PluginEndpoint } from '../types.ts';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
// RFC 1123 host names; upper case is allowed on the wire and harmless here
const HOSTNAME_LABEL = /^[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?$/;

/** Why `type` cannot be a plugin type (a DNS-1123 label, like a sink type), or undefined. */
export function pluginTypeProblem(type: string): string | undefined {
  if (type === '') return 'must not be empty';
  if (type.length > 63) return 'must be at most 63 characters';
  if (!DNS1123_LABEL.test(type)) return 'must be a DNS-1123 label: lower-case letters, digits and "-", starting and ending with a letter or digit';
  return undefined;
}

export interface HostPort {
  /** without brackets */
  host: string;
  port: number;
}

/**
 * Parses "host:port", "[v6]:port". Returns the parts, or why the address is
 * not one. A bare IPv6 address is refused: "::1:50051" has no unambiguous port.
 */
export function parseHostPort(address: string): HostPort | { problem: string } {
  let host: string;
  let portText: string;
  if (address.startsWith('[')) {
    const end = address.indexOf(']');
    if (end < 0) return { problem: 'has "[" without "]"' };
    host = address.slice(1, end);
    if (!isIPv6(host)) return { problem: 'brackets must hold an IPv6 address' };
    if (address[end + 1] !== ':') return { problem: 'needs ":port" after "]"' };
    portText = address.slice(end + 2);
  } else {
    const colon = address.lastIndexOf(':');
    if (colon < 0) return { problem: 'needs a port (host:port)' };
    host = address.slice(0, colon);
    portText = address.slice(colon + 1);
    if (host.includes(':')) return { problem: 'an IPv6 address needs brackets, e.g. [::1]:50051' };
    if (host === '') return { problem: 'needs a host before ":port"' };
    if (!isIPv4(host) && !validHostname(host)) return { problem: `host "${host}" is neither an IP address nor a DNS name` };
  }
  if (!/^\d{1,5}$/.test(portText)) return { problem: `port "${portText}" is not a number` };
  const port = Number(portText);
  if (port < 1 || port > 65535) return { problem: `port ${port} is outside 1–65535` };
  return { host, port };
}

function validHostname(host: string): boolean {
  const h = host.endsWith('.') ? host.slice(0, -1) : host;
  if (h.length === 0 || h.length > 253) return false;
  return h.split('.').every((label) => label.length <= 63 && HOSTNAME_LABEL.test(label));
}

/** "host:port", brackets around IPv6 hosts. */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The canonical form of a valid address (IPv6 compressed the same way as URL hosts), or throws. */
export function canonicalAddress(hp: HostPort): string {
  if (isIPv6(hp.host)) return formatHostPort(new URL(`http://[${hp.host}]`).hostname.slice(1, -1), hp.port);
  return formatHostPort(hp.host.toLowerCase(), hp.port);
}

/** Sorted by id, so two reports of the same set compare equal. */
export function sortEndpoints(endpoints: Iterable<PluginEndpoint>): PluginEndpoint[] {
  return [...endpoints].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** A compact fingerprint of a set, to report only real changes. */
export function fingerprint(endpoints: readonly PluginEndpoint[]): string {
  return endpoints.map((e) => `${e.id}|${e.type}|${e.address}|${e.draining ? 1 : 0}`).join('\n');
}

/** What changed between two sorted sets, for one log line. */
export function diffEndpoints(before: readonly PluginEndpoint[], after: readonly PluginEndpoint[]): { added: string[]; removed: string[]; draining: string[] } {
  const old = new Map(before.map((e) => [e.id, e]));
  const added: string[] = [];
  const draining: string[] = [];
  for (const e of after) {
    const o = old.get(e.id);
    if (!o) added.push(e.id);
    else if (e.draining && !o.draining) draining.push(e.id);
    old.delete(e.id);
  }
  return { added, removed: [...old.keys()], draining };
}

/**
 * Whether `host` (without brackets) is this machine only: nothing else can
 * reach a server bound there or a client talking to it. "" (every
 * interface) is not.
 */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

/** The host of "host:port" / "[v6]:port" (without brackets). */
export function hostOfAddress(address: string): string {
  if (address.startsWith('[')) return address.slice(1, address.indexOf(']'));
  const i = address.lastIndexOf(':');
  return i < 0 ? address : address.slice(0, i);
}
