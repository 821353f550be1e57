// The horizontal pod autoscaler, after kube-controller-manager's
// pkg/controller/podautoscaler: every 15 s it reads the target's scale,
// computes the replicas the metrics ask for (ceil(ready pods × current /
// target), untouched within the 10% tolerance), stabilizes it over the
// recommendations of spec.behavior's windows (scale-down: 5 minutes by
// default), limits the rate by its policies (by default up 4 pods or 100%
// per 15 s, down 100%) and bounds the result by minReplicas/maxReplicas,
// writes the new size to the target and
// reports status (currentReplicas, desiredReplicas, currentMetrics,
// lastScaleTime) with the conditions AbleToScale, ScalingActive and
// ScalingLimited and the Events the real controller records.
//
// The simulator has no metrics-server. Resource metrics come from the scale
// target: the annotation `sim.kubeherald.io/<resource>-utilization` (e.g.
// `sim.kubeherald.io/cpu-utilization: "150"`) is the average utilization, in
// percent of the pods' requests, that metrics-server would report for the
// target's running pods; `kubectl annotate deployment web
// sim.kubeherald.io/cpu-utilization=150 --overwrite` changes the load. Without
// the annotation the resource metrics API has nothing for those pods and the
// HPA says so (ScalingActive False, FailedGetResourceMetric), as a real one
// without metrics-server does. Pods, Object and External metrics have no
// source here (no custom or external metrics API is registered).

import type { TimerHandle } from '../clock.ts';
import { PODS } from '../refs.ts';
import type { SimContext } from '../scenario.ts';
import type { Change, StorageRef } from '../store.ts';
import type { KObject } from '../types.ts';
import { isPodActive, selectorOf, type MetaLabelSelector, type Pod } from './replicaset.ts';
import { parseQuantity } from '../quantity.ts';
import { matchesLabels } from '../selectors.ts';

export const HPAS: StorageRef = { group: 'autoscaling', resource: 'horizontalpodautoscalers', storage: 'autoscaling/horizontalpodautoscalers' };
export const UTILIZATION_ANNOTATION_PREFIX = 'sim.kubeherald.io/';
export const UTILIZATION_ANNOTATION_SUFFIX = '-utilization';
/** e.g. utilizationAnnotation('cpu') = 'sim.kubeherald.io/cpu-utilization' */
export const utilizationAnnotation = (resource: string): string => `${UTILIZATION_ANNOTATION_PREFIX}${resource}${UTILIZATION_ANNOTATION_SUFFIX}`;

/** --horizontal-pod-autoscaler-sync-period */
export const HPA_SYNC_MS = 15_000;
/** the default scale-down stabilization window */
export const DOWNSCALE_STABILIZATION_MS = 300_000;
const TOLERANCE = 0.1;
const SOURCE = { component: 'horizontal-pod-autoscaler' };

/** Scale targets the simulator serves, by kind. */
const SCALABLE: Record<string, StorageRef & { group: string }> = {
  Deployment: { group: 'apps', resource: 'deployments', storage: 'apps/deployments' },
  ReplicaSet: { group: 'apps', resource: 'replicasets', storage: 'apps/replicasets' },
  StatefulSet: { group: 'apps', resource: 'statefulsets', storage: 'apps/statefulsets' },
  ReplicationController: { group: '', resource: 'replicationcontrollers', storage: 'replicationcontrollers' },
};

interface MetricTarget {
  type?: string;
  averageUtilization?: number;
  averageValue?: string | number;
  value?: string | number;
}

interface MetricSpec {
  type?: string;
  resource?: { name?: string; target?: MetricTarget };
  containerResource?: { name?: string; container?: string; target?: MetricTarget };
  pods?: { metric?: { name?: string } };
  object?: { metric?: { name?: string } };
  external?: { metric?: { name?: string } };
}

interface ScalingRules {
  stabilizationWindowSeconds?: number;
  selectPolicy?: string;
  policies?: { type: string; value: number; periodSeconds: number }[];
}

/** The API server's defaults for spec.behavior (GenerateHPAScaleUpRules / GenerateHPAScaleDownRules). */
const DEFAULT_SCALE_UP: Required<ScalingRules> = {
  stabilizationWindowSeconds: 0,
  selectPolicy: 'Max',
  policies: [
    { type: 'Pods', value: 4, periodSeconds: 15 },
    { type: 'Percent', value: 100, periodSeconds: 15 },
  ],
};
const DEFAULT_SCALE_DOWN: Required<ScalingRules> = {
  stabilizationWindowSeconds: DOWNSCALE_STABILIZATION_MS / 1000,
  selectPolicy: 'Max',
  policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
};

const rules = (given: ScalingRules | undefined, defaults: Required<ScalingRules>): Required<ScalingRules> => ({
  stabilizationWindowSeconds: given?.stabilizationWindowSeconds ?? defaults.stabilizationWindowSeconds,
  selectPolicy: given?.selectPolicy ?? defaults.selectPolicy,
  policies: given?.policies?.length ? given.policies : defaults.policies,
});

interface ScaleEvent {
  at: number;
  change: number;
}

/** getReplicasChangePerPeriod */
const changeInPeriod = (events: ScaleEvent[], periodSeconds: number, now: number): number =>
  events.filter((e) => e.at > now - periodSeconds * 1000).reduce((a, e) => a + e.change, 0);

/** calculateScaleUpLimitWithScalingRules */
function scaleUpLimit(current: number, events: ScaleEvent[], r: Required<ScalingRules>, now: number): number {
  if (r.selectPolicy === 'Disabled') return current;
  const pick = r.selectPolicy === 'Min' ? Math.min : Math.max;
  let result = r.selectPolicy === 'Min' ? Infinity : -Infinity;
  for (const p of r.policies) {
    const start = current - changeInPeriod(events, p.periodSeconds, now);
    const proposed = p.type === 'Pods' ? start + p.value : Math.ceil(start * (1 + p.value / 100));
    result = pick(result, proposed);
  }
  return result;
}

/** calculateScaleDownLimitWithBehaviors: the most a policy lets go, or the least with selectPolicy Min */
function scaleDownLimit(current: number, events: ScaleEvent[], r: Required<ScalingRules>, now: number): number {
  if (r.selectPolicy === 'Disabled') return current;
  const pick = r.selectPolicy === 'Min' ? Math.max : Math.min;
  let result = r.selectPolicy === 'Min' ? -Infinity : Infinity;
  for (const p of r.policies) {
    const start = current + changeInPeriod(events, p.periodSeconds, now);
    const proposed = p.type === 'Pods' ? start - p.value : Math.trunc(start * (1 - p.value / 100));
    result = pick(result, proposed);
  }
  return result;
}

interface Condition {
  type: string;
  status: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

interface HPA extends KObject {
  spec?: {
    scaleTargetRef?: { apiVersion?: string; kind?: string; name?: string };
    minReplicas?: number;
    maxReplicas?: number;
    metrics?: MetricSpec[];
    behavior?: { scaleUp?: ScalingRules; scaleDown?: ScalingRules };
  };
  status?: {
    observedGeneration?: number;
    lastScaleTime?: string;
    currentReplicas?: number;
    desiredReplicas?: number;
    currentMetrics?: unknown[];
    conditions?: Condition[];
  };
}

class MetricError extends Error {
  readonly reason: string;
  constructor(reason: string, message: string) {
    super(message);
    this.reason = reason;
  }
}

interface MetricResult {
  replicas: number;
  /** e.g. "cpu resource utilization (percentage of request)" */
  name: string;
  status: Record<string, unknown>;
}

/** One metric: the replicas it asks for, from the target's pods and the utilization annotation. */
function computeMetric(m: MetricSpec, target: KObject, pods: Pod[], current: number): MetricResult {
  const type = m.type ?? '';
  if (type !== 'Resource' && type !== 'ContainerResource') {
    const which = type === 'Pods' ? 'pods' : type === 'Object' ? 'object' : type === 'External' ? 'external' : '';
    if (!which) throw new MetricError('InvalidMetricSourceType', `unknown metric source type "${type}"`);
    const name = (m[which as 'pods' | 'object' | 'external'])?.metric?.name ?? '';
    const reason = `FailedGet${type}Metric`;
    const api = type === 'External' ? 'external.metrics.k8s.io' : 'custom.metrics.k8s.io';
    throw new MetricError(reason, `unable to get ${type === 'External' ? 'external ' : ''}metric ${name}: unable to fetch metrics from ${type === 'External' ? 'external' : 'custom'} metrics API: no ${type === 'External' ? 'external' : 'custom'} metrics API (${api}) registered`);
  }
  const src = type === 'Resource' ? m.resource : m.containerResource;
  const resource = src?.name ?? '';
  const container = type === 'ContainerResource' ? m.containerResource?.container : undefined;
  const reason = type === 'Resource' ? 'FailedGetResourceMetric' : 'FailedGetContainerResourceMetric';
  const t = src?.target ?? {};
  const raw = target.metadata.annotations?.[utilizationAnnotation(resource)];
  const util = raw === undefined ? NaN : Number(raw);
  const utilKind = t.type === 'Utilization' ? `${resource} utilization` : `${resource} usage`;
  if (!Number.isFinite(util) || pods.length === 0) {
    const why = pods.length === 0 && Number.isFinite(util) ? 'did not receive metrics for targeted pods (pods might be unready)' : `unable to get metrics for resource ${resource}: no metrics returned from resource metrics API`;
    throw new MetricError(reason, `failed to get ${utilKind}: ${why}`);
  }
  // the summed request of the pods: what utilization is a percentage of
  let request = 0;
  for (const pod of pods) {
    const containers = ((pod.spec as { containers?: { name: string; resources?: { requests?: Record<string, string> } }[] } | undefined)?.containers ?? []).filter((c) => !container || c.name === container);
    for (const c of containers) {
      const q = c.resources?.requests?.[resource];
      if (q === undefined) {
        if (t.type === 'Utilization') throw new MetricError(reason, `failed to get ${utilKind}: missing request for ${resource} in container ${c.name} of Pod ${pod.metadata.name}`);
        continue;
      }
      request += parseQuantity(q);
    }
  }
  const perPodUsage = (request * util) / 100 / pods.length;
  const averageValue = resource === 'cpu' ? `${Math.round(perPodUsage * 1000)}m` : String(Math.round(perPodUsage));
  const current_ = { averageUtilization: Math.round(util), averageValue };
  const status = type === 'Resource'
    ? { type, resource: { name: resource, current: current_ } }
    : { type, containerResource: { name: resource, container, current: current_ } };
  let ratio: number;
  let name: string;
  if (t.type === 'Utilization') {
    ratio = util / (t.averageUtilization ?? 80);
    name = `${resource} ${type === 'ContainerResource' ? 'container ' : ''}resource utilization (percentage of request)`;
  } else {
    ratio = perPodUsage / (parseQuantity(t.averageValue) || 1);
    name = `${resource} ${type === 'ContainerResource' ? 'container ' : ''}resource`;
  }
  const replicas = Math.abs(1 - ratio) <= TOLERANCE ? current : Math.ceil(ratio * pods.length);
  return { replicas, name, status };
}

export function startHPAController(ctx: SimContext): () => void {
  const timers = new Map<string, TimerHandle>();
  /** recommendations of the last stabilization window, per HPA: what scale-down stabilizes over */
  const recommendations = new Map<string, { at: number; replicas: number }[]>();
  /** replicas added and removed lately, per HPA: what the rate policies count */
  const scaleUps = new Map<string, ScaleEvent[]>();
  const scaleDowns = new Map<string, ScaleEvent[]>();
  let stopped = false;

  const schedule = (key: string, ms: number): void => {
    ctx.clock.clearTimeout(timers.get(key));
    timers.set(
      key,
      ctx.clock.setTimeout(() => {
        timers.delete(key);
        if (stopped) return;
        const [ns, name] = [key.slice(0, key.indexOf('/')), key.slice(key.indexOf('/') + 1)];
        try {
          reconcile(ns, name);
        } catch (err) {
          process.emitWarning(`sim hpa controller: ${key}: ${(err as Error).stack ?? err}`);
        }
        if (ctx.store.get(HPAS.storage, ns, name)) schedule(key, HPA_SYNC_MS);
      }, ms),
    );
  };

  const onChange = (c: Change): void => {
    if (stopped || c.storage !== HPAS.storage) return;
    const key = `${c.object.metadata.namespace}/${c.object.metadata.name}`;
    if (c.type === 'DELETED') {
      ctx.clock.clearTimeout(timers.get(key));
      timers.delete(key);
      recommendations.delete(key);
      scaleUps.delete(key);
      scaleDowns.delete(key);
      return;
    }
    // a new HPA or a changed spec is looked at right away; status writes wait for the period
    if (c.type === 'ADDED' || JSON.stringify(c.object.spec) !== JSON.stringify(c.prev?.spec)) schedule(key, 0);
  };

  const reconcile = (ns: string, name: string): void => {
    const hpa = ctx.store.get(HPAS.storage, ns, name) as HPA | undefined;
    if (!hpa || hpa.metadata.deletionTimestamp) return;
    const key = `${ns}/${name}`;
    const spec = hpa.spec ?? {};
    const ref = spec.scaleTargetRef ?? {};
    const minReplicas = spec.minReplicas ?? 1;
    const maxReplicas = spec.maxReplicas ?? 1;
    const conditions = new Map<string, Condition>((hpa.status?.conditions ?? []).map((c) => [c.type, c]));
    const setCondition = (type: string, status: string, reason: string, message: string): void => {
      const prev = conditions.get(type);
      conditions.set(type, { type, status, lastTransitionTime: prev?.status === status && prev.lastTransitionTime ? prev.lastTransitionTime : ctx.clock.nowIso(), reason, message });
    };
    const event = (type: 'Normal' | 'Warning', reason: string, message: string): void => {
      ctx.recorder.record({ object: hpa, type, reason, message, source: SOURCE });
    };
    const writeStatus = (fields: Partial<NonNullable<HPA['status']>>): void => {
      const order = ['AbleToScale', 'ScalingActive', 'ScalingLimited'];
      const conds = [...conditions.values()].sort((a, b) => order.indexOf(a.type) - order.indexOf(b.type));
      ctx.store.mutate(HPAS, ns, name, (o) => {
        const before = JSON.stringify(o.status ?? {});
        const st = { ...((o.status ?? {}) as NonNullable<HPA['status']>), ...fields, observedGeneration: o.metadata.generation, conditions: conds };
        for (const [k, v] of Object.entries(st)) if (v === undefined) delete (st as Record<string, unknown>)[k];
        o.status = st;
        return JSON.stringify(st) !== before;
      });
    };

    // the scale subresource of the target
    const gv = (ref.apiVersion ?? '').split('/');
    const group = gv.length > 1 ? gv[0] : '';
    const sref = ref.kind ? SCALABLE[ref.kind] : undefined;
    const target = sref && sref.group === group ? ctx.store.get(sref.storage, ns, ref.name ?? '') : undefined;
    if (!target) {
      const msg = !sref || sref.group !== group
        ? `no matches for kind "${ref.kind ?? ''}" in group "${group}"`
        : `${sref.resource}${sref.group ? `.${sref.group}` : ''} "${ref.name ?? ''}" not found`;
      event('Warning', 'FailedGetScale', msg);
      setCondition('AbleToScale', 'False', 'FailedGetScale', `the HPA controller was unable to get the target's current scale: ${msg}`);
      writeStatus({ currentReplicas: hpa.status?.currentReplicas ?? 0, desiredReplicas: hpa.status?.desiredReplicas ?? 0 });
      return;
    }
    const tspec = (target.spec ?? {}) as { replicas?: number; selector?: MetaLabelSelector };
    const current = (target.status as { replicas?: number } | undefined)?.replicas ?? tspec.replicas ?? 1;
    const specReplicas = tspec.replicas ?? 1;
    setCondition('AbleToScale', 'True', 'SucceededGetScale', "the HPA controller was able to get the target's current scale");

    let desired: number;
    let rescaleReason = '';
    let currentMetrics: unknown[] | undefined;
    if (specReplicas === 0 && minReplicas !== 0) {
      // autoscaling is disabled for this resource
      desired = 0;
      setCondition('ScalingActive', 'False', 'ScalingDisabled', 'scaling is disabled since the replica count of the target is zero');
    } else if (specReplicas > maxReplicas) {
      rescaleReason = 'Current number of replicas above Spec.MaxReplicas';
      desired = maxReplicas;
    } else if (specReplicas < minReplicas) {
      rescaleReason = 'Current number of replicas below Spec.MinReplicas';
      desired = minReplicas;
    } else {
      const selector = selectorOf(tspec.selector);
      const pods = selector
        ? (ctx.store.list(PODS.storage, ns) as Pod[]).filter((p) => isPodActive(p) && p.status?.phase === 'Running' && matchesLabels(selector, p.metadata.labels ?? {}))
        : [];
      const results: MetricResult[] = [];
      const errors: MetricError[] = [];
      for (const m of spec.metrics ?? []) {
        try {
          results.push(computeMetric(m, target, pods, specReplicas));
        } catch (err) {
          if (!(err instanceof MetricError)) throw err;
          errors.push(err);
        }
      }
      for (const e of errors) event('Warning', e.reason, e.message);
      if (errors.length) {
        const n = (spec.metrics ?? []).length;
        event('Warning', 'FailedComputeMetricsReplicas', `invalid metrics (${errors.length} invalid out of ${n}), first error is: failed to get ${metricLabel(spec.metrics?.[0])} metric value: ${errors[0].message}`);
      }
      if (results.length === 0 || (errors.length && results.every((r) => r.replicas < specReplicas))) {
        // no metric could be read (or the readable ones would scale down while others are unknown): keep the size
        const e = errors[0];
        setCondition('ScalingActive', 'False', e?.reason ?? 'InvalidMetricSourceType', `the HPA was unable to compute the replica count: ${e ? `failed to get ${metricLabel(spec.metrics?.[0])} metric value: ${e.message}` : 'no metrics'}`);
        writeStatus({ currentReplicas: current, desiredReplicas: hpa.status?.desiredReplicas ?? current, currentMetrics: results.length ? results.map((r) => r.status) : undefined });
        return;
      }
      const best = results.reduce((a, b) => (b.replicas > a.replicas ? b : a));
      currentMetrics = results.map((r) => r.status);
      setCondition('ScalingActive', 'True', 'ValidMetricFound', `the HPA was able to successfully calculate a replica count from ${best.name}`);
      rescaleReason = best.replicas > specReplicas ? `${best.name} above target` : 'All metrics below target';
      desired = normalize(key, hpa, specReplicas, best.replicas, minReplicas, maxReplicas, setCondition);
    }

    const now = ctx.clock.nowIso();
    let lastScaleTime = hpa.status?.lastScaleTime;
    if (desired !== specReplicas) {
      ctx.store.mutate(sref!, ns, target.metadata.name!, (o) => {
        (o.spec as { replicas?: number }).replicas = desired;
        o.metadata.generation = (o.metadata.generation ?? 1) + 1;
      });
      lastScaleTime = now;
      const events = desired > specReplicas ? scaleUps : scaleDowns;
      const horizon = ctx.clock.nowMs() - 30 * 60_000;
      events.set(key, [...(events.get(key) ?? []).filter((e) => e.at > horizon), { at: ctx.clock.nowMs(), change: Math.abs(desired - specReplicas) }]);
      event('Normal', 'SuccessfulRescale', `New size: ${desired}; reason: ${rescaleReason || 'Current number of replicas must be greater than 0'}`);
      setCondition('AbleToScale', 'True', 'SucceededRescale', `the HPA controller was able to update the target scale to ${desired}`);
    }
    writeStatus({ currentReplicas: current, desiredReplicas: desired, currentMetrics, lastScaleTime });
  };

  /** normalizeDesiredReplicasWithBehaviors: stabilization windows, then the rate policies and minReplicas/maxReplicas. */
  const normalize = (
    key: string,
    hpa: HPA,
    current: number,
    recommended: number,
    minReplicas: number,
    maxReplicas: number,
    setCondition: (type: string, status: string, reason: string, message: string) => void,
  ): number => {
    const now = ctx.clock.nowMs();
    const up = rules(hpa.spec?.behavior?.scaleUp, DEFAULT_SCALE_UP);
    const down = rules(hpa.spec?.behavior?.scaleDown, DEFAULT_SCALE_DOWN);
    const downWindow = down.stabilizationWindowSeconds * 1000;
    const upWindow = up.stabilizationWindowSeconds * 1000;
    const recs = (recommendations.get(key) ?? []).filter((r) => r.at > now - Math.max(downWindow, upWindow));
    let upRec = recommended;
    let downRec = recommended;
    for (const r of recs) {
      if (r.at > now - upWindow) upRec = Math.min(upRec, r.replicas);
      if (r.at > now - downWindow) downRec = Math.max(downRec, r.replicas);
    }
    let stabilized = current;
    if (stabilized < upRec) stabilized = upRec;
    if (stabilized > downRec) stabilized = downRec;
    recs.push({ at: now, replicas: recommended });
    recommendations.set(key, recs);
    if (stabilized !== recommended) {
      if (recommended >= current) setCondition('AbleToScale', 'True', 'ScaleUpStabilized', 'recent recommendations were lower than current one, applying the lowest recent recommendation');
      else setCondition('AbleToScale', 'True', 'ScaleDownStabilized', 'recent recommendations were higher than current one, applying the highest recent recommendation');
    } else {
      setCondition('AbleToScale', 'True', 'ReadyForNewScale', 'recommended size matches current size');
    }
    // convertDesiredReplicasWithBehaviorRate
    let desired = stabilized;
    let reason = 'DesiredWithinRange';
    let message = 'the desired count is within the acceptable range';
    if (stabilized > current) {
      const limit = Math.max(scaleUpLimit(current, scaleUps.get(key) ?? [], up, now), current);
      const [allowed, why, text] = maxReplicas > limit
        ? [limit, 'ScaleUpLimit', 'the desired replica count is increasing faster than the maximum scale rate']
        : [maxReplicas, 'TooManyReplicas', 'the desired replica count is more than the maximum replica count'];
      if (stabilized > allowed) [desired, reason, message] = [allowed, why, text];
    } else if (stabilized < current) {
      const limit = Math.min(scaleDownLimit(current, scaleDowns.get(key) ?? [], down, now), current);
      const [allowed, why, text] = minReplicas < limit
        ? [limit, 'ScaleDownLimit', 'the desired replica count is decreasing faster than the maximum scale rate']
        : [minReplicas, 'TooFewReplicas', 'the desired replica count is less than the minimum replica count'];
      if (stabilized < allowed) [desired, reason, message] = [allowed, why, text];
    }
    setCondition('ScalingLimited', desired === stabilized ? 'False' : 'True', reason, message);
    return desired;
  };

  const unsubscribe = ctx.store.subscribe(onChange);
  for (const hpa of ctx.store.list(HPAS.storage)) schedule(`${hpa.metadata.namespace}/${hpa.metadata.name}`, 0);
  return () => {
    stopped = true;
    unsubscribe();
    for (const t of timers.values()) ctx.clock.clearTimeout(t);
  };
}

/** "cpu resource", "http_requests pods": how the controller names a metric in its messages. */
function metricLabel(m: MetricSpec | undefined): string {
  if (!m) return '';
  switch (m.type) {
    case 'Resource':
      return `${m.resource?.name ?? ''} resource`;
    case 'ContainerResource':
      return `${m.containerResource?.name ?? ''} container resource`;
    case 'Pods':
      return `${m.pods?.metric?.name ?? ''} pods`;
    case 'Object':
      return `${m.object?.metric?.name ?? ''} object`;
    case 'External':
      return `${m.external?.metric?.name ?? ''} external`;
    default:
      return String(m.type ?? '');
  }
}
