// Where the clusters are: `cluster:` (one, as before) or `clusters:` (a list
// of the same entries, one listener each). Everything past the config reads
// clustersOf(config), one list either way; its first entry is the home
// cluster (custom resources, sinks' Secrets, chat commands without --cluster).

import { z } from 'zod';
import { list, strict } from '../config-kit/fields.ts';
// a name chat commands can give after --cluster and alert buttons carry
import { CLUSTER_NAME } from '../model/cluster-name.ts';

function clusterEntry(prefix: string, name: z.ZodType<string>) {
  return strict({
    name,
    kubeconfig: z.string().default(''),
    context: z.string().default(''),
    inCluster: z.boolean().default(false),
  }).superRefine((c, ctx) => {
    // in-cluster config is the service account's token and CA: a kubeconfig or context would be silently ignored
    if (c.inCluster && (c.kubeconfig || c.context)) {
      const other = c.kubeconfig ? `${prefix}kubeconfig` : `${prefix}context`;
      ctx.addIssue({ code: 'custom', path: ['inCluster'], message: `true cannot be combined with ${other} (in-cluster config uses the pod's service account)` });
    }
  });
}

export const clusterSchema = clusterEntry('cluster.', z.string().min(1).default('default'));

export const clustersSchema = list(
  clusterEntry(
    '',
    z.string().regex(CLUSTER_NAME, { error: 'expected a cluster name: letters, digits, "-", "_" and ".", starting and ending with a letter or digit, at most 63 characters' }),
  ),
);

export type ClusterConfig = z.output<typeof clusterSchema>;

const DEFAULT_CLUSTER: ClusterConfig = { name: 'default', kubeconfig: '', context: '', inCluster: false };

/**
 * The rules across entries: `clusters:` replaces `cluster:` (both set is a
 * mistake, named), names are unique (each is a tracker's and a route's key),
 * and one process runs in one cluster only.
 */
export function checkClusters(config: { cluster: ClusterConfig; clusters: ClusterConfig[] }, ctx: z.RefinementCtx): void {
  const { cluster, clusters } = config;
  if (clusters.length === 0) return;
  const changed = (Object.keys(DEFAULT_CLUSTER) as (keyof ClusterConfig)[]).filter((k) => cluster[k] !== DEFAULT_CLUSTER[k]);
  if (changed.length) {
    ctx.addIssue({ code: 'custom', path: ['clusters'], message: `cannot be combined with cluster (cluster.${changed[0]} is set): list every cluster under clusters, or use cluster alone for one` });
  }
  const seen = new Map<string, number>();
  let inCluster: number | undefined;
  clusters.forEach((c, i) => {
    const first = seen.get(c.name);
    if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['clusters', i, 'name'], message: `"${c.name}" is already the name of clusters[${first}]: names must be unique` });
    else seen.set(c.name, i);
    if (c.inCluster) {
      if (inCluster !== undefined) ctx.addIssue({ code: 'custom', path: ['clusters', i, 'inCluster'], message: `clusters[${inCluster}] is already the cluster kubeherald runs in: at most one entry can be inCluster (reach the others through a kubeconfig)` });
      else inCluster = i;
    }
  });
}

/** Every watched cluster, the home cluster first. */
export function clustersOf(config: { cluster: ClusterConfig; clusters: ClusterConfig[] }): ClusterConfig[] {
  return config.clusters.length ? config.clusters : [config.cluster];
}
