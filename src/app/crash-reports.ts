// Crash reports: a chat sink with `crashReport: { lines: N }` gets its
// CrashLoopBackOff and OOMKilled alerts with the last N log lines of the
// crashed (previous) container attached.
//
// The log is read with kubeherald's own identity, so only where the operator
// said it may be: `chatops.crashReports.namespaces` (none by default); only
// pods/log is read, never Secrets or anything else. It is read when the
// notification is delivered, not when it is detected: detection stores the
// notification in the same transaction as the incident state, which an API
// call must not hold up, and the previous container's log does not change
// until the next crash. A delivery retried soon after reuses the same read.

import * as k8s from '@kubernetes/client-node';
import { create } from '@bufbuild/protobuf';
import type { Logger } from '../model/logger.ts';
import { type CrashReport, CrashReportSchema, type Notification } from '../model/notification.ts';
import { type CrashReportConfig, crashReportTarget } from '../sinks/crash-report.ts';
import type { SendOptions, Sink, SinkGroupInfo } from '../sinks/types.ts';

export interface CrashLogTarget {
  /** the notification's cluster, where the log is read ('' when it names none) */
  cluster: string;
  namespace: string;
  pod: string;
  container: string;
}

/** Reads the last `lines` lines of the previous instance of a container. */
export type CrashLogReader = (t: CrashLogTarget, lines: number) => Promise<string>;

/** A log read for a chat message needs no more than this (200 long lines). */
const LIMIT_BYTES = 64 * 1024;
const READ_TIMEOUT_MS = 5000;
/** Reads kept for retries of the same delivery. */
const CACHE_MAX = 256;

/**
 * Reads with kubeherald's own credentials (the kubeconfig or service account
 * it runs as) in the alert's cluster: `kc` for one cluster, or the cluster's
 * KubeConfig by name (throwing for one it does not know: a pod of the same
 * name elsewhere is not the one that crashed).
 */
export function kubeCrashLogReader(kc: k8s.KubeConfig | ((cluster: string) => k8s.KubeConfig)): CrashLogReader {
  const cores = new Map<string, k8s.CoreV1Api>();
  const coreOf = (cluster: string): k8s.CoreV1Api => {
    const key = typeof kc === 'function' ? cluster : '';
    let core = cores.get(key);
    if (!core) cores.set(key, (core = (typeof kc === 'function' ? kc(cluster) : kc).makeApiClient(k8s.CoreV1Api)));
    return core;
  };
  return async (t, lines) => coreOf(t.cluster).readNamespacedPodLog({ name: t.pod, namespace: t.namespace, container: t.container, previous: true, tailLines: lines, limitBytes: LIMIT_BYTES });
}

export interface CrashReportOptions {
  /** the namespaces kubeherald may read logs in, read at each delivery (a config reload changes them) */
  namespaces: () => readonly string[];
  read: CrashLogReader;
  log: Logger;
  timeoutMs?: number;
}

/** What a failed read says in the chat: the API's word for it, never a header, a token or a stack. */
function readError(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'number') {
    let message = '';
    try {
      const body = (err as { body?: unknown }).body;
      const status = typeof body === 'string' ? (JSON.parse(body) as { message?: unknown }) : (body as { message?: unknown } | undefined);
      if (typeof status?.message === 'string') message = status.message;
    } catch {
      // not a Status: the code says enough
    }
    const why = code === 403 ? 'kubeherald may not read pod logs (RBAC: get pods/log)' : code === 404 ? 'the pod or its log is gone' : `HTTP ${code}`;
    return message ? `${why}: ${message.slice(0, 200)}` : why;
  }
  return (err as Error)?.name === 'TimeoutError' ? 'the log could not be read in time' : 'the log could not be read';
}

/** The sink as it was, or, with `crashReport` set, one that attaches crash reports to what it sends. */
export function withCrashReports(sink: Sink, cfg: CrashReportConfig | undefined, o: CrashReportOptions): Sink {
  if (!cfg) return sink;
  const cache = new Map<string, CrashReport>();
  const timeoutMs = o.timeoutMs ?? READ_TIMEOUT_MS;

  const report = async (n: Notification): Promise<CrashReport | undefined> => {
    const found = crashReportTarget(n);
    if (!found || n.crashReport || !o.namespaces().includes(found.namespace)) return undefined;
    const t: CrashLogTarget = { cluster: n.cluster, ...found };
    const key = `${t.cluster}\n${n.idempotencyKey}\n${t.container}`;
    const cached = cache.get(key);
    if (cached) return cached;
    let r: CrashReport;
    try {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(Object.assign(new Error('timeout'), { name: 'TimeoutError' })), timeoutMs);
      });
      const log = await Promise.race([o.read(t, cfg.lines), timeout]).finally(() => clearTimeout(timer));
      r = create(CrashReportSchema, { container: t.container, lines: cfg.lines, log: typeof log === 'string' ? log : String(log ?? '') });
    } catch (err) {
      // the alert goes out anyway, saying why its report is missing
      const error = readError(err);
      o.log.warn({ sink: sink.name, namespace: t.namespace, pod: t.pod, container: t.container, err: error }, 'crash report: cannot read the previous log');
      r = create(CrashReportSchema, { container: t.container, lines: cfg.lines, error });
    }
    if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!);
    cache.set(key, r);
    return r;
  };
  const enrich = async (n: Notification): Promise<Notification> => {
    const r = await report(n);
    return r ? { ...n, crashReport: r } : n;
  };

  const out: Sink = {
    name: sink.name,
    type: sink.type,
    async send(n, opts) {
      return sink.send(await enrich(n), opts);
    },
    close: () => sink.close(),
  };
  if (sink.sendGroup) {
    // a group is one line per alert: only a group of one shows a report
    out.sendGroup = async (ns: readonly Notification[], group: SinkGroupInfo, opts?: SendOptions) => sink.sendGroup!(ns.length === 1 ? [await enrich(ns[0])] : ns, group, opts);
  }
  if (sink.targetOf) out.targetOf = (n) => sink.targetOf!(n);
  if (sink.plugin !== undefined) Object.assign(out, { plugin: sink.plugin });
  if (sink.sendsPods) Object.assign(out, { sendsPods: true });
  return out;
}
