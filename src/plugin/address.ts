// host:port as the plugin's flags write it: `127.0.0.1:50051`, `[::1]:0`,
// `0.0.0.0:50051` (every interface), `:50051` (the loopback: every interface
// only when asked for). Pure.

export interface ListenAddress {
  /** never "": no host is the loopback, 127.0.0.1 */
  host: string;
  port: number;
}

const HOST_PORT = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:[\]]*)):(\d{1,5})$/;

/** Parses `host:port`; throws an Error naming `what` (a flag) and the value. */
export function parseHostPort(value: string, what: string, opts: { allowAnyHost?: boolean; allowPortZero?: boolean } = {}): ListenAddress {
  const m = HOST_PORT.exec(value.trim());
  const port = m ? Number(m[3]) : NaN;
  const host = m ? (m[1] ?? m[2]) : '';
  if (!m || port > 65535 || (port === 0 && !opts.allowPortZero)) {
    const ports = opts.allowPortZero ? '0-65535, 0 picks a free one' : '1-65535';
    throw new Error(`${what} ${JSON.stringify(value)}: expected host:port (port ${ports}; an IPv6 host in brackets, e.g. [::1]:50051)`);
  }
  if (host === '' && !opts.allowAnyHost) throw new Error(`${what} ${JSON.stringify(value)}: expected host:port with a host`);
  return { host: host || '127.0.0.1', port };
}

/** `host:port`, an IPv6 host in brackets. */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}


export { isLoopbackHost } from '../router/discovery/common.ts';
