// Sink credentials from Secrets: each secretKeyRef is read with a `get` on
// that one Secret (kubeherald never lists or watches Secrets, so RBAC can
// stay at get in the namespaces that hold Sinks). Reads are cached: a found
// Secret for okTtlMs (rotation is picked up after that), a failed read for
// failTtlMs, so a Secret created after its Sink is found within seconds.
// Values never appear in problems, logs or errors.

import * as k8s from '@kubernetes/client-node';
import type { Problem } from './reconcile.ts';
import { CREDENTIAL_NAMES, type CredentialName, type SinkSpec } from './schemas.ts';

export type SecretLookup = { ok: true; data: Record<string, string>; labels?: Record<string, string>; annotations?: Record<string, string> } | { ok: false; reason: 'SecretNotFound' | 'SecretForbidden' | 'SecretUnreadable'; detail: string };

export interface SecretReader {
  read(namespace: string, name: string): Promise<SecretLookup>;
}

/** Reads Secrets through client-node. */
export function kubeSecretReader(kc: k8s.KubeConfig): SecretReader {
  const api = kc.makeApiClient(k8s.CoreV1Api);
  return {
    async read(namespace, name) {
      try {
        const s = await api.readNamespacedSecret({ name, namespace });
        const data: Record<string, string> = {};
        for (const [k, v] of Object.entries(s.data ?? {})) data[k] = Buffer.from(v, 'base64').toString('utf8');
        for (const [k, v] of Object.entries(s.stringData ?? {})) data[k] ??= v;
        return { ok: true, data, labels: s.metadata?.labels ?? {}, annotations: s.metadata?.annotations ?? {} };
      } catch (err) {
        const code = err instanceof k8s.ApiException ? err.code : undefined;
        if (code === 404) return { ok: false, reason: 'SecretNotFound', detail: `Secret "${name}" not found in namespace "${namespace}"` };
        if (code === 403) {
          return { ok: false, reason: 'SecretForbidden', detail: `kubeherald may not get Secret "${name}" in namespace "${namespace}" (bind the kubeherald-sink-secrets ClusterRole there: see docs/deploy.md)` };
        }
        return { ok: false, reason: 'SecretUnreadable', detail: `cannot read Secret "${name}" in namespace "${namespace}": ${code ? `HTTP ${code}` : (err as Error).message}` };
      }
    },
  };
}

export interface SecretCacheOptions {
  okTtlMs?: number;
  failTtlMs?: number;
  now?: () => number;
}

export class SecretCache {
  #reader: SecretReader;
  #okTtl: number;
  #failTtl: number;
  #now: () => number;
  #entries = new Map<string, { at: number; lookup: Promise<SecretLookup>; result?: SecretLookup }>();

  constructor(reader: SecretReader, opts: SecretCacheOptions = {}) {
    this.#reader = reader;
    this.#okTtl = opts.okTtlMs ?? 60_000;
    this.#failTtl = opts.failTtlMs ?? 5_000;
    this.#now = opts.now ?? Date.now;
  }

  get(namespace: string, name: string): Promise<SecretLookup> {
    const key = `${namespace}/${name}`;
    const now = this.#now();
    const hit = this.#entries.get(key);
    // an unsettled read is shared; a settled one is reused until its time is up
    if (hit && (!hit.result || now - hit.at < (hit.result.ok ? this.#okTtl : this.#failTtl))) return hit.lookup;
    const lookup = this.#reader.read(namespace, name);
    const entry: { at: number; lookup: Promise<SecretLookup>; result?: SecretLookup } = { at: now, lookup };
    void lookup.then((r) => (entry.result = r));
    this.#entries.set(key, entry);
    return lookup;
  }

  /** Forget one Secret: read again next time (a Secret not yet opted in may be labelled any moment). */
  forget(namespace: string, name: string): void {
    this.#entries.delete(`${namespace}/${name}`);
  }

  /** Forget everything (the next compile reads every Secret again). */
  clear(): void {
    this.#entries.clear();
  }
}

export type Credentials = Partial<Record<CredentialName, string>>;

/** The label by which a Secret lets every Sink of its namespace use it. */
export const SINK_CREDENTIALS_LABEL = 'kubeherald.io/sink-credentials';
/** The annotation by which a Secret lets the Sinks it names (comma-separated) use it. */
export const SINKS_ANNOTATION = 'kubeherald.io/sinks';

/**
 * Whether a Secret said a namespaced Sink may send its values: whoever may
 * write Secrets in the namespace decides, not whoever may write Sinks (who
 * could otherwise have kubeherald send any Secret to a URL of their own).
 */
export function secretOptedIn(lookup: { labels?: Record<string, string>; annotations?: Record<string, string> }, sink: string): boolean {
  if (lookup.labels?.[SINK_CREDENTIALS_LABEL] === 'true') return true;
  const named = lookup.annotations?.[SINKS_ANNOTATION];
  return named !== undefined && named.split(',').some((n) => n.trim() === sink);
}

/**
 * Resolves every secretKeyRef of a (valid) sink spec from `namespace`. With
 * `optIn` (a namespaced Sink's name), only Secrets that opted in are used;
 * of any other nothing is said but its name (no key names).
 */
export async function resolveCredentials(spec: SinkSpec, namespace: string, cache: SecretCache, optIn?: { sink: string }): Promise<{ values: Credentials; problems: Problem[] }> {
  const values: Credentials = {};
  const problems: Problem[] = [];
  await Promise.all(
    CREDENTIAL_NAMES.map(async (name) => {
      const ref = spec.credentials?.[name]?.secretKeyRef;
      if (!ref) return;
      const field = `spec.credentials.${name}.secretKeyRef`;
      const lookup = await cache.get(namespace, ref.name);
      if (!lookup.ok) {
        problems.push({ field, reason: lookup.reason, message: lookup.detail });
        return;
      }
      if (optIn && !secretOptedIn(lookup, optIn.sink)) {
        cache.forget(namespace, ref.name);
        problems.push({
          field,
          reason: 'SecretNotAllowed',
          message: `Secret "${ref.name}" in namespace "${namespace}" has not opted in to use by Sinks: whoever may edit it can label it ${SINK_CREDENTIALS_LABEL}=true (kubectl label secret ${ref.name} -n ${namespace} ${SINK_CREDENTIALS_LABEL}=true) or annotate it ${SINKS_ANNOTATION}=${optIn.sink}`,
        });
        return;
      }
      const value = lookup.data[ref.key];
      if (value === undefined) {
        problems.push({ field: `${field}.key`, reason: 'SecretKeyNotFound', message: `Secret "${ref.name}" in namespace "${namespace}" has no key "${ref.key}" (keys: ${Object.keys(lookup.data).sort().join(', ') || 'none'})` });
        return;
      }
      // Secrets written by hand often end with a newline
      const trimmed = value.trim();
      if (!trimmed) {
        problems.push({ field: `${field}.key`, reason: 'SecretKeyEmpty', message: `key "${ref.key}" of Secret "${ref.name}" in namespace "${namespace}" is empty` });
        return;
      }
      values[name] = trimmed;
    }),
  );
  // the same order every time, so the condition message does not flap
  problems.sort((a, b) => (a.field < b.field ? -1 : a.field > b.field ? 1 : 0));
  return { values, problems };
}
