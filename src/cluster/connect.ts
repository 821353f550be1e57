// Where the cluster is: an explicit kubeconfig and context, $KUBECONFIG or
// ~/.kube/config, or the pod's service account when running in a cluster.
// Also resolves extra watched resources (group/version/resource) to kinds
// through discovery, so custom resources can be watched by name.

import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import type { ConditionRule, ConditionStatus } from '../detect/conditions.ts';
import type { ResourceSpec } from './reflector.ts';

export interface ConnectOptions {
  kubeconfig?: string;
  context?: string;
  inCluster?: boolean;
  env?: NodeJS.ProcessEnv;
}

export function loadKubeConfig(opts: ConnectOptions): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  const env = opts.env ?? process.env;
  if (opts.inCluster) {
    kc.loadFromCluster();
  } else if (opts.kubeconfig) {
    if (!existsSync(opts.kubeconfig)) throw new Error(`kubeconfig ${opts.kubeconfig}: no such file`);
    kc.loadFromFile(opts.kubeconfig);
  } else if (env.KUBECONFIG) {
    kc.loadFromDefault();
  } else if (existsSync(join(homedir(), '.kube', 'config'))) {
    kc.loadFromDefault();
  } else if (env.KUBERNETES_SERVICE_HOST) {
    kc.loadFromCluster();
  } else {
    throw new Error('no kubeconfig: set --kubeconfig, KUBECONFIG or ~/.kube/config, or run inside a cluster');
  }
  if (opts.context) {
    if (!kc.getContextObject(opts.context)) {
      throw new Error(`context "${opts.context}" not found in kubeconfig (have: ${kc.getContexts().map((c) => c.name).join(', ') || 'none'})`);
    }
    kc.setCurrentContext(opts.context);
  }
  return kc;
}

/** A configured cluster's connection settings (config's cluster or clusters[i]). */
export interface ClusterConnection {
  name: string;
  kubeconfig: string;
  context: string;
  inCluster: boolean;
}

/** One configured cluster's KubeConfig (its empty settings: the defaults loadKubeConfig falls back to). */
export function clusterKubeConfig(c: ClusterConnection, env?: NodeJS.ProcessEnv): k8s.KubeConfig {
  return loadKubeConfig({ kubeconfig: c.kubeconfig || undefined, context: c.context || undefined, inCluster: c.inCluster, ...(env ? { env } : {}) });
}

/**
 * Every configured cluster's KubeConfig, by name, in the config's order;
 * with several, an error names the entry (clusters[1] "staging": …).
 */
export function loadClusterKubeConfigs(clusters: readonly ClusterConnection[], env?: NodeJS.ProcessEnv): Map<string, k8s.KubeConfig> {
  const out = new Map<string, k8s.KubeConfig>();
  for (const [i, c] of clusters.entries()) {
    try {
      out.set(c.name, clusterKubeConfig(c, env));
    } catch (err) {
      if (clusters.length === 1) throw err;
      throw new Error(`clusters[${i}] "${c.name}": ${(err as Error).message}`, { cause: err });
    }
  }
  return out;
}

export interface ResourceRef {
  group: string;
  version: string;
  resource: string;
  /** condition type → the status that is bad (the generic condition detector) */
  conditions?: Record<string, ConditionStatus>;
  minSeconds?: number;
}

/** A resource from watch.resources, resolved, with what its entry asks to be told. */
export interface ExtraResource extends ResourceSpec {
  conditions?: ConditionRule;
}

/** Looks each resource up in discovery; errors name the entry that cannot be served. */
export async function resolveResources(kc: k8s.KubeConfig, refs: ResourceRef[]): Promise<ExtraResource[]> {
  const out: ExtraResource[] = [];
  for (const ref of refs) {
    const apiVersion = ref.group ? `${ref.group}/${ref.version}` : ref.version;
    let list: k8s.V1APIResourceList;
    try {
      list = ref.group
        ? await kc.makeApiClient(k8s.CustomObjectsApi).getAPIResources({ group: ref.group, version: ref.version })
        : await kc.makeApiClient(k8s.CoreV1Api).getAPIResources();
    } catch (err) {
      throw new Error(`watch.resources: ${apiVersion}/${ref.resource}: the API server does not serve ${apiVersion} (${(err as Error).message})`);
    }
    const r = list.resources.find((x) => x.name === ref.resource);
    if (!r) {
      const known = list.resources.filter((x) => !x.name.includes('/')).map((x) => x.name);
      throw new Error(`watch.resources: ${apiVersion}/${ref.resource}: no such resource (served: ${known.join(', ')})`);
    }
    if (!r.verbs.includes('watch') || !r.verbs.includes('list')) {
      throw new Error(`watch.resources: ${apiVersion}/${ref.resource}: the resource cannot be listed and watched`);
    }
    const conditions = ref.conditions && Object.keys(ref.conditions).length ? { conditions: { conditions: ref.conditions, minSeconds: ref.minSeconds } } : {};
    out.push({ apiVersion, kind: r.kind, resource: r.name, namespaced: r.namespaced, ...conditions });
  }
  return out;
}
