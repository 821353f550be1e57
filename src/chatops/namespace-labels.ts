// The labels of a namespace, for approval policies (the production label,
// namespaceSelector). Read with kubeherald's own identity, not the
// requester's: whether a namespace is production must not depend on whether
// the person asking may read it. Kept briefly, so a burst of commands in one
// namespace costs one read, and a label set a moment ago counts soon.
// A namespace that cannot be read is `undefined`, which policy.ts treats as
// possibly production: a failed read never loosens a policy.

import * as k8s from '@kubernetes/client-node';
import { callOptions } from './kube.ts';

export type NamespaceReader = (name: string, signal?: AbortSignal) => Promise<Readonly<Record<string, string>>>;

export interface NamespaceLabelsOptions {
  read: NamespaceReader;
  now: () => number;
  /** how long labels read are kept (default 30 s) */
  ttlMs?: number;
  /** the most namespaces kept (default 1024) */
  max?: number;
}

export class NamespaceLabels {
  readonly #o: Required<NamespaceLabelsOptions>;
  readonly #cache = new Map<string, { labels: Readonly<Record<string, string>>; at: number }>();

  constructor(o: NamespaceLabelsOptions) {
    this.#o = { ttlMs: 30_000, max: 1024, ...o };
  }

  /** The labels, or undefined when they could not be read (failures are not kept: the next command asks again). */
  async get(namespace: string, signal?: AbortSignal): Promise<Readonly<Record<string, string>> | undefined> {
    const now = this.#o.now();
    const hit = this.#cache.get(namespace);
    if (hit && now - hit.at < this.#o.ttlMs) return hit.labels;
    let labels: Readonly<Record<string, string>>;
    try {
      labels = await this.#o.read(namespace, signal);
    } catch {
      this.#cache.delete(namespace);
      return undefined;
    }
    this.#cache.delete(namespace);
    if (this.#cache.size >= this.#o.max) this.#cache.delete(this.#cache.keys().next().value!);
    this.#cache.set(namespace, { labels, at: now });
    return labels;
  }
}

/** Reads a namespace's labels with the kubeconfig's own credentials (kubeherald's ServiceAccount needs `get namespaces`). */
export function kubeNamespaceReader(kc: k8s.KubeConfig, timeoutMs = 5_000): NamespaceReader {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  return async (name, signal) => {
    const limit = AbortSignal.timeout(timeoutMs);
    const ns = await core.readNamespace({ name }, callOptions(signal ? AbortSignal.any([signal, limit]) : limit));
    return { ...(ns.metadata?.labels ?? {}) };
  };
}
