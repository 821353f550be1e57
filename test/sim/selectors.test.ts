// Label and field selectors: apimachinery's syntax, matching and the exact
// BadRequest messages the real API server answers bad selectors with.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../../src/sim/errors.ts';
import {
  formatLabelSelector,
  labelSelectorFromObject,
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
} from '../../src/sim/selectors.ts';
import type { KObject } from '../../src/sim/types.ts';

function rejects(fn: () => unknown, code: number, reason: string, message: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ApiError, `expected ApiError, got ${String(e)}`);
    assert.equal(e.code, code);
    assert.equal(e.reason, reason);
    assert.equal(e.message, message);
    return true;
  });
}

const badRequest = (fn: () => unknown, message: string) => rejects(fn, 400, 'BadRequest', message);

const QNAME_REGEX_MSG =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const VALUE_REGEX_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

describe('parseLabelSelector', () => {
  it('parses every operator', () => {
    assert.deepEqual(parseLabelSelector('a=b'), [{ key: 'a', op: '=', values: ['b'] }]);
    assert.deepEqual(parseLabelSelector('a==b'), [{ key: 'a', op: '==', values: ['b'] }]);
    assert.deepEqual(parseLabelSelector('a!=b'), [{ key: 'a', op: '!=', values: ['b'] }]);
    assert.deepEqual(parseLabelSelector('a in (y,x)'), [{ key: 'a', op: 'in', values: ['x', 'y'] }]);
    assert.deepEqual(parseLabelSelector('a notin (x)'), [{ key: 'a', op: 'notin', values: ['x'] }]);
    assert.deepEqual(parseLabelSelector('a'), [{ key: 'a', op: 'exists', values: [] }]);
    assert.deepEqual(parseLabelSelector('!a'), [{ key: 'a', op: '!', values: [] }]);
    assert.deepEqual(parseLabelSelector('a>1'), [{ key: 'a', op: 'gt', values: ['1'] }]);
    assert.deepEqual(parseLabelSelector('a<3'), [{ key: 'a', op: 'lt', values: ['3'] }]);
  });

  it('sorts requirements by key, dedupes and sorts set values, tolerates whitespace', () => {
    assert.deepEqual(parseLabelSelector('  tier in ( b , a , b ) ,  app = web,!legacy  '), [
      { key: 'app', op: '=', values: ['web'] },
      { key: 'legacy', op: '!', values: [] },
      { key: 'tier', op: 'in', values: ['a', 'b'] },
    ]);
  });

  it('accepts empty values the way apimachinery does', () => {
    assert.deepEqual(parseLabelSelector('a='), [{ key: 'a', op: '=', values: [''] }]);
    assert.deepEqual(parseLabelSelector('a=,b'), [
      { key: 'a', op: '=', values: [''] },
      { key: 'b', op: 'exists', values: [] },
    ]);
    assert.deepEqual(parseLabelSelector('x in (foo,,baz)')[0].values, ['', 'baz', 'foo']);
    assert.deepEqual(parseLabelSelector('x in ()')[0].values, ['']);
    assert.deepEqual(parseLabelSelector('x in (,a)')[0].values, ['', 'a']);
    assert.deepEqual(parseLabelSelector('x in (a,)')[0].values, ['', 'a']);
  });

  it('treats in/notin as values in value position', () => {
    assert.deepEqual(parseLabelSelector('in in (in,notin)'), [{ key: 'in', op: 'in', values: ['in', 'notin'] }]);
    assert.deepEqual(parseLabelSelector('x=in'), [{ key: 'x', op: '=', values: ['in'] }]);
  });

  it('accepts prefixed keys and the empty selector', () => {
    assert.deepEqual(parseLabelSelector('app.kubernetes.io/name=web'), [
      { key: 'app.kubernetes.io/name', op: '=', values: ['web'] },
    ]);
    assert.deepEqual(parseLabelSelector(''), []);
    assert.deepEqual(parseLabelSelector('   '), []);
  });

  it('reports syntax errors with the parser messages', () => {
    badRequest(() => parseLabelSelector('a=b c'), "found 'c', expected: ',' or 'end of string'");
    badRequest(() => parseLabelSelector(',a'), "found ',', expected: !, identifier, or 'end of string'");
    badRequest(() => parseLabelSelector('a,'), "found '', expected: identifier after ','");
    badRequest(() => parseLabelSelector('a b'), "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt");
    badRequest(() => parseLabelSelector('a in b'), "unable to parse requirement: found 'b' expected: '('");
    badRequest(() => parseLabelSelector('a in (b'), "unable to parse requirement: found '', expected: ',' or ')'");
    badRequest(() => parseLabelSelector('a in (b c)'), "unable to parse requirement: found 'c', expected: ',' or ')'");
    badRequest(() => parseLabelSelector('a in (='), "unable to parse requirement: found '=', expected: ',', ')' or identifier");
    badRequest(() => parseLabelSelector('a=('), "unable to parse requirement: found '(', expected: identifier");
    badRequest(() => parseLabelSelector('!=a'), "found '!=', expected: !, identifier, or 'end of string'");
    badRequest(() => parseLabelSelector('!(a'), "unable to parse requirement: found '(', expected: identifier");
    badRequest(() => parseLabelSelector('!a=b'), "found '=', expected: ',' or 'end of string'");
  });

  it('validates keys as qualified names (nil field path, as labels.Parse has none)', () => {
    badRequest(() => parseLabelSelector('a$=b'), `unable to parse requirement: <nil>: Invalid value: "a$": name part ${QNAME_REGEX_MSG}`);
    badRequest(
      () => parseLabelSelector(`${'k'.repeat(64)}`),
      `unable to parse requirement: <nil>: Invalid value: "${'k'.repeat(64)}": name part must be no more than 63 characters`,
    );
    badRequest(
      () => parseLabelSelector('/a'),
      'unable to parse requirement: <nil>: Invalid value: "/a": prefix part must be non-empty',
    );
    badRequest(
      () => parseLabelSelector('Example.com/a'),
      `unable to parse requirement: <nil>: Invalid value: "Example.com/a": prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
    );
    badRequest(
      () => parseLabelSelector('a/b/c'),
      `unable to parse requirement: <nil>: Invalid value: "a/b/c": a qualified name ${QNAME_REGEX_MSG} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    );
  });

  it('validates values and gt/lt integers, aggregating several errors', () => {
    badRequest(() => parseLabelSelector('a=b$'), `unable to parse requirement: values[0][a]: Invalid value: "b$": ${VALUE_REGEX_MSG}`);
    badRequest(
      () => parseLabelSelector(`a=${'v'.repeat(64)}`),
      `unable to parse requirement: values[0][a]: Invalid value: "${'v'.repeat(64)}": must be no more than 63 characters`,
    );
    badRequest(
      () => parseLabelSelector('a in (x$,y$)'),
      `unable to parse requirement: [values[0][a]: Invalid value: "x$": ${VALUE_REGEX_MSG}, values[1][a]: Invalid value: "y$": ${VALUE_REGEX_MSG}]`,
    );
    badRequest(
      () => parseLabelSelector('a>x'),
      `unable to parse requirement: values[0]: Invalid value: "x": for 'Gt', 'Lt' operators, the value must be an integer`,
    );
    // A negative bound parses as an integer but is not a valid label value.
    badRequest(() => parseLabelSelector('a<-3'), `unable to parse requirement: values[0][a]: Invalid value: "-3": ${VALUE_REGEX_MSG}`);
    badRequest(
      () => parseLabelSelector('a<99999999999999999999'),
      `unable to parse requirement: values[0]: Invalid value: "99999999999999999999": for 'Gt', 'Lt' operators, the value must be an integer`,
    );
  });
});

describe('matchesLabels', () => {
  const labels = { app: 'web', tier: 'front', n: '5' };
  const m = (s: string, l: Record<string, string> | undefined = labels) => matchesLabels(parseLabelSelector(s), l);

  it('matches each operator', () => {
    assert.equal(m('app=web'), true);
    assert.equal(m('app==db'), false);
    assert.equal(m('app!=db'), true);
    assert.equal(m('missing!=x'), true);
    assert.equal(m('app in (db,web)'), true);
    assert.equal(m('missing in (x)'), false);
    assert.equal(m('app notin (web)'), false);
    assert.equal(m('missing notin (x)'), true);
    assert.equal(m('tier'), true);
    assert.equal(m('missing'), false);
    assert.equal(m('!missing'), true);
    assert.equal(m('!tier'), false);
    assert.equal(m('n>4'), true);
    assert.equal(m('n>5'), false);
    assert.equal(m('n<6'), true);
    assert.equal(m('app>1'), false);
    assert.equal(m('missing<9'), false);
  });

  it('ANDs requirements; empty selects all; null selects none', () => {
    assert.equal(m('app=web,tier=front'), true);
    assert.equal(m('app=web,tier=back'), false);
    assert.equal(matchesLabels([], undefined), true);
    assert.equal(matchesLabels(null, labels), false);
    assert.equal(matchesLabels(parseLabelSelector('app'), undefined), false);
    assert.equal(matchesLabels(parseLabelSelector('!app'), undefined), true);
  });
});

describe('labelSelectorFromObject', () => {
  it('follows nil = nothing, empty = everything', () => {
    assert.equal(labelSelectorFromObject(undefined), null);
    assert.equal(labelSelectorFromObject(null), null);
    assert.deepEqual(labelSelectorFromObject({}), []);
    assert.deepEqual(labelSelectorFromObject({ matchLabels: {}, matchExpressions: [] }), []);
  });

  it('converts matchLabels and every operator, sorted by key', () => {
    const sel = labelSelectorFromObject({
      matchLabels: { z: '1', app: 'web' },
      matchExpressions: [
        { key: 'tier', operator: 'In', values: ['b', 'a'] },
        { key: 'env', operator: 'NotIn', values: ['prod'] },
        { key: 'has', operator: 'Exists' },
        { key: 'gone', operator: 'DoesNotExist' },
      ],
    });
    assert.deepEqual(sel, [
      { key: 'app', op: '=', values: ['web'] },
      { key: 'env', op: 'notin', values: ['prod'] },
      { key: 'gone', op: '!', values: [] },
      { key: 'has', op: 'exists', values: [] },
      { key: 'tier', op: 'in', values: ['b', 'a'] },
      { key: 'z', op: '=', values: ['1'] },
    ]);
    assert.equal(formatLabelSelector(sel!), 'app=web,env notin (prod),!gone,has,tier in (a,b),z=1');
    assert.equal(matchesLabels(sel, { app: 'web', z: '1', has: '', tier: 'a' }), true);
    assert.equal(matchesLabels(sel, { app: 'web', z: '1', has: '', tier: 'a', gone: 'x' }), false);
  });

  it('rejects invalid selectors like LabelSelectorAsSelector', () => {
    badRequest(
      () => labelSelectorFromObject({ matchExpressions: [{ key: 'a', operator: 'Gt', values: ['1'] }] }),
      '"Gt" is not a valid label selector operator',
    );
    badRequest(
      () => labelSelectorFromObject({ matchExpressions: [{ key: 'a', operator: 'In' }] }),
      "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty",
    );
    badRequest(
      () => labelSelectorFromObject({ matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] }),
      'values: Invalid value: []string{"x"}: values set must be empty for exists and does not exist',
    );
    badRequest(() => labelSelectorFromObject({ matchLabels: { 'a$': 'b' } }), `key: Invalid value: "a$": name part ${QNAME_REGEX_MSG}`);
    badRequest(
      () => labelSelectorFromObject({ matchLabels: { a: 'b$' } }),
      `values[0][a]: Invalid value: "b$": ${VALUE_REGEX_MSG}`,
    );
  });
});

describe('formatLabelSelector', () => {
  it('prints the canonical Selector.String() form', () => {
    assert.equal(formatLabelSelector([]), '');
    assert.equal(formatLabelSelector(parseLabelSelector('app=web')), 'app=web');
    assert.equal(
      formatLabelSelector(parseLabelSelector('b==1,a!=2,c in (z,y),d notin (x),e,!f,g>3,h<4')),
      'a!=2,b==1,c in (y,z),d notin (x),e,!f,g>3,h<4',
    );
    assert.equal(formatLabelSelector(parseLabelSelector('x in ()')), 'x in ()');
  });
});

describe('parseFieldSelector', () => {
  it('parses =, == and != terms, sorted', () => {
    assert.deepEqual(parseFieldSelector('status.phase!=Running,spec.nodeName==n1,metadata.name=a', 'pods'), [
      { field: 'metadata.name', op: '=', value: 'a' },
      { field: 'spec.nodeName', op: '=', value: 'n1' },
      { field: 'status.phase', op: '!=', value: 'Running' },
    ]);
    assert.deepEqual(parseFieldSelector('', 'pods'), []);
    assert.deepEqual(parseFieldSelector('spec.nodeName=', 'pods'), [{ field: 'spec.nodeName', op: '=', value: '' }]);
    assert.deepEqual(parseFieldSelector('metadata.name=a,', 'pods'), [{ field: 'metadata.name', op: '=', value: 'a' }]);
  });

  it('unescapes \\, \\= and \\\\ in values', () => {
    assert.deepEqual(parseFieldSelector('metadata.name=a\\,b\\=c\\\\d', 'configmaps'), [
      { field: 'metadata.name', op: '=', value: 'a,b=c\\d' },
    ]);
  });

  it('reports malformed selectors like fields.ParseSelector', () => {
    badRequest(() => parseFieldSelector('metadata.name', 'pods'), "invalid selector: 'metadata.name'; can't understand 'metadata.name'");
    badRequest(() => parseFieldSelector('a=b,c', 'pods'), "invalid selector: 'a=b,c'; can't understand 'c'");
    badRequest(() => parseFieldSelector('metadata.name=a=b', 'pods'), 'invalid field selector: unescaped character in value: 61');
    badRequest(() => parseFieldSelector('metadata.name=a\\x', 'pods'), 'invalid field selector: invalid escape sequence: \\x');
    badRequest(() => parseFieldSelector('metadata.name=a\\', 'pods'), 'invalid field selector: invalid escape sequence: \\');
  });

  it('knows each kind’s field labels', () => {
    for (const f of [
      'spec.nodeName',
      'spec.restartPolicy',
      'spec.schedulerName',
      'spec.serviceAccountName',
      'spec.hostNetwork',
      'status.phase',
      'status.podIP',
      'status.podIPs',
      'status.nominatedNodeName',
      'metadata.namespace',
    ])
      assert.equal(parseFieldSelector(`${f}=x`, 'pods')[0].field, f);
    assert.equal(parseFieldSelector('spec.host=n1', 'pods')[0].field, 'spec.nodeName');
    assert.equal(parseFieldSelector('spec.unschedulable=true', 'nodes')[0].field, 'spec.unschedulable');
    assert.equal(parseFieldSelector('status.phase=Active', 'namespaces')[0].field, 'status.phase');
    assert.equal(parseFieldSelector('type=Opaque', 'secrets')[0].field, 'type');
    assert.equal(parseFieldSelector('spec.type=ClusterIP', 'services')[0].field, 'spec.type');
    assert.equal(parseFieldSelector('status.replicas=1', 'replicationcontrollers')[0].field, 'status.replicas');
    assert.equal(parseFieldSelector('status.successful=1', 'batch/jobs')[0].field, 'status.successful');
    for (const f of ['involvedObject.kind', 'involvedObject.uid', 'involvedObject.fieldPath', 'reason', 'reportingComponent', 'source', 'type'])
      assert.equal(parseFieldSelector(`${f}=x`, 'events')[0].field, f);
  });

  it('maps events.k8s.io field names onto the stored core form', () => {
    assert.deepEqual(parseFieldSelector('regarding.name=p,reportingController=k', 'events', { group: 'events.k8s.io' }), [
      { field: 'involvedObject.name', op: '=', value: 'p' },
      { field: 'reportingComponent', op: '=', value: 'k' },
    ]);
    badRequest(() => parseFieldSelector('source=x', 'events', { group: 'events.k8s.io' }), 'field label not supported: source');
  });

  it('rejects unsupported fields with each converter’s message', () => {
    badRequest(() => parseFieldSelector('spec.foo=1', 'pods'), 'field label not supported: spec.foo');
    badRequest(() => parseFieldSelector('metadata.namespace=a', 'nodes'), 'field label not supported: metadata.namespace');
    badRequest(() => parseFieldSelector('metadata.namespace=a', 'namespaces'), 'field label not supported: metadata.namespace');
    badRequest(() => parseFieldSelector('status.phase=x', 'services'), 'field label not supported: status.phase');
    badRequest(() => parseFieldSelector('involvedObject.foo=x', 'events'), 'field label not supported: involvedObject.foo');
    badRequest(() => parseFieldSelector('status.failed=1', 'batch/jobs'), 'field label "status.failed" not supported for batchv1.Job');
    // apps/v1 registers no conversion, so even status.replicas is refused (kubernetes#135136).
    badRequest(
      () => parseFieldSelector('status.replicas=0', 'apps/replicasets'),
      '"status.replicas" is not a known field selector: only "metadata.name", "metadata.namespace"',
    );
    badRequest(
      () => parseFieldSelector('data.x=1', 'configmaps'),
      '"data.x" is not a known field selector: only "metadata.name", "metadata.namespace"',
    );
  });

  it('treats other groups as custom resources', () => {
    assert.equal(parseFieldSelector('metadata.namespace=a', 'example.com/widgets')[0].field, 'metadata.namespace');
    badRequest(() => parseFieldSelector('status=dead', 'example.com/widgets'), 'field label not supported: status');
    badRequest(
      () => parseFieldSelector('metadata.namespace=a', 'example.com/clusterwidgets', { namespaced: false }),
      'field label not supported: metadata.namespace',
    );
    assert.equal(
      parseFieldSelector('spec.color=red', 'example.com/widgets', { selectableFields: ['spec.color'] })[0].field,
      'spec.color',
    );
  });
});

describe('matchesFields', () => {
  const pod: KObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p1', namespace: 'default' },
    spec: { restartPolicy: 'Always' },
    status: { phase: 'Pending', podIPs: [{ ip: '10.0.0.2' }, { ip: 'fd00::2' }] },
  };
  const m = (s: string, obj: KObject, storage = 'pods') => matchesFields(parseFieldSelector(s, storage), obj);

  it('compares missing values as "" and typed zero values as Go prints them', () => {
    assert.equal(m('spec.nodeName=', pod), true);
    assert.equal(m('spec.nodeName!=', pod), false);
    assert.equal(m('spec.hostNetwork=false', pod), true);
    assert.equal(m('spec.hostNetwork=true', { ...pod, spec: { hostNetwork: true } }), true);
    assert.equal(m('status.podIP=10.0.0.2', pod), true);
    assert.equal(m('status.podIPs=10.0.0.2', pod), false);
    assert.equal(m('metadata.name=p1,metadata.namespace=default,status.phase!=Running', pod), true);
    assert.equal(m('metadata.name=p1,status.phase=Running', pod), false);
    assert.equal(m('spec.unschedulable=false', { metadata: { name: 'n' } }, 'nodes'), true);
    assert.equal(m('spec.unschedulable=true', { metadata: { name: 'n' }, spec: { unschedulable: true } }, 'nodes'), true);
    assert.equal(m('status.replicas=0', { metadata: { name: 'rc' } }, 'replicationcontrollers'), true);
    assert.equal(m('status.replicas=3', { metadata: { name: 'rc' }, status: { replicas: 3 } }, 'replicationcontrollers'), true);
    assert.equal(m('status.successful=2', { metadata: { name: 'j' }, status: { succeeded: 2 } }, 'batch/jobs'), true);
    assert.equal(m('metadata.namespace=', { metadata: { name: 'n' } }, 'configmaps'), true);
  });

  it('reads events’ source from source.component, falling back to reportingComponent', () => {
    const ev: KObject = {
      metadata: { name: 'e', namespace: 'default' },
      involvedObject: { kind: 'Pod', name: 'p1', namespace: 'default', uid: 'u1' },
      reason: 'Scheduled',
      type: 'Normal',
      source: { component: 'default-scheduler' },
      reportingComponent: 'kube-scheduler',
    };
    assert.equal(m('involvedObject.kind=Pod,involvedObject.name=p1,involvedObject.uid=u1', ev, 'events'), true);
    assert.equal(m('source=default-scheduler,reportingComponent=kube-scheduler,type=Normal,reason=Scheduled', ev, 'events'), true);
    assert.equal(m('source=kube-scheduler', { ...ev, source: {} }, 'events'), true);
    assert.equal(m('involvedObject.fieldPath=', ev, 'events'), true);
  });
});
