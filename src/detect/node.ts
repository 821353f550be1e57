// Node detectors: NotReady (the Ready condition False, or Unknown because
// the kubelet stopped posting) is critical and may wait nodeNotReady.minSeconds
// before it notifies; pressure conditions (MemoryPressure, DiskPressure …)
// that are True are warnings. Keys use the node's uid, so a node that is
// deleted and registers again is a new node.

import type { KubeObject } from '../model/kube.ts';
import { Severity } from '../model/notification.ts';
import type { DetectorsConfig } from './config.ts';
import type { Observation } from './types.ts';
import { compactFields, condition, conditions, displayName, refOf } from './util.ts';

export const nodeKey = (uid: string, what: string): string => `node/${uid}/${what}`;

export function detectNode(node: KubeObject, config: DetectorsConfig): Observation[] {
  const out: Observation[] = [];
  const uid = node.metadata.uid ?? '';
  const name = displayName(node);
  const involved = refOf(node, 'v1', 'Node');
  if (config.nodeNotReady.enabled) {
    const ready = condition(node, 'Ready');
    // a node without a Ready condition has not registered its kubelet yet: nothing to say
    if (ready && ready.status !== 'True') {
      out.push({
        kind: 'level',
        key: nodeKey(uid, 'NotReady'),
        state: 'firing',
        detector: 'nodeNotReady',
        severity: Severity.CRITICAL,
        reason: 'NodeNotReady',
        title: `Node ${name} is NotReady`,
        message: `Node ${name} is NotReady (Ready=${ready.status}${ready.reason ? `, ${ready.reason}` : ''})${ready.message ? `: ${ready.message}` : ''}`,
        since: ready.lastTransitionTime,
        minDurationMs: config.nodeNotReady.minSeconds * 1000,
        fields: compactFields({ node: name, status: ready.status, conditionReason: ready.reason }),
        involved,
      });
    }
  }
  if (config.nodePressure.enabled) {
    for (const c of conditions(node)) {
      if (c.status !== 'True' || !config.nodePressure.conditions.includes(c.type)) continue;
      out.push({
        kind: 'level',
        key: nodeKey(uid, c.type),
        state: 'firing',
        detector: 'nodePressure',
        severity: Severity.WARNING,
        reason: c.type,
        title: `Node ${name} has ${c.type}`,
        message: `Node ${name} reports ${c.type}${c.message ? `: ${c.message}` : ''}`,
        since: c.lastTransitionTime,
        fields: compactFields({ node: name, condition: c.type, conditionReason: c.reason }),
        involved,
      });
    }
  }
  return out;
}

/** What recovered, for the RESOLVED notification of a node incident. */
export function describeNodeResolved(obs: Observation, node: KubeObject | undefined): string {
  const name = obs.involved?.name ?? displayName(node);
  if (!node) return `node ${name} was deleted`;
  if (obs.detector === 'nodeNotReady') return `node ${name} is Ready again`;
  const type = obs.fields?.condition ?? obs.reason;
  const c = condition(node, type);
  if (c && c.status !== 'False') return `node ${name} no longer reports ${type} (status ${c.status})`;
  return `node ${name} no longer has ${type}`;
}
