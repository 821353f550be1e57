// Changes to the extra resources a user chose to watch (custom resources
// included), in the manner of kubewatch: created, changed (spec, not
// status), deleted. Info notifications that routes can send somewhere; not
// incidents, so each is an edge and nothing resolves.

import type { KubeObject } from '../model/kube.ts';
import { Severity } from '../model/notification.ts';
import type { DetectorsConfig } from './config.ts';
import type { Delta, Observation } from './types.ts';

/** Everything but bookkeeping and status: what a person changed. */
function content(o: KubeObject): string {
  const { metadata, status: _s, ...rest } = o;
  const { resourceVersion: _rv, managedFields: _mf, generation: _g, ...meta } = metadata;
  return JSON.stringify({ ...rest, metadata: meta });
}

export function detectResourceChange(kind: string, delta: Delta, config: DetectorsConfig): Observation[] {
  const cfg = config.resourceChanges;
  if (!cfg.enabled) return [];
  const { old, current } = delta;
  const obj = current ?? old;
  if (!obj) return [];
  const m = obj.metadata;
  const where = m.namespace ? `${m.namespace}/${m.name}` : m.name;
  const involved = { apiVersion: obj.apiVersion ?? '', kind, namespace: m.namespace ?? '', name: m.name ?? '', uid: m.uid ?? '' };
  const base = { kind: 'edge' as const, state: 'firing' as const, detector: 'resourceChanges', severity: Severity.INFO, involved };
  if (!current) {
    if (!cfg.deleted) return [];
    return [{ ...base, key: `${kind}/${m.uid}/deleted`, reason: 'Deleted', title: `${kind} ${where} deleted`, message: `${kind} ${where} was deleted` }];
  }
  if (!old) {
    // existing before we looked is not a creation we saw
    if (!cfg.created || delta.initial) return [];
    return [{ ...base, key: `${kind}/${m.uid}/created`, reason: 'Created', title: `${kind} ${where} created`, message: `${kind} ${where} was created`, since: m.creationTimestamp }];
  }
  if (!cfg.updated || content(old) === content(current)) return [];
  const version = m.generation !== undefined && m.generation !== old.metadata.generation ? `generation ${m.generation}` : `resourceVersion ${m.resourceVersion}`;
  return [
    {
      ...base,
      key: `${kind}/${m.uid}/changed/${m.generation ?? m.resourceVersion}`,
      reason: 'Changed',
      title: `${kind} ${where} changed`,
      message: `${kind} ${where} changed (${version})`,
    },
  ];
}
