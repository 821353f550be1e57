// The write verbs: scale, restart, rollout (status|history|undo), cordon,
// uncordon, delete pod. Each does what kubectl does for the same command,
// with the same patch types, and answers in kubectl's words.

import type * as k8s from '@kubernetes/client-node';
import type { ChatReply, ParsedCommand } from '../types.ts';
import { CommandError, type ExecContext } from './context.ts';
import { ownedReplicaSets, planUndo, rolloutHistory, rolloutStatus } from './rollout.ts';

export const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';

const ok = (title: string, text?: string): ChatReply => ({ status: 'ok', title, blocks: text ? [{ kind: 'text', text }] : [] });

/** RFC 3339 without fractions, as kubectl's time.Now().Format(time.RFC3339) in UTC. */
export function rfc3339Seconds(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A LabelSelector as the string list calls take. */
export function selectorString(sel: k8s.V1LabelSelector | undefined): string {
  const parts = Object.entries(sel?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of sel?.matchExpressions ?? []) {
    const values = (e.values ?? []).join(',');
    switch (e.operator) {
      case 'In':
        parts.push(`${e.key} in (${values})`);
        break;
      case 'NotIn':
        parts.push(`${e.key} notin (${values})`);
        break;
      case 'Exists':
        parts.push(e.key);
        break;
      case 'DoesNotExist':
        parts.push(`!${e.key}`);
        break;
    }
  }
  return parts.join(',');
}

/** A patch body's resourceVersion: the API server treats it as a precondition (409 when the object changed). */
function bound(x: ExecContext): { metadata?: { resourceVersion: string } } {
  return x.precondition ? { metadata: { resourceVersion: x.precondition } } : {};
}

export async function execScale(cmd: Extract<ParsedCommand, { verb: 'scale' }>, x: ExecContext): Promise<ChatReply> {
  const apps = x.clients.apps;
  const before = await apps.readNamespacedDeploymentScale({ name: cmd.name, namespace: x.namespace }, x.clients.call(x.signal));
  const from = before.spec?.replicas ?? 0;
  await apps.patchNamespacedDeploymentScale(
    { name: cmd.name, namespace: x.namespace, body: { ...bound(x), spec: { replicas: cmd.replicas } } },
    x.clients.call(x.signal, 'merge'),
  );
  const change = from === cmd.replicas ? `(already at ${from})` : `(from ${from} to ${cmd.replicas})`;
  return ok(`deployment.apps/${cmd.name} scaled`, `${x.namespace}/${cmd.name}: replicas ${change}`);
}

export async function execRestart(cmd: Extract<ParsedCommand, { verb: 'restart' }>, x: ExecContext): Promise<ChatReply> {
  const apps = x.clients.apps;
  const d = await apps.readNamespacedDeployment({ name: cmd.name, namespace: x.namespace }, x.clients.call(x.signal));
  if (d.spec?.paused) throw new CommandError(`can't restart paused deployment (run rollout resume first)`);
  const at = x.restartedAt ?? rfc3339Seconds(x.now ? x.now() : new Date());
  await apps.patchNamespacedDeployment(
    { name: cmd.name, namespace: x.namespace, body: { ...bound(x), spec: { template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: at } } } } } },
    x.clients.call(x.signal, 'strategic'),
  );
  return ok(`deployment.apps/${cmd.name} restarted`, `${x.namespace}/${cmd.name}: ${RESTARTED_AT_ANNOTATION}=${at}`);
}

export async function deploymentAndReplicaSets(name: string, x: ExecContext): Promise<{ d: k8s.V1Deployment; rss: k8s.V1ReplicaSet[] }> {
  const d = await x.clients.apps.readNamespacedDeployment({ name, namespace: x.namespace }, x.clients.call(x.signal));
  const list = await x.clients.apps.listNamespacedReplicaSet({ namespace: x.namespace, labelSelector: selectorString(d.spec?.selector) }, x.clients.call(x.signal));
  return { d, rss: ownedReplicaSets(d, list.items) };
}

export async function execRollout(cmd: Extract<ParsedCommand, { verb: 'rollout' }>, x: ExecContext): Promise<ChatReply> {
  const title = `deployment.apps/${cmd.name}`;
  switch (cmd.action) {
    case 'status': {
      const d = await x.clients.apps.readNamespacedDeployment({ name: cmd.name, namespace: x.namespace }, x.clients.call(x.signal));
      const s = rolloutStatus(d);
      if (s.failed) throw new CommandError(`error: ${s.message}`);
      return ok(title, s.message);
    }
    case 'history': {
      const { rss } = await deploymentAndReplicaSets(cmd.name, x);
      const rows = rolloutHistory(rss);
      if (cmd.toRevision !== undefined) {
        const row = rows.find((r) => r[0] === String(cmd.toRevision));
        if (!row) throw new CommandError(`unable to find the specified revision ${cmd.toRevision}`);
        return { status: 'ok', title, blocks: [{ kind: 'table', columns: ['REVISION', 'CHANGE-CAUSE'], rows: [row] }] };
      }
      if (rows.length === 0) return ok(title, 'No rollout history found.');
      return { status: 'ok', title, blocks: [{ kind: 'table', columns: ['REVISION', 'CHANGE-CAUSE'], rows }] };
    }
    case 'undo': {
      const { d, rss } = await deploymentAndReplicaSets(cmd.name, x);
      const plan = planUndo(d, rss, cmd.toRevision ?? 0);
      if (plan.kind === 'error') throw new CommandError(plan.message);
      if (plan.kind === 'skip') return ok(`${title} ${plan.message}`);
      const patch = x.precondition ? [...plan.patch, { op: 'replace', path: '/metadata/resourceVersion', value: x.precondition }] : plan.patch;
      await x.clients.apps.patchNamespacedDeployment({ name: cmd.name, namespace: x.namespace, body: patch }, x.clients.call(x.signal, 'json'));
      return ok(`${title} rolled back`, `to revision ${plan.revision}`);
    }
  }
}

export async function execCordon(cmd: Extract<ParsedCommand, { verb: 'cordon' | 'uncordon' }>, x: ExecContext): Promise<ChatReply> {
  const node = cmd.node;
  const want = cmd.verb === 'cordon';
  const n = await x.clients.core.readNode({ name: node }, x.clients.call(x.signal));
  const word = want ? 'cordoned' : 'uncordoned';
  if (Boolean(n.spec?.unschedulable) === want) return ok(`node/${node} already ${word}`);
  // what kubectl's CordonHelper sends: a strategic merge patch; false is the field's absence
  await x.clients.core.patchNode({ name: node, body: { ...bound(x), spec: { unschedulable: want ? true : null } } }, x.clients.call(x.signal, 'strategic'));
  return ok(`node/${node} ${word}`);
}

export async function execDelete(cmd: Extract<ParsedCommand, { verb: 'delete' }>, x: ExecContext): Promise<ChatReply> {
  const body = x.precondition ? { preconditions: { resourceVersion: x.precondition } } : undefined;
  await x.clients.core.deleteNamespacedPod({ name: cmd.name, namespace: x.namespace, ...(body ? { body } : {}) }, x.clients.call(x.signal));
  return ok(`pod "${cmd.name}" deleted`, `from the ${x.namespace} namespace`);
}
