// From the Route/ClusterRoute/Sink/ClusterSink objects as they are to what
// the rules engine compiles (RouteSpecs, KnownSinks) and back to what each
// object's status should say (Ready True/False naming the field and the
// error). Pure: the controller does the watching, the Secret reads and the
// status writes.

import type { KubeObject } from '../model/kube.ts';
import { describeRefusal, type EgressPolicy, type EgressRefusal } from '../sinks/egress.ts';
import { sinkDescriptor } from '../sinks/registry.ts';
import { lintRoute, type RouteVocabulary } from '../rules/index.ts';
import type { KnownSink, RouteProblem, RouteSpec, RoutingTable } from '../rules/types.ts';
import { previousReady, type ReadyCondition, readyFor, readyUpToDate } from '../cluster/ready-condition.ts';
import { type Condition, type CRKind, type FieldProblem, type RouteCRSpec, routeSpecSchema, type SinkSpec, sinkSpecSchema, validateSpec } from './schemas.ts';

export interface Problem extends FieldProblem {
  /** machine-readable, for the condition's reason: InvalidSpec, InlineSecret, SecretNotFound, InvalidCEL, UnknownSink … */
  reason: string;
}

/** "Route/<ns>/<name>", "ClusterRoute/<name>", "Sink/<ns>/<name>", "ClusterSink/<name>": the ids the rules engine uses. */
export function objectId(kind: CRKind, o: KubeObject): string {
  return o.metadata.namespace ? `${kind}/${o.metadata.namespace}/${o.metadata.name}` : `${kind}/${o.metadata.name}`;
}

// ---------------------------------------------------------------------------
// Sinks

export interface SinkCheck {
  id: string;
  kind: 'Sink' | 'ClusterSink';
  obj: KubeObject;
  spec?: SinkSpec;
  problems: Problem[];
}

const INLINE = /^inline secret values are not allowed/;

export function checkSink(kind: 'Sink' | 'ClusterSink', obj: KubeObject): SinkCheck {
  const id = objectId(kind, obj);
  const r = validateSpec(sinkSpecSchema, obj.spec);
  if (!r.ok) return { id, kind, obj, problems: r.problems.map((p) => ({ ...p, reason: INLINE.test(p.message) ? 'InlineSecret' : 'InvalidSpec' })) };
  return { id, kind, obj, spec: r.value, problems: [] };
}


/**
 * What a namespaced Sink may not do that a ClusterSink may: write files, or
 * point kubeherald at an internal address as written (a name's resolved
 * address is checked when connecting). Empty for ClusterSinks.
 */
export function tenantSinkProblems(s: SinkCheck, egress: EgressPolicy): Problem[] {
  if (s.kind !== 'Sink' || !s.spec) return [];
  // what writes to kubeherald's own files or terminal (descriptor.customResource.localOutput): for the config file only
  if (sinkDescriptor(s.spec.type)?.customResource.localOutput) {
    return [{ field: 'spec.type', reason: 'SinkTypeNotAllowed', message: `a ${s.spec.type} Sink writes kubeherald's own files or output: not allowed from a namespace (a config-file sink or a ClusterSink can)` }];
  }
  const url = s.spec.target?.url;
  const refused = url === undefined ? undefined : egress.checkUrl(url);
  return refused ? [{ field: 'spec.target.url', reason: 'EgressNotAllowed', message: egressMessage(refused) }] : [];
}

/** A URL read from a Secret (webhookUrl): refused like target.url, without showing the URL (it is the secret). */
export function tenantCredentialProblems(s: SinkCheck, values: Partial<Record<'webhookUrl', string>>, egress: EgressPolicy): Problem[] {
  if (s.kind !== 'Sink' || values.webhookUrl === undefined) return [];
  const refused = egress.checkUrl(values.webhookUrl);
  return refused ? [{ field: 'spec.credentials.webhookUrl.secretKeyRef', reason: 'EgressNotAllowed', message: `the Secret's URL points at a ${refused.cls} ${refused.address === undefined ? 'name' : 'address'}: not allowed for a namespaced Sink (a cluster admin may allow it: customResources.egress.allow)` }] : [];
}

function egressMessage(r: EgressRefusal): string {
  return `${describeRefusal(r)}: not allowed for a namespaced Sink (a cluster admin may allow it: customResources.egress.allow)`;
}

export function knownSinkOf(s: SinkCheck): KnownSink {
  return s.kind === 'Sink' ? { kind: 'Sink', name: s.obj.metadata.name!, namespace: s.obj.metadata.namespace } : { kind: 'ClusterSink', name: s.obj.metadata.name! };
}

// ---------------------------------------------------------------------------
// Routes

export interface RouteCheck {
  id: string;
  kind: 'Route' | 'ClusterRoute';
  obj: KubeObject;
  crSpec?: RouteCRSpec;
  spec?: RouteSpec;
  problems: Problem[];
  /** what the route matches on that nothing produces (a reason, kind or detector): reported, the route still used */
  warnings: Problem[];
}

export function checkRoute(kind: 'Route' | 'ClusterRoute', obj: KubeObject): RouteCheck {
  const id = objectId(kind, obj);
  const r = validateSpec(routeSpecSchema, obj.spec);
  if (!r.ok) return { id, kind, obj, problems: r.problems.map((p) => ({ ...p, reason: 'InvalidSpec' })), warnings: [] };
  const s = r.value;
  const spec: RouteSpec = {
    id,
    name: obj.metadata.name!,
    source: kind,
    order: s.order ?? 0,
    match: s.match ?? {},
    sinks: (s.sinks ?? []).map((ref) => ({ name: ref.name, ...(ref.kind ? { kind: ref.kind } : {}), ...(ref.namespace ? { namespace: ref.namespace } : {}) })),
    ...(s.drop ? { drop: true } : {}),
    ...(s.continue ? { continue: true } : {}),
    ...(s.group ? { group: { ...s.group } } : {}),
    ...(s.activeTimeIntervals?.length ? { activeTimeIntervals: [...s.activeTimeIntervals] } : {}),
    ...(s.muteTimeIntervals?.length ? { muteTimeIntervals: [...s.muteTimeIntervals] } : {}),
  };
  if (kind === 'Route') spec.namespace = obj.metadata.namespace;
  return { id, kind, obj, crSpec: s, spec, problems: [], warnings: [] };
}

/** What the route matches on that nothing produces, as warnings naming the field ("spec.match.reasons[0]"). */
export function routeWarnings(route: RouteCheck, vocabulary: RouteVocabulary): Problem[] {
  return route.spec ? lintRoute(route.spec, vocabulary).map((p) => ({ field: p.field, reason: p.reason, message: p.message })) : [];
}

/** The sinks as `kubectl get routes` shows them. */
export function sinksText(spec: RouteCRSpec | undefined): string {
  if (!spec) return '';
  if (spec.drop) return '(drop)';
  return (spec.sinks ?? []).map((r) => `${r.kind === 'ClusterSink' ? 'ClusterSink/' : ''}${r.namespace ? `${r.namespace}/` : ''}${r.name}`).join(', ');
}

/**
 * The table's problems for one route, with a reference to a Sink that exists
 * but is not Ready explained as such (the engine only knows valid sinks).
 */
export function routeProblems(route: RouteCheck, table: RoutingTable, sinks: ReadonlyMap<string, SinkCheck>): Problem[] {
  const out: Problem[] = [];
  for (const p of table.problems) {
    if (p.routeId !== route.id) continue;
    out.push(explainUnknownSink(route, p, sinks) ?? { field: p.field, reason: p.reason, message: p.message });
  }
  return out;
}

function explainUnknownSink(route: RouteCheck, p: RouteProblem, sinks: ReadonlyMap<string, SinkCheck>): Problem | undefined {
  if (p.reason !== 'UnknownSink' || !route.spec) return undefined;
  const m = /^spec\.sinks\[(\d+)\]/.exec(p.field);
  const ref = m ? route.spec.sinks[Number(m[1])] : undefined;
  if (!ref) return undefined;
  const candidates =
    route.kind === 'Route'
      ? [`Sink/${route.obj.metadata.namespace}/${ref.name}`]
      : ref.namespace
        ? [`Sink/${ref.namespace}/${ref.name}`]
        : [`ClusterSink/${ref.name}`];
  for (const id of candidates) {
    const s = sinks.get(id);
    if (s && s.problems.length) {
      return { field: p.field, reason: 'SinkNotReady', message: `${id.replace(/^(Cluster)?Sink\//, `$1Sink `)} is not Ready: ${summary(s.problems)}` };
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------
// Status

export interface DesiredStatus {
  observedGeneration: number;
  conditions: Condition[];
  sinks?: string;
}

/** "spec.match.cel: undeclared reference to 'reasn'; spec.sinks[0]: …" */
export function summary(problems: readonly Problem[]): string {
  return problems.map((p) => (p.field ? `${p.field}: ${p.message}` : p.message)).join('; ');
}

/**
 * The Ready condition, keeping lastTransitionTime while the status stays the
 * same. Warnings leave it True, with reason AcceptedWithWarnings and the
 * warnings after the OK message.
 */
export function readyCondition(problems: readonly Problem[], okMessage: string, generation: number, previous: Condition | undefined, now: Date, warnings: readonly Problem[] = []): Condition {
  const reason = problems.length ? problems[0].reason : warnings.length ? 'AcceptedWithWarnings' : 'Accepted';
  const message = problems.length ? summary(problems) : warnings.length ? `${okMessage}; warning: ${summary(warnings)}` : okMessage;
  return readyFor(previous, { status: problems.length ? 'False' : 'True', reason, message, generation }, now) as Condition;
}

export { previousReady };

/** Whether the object's status already says this (so no write is needed). */
export function statusUpToDate(obj: KubeObject, desired: DesiredStatus): boolean {
  const cur = (obj.status ?? {}) as Record<string, unknown>;
  if (desired.sinks !== undefined && cur.sinks !== desired.sinks) return false;
  return readyUpToDate(obj, desired as { observedGeneration: number; conditions: ReadyCondition[] });
}
