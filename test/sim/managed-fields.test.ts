// The field manager's pure parts: the FieldsV1 encoding, path strings,
// manager names and how updates move ownership.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { builtinResourceTypes } from '../../src/sim/builtins.ts';
import { decodeFieldsV1, encodeFieldsV1, managerOf, pathString, recordApply, recordUpdate, type Writer } from '../../src/sim/managed-fields.ts';
import type { KObject } from '../../src/sim/types.ts';

const deployments = builtinResourceTypes().find((t) => t.group === 'apps' && t.resource === 'deployments')!;
const writer = (manager: string, extra: Partial<Writer> = {}): Writer => ({
  manager,
  apiVersion: 'apps/v1',
  time: '2026-01-01T00:00:00Z',
  schema: deployments.schema,
  hasStatus: true,
  ...extra,
});

const dep = (spec: Record<string, unknown>, meta: Record<string, unknown> = {}): KObject =>
  ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'n', uid: 'u', resourceVersion: '1', ...meta }, spec }) as KObject;

describe('FieldsV1', () => {
  it('round-trips, marking list items with "." and leaves with {}', () => {
    const fields = {
      'f:metadata': { 'f:finalizers': { '.': {}, 'v:"a/b"': {} }, 'f:labels': { 'f:app': {} } },
      'f:spec': { 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"web"}': { '.': {}, 'f:image': {} } } } } },
    };
    const set = decodeFieldsV1(fields);
    assert.equal(set.size, 5);
    assert.deepEqual(encodeFieldsV1(set), fields);
  });

  it('prints paths as structured-merge-diff does', () => {
    const [key] = [...decodeFieldsV1({ 'f:spec': { 'f:ports': { 'k:{"port":80,"protocol":"TCP"}': { 'f:name': {} } } } })];
    assert.equal(pathString(key), '.spec.ports[port=80,protocol="TCP"].name');
    const [value] = [...decodeFieldsV1({ 'f:metadata': { 'f:finalizers': { 'v:"x"': {} } } })];
    assert.equal(pathString(value), '.metadata.finalizers[="x"]');
  });
});

describe('managerOf', () => {
  it('takes fieldManager, else the User-Agent up to its first "/"', () => {
    assert.equal(managerOf('mine', 'kubectl/v1.32.4 (linux/amd64) kubernetes/4cb5f07'), 'mine');
    assert.equal(managerOf(null, 'kubectl/v1.32.4 (linux/amd64) kubernetes/4cb5f07'), 'kubectl');
    assert.equal(managerOf(null, 'odd\u0007name/1'), 'oddname');
    assert.equal(managerOf(null, 'x'.repeat(200)), 'x'.repeat(128));
    assert.equal(managerOf(null, undefined), '');
  });
});

describe('recordUpdate', () => {
  it('gives a creator every field, defaults included, but never the server\'s metadata or status', () => {
    const created = { ...dep({ replicas: 1, selector: { matchLabels: { a: 'b' } } }), status: { replicas: 0 } } as KObject;
    const entries = recordUpdate(undefined, created, writer('maker'));
    assert.equal(entries.length, 1);
    assert.deepEqual(entries[0], {
      manager: 'maker',
      operation: 'Update',
      apiVersion: 'apps/v1',
      time: '2026-01-01T00:00:00Z',
      fieldsType: 'FieldsV1',
      fieldsV1: { 'f:spec': { 'f:replicas': {}, 'f:selector': {} } },
    });
  });

  it('moves a changed field to its writer, keeps a no-op write\'s time, and resets on [{}]', () => {
    const live = dep({ replicas: 1, paused: false });
    live.metadata.managedFields = recordUpdate(undefined, live, writer('a', { time: '2026-01-01T00:00:00Z' }));
    const same = recordUpdate(live, structuredClone(live), writer('a', { time: '2026-02-02T00:00:00Z' }));
    assert.deepEqual(same, live.metadata.managedFields);

    const next = dep({ replicas: 2, paused: false });
    const moved = recordUpdate(live, next, writer('b', { time: '2026-03-03T00:00:00Z' }));
    assert.deepEqual(moved.map((e) => [e.manager, e.fieldsV1, e.time]), [
      ['a', { 'f:spec': { 'f:paused': {} } }, '2026-01-01T00:00:00Z'],
      ['b', { 'f:spec': { 'f:replicas': {} } }, '2026-03-03T00:00:00Z'],
    ]);

    const reset = dep({ replicas: 3, paused: false }, { managedFields: [{}] });
    assert.deepEqual(recordUpdate(live, reset, writer('c')).map((e) => [e.manager, e.fieldsV1]), [['c', { 'f:spec': { 'f:replicas': {} } }]]);
  });

  it('a /status writer owns status only', () => {
    const live = { ...dep({ replicas: 1 }), status: { replicas: 1 } } as KObject;
    const next = { ...dep({ replicas: 1 }), status: { replicas: 1, readyReplicas: 1 } } as KObject;
    const [e] = recordUpdate(live, next, writer('ctl', { subresource: 'status' }));
    assert.deepEqual([e.subresource, e.fieldsV1], ['status', { 'f:status': { 'f:readyReplicas': {} } }]);
  });
});

describe('maps and pointers', () => {
  it('an update that brings a map or a pointer struct owns it ("."), never a value struct like spec or strategy; an apply never', () => {
    const created = dep({
      replicas: 1,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } },
      template: { metadata: { labels: { app: 'x' } } },
    }, { labels: { app: 'x' } });
    const [update] = recordUpdate(undefined, created, writer('maker'));
    assert.deepEqual(update.fieldsV1, {
      'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
      'f:spec': {
        'f:replicas': {},
        'f:strategy': { 'f:rollingUpdate': { '.': {}, 'f:maxSurge': {} }, 'f:type': {} },
        'f:template': { 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } } },
      },
    });
    // lists that can be absent are owned like maps; PodSpec's containers cannot be
    const withLists = dep({ template: { spec: { containers: [{ name: 'c', ports: [{ containerPort: 1 }] }] } } }, { finalizers: ['a/b'] });
    assert.deepEqual(recordUpdate(undefined, withLists, writer('maker'))[0].fieldsV1, {
      'f:metadata': { 'f:finalizers': { '.': {}, 'v:"a/b"': {} } },
      'f:spec': { 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"c"}': {
        '.': {}, 'f:name': {}, 'f:ports': { '.': {}, 'k:{"containerPort":1,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } },
      } } } } },
    });
    const config = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', labels: { app: 'x' } }, spec: { strategy: { rollingUpdate: { maxSurge: 1 } } } };
    const [apply] = recordApply(undefined, created, config, writer('ap'), false).managedFields;
    assert.deepEqual(apply.fieldsV1, { 'f:metadata': { 'f:labels': { 'f:app': {} } }, 'f:spec': { 'f:strategy': { 'f:rollingUpdate': { 'f:maxSurge': {} } } } });
  });
});

describe('recordApply', () => {
  it('conflicts with another manager\'s differing value, unless forced; shares equal values', () => {
    const live = dep({ replicas: 1, paused: true });
    live.metadata.managedFields = recordUpdate(undefined, live, writer('editor'));
    const config = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { replicas: 2, paused: true } };
    const merged = dep({ replicas: 2, paused: true });
    assert.throws(
      () => recordApply(live, merged, config, writer('ap'), false),
      (e: { code: number; message: string }) =>
        e.code === 409 && e.message === 'Apply failed with 1 conflict: conflict with "editor" using apps/v1: .spec.replicas',
    );
    const { managedFields } = recordApply(live, merged, config, writer('ap'), true);
    assert.deepEqual(managedFields.map((e) => [e.manager, e.operation, e.fieldsV1]), [
      ['ap', 'Apply', { 'f:spec': { 'f:paused': {}, 'f:replicas': {} } }],
      ['editor', 'Update', { 'f:spec': { 'f:paused': {} } }],
    ]);
  });
});
