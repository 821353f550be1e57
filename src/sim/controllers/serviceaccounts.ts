// The serviceaccount and root-ca-cert-publisher controllers of
// kube-controller-manager: every active namespace has a "default"
// ServiceAccount and a "kube-root-ca.crt" ConfigMap holding the cluster CA,
// including namespaces created later; either is put back when deleted.
// Terminating namespaces are left alone (their content is being removed).

import { CONFIGMAPS, NAMESPACES, SERVICEACCOUNTS } from '../refs.ts';
import type { SimContext } from '../scenario.ts';
import type { Change } from '../store.ts';
import type { KObject } from '../types.ts';
import { namespaceAcceptsCreates, WorkQueue } from './replicaset.ts';

export const DEFAULT_SERVICE_ACCOUNT = 'default';
export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';
const ROOT_CA_DESCRIPTION =
  'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.';

export function startServiceAccountController(ctx: SimContext, opts: { caCert?: string } = {}): () => void {
  const { store, clock } = ctx;

  const sync = (ns: string): void => {
    if (!namespaceAcceptsCreates(store, ns)) return;
    if (!store.get(SERVICEACCOUNTS.storage, ns, DEFAULT_SERVICE_ACCOUNT)) {
      store.create(SERVICEACCOUNTS, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: DEFAULT_SERVICE_ACCOUNT, namespace: ns } });
    }
    if (opts.caCert === undefined) return;
    const cm = store.get(CONFIGMAPS.storage, ns, ROOT_CA_CONFIGMAP);
    const want = { 'ca.crt': opts.caCert };
    if (!cm) {
      const obj: KObject = {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: ROOT_CA_CONFIGMAP, namespace: ns, annotations: { 'kubernetes.io/description': ROOT_CA_DESCRIPTION } },
        data: want,
      };
      store.create(CONFIGMAPS, obj);
    } else if ((cm.data as Record<string, string> | undefined)?.['ca.crt'] !== opts.caCert) {
      // the publisher owns the CA bundle: an edited copy is written back
      store.mutate(CONFIGMAPS, ns, ROOT_CA_CONFIGMAP, (o) => {
        o.data = { ...(o.data as Record<string, string> | undefined), ...want };
      });
    }
  };

  const queue = new WorkQueue(clock, sync);
  const onChange = (c: Change): void => {
    const o = c.object;
    if (c.storage === NAMESPACES.storage) {
      if (c.type !== 'DELETED') queue.add(o.metadata.name!);
    } else if (c.storage === SERVICEACCOUNTS.storage && o.metadata.name === DEFAULT_SERVICE_ACCOUNT) {
      queue.add(o.metadata.namespace!);
    } else if (c.storage === CONFIGMAPS.storage && o.metadata.name === ROOT_CA_CONFIGMAP) {
      queue.add(o.metadata.namespace!);
    }
  };
  for (const ns of store.list(NAMESPACES.storage)) queue.add(ns.metadata.name!);
  const unsubscribe = store.subscribe(onChange);
  return () => {
    unsubscribe();
    queue.stop();
  };
}
