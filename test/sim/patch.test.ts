// PATCH bodies as kube-apiserver applies them: JSON patch, merge patch,
// strategic merge patch and server-side apply, and the exact errors each
// malformed or inapplicable patch gets.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../../src/sim/errors.ts';
import { applyPatch, goJsonSyntaxError, patchTypeOf, type PatchContext, type PatchType } from '../../src/sim/patch.ts';
import type { KObject } from '../../src/sim/types.ts';

function rejects(fn: () => unknown, code: number, reason: string, message: string, details?: unknown): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ApiError, `expected ApiError, got ${String(e)}`);
    assert.equal(e.code, code);
    assert.equal(e.reason, reason);
    assert.equal(e.message, message);
    if (details !== undefined) assert.deepEqual(e.details, details);
    return true;
  });
}

const UNPROCESSABLE = 'the server rejected our request due to an error in our request';
const BUILTIN_415 =
  'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml';
const CR_415 =
  'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml';

const POD_CTX: PatchContext = { group: '', kind: 'Pod', crd: false };
const DEPLOY_CTX: PatchContext = { group: 'apps', kind: 'Deployment', crd: false };

function pod(): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'web',
      namespace: 'default',
      labels: { app: 'web', tier: 'front' },
      finalizers: ['a', 'b'],
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u1' }],
    },
    spec: {
      containers: [
        {
          name: 'app',
          image: 'app:1',
          args: ['--x'],
          env: [
            { name: 'A', value: '1' },
            { name: 'B', value: '2' },
          ],
          ports: [{ containerPort: 80 }, { containerPort: 443 }],
          volumeMounts: [{ name: 'data', mountPath: '/data' }],
        },
        { name: 'sidecar', image: 'side:1' },
      ],
      volumes: [{ name: 'data', emptyDir: {} }],
      tolerations: [{ key: 't1', operator: 'Exists' }],
      nodeSelector: { disk: 'ssd' },
    },
    status: {
      phase: 'Running',
      conditions: [
        { type: 'Ready', status: 'True' },
        { type: 'PodScheduled', status: 'True' },
      ],
    },
  };
}

const run = (type: PatchType, obj: KObject, body: unknown, ctx: PatchContext = POD_CTX): KObject =>
  applyPatch(type, obj, typeof body === 'string' ? body : JSON.stringify(body), ctx);
const spec = (o: KObject): any => o.spec;
const names = (list: { name: string }[]): string[] => list.map((c) => c.name);

describe('patchTypeOf', () => {
  it('maps each patch media type, dropping parameters', () => {
    assert.equal(patchTypeOf('application/json-patch+json'), 'json');
    assert.equal(patchTypeOf('application/merge-patch+json'), 'merge');
    assert.equal(patchTypeOf('application/strategic-merge-patch+json; charset=utf-8'), 'strategic');
    assert.equal(patchTypeOf('application/apply-patch+yaml;charset=utf-8'), 'apply');
    assert.equal(patchTypeOf('application/merge-patch+json', true), 'merge');
  });

  it('answers 415 for anything else, exactly as the handler compares', () => {
    for (const ct of [undefined, '', 'application/json', 'Application/Merge-Patch+json', 'application/merge-patch+json ; charset=utf-8'])
      rejects(() => patchTypeOf(ct), 415, 'UnsupportedMediaType', BUILTIN_415);
    rejects(() => patchTypeOf('application/strategic-merge-patch+json', true), 415, 'UnsupportedMediaType', CR_415);
  });
});

describe('JSON patch', () => {
  const jp = (ops: unknown, obj: KObject = pod()) => run('json', obj, ops);

  it('adds to objects, array positions, the end and negative positions', () => {
    const out = jp([
      { op: 'add', path: '/metadata/labels/new', value: 'v' },
      { op: 'add', path: '/spec/containers/0/args/0', value: '--first' },
      { op: 'add', path: '/spec/containers/0/args/-', value: '--last' },
      { op: 'add', path: '/spec/containers/0/args/-2', value: '--before-last' },
      { op: 'add', path: '/spec/containers/0/args/-1', value: '--end' },
    ]);
    assert.equal(out.metadata.labels!.new, 'v');
    // v4 counts negative positions from the end of the list-plus-one: -1 appends.
    assert.deepEqual(spec(out).containers[0].args, ['--first', '--x', '--before-last', '--last', '--end']);
  });

  it('removes, replaces, moves and copies', () => {
    const out = jp([
      { op: 'remove', path: '/metadata/labels/tier' },
      { op: 'remove', path: '/spec/containers/1' },
      { op: 'replace', path: '/spec/containers/0/image', value: 'app:2' },
      { op: 'move', from: '/metadata/labels/app', path: '/metadata/labels/moved' },
      { op: 'copy', from: '/spec/containers/0/env/0', path: '/spec/containers/0/env/-' },
      { op: 'remove', path: '/spec/containers/0/ports/-1' },
    ]);
    assert.deepEqual(out.metadata.labels, { moved: 'web' });
    assert.deepEqual(names(spec(out).containers), ['app']);
    assert.equal(spec(out).containers[0].image, 'app:2');
    assert.deepEqual(spec(out).containers[0].env, [
      { name: 'A', value: '1' },
      { name: 'B', value: '2' },
      { name: 'A', value: '1' },
    ]);
    assert.deepEqual(spec(out).containers[0].ports, [{ containerPort: 80 }]);
  });

  it('replaces a missing object key like add (json-patch v4)', () => {
    assert.equal(jp([{ op: 'replace', path: '/metadata/labels/none', value: 'x' }]).metadata.labels!.none, 'x');
  });

  it('decodes ~0 and ~1 in pointers', () => {
    const obj = pod();
    obj.metadata.annotations = { 'example.com/a~b': 'old' };
    const out = jp([{ op: 'replace', path: '/metadata/annotations/example.com~1a~0b', value: 'new' }], obj);
    assert.deepEqual(out.metadata.annotations, { 'example.com/a~b': 'new' });
  });

  it('tests values, with null matching a missing key and objects compared one way', () => {
    assert.equal(jp([{ op: 'test', path: '/metadata/name', value: 'web' }]).metadata.name, 'web');
    jp([{ op: 'test', path: '/metadata/missing', value: null }]);
    jp([{ op: 'test', path: '/spec/nodeSelector', value: { disk: 'ssd', extra: 'ignored' } }]);
    jp([{ op: 'test', path: '/spec/containers/0/ports', value: [{ containerPort: 80 }, { containerPort: 443 }] }]);
    for (const bad of [
      { op: 'test', path: '/metadata/name', value: 'other' },
      { op: 'test', path: '/metadata/name' },
      { op: 'test', path: '/metadata/missing', value: 'x' },
      { op: 'test', path: '/spec/nodeSelector', value: {} },
      { op: 'test', path: '/spec/containers/0/ports', value: [{ containerPort: 80 }] },
    ])
      rejects(() => jp([bad]), 422, 'Invalid', UNPROCESSABLE, {});
  });

  it('answers 422 with the generic message when an operation does not apply', () => {
    for (const op of [
      { op: 'add', path: '/nope/deeper', value: 1 },
      { op: 'add', path: '/spec/containers/5', value: {} },
      { op: 'add', path: '/spec/containers/x', value: {} },
      { op: 'add', path: '', value: {} },
      { op: 'remove', path: '/metadata/labels/none' },
      { op: 'remove', path: '/spec/containers/2' },
      { op: 'replace', path: '/spec/containers/2', value: {} },
      { op: 'replace', path: '/metadata/labels/app/x', value: 1 },
      { op: 'move', from: '/metadata/none', path: '/metadata/x' },
      { op: 'copy', from: '/spec/containers/9', path: '/metadata/x' },
      { op: 'frob', path: '/metadata' },
      { path: '/metadata' },
      { op: 'add', value: 1 },
      null,
    ])
      rejects(() => jp([op]), 422, 'Invalid', UNPROCESSABLE, {});
  });

  it('answers 400 with encoding/json’s message for bodies that are not a patch', () => {
    rejects(() => jp('[{"op":'), 400, 'BadRequest', 'unexpected end of JSON input');
    rejects(() => jp(''), 400, 'BadRequest', 'unexpected end of JSON input');
    rejects(() => jp('[x]'), 400, 'BadRequest', "invalid character 'x' looking for beginning of value");
    rejects(() => jp({ op: 'add' }), 400, 'BadRequest', 'json: cannot unmarshal object into Go value of type jsonpatch.Patch');
    rejects(() => jp(['add']), 400, 'BadRequest', 'json: cannot unmarshal string into Go value of type jsonpatch.Operation');
  });

  it('treats a null body as no operations and caps operations at 10000', () => {
    assert.deepEqual(jp('null'), pod());
    const many = Array.from({ length: 10001 }, () => ({ op: 'test', path: '/metadata/name', value: 'web' }));
    rejects(
      () => jp(many),
      413,
      'RequestEntityTooLarge',
      'Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001',
    );
  });

  it('never mutates the original, keeps the kind, and drops nulls when decoding', () => {
    const obj = pod();
    const before = JSON.stringify(obj);
    const out = jp(
      [
        { op: 'remove', path: '/kind' },
        { op: 'remove', path: '/apiVersion' },
        { op: 'add', path: '/metadata/labels/gone' },
        { op: 'add', path: '/spec/containers/0/image', value: 'app:9' },
      ],
      obj,
    );
    assert.equal(JSON.stringify(obj), before);
    assert.equal(out.kind, 'Pod');
    assert.equal(out.apiVersion, 'v1');
    assert.equal(Object.hasOwn(out.metadata.labels!, 'gone'), false);
    assert.equal(jp([{ op: 'replace', path: '/kind', value: 'Other' }]).kind, 'Other');
  });

  it('answers 422 Invalid when the result no longer decodes as the kind', () => {
    assert.throws(
      () => jp([{ op: 'replace', path: '/metadata', value: 'x' }]),
      (e: ApiError) =>
        e.code === 422 &&
        e.reason === 'Invalid' &&
        e.message.startsWith(' "" is invalid: patch: Invalid value: "{\\"apiVersion\\":') &&
        e.message.endsWith(': json: cannot unmarshal string into Go struct field Pod.metadata of type v1.ObjectMeta') &&
        e.details?.causes?.[0].field === 'patch' &&
        e.details?.causes?.[0].reason === 'FieldValueInvalid',
    );
  });
});

describe('JSON merge patch', () => {
  const mp = (body: unknown, obj: KObject = pod(), ctx: PatchContext = POD_CTX) => run('merge', obj, body, ctx);

  it('merges objects recursively, deletes on null and replaces lists whole', () => {
    const out = mp({
      metadata: { labels: { tier: null, new: 'v' } },
      spec: { containers: [{ name: 'only', image: 'x', drop: null }], nodeSelector: null },
      status: { phase: 'Succeeded' },
    });
    assert.deepEqual(out.metadata.labels, { app: 'web', new: 'v' });
    assert.deepEqual(spec(out).containers, [{ name: 'only', image: 'x' }]);
    assert.equal(Object.hasOwn(spec(out), 'nodeSelector'), false);
    assert.deepEqual((out.status as any).phase, 'Succeeded');
    assert.deepEqual((out.status as any).conditions.length, 2);
  });

  it('replaces non-objects by the patch value with its nulls pruned', () => {
    const out = mp({ metadata: { name: { nested: { keep: 1, gone: null } } } });
    assert.deepEqual(out.metadata.name, { nested: { keep: 1 } });
  });

  it('rejects what evanphx/json-patch calls an invalid patch', () => {
    for (const body of ['{', '', 'null', '"str"', '3', 'true'])
      rejects(() => mp(body), 400, 'BadRequest', 'Invalid JSON Patch');
  });

  it('lets a top-level array replace the document, which then fails to decode', () => {
    rejects(
      () => mp([1]),
      422,
      'Invalid',
      ' "" is invalid: patch: Invalid value: "[1]": couldn\'t get version/kind; json parse error: json: cannot unmarshal array into Go value of type struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }',
    );
  });

  it('works the same for custom resources', () => {
    const cr: KObject = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { a: 1, list: [1, 2] } };
    const out = mp({ spec: { a: null, b: 2, list: [3] } }, cr, { group: 'example.com', kind: 'Widget', crd: true });
    assert.deepEqual(out.spec, { b: 2, list: [3] });
  });
});

describe('strategic merge patch', () => {
  const sp = (body: unknown, obj: KObject = pod(), ctx: PatchContext = POD_CTX) => run('strategic', obj, body, ctx);

  it('merges containers by name, recursing into env, ports and volumeMounts by their keys', () => {
    const out = sp({
      spec: {
        containers: [
          {
            name: 'app',
            image: 'app:2',
            env: [{ name: 'B', value: 'two' }, { name: 'C', value: '3' }],
            ports: [{ containerPort: 443, name: 'https' }],
            volumeMounts: [{ name: 'data', mountPath: '/data', readOnly: true }],
            args: ['--y'],
          },
        ],
      },
    });
    const app = spec(out).containers[0];
    assert.deepEqual(names(spec(out).containers), ['app', 'sidecar']);
    assert.equal(app.image, 'app:2');
    // New list items go in front of the live-only ones: strategicpatch's normalizeElementOrder.
    assert.deepEqual(app.env, [
      { name: 'A', value: '1' },
      { name: 'B', value: 'two' },
      { name: 'C', value: '3' },
    ]);
    assert.deepEqual(app.ports, [{ containerPort: 80 }, { containerPort: 443, name: 'https' }]);
    assert.deepEqual(app.volumeMounts, [{ name: 'data', mountPath: '/data', readOnly: true }]);
    assert.deepEqual(app.args, ['--y']); // no merge strategy: replaced
  });

  it('puts new merge-list items before the existing ones', () => {
    const out = sp({ spec: { containers: [{ name: 'new', image: 'n:1' }] } });
    assert.deepEqual(names(spec(out).containers), ['new', 'app', 'sidecar']);
  });

  it('replaces lists without a merge strategy (tolerations) and merges maps', () => {
    const out = sp({ spec: { tolerations: [{ key: 't2' }], nodeSelector: { zone: 'a' } } });
    assert.deepEqual(spec(out).tolerations, [{ key: 't2' }]);
    assert.deepEqual(spec(out).nodeSelector, { disk: 'ssd', zone: 'a' });
  });

  it('deletes keys set to null and discards nulls inside new values', () => {
    const out = sp({ metadata: { labels: { tier: null } }, spec: { nodeSelector: null, hostname: null, affinity: { a: 1, b: null } } });
    assert.deepEqual(out.metadata.labels, { app: 'web' });
    assert.equal(Object.hasOwn(spec(out), 'nodeSelector'), false);
    assert.deepEqual(spec(out).affinity, { a: 1 });
  });

  it('merges status conditions by type, pod IPs by ip, owner references by uid', () => {
    const out = sp({
      metadata: { ownerReferences: [{ uid: 'u1', controller: true }, { uid: 'u2', name: 'other' }] },
      status: { conditions: [{ type: 'Ready', status: 'False' }], podIPs: [{ ip: '10.0.0.1' }] },
    });
    assert.deepEqual((out.status as any).conditions, [
      { type: 'Ready', status: 'False' },
      { type: 'PodScheduled', status: 'True' },
    ]);
    assert.deepEqual((out.status as any).podIPs, [{ ip: '10.0.0.1' }]);
    assert.deepEqual(out.metadata.ownerReferences, [
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u1', controller: true },
      { uid: 'u2', name: 'other' },
    ]);
  });

  it('merges finalizers as a set and deletes from it with $deleteFromPrimitiveList', () => {
    // Live-only items that come before patched ones in live order keep their place...
    assert.deepEqual(sp({ metadata: { finalizers: ['b', 'c'] } }).metadata.finalizers, ['a', 'b', 'c']);
    // ...while items new to the list are placed first.
    assert.deepEqual(sp({ metadata: { finalizers: ['c'] } }).metadata.finalizers, ['c', 'a', 'b']);
    assert.deepEqual(sp({ metadata: { '$deleteFromPrimitiveList/finalizers': ['a', 'zz'] } }).metadata.finalizers, ['b']);
    const bare = pod();
    delete bare.metadata.finalizers;
    assert.equal(Object.hasOwn(sp({ metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] } }, bare).metadata, 'finalizers'), false);
  });

  it('reuses the pod spec table under a Deployment’s template, with its own status conditions', () => {
    const deploy: KObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd' },
      spec: { replicas: 1, template: { metadata: { labels: { app: 'd' } }, spec: pod().spec as any } },
      status: { conditions: [{ type: 'Available', status: 'True' }] },
    };
    const out = sp(
      {
        spec: { template: { spec: { containers: [{ name: 'sidecar', image: 'side:2' }] } } },
        status: { conditions: [{ type: 'Progressing', status: 'True' }] },
      },
      deploy,
      DEPLOY_CTX,
    );
    const containers = (out.spec as any).template.spec.containers;
    assert.deepEqual(names(containers), ['app', 'sidecar']);
    assert.equal(containers[1].image, 'side:2');
    assert.deepEqual(names(((out.status as any).conditions as any[]).map((c) => ({ name: c.type }))), ['Progressing', 'Available']);
  });

  it('merges service ports by port and node addresses by type', () => {
    const svc: KObject = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ port: 80, targetPort: 8080 }] } };
    const out = sp({ spec: { ports: [{ port: 80, name: 'http' }] } }, svc, { group: '', kind: 'Service', crd: false });
    assert.deepEqual((out.spec as any).ports, [{ port: 80, targetPort: 8080, name: 'http' }]);
    const node: KObject = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'n' },
      status: { addresses: [{ type: 'InternalIP', address: '10.0.0.1' }, { type: 'Hostname', address: 'n' }] },
    };
    const n2 = sp({ status: { addresses: [{ type: 'InternalIP', address: '10.0.0.9' }] } }, node, { group: '', kind: 'Node', crd: false });
    assert.deepEqual((n2.status as any).addresses, [
      { type: 'InternalIP', address: '10.0.0.9' },
      { type: 'Hostname', address: 'n' },
    ]);
  });

  it('replaces every list of kinds it has no table for, except metadata’s', () => {
    const cm: KObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', finalizers: ['x'] }, data: { a: '1' }, list: [1, 2] };
    const out = sp({ metadata: { finalizers: ['y'] }, data: { b: '2' }, list: [3] }, cm, { group: '', kind: 'ConfigMap', crd: false });
    assert.deepEqual(out.metadata.finalizers, ['y', 'x']);
    assert.deepEqual(out.data, { a: '1', b: '2' });
    assert.deepEqual(out.list, [3]);
  });

  it('honours $patch: delete and replace in list elements', () => {
    assert.deepEqual(names(spec(sp({ spec: { containers: [{ name: 'app', $patch: 'delete' }] } })).containers), ['sidecar']);
    const replaced = sp({ spec: { containers: [{ name: 'solo', image: 's', env: [{ name: 'X', value: null }] }, { $patch: 'replace' }] } });
    assert.deepEqual(spec(replaced).containers, [{ name: 'solo', image: 's', env: [{ name: 'X' }] }]);
    rejects(() => sp({ spec: { containers: [{ name: 'app', $patch: 'merge' }] } }), 500, '', 'merging lists cannot yet be specified in the patch');
    rejects(
      () => sp({ spec: { containers: [{ name: 'app', $patch: 'frob' }] } }),
      500,
      '',
      'unknown patch type: frob in map: map[$patch:frob name:app]',
    );
    rejects(
      () => sp({ spec: { containers: [{ $patch: 'delete' }] } }),
      500,
      '',
      'map: map[$patch:delete] does not contain declared merge key: name',
    );
  });

  it('honours $patch: replace and delete in maps, and refuses merge', () => {
    assert.deepEqual(spec(sp({ spec: { nodeSelector: { $patch: 'replace', zone: 'b' } } })).nodeSelector, { zone: 'b' });
    assert.deepEqual(spec(sp({ spec: { nodeSelector: { $patch: 'delete' } } })).nodeSelector, {});
    const whole = sp({ $patch: 'replace', apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web' } });
    assert.deepEqual(whole, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web' } });
    rejects(() => sp({ spec: { nodeSelector: { $patch: 'merge' } } }), 500, '', 'unknown patch type: merge in map: map[$patch:merge]');
  });

  it('clears keys missing from $retainKeys and validates it', () => {
    const out = sp({ spec: { volumes: [{ name: 'data', hostPath: { path: '/x' }, $retainKeys: ['hostPath', 'name'] }] } });
    assert.deepEqual(spec(out).volumes, [{ name: 'data', hostPath: { path: '/x' } }]);
    rejects(() => sp({ spec: { $retainKeys: 'containers' } }), 400, 'BadRequest', 'invalid patch format of retainKeys');
    rejects(
      () => sp({ spec: { $retainKeys: ['containers'], tolerations: [] } }),
      400,
      'BadRequest',
      'invalid patch format of retainKeys',
    );
  });

  it('orders lists by $setElementOrder, for maps and primitives', () => {
    const out = sp({
      metadata: { '$setElementOrder/finalizers': ['c', 'b', 'a'], finalizers: ['c'] },
      spec: {
        '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'new' }, { name: 'app' }],
        containers: [{ name: 'new', image: 'n' }],
      },
    });
    assert.deepEqual(out.metadata.finalizers, ['c', 'b', 'a']);
    assert.deepEqual(names(spec(out).containers), ['sidecar', 'new', 'app']);
    rejects(
      () => sp({ spec: { '$setElementOrder/containers': [{ name: 'app' }], containers: [{ name: 'x', image: 'y' }] } }),
      500,
      '',
      "The order in patch list:\n[map[image:y name:x]]\n doesn't match $setElementOrder list:\n[map[name:app]]\n",
    );
    rejects(() => sp({ spec: { $setElementOrder: [] } }), 400, 'BadRequest', 'invalid patch format of setElementOrder list');
    rejects(() => sp({ spec: { '$setElementOrder/containers': 'x' } }), 500, '', 'expected a []interface {}, but received a string');
  });

  it('reports malformed directives and lists', () => {
    rejects(() => sp({ metadata: { $deleteFromPrimitiveList: ['a'] } }), 400, 'BadRequest', 'invalid patch format of primitive list');
    rejects(() => sp({ spec: { containers: [{ image: 'x' }] } }), 500, '', 'map: map[image:x] does not contain declared merge key: name');
    const empty = pod();
    empty.metadata.finalizers = [];
    rejects(() => sp({ metadata: { finalizers: [['x']] } }, empty), 422, 'Invalid', UNPROCESSABLE, {});
    rejects(() => sp({ metadata: { finalizers: [1] } }), 500, '', 'list element types are not identical: [[a b] [1]]');
  });

  it('answers 400 for bodies that are not a JSON object; null changes nothing', () => {
    rejects(() => sp('{"spec": }'), 400, 'BadRequest', "invalid character '}' looking for beginning of value");
    rejects(() => sp([]), 400, 'BadRequest', 'json: cannot unmarshal array into Go value of type map[string]interface {}');
    rejects(() => sp('"x"'), 400, 'BadRequest', 'json: cannot unmarshal string into Go value of type map[string]interface {}');
    assert.deepEqual(sp('null'), pod());
  });

  it('is refused for custom resources with 415', () => {
    const cr: KObject = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } };
    rejects(() => sp({}, cr, { group: 'example.com', kind: 'Widget', crd: true }), 415, 'UnsupportedMediaType', CR_415);
  });

  it('never mutates its input', () => {
    const obj = pod();
    const before = JSON.stringify(obj);
    sp({ spec: { containers: [{ name: 'app', image: 'z', env: [{ name: 'A', $patch: 'delete' }] }] }, metadata: { labels: null } }, obj);
    assert.equal(JSON.stringify(obj), before);
  });
});

describe('server-side apply', () => {
  const ap = (body: string, obj: KObject = pod(), ctx: PatchContext = POD_CTX) => applyPatch('apply', obj, body, ctx);

  it('builds the object from an empty original', () => {
    const out = ap('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: "1"\n', { metadata: {} }, {
      group: '',
      kind: 'ConfigMap',
      crd: false,
    });
    assert.deepEqual(out, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '1' } });
  });

  it('merges maps and keyed lists, keeping live-only items in place', () => {
    const out = ap(
      [
        'apiVersion: v1',
        'kind: Pod',
        'metadata:',
        '  labels: {new: v}',
        'spec:',
        '  containers:',
        '  - name: sidecar',
        '    image: side:2',
        '  - name: extra',
        '    image: e',
        '  tolerations: [{key: t9}]',
      ].join('\n'),
    );
    assert.deepEqual(out.metadata.labels, { app: 'web', tier: 'front', new: 'v' });
    assert.deepEqual(names(spec(out).containers), ['app', 'sidecar', 'extra']);
    assert.equal(spec(out).containers[1].image, 'side:2');
    assert.equal(spec(out).containers[0].image, 'app:1');
    assert.deepEqual(spec(out).tolerations, [{ key: 't9' }]); // atomic
  });

  it('orders shared items as the applied list does', () => {
    const out = ap('{"apiVersion":"v1","kind":"Pod","spec":{"containers":[{"name":"sidecar"},{"name":"app"}]}}');
    assert.deepEqual(names(spec(out).containers), ['sidecar', 'app']);
  });

  it('keys container ports by containerPort and protocol, defaulting TCP', () => {
    const body = JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      spec: { containers: [{ name: 'app', ports: [{ containerPort: 80, name: 'http' }, { containerPort: 80, protocol: 'UDP' }] }] },
    });
    assert.deepEqual(spec(ap(body)).containers[0].ports, [
      { containerPort: 80, name: 'http' },
      { containerPort: 443 },
      { containerPort: 80, protocol: 'UDP' },
    ]);
  });

  it('unions set lists, replaces atomic maps, deletes nulls', () => {
    const out = ap(
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { finalizers: ['c', 'a'], labels: { tier: null } },
        spec: { nodeSelector: { zone: 'z' } },
      }),
    );
    assert.deepEqual(out.metadata.finalizers, ['c', 'a', 'b']);
    assert.deepEqual(out.metadata.labels, { app: 'web' });
    assert.deepEqual(spec(out).nodeSelector, { zone: 'z' });
  });

  it('treats a Deployment’s selector as atomic and its template like a pod spec', () => {
    const deploy: KObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd' },
      spec: { selector: { matchLabels: { app: 'd', x: 'y' } }, template: { spec: { containers: [{ name: 'a', image: '1' }] } } },
    };
    const out = ap(
      'apiVersion: apps/v1\nkind: Deployment\nspec:\n  selector:\n    matchLabels: {app: d}\n  template:\n    spec:\n      containers:\n      - name: b\n        image: "2"\n',
      deploy,
      DEPLOY_CTX,
    );
    assert.deepEqual((out.spec as any).selector, { matchLabels: { app: 'd' } });
    assert.deepEqual(names((out.spec as any).template.spec.containers), ['a', 'b']);
  });

  it('uses a CRD schema’s list types for custom resources', () => {
    const ctx: PatchContext = {
      group: 'example.com',
      kind: 'Widget',
      crd: true,
      schema: {
        type: 'object',
        properties: {
          spec: {
            type: 'object',
            properties: {
              items: {
                type: 'array',
                'x-kubernetes-list-type': 'map',
                'x-kubernetes-list-map-keys': ['id'],
                items: { type: 'object', properties: { id: { type: 'string' }, v: { type: 'integer' } } },
              },
              tags: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } },
              plain: { type: 'array', items: { type: 'string' } },
            },
          },
        },
      },
    };
    const cr: KObject = {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w' },
      spec: { items: [{ id: 'a', v: 1 }, { id: 'b', v: 2 }], tags: ['x'], plain: ['p'] },
    };
    const out = ap(
      JSON.stringify({ apiVersion: 'example.com/v1', kind: 'Widget', spec: { items: [{ id: 'b', v: 3 }], tags: ['y'], plain: ['q'] } }),
      cr,
      ctx,
    );
    assert.deepEqual(out.spec, { items: [{ id: 'a', v: 1 }, { id: 'b', v: 3 }], tags: ['x', 'y'], plain: ['q'] });
  });

  it('checks the version, managedFields and the body like the real apply patcher', () => {
    rejects(
      () => ap('apiVersion: apps/v1\nkind: Pod\n', pod(), { ...POD_CTX, version: 'v1' }),
      400,
      'BadRequest',
      'Incorrect version specified in apply patch. Specified patch version: apps/v1, expected: v1',
    );
    rejects(
      () => ap('kind: Pod\n'),
      400,
      'BadRequest',
      'Incorrect version specified in apply patch. Specified patch version: , expected: v1',
    );
    rejects(
      () => ap('apiVersion: v1\nkind: Pod\nmetadata:\n  managedFields: []\n'),
      400,
      'BadRequest',
      'metadata.managedFields must be nil',
    );
    rejects(
      () => ap('- a\n- b\n'),
      400,
      'BadRequest',
      'error decoding YAML: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go value of type map[string]interface {}',
    );
    assert.throws(
      () => ap('a: [\n'),
      (e: ApiError) => e.code === 400 && e.reason === 'BadRequest' && e.message.startsWith('error decoding YAML: error converting YAML to JSON: yaml: line '),
    );
    rejects(
      () => ap('apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - image: x\n'),
      500,
      '',
      'failed to create typed patch object (/; /v1, Kind=Pod): .spec.containers: element 0: associative list with keys has an element that omits key field "name" (and doesn\'t have default value)',
    );
  });
});

describe('goJsonSyntaxError', () => {
  it('reproduces encoding/json’s scanner messages', () => {
    assert.equal(goJsonSyntaxError('{"a": [1, 2.5e3, true, null, "x\\u00e9"]}'), null);
    assert.equal(goJsonSyntaxError(''), 'unexpected end of JSON input');
    assert.equal(goJsonSyntaxError('{"a":1'), 'unexpected end of JSON input');
    assert.equal(goJsonSyntaxError('{a:1}'), "invalid character 'a' looking for beginning of object key string");
    assert.equal(goJsonSyntaxError('{"a" 1}'), "invalid character '1' after object key");
    assert.equal(goJsonSyntaxError('{"a":1 "b":2}'), "invalid character '\"' after object key:value pair");
    assert.equal(goJsonSyntaxError('[1 2]'), "invalid character '2' after array element");
    assert.equal(goJsonSyntaxError('{} x'), "invalid character 'x' after top-level value");
    assert.equal(goJsonSyntaxError("'a'"), "invalid character '\\'' looking for beginning of value");
    assert.equal(goJsonSyntaxError('"a\nb"'), "invalid character '\\n' in string literal");
    assert.equal(goJsonSyntaxError('"\\q"'), "invalid character 'q' in string escape code");
    assert.equal(goJsonSyntaxError('"\\u12g4"'), "invalid character 'g' in \\u hexadecimal character escape");
    assert.equal(goJsonSyntaxError('-a'), "invalid character 'a' in numeric literal");
    assert.equal(goJsonSyntaxError('1.e5'), "invalid character 'e' after decimal point in numeric literal");
    assert.equal(goJsonSyntaxError('1e+'), 'unexpected end of JSON input');
    assert.equal(goJsonSyntaxError('1ex'), "invalid character 'x' in exponent of numeric literal");
    assert.equal(goJsonSyntaxError('01'), "invalid character '1' after top-level value");
    assert.equal(goJsonSyntaxError('tru'), 'unexpected end of JSON input');
    assert.equal(goJsonSyntaxError('nul1'), "invalid character '1' in literal null (expecting 'l')");
  });
});
