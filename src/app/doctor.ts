// `kubeherald doctor`: is this installation right? Each check is one line:
// a verdict (OK, WARN, FAIL) and what was found. What the config needs from
// the API server (requiredAccess) is pure; the checks themselves ask the
// configured cluster, the sinks' platforms and the state database, with the
// platforms' own harmless calls (Slack auth.test, Telegram getMe, an
// Elasticsearch ping). Secrets never appear in a detail.

import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import * as k8s from '@kubernetes/client-node';
import { builtinSpecs } from '../cluster/listener.ts';
import type { Config, SinkConfig } from '../config/index.ts';
import { crdManifests } from '../crd/manifests.ts';
import { readCredential, redact } from '../sinks/credential.ts';
import { sinkDescriptor } from '../sinks/registry.ts';
import { isMemoryPath } from '../store/config.ts';
import { LATEST_VERSION } from '../store/migrations.ts';
import { describeBackend, openStore, storeBackend } from '../store/open.ts';

export type Verdict = 'OK' | 'WARN' | 'FAIL';

export interface DoctorResult {
  check: string;
  verdict: Verdict;
  detail: string;
}

export interface Access {
  verb: string;
  group: string;
  resource: string;
  /** for impersonation: the user or group name */
  name?: string;
}

interface CrdInfo {
  name: string;
  group: string;
  plural: string;
  version: string;
}

/** The kubeherald.io CRDs this build expects, at their storage version. */
export function expectedCrds(): CrdInfo[] {
  return crdManifests().map((m) => {
    const spec = (m as unknown as { spec: { group: string; names: { plural: string }; versions: { name: string; storage?: boolean }[] } }).spec;
    return { name: m.metadata.name, group: spec.group, plural: spec.names.plural, version: (spec.versions.find((v) => v.storage) ?? spec.versions[0]).name };
  });
}

/**
 * Every access the config needs in a cluster: list and watch of what it
 * watches (the CRDs too when enabled, in the home cluster only: the custom
 * resources are read there), impersonation of mapped chat users (commands
 * may go to any cluster).
 */
export function requiredAccess(config: Config, home = true): Access[] {
  const out: Access[] = [];
  const watch = (group: string, resource: string) => {
    out.push({ verb: 'list', group, resource }, { verb: 'watch', group, resource });
  };
  for (const s of builtinSpecs(config.watch.eventsApi)) watch(s.apiVersion.includes('/') ? s.apiVersion.split('/')[0] : '', s.resource);
  for (const r of config.watch.resources) watch(r.group, r.resource);
  if (config.customResources.enabled && home) for (const c of expectedCrds()) watch(c.group, c.plural);
  const chat = config.chatops.slack.enabled || config.chatops.telegram.enabled;
  if (chat) {
    const users = new Set<string>();
    const groups = new Set<string>();
    for (const i of config.chatops.identities) {
      users.add(i.kubernetes.user);
      for (const g of i.kubernetes.groups) groups.add(g);
    }
    for (const u of users) out.push({ verb: 'impersonate', group: '', resource: 'users', name: u });
    for (const g of groups) out.push({ verb: 'impersonate', group: '', resource: 'groups', name: g });
  }
  return out;
}

/** Non-zero when anything failed. */
export function doctorExitCode(results: readonly DoctorResult[]): number {
  return results.some((r) => r.verdict === 'FAIL') ? 1 : 0;
}

export function formatDoctor(results: readonly DoctorResult[]): string {
  const w = Math.max(5, ...results.map((r) => r.check.length));
  const lines = [`${'CHECK'.padEnd(w)}  VERDICT  DETAIL`, ...results.map((r) => `${r.check.padEnd(w)}  ${r.verdict.padEnd(7)}  ${r.detail}`)];
  const fails = results.filter((r) => r.verdict === 'FAIL').length;
  const warns = results.filter((r) => r.verdict === 'WARN').length;
  lines.push('', fails ? `${fails} check(s) failed, ${warns} warning(s)` : `all ${results.length} checks passed${warns ? `, ${warns} warning(s)` : ''}`);
  return `${lines.join('\n')}\n`;
}

const describeAccess = (a: Access): string => `${a.verb} ${a.group ? `${a.resource}.${a.group}` : a.resource}${a.name ? ` "${a.name}"` : ''}`;

/** A configured cluster for doctor: its KubeConfig, or why there is none (a kubeconfig file missing …). */
export interface DoctorCluster {
  name: string;
  kc?: k8s.KubeConfig;
  error?: string;
}

export interface DoctorOptions {
  config: Config;
  /** the home cluster's */
  kc: k8s.KubeConfig;
  /** every configured cluster, the home cluster first (default: the one of `kc`); with several, each check names its cluster */
  clusters?: DoctorCluster[];
  env: NodeJS.ProcessEnv;
  /** also send a test message through webhook, Teams and DingTalk sinks (they have no harmless check) */
  sendTest?: boolean;
  /** the local clock (tests) */
  now?: () => number;
  /** skew beyond this is a warning */
  maxSkewMs?: number;
}

/** Runs every check; never throws (a check that cannot run fails with why). */
export async function runDoctor(o: DoctorOptions): Promise<DoctorResult[]> {
  const out: DoctorResult[] = [];
  const now = o.now ?? Date.now;
  const clusters = o.clusters ?? [{ name: '', kc: o.kc }];
  for (const [i, c] of clusters.entries()) {
    // one cluster: the checks as they always were named; several: each line names its cluster
    const named = (r: DoctorResult): DoctorResult => (clusters.length > 1 ? { ...r, check: `${r.check} [${c.name}]` } : r);
    if (!c.kc) out.push(named({ check: 'api server', verdict: 'FAIL', detail: `no kubeconfig: ${c.error ?? 'not loaded'}` }));
    else out.push(...(await clusterChecks(o, c.kc, i === 0)).map(named));
  }
  for (const s of o.config.sinks) out.push(await sinkCheck(s, o));
  out.push(await stateCheck(o.config, o.env));
  if (o.config.audit.enabled) out.push(auditCertCheck(o.config, now()));
  if (o.config.plugins.static.length || o.config.plugins.kubernetes.enabled) {
    out.push({ check: 'plugins', verdict: 'WARN', detail: 'plugin instances are not probed by doctor yet; see kubeherald_plugin_instances in /metrics' });
  }
  return out;
}

/** The API server, its version, and the clock against its Date header; then what kubeherald needs there. */
async function clusterChecks(o: DoctorOptions, kc: k8s.KubeConfig, home: boolean): Promise<DoctorResult[]> {
  const out: DoctorResult[] = [];
  const now = o.now ?? Date.now;
  const server = await serverVersion(kc).catch((err: Error) => err);
  if (server instanceof Error) {
    out.push({ check: 'api server', verdict: 'FAIL', detail: `unreachable at ${kc.getCurrentCluster()?.server ?? '(no cluster)'}: ${server.message}` });
    return out;
  }
  out.push({ check: 'api server', verdict: 'OK', detail: `${kc.getCurrentCluster()?.server} answers, Kubernetes ${server.gitVersion}` });
  if (server.date !== undefined) {
    const skew = now() - server.date;
    const max = o.maxSkewMs ?? 5000;
    // the Date header has whole seconds: a second of skew is rounding
    out.push({ check: 'clock skew', verdict: Math.abs(skew) > max ? 'WARN' : 'OK', detail: `${(skew / 1000).toFixed(1)} s against the API server's Date${Math.abs(skew) > max ? ` (more than ${max / 1000} s: timestamps and grouping windows drift)` : ''}` });
  }
  out.push(...(await permissions(kc, requiredAccess(o.config, home))));
  if (o.config.customResources.enabled && home) out.push(...(await crds(kc)));
  return out;
}

async function serverVersion(kc: k8s.KubeConfig): Promise<{ gitVersion: string; date?: number }> {
  const r = await getJson(kc, '/version');
  if (r.status !== 200) throw new Error(`HTTP ${r.status} from /version`);
  return { gitVersion: (r.body as { gitVersion?: string } | undefined)?.gitVersion ?? 'unknown', ...(r.date !== undefined ? { date: r.date } : {}) };
}

/** GET of an API path with the kubeconfig's credentials: status, JSON body and the Date header. */
async function getJson(kc: k8s.KubeConfig, path: string): Promise<{ status: number; body: unknown; date?: number }> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig has no current cluster');
  const url = new URL(path, cluster.server);
  const opts: import('node:https').RequestOptions = { method: 'GET', headers: { Accept: 'application/json' }, timeout: 10_000 };
  await kc.applyToHTTPSOptions(opts);
  return new Promise((resolve, reject) => {
    const req = request(url, opts, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => {
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
        const date = res.headers.date ? Date.parse(res.headers.date) : NaN;
        resolve({ status: res.statusCode ?? 0, body, ...(Number.isFinite(date) ? { date } : {}) });
      });
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 10 s')));
    req.on('error', reject);
    req.end();
  });
}

async function permissions(kc: k8s.KubeConfig, needed: Access[]): Promise<DoctorResult[]> {
  const api = kc.makeApiClient(k8s.AuthorizationV1Api);
  const denied: string[] = [];
  for (const a of needed) {
    try {
      const r = await api.createSelfSubjectAccessReview({
        body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { verb: a.verb, group: a.group, resource: a.resource, ...(a.name ? { name: a.name } : {}) } } },
      });
      if (!r.status?.allowed) denied.push(describeAccess(a));
    } catch (err) {
      return [{ check: 'permissions', verdict: 'FAIL', detail: `cannot ask (SelfSubjectAccessReview): ${(err as Error).message.split('\n')[0]}` }];
    }
  }
  if (!denied.length) return [{ check: 'permissions', verdict: 'OK', detail: `all ${needed.length} needed (${[...new Set(needed.map((a) => a.verb))].join(', ')}) allowed` }];
  return denied.map((d) => ({ check: 'permissions', verdict: 'FAIL' as const, detail: `missing: ${d} (see deploy/rbac/)` }));
}

/** Through discovery, which every authenticated user may read (reading the CRD objects needs more than kubeherald has). */
async function crds(kc: k8s.KubeConfig): Promise<DoctorResult[]> {
  const out: DoctorResult[] = [];
  for (const c of expectedCrds()) {
    const check = `crd ${c.name}`;
    try {
      const r = await getJson(kc, `/apis/${c.group}/${c.version}`);
      const served = r.status === 200 && ((r.body as { resources?: { name: string }[] }).resources ?? []).some((x) => x.name === c.plural);
      if (served) {
        out.push({ check, verdict: 'OK', detail: `installed, ${c.group}/${c.version} served` });
        continue;
      }
      if (r.status !== 200 && r.status !== 404) {
        out.push({ check, verdict: 'FAIL', detail: `discovery of ${c.group}/${c.version}: HTTP ${r.status}` });
        continue;
      }
      // another version of the group, or none at all
      const group = await getJson(kc, `/apis/${c.group}`);
      const versions = group.status === 200 ? ((group.body as { versions?: { version: string }[] }).versions ?? []).map((v) => v.version) : [];
      out.push({
        check,
        verdict: 'FAIL',
        detail: versions.length ? `${c.version} not served (served: ${versions.join(', ')}); apply deploy/crds/ from this release` : 'not installed (customResources.enabled): kubectl apply -f deploy/crds/',
      });
    } catch (err) {
      out.push({ check, verdict: 'FAIL', detail: `discovery failed: ${(err as Error).message}` });
    }
  }
  return out;
}

async function sinkCheck(s: SinkConfig, o: DoctorOptions): Promise<DoctorResult> {
  const check = `sink ${s.name} (${s.type})`;
  const secrets: string[] = [];
  const cred = (ref: Parameters<typeof readCredential>[0], key: string): string => {
    const v = readCredential(ref, { owner: `${s.type} sink "${s.name}"`, key, env: o.env });
    secrets.push(v);
    return v;
  };
  const reach = sinkDescriptor(s.type)?.reach;
  if (reach === undefined) return { check, verdict: 'OK', detail: 'nothing to reach' };
  if (reach === 'unchecked') return { check, verdict: o.sendTest ? 'WARN' : 'OK', detail: o.sendTest ? '--send-test is not implemented for this sink type yet' : 'no harmless check; not checked without --send-test' };
  try {
    return { check, ...(await reach(s, { credential: cred })) };
  } catch (err) {
    return { check, verdict: 'FAIL', detail: redact((err as Error).message.split('\n')[0], secrets) };
  }
}

/** The state database: which backend, where (password redacted), reachable and writable, at which schema version. */
export async function stateCheck(config: Config, env: NodeJS.ProcessEnv): Promise<DoctorResult> {
  const backend = storeBackend(config.state);
  const where = describeBackend(backend);
  if (backend.kind === 'sqlite' && isMemoryPath(backend.path)) return { check: 'state', verdict: 'WARN', detail: 'in memory: nothing survives a restart (set state.path)' };
  const kind = backend.kind === 'sqlite' ? 'SQLite' : 'PostgreSQL';
  try {
    // PostgreSQL is shared with running replicas: the doctor reads its schema, never migrates it
    const store = await openStore(config.state, { recover: false, migrate: false, env });
    try {
      const version = store.schemaVersion();
      if (version < LATEST_VERSION) return { check: 'state', verdict: 'WARN', detail: `${kind} ${where}: reachable, schema version ${version} (kubeherald run migrates it to ${LATEST_VERSION})` };
      store.transaction(() => {
        const t = store.threads.forSink('kubeherald.doctor');
        t.set('probe', 'ok');
        t.delete('probe');
      });
      return { check: 'state', verdict: 'OK', detail: `${kind} ${where}: ${backend.kind === 'postgres' ? 'reachable, ' : ''}writable, schema version ${version}` };
    } finally {
      store.close();
    }
  } catch (err) {
    return { check: 'state', verdict: 'FAIL', detail: `${kind} ${where}: ${(err as Error).message}` };
  }
}

/** Under this many days left, a certificate is a warning. */
export const CERT_WARN_DAYS = 30;

function auditCertCheck(config: Config, now: number): DoctorResult {
  const check = 'audit webhook certificate';
  const file = config.audit.tls.certFile;
  if (!file) return { check, verdict: 'WARN', detail: 'no audit.tls.certFile: served with a self-signed certificate' };
  try {
    const cert = new X509Certificate(readFileSync(file));
    const to = Date.parse(cert.validTo);
    const from = Date.parse(cert.validFrom);
    const days = Math.floor((to - now) / 86_400_000);
    if (now < from) return { check, verdict: 'FAIL', detail: `${file}: not valid before ${cert.validFrom}` };
    if (to <= now) return { check, verdict: 'FAIL', detail: `${file}: expired ${cert.validTo}` };
    if (days < CERT_WARN_DAYS) return { check, verdict: 'WARN', detail: `${file}: expires in ${days} days (${cert.validTo})` };
    return { check, verdict: 'OK', detail: `${file}: valid until ${cert.validTo} (${days} days)` };
  } catch (err) {
    return { check, verdict: 'FAIL', detail: `${file}: ${(err as Error).message}` };
  }
}
