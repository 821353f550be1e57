// Each match field on its own, with the reason a non-match gives.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileRoutes, type MatchSpec } from '../../src/rules/index.ts';
import { CONFIG_SINKS, type N, notification, route } from './helpers.ts';

/** whether a single route with this match matches, and its why */
function verdict(match: MatchSpec, n: N): { matched: boolean; why: string } {
  const table = compileRoutes([route('r', match)], CONFIG_SINKS);
  assert.deepEqual(table.problems, []);
  const d = table.explain(notification(n)).decisions[0];
  // the indexed path must agree
  assert.equal(table.match(notification(n)).sinks.length > 0, d.matched);
  return { matched: d.matched, why: d.why };
}

const yes = (match: MatchSpec, n: N): void => assert.equal(verdict(match, n).matched, true, `${JSON.stringify(match)} should match ${JSON.stringify(n)}`);
const no = (match: MatchSpec, n: N, why: string): void => assert.deepEqual(verdict(match, n), { matched: false, why });

describe('match fields', () => {
  it('an empty match matches everything', () => {
    assert.deepEqual(verdict({}, { kind: 'Node', ns: '' }), { matched: true, why: 'matched: empty match (every notification)' });
  });

  it('empty lists are the same as leaving the field out', () => {
    yes({ kinds: [], reasons: [], namespaces: [], users: [] }, {});
  });

  it('kinds', () => {
    yes({ kinds: ['Pod', 'Deployment'] }, { kind: 'Deployment' });
    no({ kinds: ['Deployment'] }, { kind: 'Pod' }, 'kinds: "Pod" not in [Deployment]');
    // exact, case included
    no({ kinds: ['pod'] }, { kind: 'Pod' }, 'kinds: "Pod" not in [pod]');
  });

  it('clusters: the cluster a notification came from, exact', () => {
    yes({ clusters: ['prod', 'test'] }, {});
    no({ clusters: ['prod'] }, {}, 'clusters: "test" not in [prod]');
    const table = compileRoutes([route('r', { clusters: ['', 7] as never })], CONFIG_SINKS);
    assert.deepEqual(table.problems.map((p) => p.field), ['match.clusters[0]', 'match.clusters[1]']);
  });

  it('reasons', () => {
    yes({ reasons: ['OOMKilled', 'CrashLoopBackOff'] }, { reason: 'OOMKilled' });
    no({ reasons: ['CrashLoopBackOff'] }, { reason: 'OOMKilled' }, 'reasons: "OOMKilled" not in [CrashLoopBackOff]');
  });

  it('severities, states, eventTypes and detectors', () => {
    yes({ severities: ['critical', 'warning'] }, { severity: 'warning' });
    no({ severities: ['critical'] }, { severity: 'info' }, 'severities: "info" not in [critical]');
    yes({ states: ['resolved'] }, { state: 'resolved' });
    no({ states: ['firing'] }, { state: 'resolved' }, 'states: "resolved" not in [firing]');
    yes({ eventTypes: ['Warning'] }, { eventType: 'Warning' });
    no({ eventTypes: ['Warning'] }, { eventType: '' }, 'eventTypes: "" not in [Warning]');
    yes({ detectors: ['oomKilled'] }, { detector: 'oomKilled' });
    no({ detectors: ['oomKilled'] }, { detector: 'warningEvent' }, 'detectors: "warningEvent" not in [oomKilled]');
  });

  it('namespaces: exact names and globs', () => {
    yes({ namespaces: ['prod'] }, { ns: 'prod' });
    yes({ namespaces: ['team-*'] }, { ns: 'team-a' });
    yes({ namespaces: ['team-?'] }, { ns: 'team-b' });
    yes({ namespaces: ['*'] }, { ns: 'anything' });
    no({ namespaces: ['team-?'] }, { ns: 'team-ab' }, 'namespaces: "team-ab" matches none of [team-?]');
    // a glob matches the whole name, not a part of it
    no({ namespaces: ['team'] }, { ns: 'team-a' }, 'namespaces: "team-a" matches none of [team]');
    // "." in a name is literal, not a regex wildcard
    no({ namespaces: ['a-b'] }, { ns: 'axb' }, 'namespaces: "axb" matches none of [a-b]');
  });

  it('namespaces: cluster-scoped objects match only an explicit ""', () => {
    no({ namespaces: ['*'] }, { kind: 'Node', ns: '' }, 'namespaces: the object is cluster-scoped (namespace ""), matching none of [*]');
    yes({ namespaces: [''] }, { kind: 'Node', ns: '' });
    yes({ namespaces: ['', 'prod'] }, { ns: 'prod' });
  });

  it('users: exact and globs; no known user never matches', () => {
    yes({ users: ['expert@org.com'] }, { user: 'expert@org.com' });
    yes({ users: ['*@org.com'] }, { user: 'alice@org.com' });
    yes({ users: ['system:serviceaccount:kube-system:*'] }, { user: 'system:serviceaccount:kube-system:deployment-controller' });
    no({ users: ['*@org.com'] }, { user: 'alice@evil.com' }, 'users: "alice@evil.com" matches none of [*@org.com]');
    no({ users: ['*'] }, {}, 'users: no user is known for this notification');
    // regex characters in a username are literal
    no({ users: ['a.b@org.com'] }, { user: 'axb@org.com' }, 'users: "axb@org.com" matches none of [a.b@org.com]');
  });

  it('labelSelector: matchLabels', () => {
    yes({ labelSelector: { matchLabels: { app: 'web', tier: 'frontend' } } }, { labels: { app: 'web', tier: 'frontend', x: 'y' } });
    no({ labelSelector: { matchLabels: { app: 'web' } } }, { labels: { app: 'api' } }, 'labelSelector: app="api", want "web"');
    no({ labelSelector: { matchLabels: { app: 'web' } } }, { labels: {} }, 'labelSelector: app is missing (want app=web)');
    yes({ labelSelector: {} }, { labels: {} });
  });

  it('labelSelector: each operator', () => {
    const sel = (operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist', values?: string[]): MatchSpec => ({ labelSelector: { matchExpressions: [{ key: 'env', operator, values }] } });
    yes(sel('In', ['prod', 'staging']), { labels: { env: 'prod' } });
    no(sel('In', ['prod']), { labels: { env: 'dev' } }, 'labelSelector: env="dev" not In [prod]');
    no(sel('In', ['prod']), { labels: {} }, 'labelSelector: env is missing (want env In [prod])');
    yes(sel('NotIn', ['prod']), { labels: { env: 'dev' } });
    yes(sel('NotIn', ['prod']), { labels: {} });
    no(sel('NotIn', ['prod']), { labels: { env: 'prod' } }, 'labelSelector: env="prod" is In [prod] (want NotIn)');
    yes(sel('Exists'), { labels: { env: '' } });
    no(sel('Exists'), { labels: {} }, 'labelSelector: env is missing (want Exists)');
    yes(sel('DoesNotExist'), { labels: {} });
    no(sel('DoesNotExist'), { labels: { env: 'x' } }, 'labelSelector: env="x" exists (want DoesNotExist)');
  });

  it('all fields given must hold; the first that fails is the why', () => {
    const m: MatchSpec = { kinds: ['Pod'], reasons: ['OOMKilled'], severities: ['critical'], cel: 'count > 3' };
    yes(m, { kind: 'Pod', reason: 'OOMKilled', count: 4 });
    no(m, { kind: 'Pod', reason: 'OOMKilled', count: 2 }, 'cel: false');
    no(m, { kind: 'Pod', reason: 'Evicted', count: 9 }, 'reasons: "Evicted" not in [OOMKilled]');
  });

  it('a matched route says which conditions it has', () => {
    assert.equal(verdict({ kinds: ['Pod'], users: ['*'], cel: 'true' }, { user: 'u' }).why, 'matched: kinds, users, cel');
  });
});

describe('cel', () => {
  it('sees the notification as variables', () => {
    const n: N = { kind: 'Deployment', ns: 'prod', name: 'web', reason: 'RolloutCompleted', severity: 'info', state: 'firing', eventType: 'Normal', detector: 'rollout', user: 'expert@org.com', groups: ['admins'], labels: { app: 'web' }, fields: { revision: '3' }, count: 7, message: 'Rollout complete', owner: { kind: 'Deployment', name: 'web' } };
    for (const cel of [
      'kind == "Deployment" && ns == "prod" && name == "web"',
      'object.namespace == "prod" && object.kind == "Deployment" && object.apiVersion == "v1"',
      'reason == "RolloutCompleted" && severity == "info" && state == "firing" && eventType == "Normal" && detector == "rollout"',
      'user == "expert@org.com" && "admins" in groups',
      'labels.app == "web" && fields["revision"] == "3" && count == 7 && count > 6.5',
      'message.lowerAscii().contains("complete") && owner.kind == "Deployment" && cluster == "test"',
      'groups.exists(g, g.startsWith("adm")) && size(labels) == 1',
    ]) {
      yes({ cel }, n);
    }
    yes({ cel: 'owner.kind == ""' }, { owner: undefined });
    yes({ cel: 'user == "" && size(groups) == 0' }, {});
  });

  it('the three example rules', () => {
    const cel = 'user == "expert@org.com" && kind == "Deployment"';
    yes({ cel }, { kind: 'Deployment', user: 'expert@org.com' });
    no({ cel }, { kind: 'Deployment', user: 'bob@org.com' }, 'cel: false');
    no({ cel }, { kind: 'Pod', user: 'expert@org.com' }, 'cel: false');
  });

  it('a run-time error is no match, with the error in why', () => {
    const table = compileRoutes([route('r', { cel: 'labels.team == "x"' })], CONFIG_SINKS);
    const n = notification({ labels: {} });
    assert.deepEqual(table.explain(n).decisions, [{ routeId: 'config/r', matched: false, why: 'cel: error: field not found: team', sinks: [] }]);
    // match() reports it too (for logs and counters), and delivers nowhere
    assert.deepEqual(table.match(n), { sinks: [], dropped: false, decisions: [{ routeId: 'config/r', matched: false, why: 'cel: error: field not found: team', sinks: [] }] });
    assert.deepEqual(table.match(notification({ labels: { team: 'x' } })).sinks, ['config/a']);
    no({ cel: 'int(fields["exitCode"]) == 137' }, { fields: { exitCode: 'x' } }, 'cel: error: Cannot convert x to a BigInt');
    no({ cel: 'count / (count - count) > 1' }, { count: 3 }, 'cel: error: int divide by zero');
  });

  it('a dyn expression that is not a bool at run time is an error, not a match', () => {
    no({ cel: 'dyn(reason)' }, {}, 'cel: error: expected bool, got string');
  });
});
