// What a write command would change, asked of the API server itself: the
// same call the command makes, sent with dryRun=All as the requester's own
// identity (so admission and validation answer too), and summed up in the
// words people check before they confirm ("deployment payments/api: replicas
// 3 → 0"). The preview binds the request: the target's resourceVersion is
// the later write's precondition, and a digest of what was shown lets an
// approval say exactly what it approved.

import { createHash } from 'node:crypto';
import type * as k8s from '@kubernetes/client-node';
import { formatCommand } from './commands.ts';
import { CommandError, type ExecContext } from './exec/context.ts';
import { planUndo } from './exec/rollout.ts';
import { deploymentAndReplicaSets, RESTARTED_AT_ANNOTATION, rfc3339Seconds } from './exec/write.ts';
import type { ParsedCommand } from './types.ts';

export type WriteCommand = Extract<ParsedCommand, { verb: 'scale' | 'restart' | 'rollout' | 'cordon' | 'uncordon' | 'delete' }>;

export interface Preview {
  /** the object the write is about, as it is now */
  target: { kind: string; namespace?: string; name: string; resourceVersion?: string; generation?: number };
  /** what would change, one line each, as shown */
  changes: string[];
  /** the values the change depends on, to say later what moved ("replicas: 3 at preview, 5 now") */
  state: Record<string, string>;
  /** sha256 (hex) of the command, target and changes: what a confirmation or approval is bound to */
  digest: string;
  /** set when the write would change nothing (already at 3, already cordoned): no request is made */
  noop?: string;
}

const DRY_RUN = 'All';

/** Whether a parsed command is one preview() handles (the `writes` commands of the table). */
export function isPreviewable(cmd: ParsedCommand): cmd is WriteCommand {
  return cmd.verb === 'scale' || cmd.verb === 'restart' || cmd.verb === 'cordon' || cmd.verb === 'uncordon' || cmd.verb === 'delete' || (cmd.verb === 'rollout' && cmd.action === 'undo');
}

/** Dry-runs `cmd` as x.clients' identity. API errors propagate (the caller turns them into replies). */
export async function preview(cmd: WriteCommand, x: ExecContext): Promise<Preview> {
  const p = await dryRun(cmd, x);
  return { ...p, digest: previewDigest(formatCommand(cmd, x.namespace), p.target, p.changes) };
}

export function previewDigest(command: string, target: Preview['target'], changes: readonly string[]): string {
  const bound = { command, kind: target.kind, namespace: target.namespace ?? '', name: target.name, resourceVersion: target.resourceVersion ?? '', changes };
  return createHash('sha256').update(JSON.stringify(bound)).digest('hex');
}

/** What moved between two previews of the same command: empty when nothing that matters did. */
export function describeDrift(before: Pick<Preview, 'state' | 'target'>, now: Pick<Preview, 'state' | 'target'>): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(before.state)) {
    const cur = now.state[k];
    if (cur !== v) out.push(`${k}: ${v} at the preview, ${cur ?? '(none)'} now`);
  }
  if (out.length === 0 && before.target.resourceVersion !== now.target.resourceVersion) {
    out.push(`${before.target.kind} ${where(before.target)} was modified (resourceVersion ${before.target.resourceVersion} → ${now.target.resourceVersion})`);
  }
  return out;
}

type Draft = Omit<Preview, 'digest'>;

function where(t: { namespace?: string; name: string }): string {
  return t.namespace ? `${t.namespace}/${t.name}` : t.name;
}

function dryRun(cmd: WriteCommand, x: ExecContext): Promise<Draft> {
  switch (cmd.verb) {
    case 'scale':
      return previewScale(cmd, x);
    case 'restart':
      return previewRestart(cmd, x);
    case 'rollout':
      return previewUndo(cmd, x);
    case 'cordon':
    case 'uncordon':
      return previewCordon(cmd, x);
    case 'delete':
      return previewDelete(cmd, x);
  }
}

async function previewScale(cmd: Extract<ParsedCommand, { verb: 'scale' }>, x: ExecContext): Promise<Draft> {
  const apps = x.clients.apps;
  const cur = await apps.readNamespacedDeploymentScale({ name: cmd.name, namespace: x.namespace }, x.clients.call(x.signal));
  const rv = cur.metadata?.resourceVersion;
  const from = cur.spec?.replicas ?? 0;
  const target = { kind: 'deployment', namespace: x.namespace, name: cmd.name, ...(rv ? { resourceVersion: rv } : {}) };
  const state = { replicas: String(from) };
  if (from === cmd.replicas) return { target, changes: [], state, noop: `deployment ${where(target)} already has ${from} replicas` };
  const dry = await apps.patchNamespacedDeploymentScale(
    { name: cmd.name, namespace: x.namespace, body: { ...(rv ? { metadata: { resourceVersion: rv } } : {}), spec: { replicas: cmd.replicas } }, dryRun: DRY_RUN },
    x.clients.call(x.signal, 'merge'),
  );
  const to = dry.spec?.replicas ?? cmd.replicas;
  return { target, changes: [`deployment ${where(target)}: replicas ${from} → ${to}`], state };
}

async function previewRestart(cmd: Extract<ParsedCommand, { verb: 'restart' }>, x: ExecContext): Promise<Draft> {
  const apps = x.clients.apps;
  const d = await apps.readNamespacedDeployment({ name: cmd.name, namespace: x.namespace }, x.clients.call(x.signal));
  if (d.spec?.paused) throw new CommandError(`can't restart paused deployment (run rollout resume first)`);
  const target = deploymentTarget(d, x.namespace, cmd.name);
  const at = rfc3339Seconds(x.now ? x.now() : new Date());
  const dry = await apps.patchNamespacedDeployment(
    {
      name: cmd.name,
      namespace: x.namespace,
      body: { ...bound(target.resourceVersion), spec: { template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: at } } } } },
      dryRun: DRY_RUN,
    },
    x.clients.call(x.signal, 'strategic'),
  );
  const pods = d.status?.replicas ?? d.spec?.replicas ?? 0;
  const strategy = dry.spec?.strategy?.type ?? d.spec?.strategy?.type ?? 'RollingUpdate';
  return {
    target,
    changes: [`deployment ${where(target)}: restart: ${pods} ${pods === 1 ? 'pod' : 'pods'} will be replaced (${strategy})`],
    state: { replicas: String(d.spec?.replicas ?? 0), images: images(d.spec?.template), restartedAt: d.spec?.template?.metadata?.annotations?.[RESTARTED_AT_ANNOTATION] ?? '(never)' },
  };
}

async function previewUndo(cmd: Extract<ParsedCommand, { verb: 'rollout' }>, x: ExecContext): Promise<Draft> {
  const { d, rss } = await deploymentAndReplicaSets(cmd.name, x);
  const target = deploymentTarget(d, x.namespace, cmd.name);
  const state = { images: images(d.spec?.template), revision: d.metadata?.annotations?.['deployment.kubernetes.io/revision'] ?? '(none)' };
  const plan = planUndo(d, rss, cmd.toRevision ?? 0);
  if (plan.kind === 'error') throw new CommandError(plan.message);
  if (plan.kind === 'skip') return { target, changes: [], state, noop: `deployment ${where(target)}: ${plan.message}` };
  const patch = target.resourceVersion ? [...plan.patch, { op: 'replace', path: '/metadata/resourceVersion', value: target.resourceVersion }] : plan.patch;
  const dry = await x.clients.apps.patchNamespacedDeployment({ name: cmd.name, namespace: x.namespace, body: patch, dryRun: DRY_RUN }, x.clients.call(x.signal, 'json'));
  const changes = [`deployment ${where(target)}: roll back to revision ${plan.revision}`];
  const before = containerImages(d.spec?.template);
  const after = containerImages(dry.spec?.template);
  for (const [name, img] of after) {
    const was = before.get(name);
    if (was !== img) changes.push(`container ${name}: image ${was ?? '(none)'} → ${img}`);
  }
  return { target, changes, state };
}

async function previewCordon(cmd: Extract<ParsedCommand, { verb: 'cordon' | 'uncordon' }>, x: ExecContext): Promise<Draft> {
  const want = cmd.verb === 'cordon';
  const n = await x.clients.core.readNode({ name: cmd.node }, x.clients.call(x.signal));
  const rv = n.metadata?.resourceVersion;
  const target = { kind: 'node', name: cmd.node, ...(rv ? { resourceVersion: rv } : {}) };
  const was = Boolean(n.spec?.unschedulable);
  const state = { unschedulable: String(was) };
  if (was === want) return { target, changes: [], state, noop: `node/${cmd.node} already ${want ? 'cordoned' : 'uncordoned'}` };
  const dry = await x.clients.core.patchNode({ name: cmd.node, body: { ...bound(rv), spec: { unschedulable: want ? true : null } }, dryRun: DRY_RUN }, x.clients.call(x.signal, 'strategic'));
  return { target, changes: [`node ${cmd.node}: unschedulable ${was} → ${Boolean(dry.spec?.unschedulable)}`], state };
}

async function previewDelete(cmd: Extract<ParsedCommand, { verb: 'delete' }>, x: ExecContext): Promise<Draft> {
  const dry = (await x.clients.core.deleteNamespacedPod({ name: cmd.name, namespace: x.namespace, dryRun: DRY_RUN }, x.clients.call(x.signal))) as k8s.V1Pod;
  const rv = dry.metadata?.resourceVersion;
  const target = { kind: 'pod', namespace: x.namespace, name: cmd.name, ...(rv ? { resourceVersion: rv } : {}) };
  const owner = dry.metadata?.ownerReferences?.find((o) => o.controller);
  const changes = [`delete pod ${where(target)}${owner ? ` (its ${owner.kind} ${owner.name} will replace it)` : ' (nothing will replace it)'}`];
  return { target, changes, state: { uid: dry.metadata?.uid ?? '', phase: dry.status?.phase ?? '(unknown)' } };
}

function deploymentTarget(d: k8s.V1Deployment, namespace: string, name: string): Preview['target'] {
  const rv = d.metadata?.resourceVersion;
  const gen = d.metadata?.generation;
  return { kind: 'deployment', namespace, name, ...(rv ? { resourceVersion: rv } : {}), ...(gen !== undefined ? { generation: gen } : {}) };
}

function bound(rv: string | undefined): { metadata?: { resourceVersion: string } } {
  return rv ? { metadata: { resourceVersion: rv } } : {};
}

function containerImages(t: k8s.V1PodTemplateSpec | undefined): Map<string, string> {
  return new Map((t?.spec?.containers ?? []).map((c) => [c.name, c.image ?? ''] as const));
}

function images(t: k8s.V1PodTemplateSpec | undefined): string {
  return [...containerImages(t)].map(([n, i]) => `${n}=${i}`).join(',') || '(none)';
}
