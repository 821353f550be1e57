// /healthz and /readyz, for kubelet probes and load balancers. Alive: the
// process answers and its state database has not failed (a restart is what
// fixes that). Ready: started, every watch listed and not failing (with
// several clusters: at least one cluster up, the others reported), the state
// database takes a write, and not shutting down. Served on the metrics
// listener and, when `health.listen` is set, on a listener of its own.
// The verdict is pure (readiness()); the HTTP side only reports it.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { listen as listenOn } from '../model/listen.ts';

export interface ProbeCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface ProbeInputs {
  /** start-up finished: every watch listed once, the sinks and listeners up */
  started: boolean;
  /** stop() has begun: draining, take no new traffic */
  stopping: boolean;
  /** each watched resource: listed at least once, and consecutive failed attempts of its list/watch */
  watches: { resource: string; listed: boolean; failures: number }[];
  /**
   * Watched resources the API server does not serve or forbids us (what is
   * missing, per resource): kubeherald runs without them. Degraded, not
   * unready: the rest works, and a missing ClusterRole rule is not fixed by
   * restarting the pod; the detail says what to grant.
   */
  unavailable?: { resource: string; detail: string }[];
  /**
   * With several clusters, each one's state (`watches` and `unavailable`
   * then cover the clusters that are up): one down is reported, degraded,
   * while another is up, as an unavailable resource is; all down is unready.
   */
  clusters?: { name: string; up: boolean; detail: string }[];
  /** why the state database cannot be written, undefined when it can */
  stateError: string | undefined;
  /** the state database failed for good (run exits; a restart re-derives what was not stored) */
  fatal: string | undefined;
}

/** A watch failing this many times in a row is not caught up (one failure is a blip it retries). */
export const WATCH_FAILURES_NOT_READY = 3;

export function liveness(i: Pick<ProbeInputs, 'fatal'>): ProbeCheck[] {
  return [i.fatal ? { name: 'state', ok: false, detail: `state database failed: ${i.fatal}` } : { name: 'state', ok: true, detail: 'ok' }];
}

export function readiness(i: ProbeInputs): ProbeCheck[] {
  const out: ProbeCheck[] = [];
  out.push(i.stopping ? { name: 'running', ok: false, detail: 'shutting down' } : i.started ? { name: 'running', ok: true, detail: 'ok' } : { name: 'running', ok: false, detail: 'starting' });
  const absent = new Set((i.unavailable ?? []).map((u) => u.resource));
  const unlisted = i.watches.filter((w) => !w.listed && !absent.has(w.resource)).map((w) => w.resource);
  const failing = i.watches.filter((w) => w.listed && w.failures >= WATCH_FAILURES_NOT_READY);
  if (i.started && unlisted.length) out.push({ name: 'watching', ok: false, detail: `not listed yet: ${unlisted.join(', ')}` });
  else if (failing.length) out.push({ name: 'watching', ok: false, detail: `failing: ${failing.map((w) => `${w.resource} (${w.failures} attempts in a row)`).join(', ')}` });
  else if (i.started && absent.size) out.push({ name: 'watching', ok: true, detail: `degraded: ${i.watches.length - absent.size} resources caught up; unavailable: ${(i.unavailable ?? []).map((u) => u.detail).join('; ')}` });
  else out.push({ name: 'watching', ok: i.started, detail: i.started ? `${i.watches.length} resources caught up` : 'starting' });
  if (i.started && i.clusters && i.clusters.length > 1) {
    const anyUp = i.clusters.some((c) => c.up);
    for (const c of i.clusters) out.push({ name: `cluster/${c.name}`, ok: anyUp, detail: c.up ? c.detail : anyUp ? `degraded: ${c.detail}` : c.detail });
  }
  const stateError = i.fatal ?? i.stateError;
  out.push(stateError ? { name: 'state', ok: false, detail: `not writable: ${stateError}` } : { name: 'state', ok: true, detail: 'writable' });
  return out;
}

/** Kubernetes' own probe format: a line per check, `[+]name ok` or `[-]name failed: why`. */
export function probeBody(path: string, checks: ProbeCheck[]): { status: number; body: string } {
  const ok = checks.every((c) => c.ok);
  const lines = checks.map((c) => (c.ok ? `[+]${c.name} ${c.detail}` : `[-]${c.name} failed: ${c.detail}`));
  lines.push(ok ? `${path.slice(1)} check passed` : `${path.slice(1)} check failed`);
  return { status: ok ? 200 : 503, body: `${lines.join('\n')}\n` };
}

export type ProbeHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

/** Answers GET/HEAD /healthz and /readyz; false for any other path (the caller serves it). */
export function probeHandler(inputs: () => ProbeInputs): ProbeHandler {
  return (req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/healthz' && path !== '/readyz') return false;
    let r: { status: number; body: string };
    try {
      const i = inputs();
      r = probeBody(path, path === '/healthz' ? liveness(i) : readiness(i));
    } catch (err) {
      r = { status: 503, body: `[-]probe failed: ${(err as Error).message}\n` };
    }
    res.writeHead(r.status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' }).end(req.method === 'HEAD' ? undefined : r.body);
    return true;
  };
}

/** A listener for the probes alone (health.listen); resolves with its base URL. */
export async function listenProbes(listen: string, handle: ProbeHandler): Promise<{ url: string; close(): Promise<void> }> {
  const i = listen.lastIndexOf(':');
  const host = listen.slice(0, i).replace(/^\[|\]$/g, '') || '127.0.0.1'; // no host is loopback, as for metrics
  const port = Number(listen.slice(i + 1));
  const server: Server = createServer((req, res) => {
    if (!handle(req, res)) res.writeHead(404).end('not found\n');
  });
  const addr = await listenOn(server, port, host);
  return {
    url: `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
