// The generic condition detector, the rule of which detectors a watched
// resource feeds, the config that names bad conditions, and the routes'
// check of reasons the condition detector gives.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { detectConditions } from '../../src/detect/conditions.ts';
import { IncidentTracker } from '../../src/detect/tracker.ts';
import { vocabulary } from '../../src/detect/vocabulary.ts';
import { detectWatched, type WatchedResource } from '../../src/detect/watched.ts';
import { parseConfigText } from '../../src/config/load.ts';
import { lintRouteAt } from '../../src/rules/lint.ts';
import type { RouteSpec } from '../../src/rules/types.ts';
import type { KubeObject } from '../../src/model/kube.ts';
import { Severity, State } from '../../src/model/notification.ts';
import { watchedResources } from '../../src/cluster/listener.ts';
import { at, config, t } from './fixtures.ts';

const UID = 'c3f0a9d2-1111-4b4b-9c9c-000000000001';

function cert(conds: { type: string; status: string; reason?: string; message?: string; since?: number }[], extra: Partial<KubeObject> = {}): KubeObject {
  return {
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: { name: 'web-tls', namespace: 'shop', uid: UID, resourceVersion: '7' },
    spec: { secretName: 'web-tls' },
    status: { conditions: conds.map((c) => ({ type: c.type, status: c.status, reason: c.reason, message: c.message, lastTransitionTime: at(c.since ?? 0) })) },
    ...extra,
  };
}

const RULE = { conditions: { Ready: 'False' as const, Issuing: 'Unknown' as const }, minSeconds: 60 };

describe('detectConditions', () => {
  it('a condition in its bad status: a warning named after the condition, its reason and message, held minSeconds from lastTransitionTime', () => {
    const obs = detectConditions(cert([{ type: 'Ready', status: 'False', reason: 'DoesNotExist', message: 'Issuing certificate as Secret does not exist', since: 10 }]), 'cert-manager.io/v1', 'Certificate', RULE, config());
    assert.deepEqual(obs, [
      {
        kind: 'level',
        key: `Certificate/${UID}/condition/Ready`,
        state: 'firing',
        detector: 'conditions',
        severity: Severity.WARNING,
        reason: 'DoesNotExist',
        title: 'Certificate shop/web-tls: Ready is False',
        message: 'Issuing certificate as Secret does not exist',
        since: at(10),
        minDurationMs: 60_000,
        fields: { condition: 'Ready', status: 'False', conditionReason: 'DoesNotExist' },
        involved: { apiVersion: 'cert-manager.io/v1', kind: 'Certificate', namespace: 'shop', name: 'web-tls', uid: UID },
      },
    ]);
  });

  it('no reason: <Type><Status>; no message: says which condition; Unknown matches only Unknown', () => {
    const [o] = detectConditions(cert([{ type: 'Issuing', status: 'Unknown' }]), 'cert-manager.io/v1', 'Certificate', RULE, config());
    assert.equal(o.reason, 'IssuingUnknown');
    assert.equal(o.message, 'Certificate shop/web-tls has Issuing=Unknown');
    assert.deepEqual(detectConditions(cert([{ type: 'Issuing', status: 'False' }]), 'cert-manager.io/v1', 'Certificate', RULE, config()), []);
  });

  it('good statuses, unnamed types, malformed conditions and no status say nothing', () => {
    const quiet = [
      cert([{ type: 'Ready', status: 'True' }]),
      cert([{ type: 'Stalled', status: 'True' }]),
      cert([{ type: 'Ready', status: 'false' }]),
      { ...cert([]), status: { conditions: [null, 3, { status: 'False' }] } } as unknown as KubeObject,
      { ...cert([]), status: { conditions: 'Ready' } } as unknown as KubeObject,
      { ...cert([]), status: undefined },
      // a type that only exists on Object.prototype is not a configured one
      cert([{ type: 'constructor', status: 'False' }]),
    ];
    for (const o of quiet) assert.deepEqual(detectConditions(o, 'cert-manager.io/v1', 'Certificate', RULE, config()), [], JSON.stringify(o.status));
  });

  it('the entry without minSeconds takes detectors.conditions.minSeconds; detectors.conditions.enabled: false turns it off', () => {
    const bad = cert([{ type: 'Ready', status: 'False' }]);
    assert.equal(detectConditions(bad, 'v', 'Certificate', { conditions: { Ready: 'False' } }, config())[0].minDurationMs, 300_000);
    assert.equal(detectConditions(bad, 'v', 'Certificate', { conditions: { Ready: 'False' } }, config({ conditions: { minSeconds: 5 } }))[0].minDurationMs, 5_000);
    assert.deepEqual(detectConditions(bad, 'v', 'Certificate', RULE, config({ conditions: { enabled: false } })), []);
  });

  it('through the tracker: FIRING once after minSeconds, RESOLVED once when it turns good', () => {
    const tr = new IncidentTracker({ cluster: 'c', includeRaw: false });
    const bad = cert([{ type: 'Ready', status: 'False', reason: 'Failed', since: 0 }]);
    const obs = (o: KubeObject) => detectConditions(o, 'cert-manager.io/v1', 'Certificate', RULE, config());
    assert.deepEqual(tr.observe(UID, bad, obs(bad), t(0)), []);
    assert.deepEqual(tr.observe(UID, bad, obs(bad), t(30)), []);
    const fired = tr.tick(t(60));
    assert.deepEqual(fired.map((n) => [State[n.state], n.reason]), [['FIRING', 'Failed']]);
    assert.deepEqual(tr.observe(UID, bad, obs(bad), t(70)), []);
    const good = cert([{ type: 'Ready', status: 'True', since: 80 }]);
    assert.deepEqual(tr.observe(UID, good, obs(good), t(80)).map((n) => [State[n.state], n.reason]), [['RESOLVED', 'Failed']]);
  });
});

describe('detectWatched: which detectors a watched resource feeds', () => {
  const cm = (gen: number): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'n', uid: 'u', generation: gen, resourceVersion: String(gen) }, data: { k: String(gen) } });
  const w = (over: Partial<WatchedResource>): WatchedResource => ({ apiVersion: 'v1', kind: 'ConfigMap', builtin: false, changes: true, ...over });

  it('a built-in kind without detectors of its own gives nothing, never created/changed/deleted', () => {
    const job = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'j', namespace: 'n', uid: 'j1' } };
    for (const delta of [{ current: job }, { old: job, current: { ...job, spec: { x: 1 } } }, { old: job }]) {
      assert.deepEqual(detectWatched({ apiVersion: 'example.com/v1', kind: 'Widget', builtin: true, changes: false }, delta, t(1), config()), []);
    }
  });

  it('an extra resource: change notices; with conditions, those too; a built-in kind listed under watch.resources: both', () => {
    assert.deepEqual(detectWatched(w({}), { old: cm(1), current: cm(2) }, t(1), config()).map((o) => o.reason), ['Changed']);
    const bad = cert([{ type: 'Ready', status: 'False' }]);
    const certs = w({ apiVersion: 'cert-manager.io/v1', kind: 'Certificate', conditions: RULE });
    assert.deepEqual(detectWatched(certs, { current: bad, initial: true }, t(1), config()).map((o) => o.reason), ['ReadyFalse']);
    assert.deepEqual(detectWatched(certs, { old: bad }, t(1), config()).map((o) => o.reason), ['Deleted']);
    const dep: KubeObject = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'n', uid: 'd1', generation: 1 }, spec: {}, status: { conditions: [{ type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', lastTransitionTime: at(0) }] } };
    const merged = { apiVersion: 'apps/v1', kind: 'Deployment', builtin: true, changes: true, conditions: { conditions: { Available: 'False' as const } } };
    const reasons = detectWatched(merged, { current: dep }, t(1), config()).map((o) => `${o.detector}:${o.reason}`);
    assert.ok(reasons.includes('resourceChanges:Created'), reasons.join());
    assert.ok(reasons.includes('conditions:MinimumReplicasUnavailable'), reasons.join());
  });

  it('watchedResources: built-ins first; an entry naming a built-in resource (any version) merges into its watch', () => {
    const extra = [
      { apiVersion: 'apps/v1', kind: 'Deployment', resource: 'deployments', namespaced: true, conditions: { conditions: { Available: 'False' as const } } },
      { apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', resource: 'horizontalpodautoscalers', namespaced: true },
      { apiVersion: 'cert-manager.io/v1', kind: 'Certificate', resource: 'certificates', namespaced: true, conditions: RULE },
    ];
    const all = watchedResources('core', extra);
    assert.equal(all.filter((w) => w.spec.resource === 'deployments').length, 1);
    assert.equal(all.filter((w) => w.spec.resource === 'horizontalpodautoscalers').length, 1);
    const dep = all.find((w) => w.spec.resource === 'deployments')!;
    assert.deepEqual(dep.watched, { apiVersion: 'apps/v1', kind: 'Deployment', builtin: true, changes: true, conditions: { conditions: { Available: 'False' } } });
    const hpa = all.find((w) => w.spec.resource === 'horizontalpodautoscalers')!;
    assert.equal(hpa.spec.apiVersion, 'autoscaling/v2', 'the built-in version is watched');
    assert.equal(hpa.watched.changes, true);
    const last = all.at(-1)!;
    assert.deepEqual([last.spec.resource, last.watched.builtin, last.watched.conditions], ['certificates', false, RULE]);
    assert.ok(all.filter((w) => w.watched.builtin).every((w) => w.watched.builtin && (w.spec.resource === 'deployments' || w.spec.resource === 'horizontalpodautoscalers' || !w.watched.changes)));
  });
});

describe('watch.resources[].conditions and minSeconds in the config', () => {
  const parse = (entry: string) => parseConfigText(`watch:\n  resources:\n  - { group: cert-manager.io, version: v1, resource: certificates${entry} }\n`, 'k.yaml').watch.resources[0];

  it('accepted: True, False, Unknown; a prefixed type; minSeconds 0', () => {
    assert.deepEqual(parse(', conditions: { Ready: "False", Stalled: "True", example.com/Synced: Unknown }, minSeconds: 0'), {
      group: 'cert-manager.io',
      version: 'v1',
      resource: 'certificates',
      conditions: { Ready: 'False', Stalled: 'True', 'example.com/Synced': 'Unknown' },
      minSeconds: 0,
    });
    assert.deepEqual(parse(''), { group: 'cert-manager.io', version: 'v1', resource: 'certificates' });
  });

  it('refused with the field named', () => {
    const cases: [string, RegExp][] = [
      [', conditions: { Ready: "false" }', /k\.yaml:3: watch\.resources\[0\]\.conditions\.Ready: expected one of True, False, Unknown, got "false"; did you mean "False"\?/],
      [', conditions: { Ready: false }', /watch\.resources\[0\]\.conditions\.Ready: expected one of True, False, Unknown, got false/],
      [', conditions: { "not a type": "True" }', /watch\.resources\[0\]\.conditions\.not a type: expected a condition type such as Ready or Stalled as the key, got "not a type"/],
      [', conditions: [Ready]', /watch\.resources\[0\]\.conditions: expected record, got a list/],
      [', minSeconds: 60', /watch\.resources\[0\]\.minSeconds: applies to conditions only/],
      [', conditions: { Ready: "False" }, minSeconds: -1', /watch\.resources\[0\]\.minSeconds: expected an integer ≥ 0, got -1/],
    ];
    for (const [entry, want] of cases) assert.throws(() => parse(entry), want, entry);
  });
});

describe('routes and the condition detector\'s reasons', () => {
  const route = (match: Record<string, unknown>): RouteSpec => ({ id: 'r', match, sinks: ['s'] }) as unknown as RouteSpec;
  const v = vocabulary({ detectors: config(), resources: [{ resource: 'certificates', conditions: { Ready: 'False' } }] });

  it('<Type><Status> of a configured condition is a known reason', () => {
    assert.deepEqual(lintRouteAt(route({ reasons: ['ReadyFalse'] }), v), []);
    assert.deepEqual(lintRouteAt(route({ detectors: ['conditions'] }), v), []);
  });

  it('a condition\'s own reason is open-ended: not flagged on a route pinned to the conditions detector, flagged elsewhere', () => {
    assert.deepEqual(lintRouteAt(route({ detectors: ['conditions'], reasons: ['ReconciliationFailed'] }), v), []);
    assert.deepEqual(lintRouteAt(route({ cel: 'detector == "conditions" && reason == "ReconciliationFailed"' }), v), []);
    assert.deepEqual(lintRouteAt(route({ reasons: ['ReconciliationFailed'] }), v).map((p) => p.reason), ['UnknownReason']);
    assert.deepEqual(lintRouteAt(route({ detectors: ['rollout'], reasons: ['ReconciliationFailed'] }), v).map((p) => p.reason), ['UnknownReason']);
  });
});
