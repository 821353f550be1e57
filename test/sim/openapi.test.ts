import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { builtinResourceTypes } from '../../src/sim/builtins.ts';
import { groupVersionPath, openapiDocument, openapiIndex } from '../../src/sim/openapi.ts';
import type { KObject, ResourceType } from '../../src/sim/types.ts';
import { crdResourceTypes } from '../../src/sim/validation.ts';

type Obj = Record<string, any>;

const routeCRD: KObject = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'routes.kubeherald.io' },
  spec: {
    group: 'kubeherald.io',
    names: { plural: 'routes', kind: 'Route' },
    scope: 'Namespaced',
    versions: [
      {
        name: 'v1alpha1',
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: { spec: { type: 'object', properties: { sink: { type: 'string' } } }, status: { type: 'object' } },
          },
        },
        subresources: { status: {} },
      },
    ],
  },
};

const types: ResourceType[] = [...builtinResourceTypes(), ...crdResourceTypes(routeCRD)];
const doc = (gv: string): Obj => {
  const d = openapiDocument(types, gv);
  assert.ok(d, `${gv} is served`);
  return d as Obj;
};

/** kubectl's supportsQueryParamV3: the first PATCH op tagged with the GVK decides. */
function kubectlSupportsFieldValidation(d: Obj, gvk: { group: string; version: string; kind: string }): boolean {
  for (const item of Object.values(d.paths) as Obj[]) {
    const op = item.patch;
    if (!op) continue;
    const tag = op['x-kubernetes-group-version-kind'];
    if (!tag || tag.group !== gvk.group || tag.version !== gvk.version || tag.kind !== gvk.kind) continue;
    return (op.parameters ?? []).some((p: Obj) => p.name === 'fieldValidation');
  }
  return false;
}

function collectRefs(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const x of node) collectRefs(x, out);
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else collectRefs(v, out);
    }
  }
  return out;
}

describe('openapiIndex', () => {
  it('lists every served group/version with a content hash', () => {
    const index = openapiIndex(types);
    assert.deepEqual(Object.keys(index.paths), [
      'api/v1',
      'apis/apiextensions.k8s.io/v1',
      'apis/apps/v1',
      'apis/authentication.k8s.io/v1',
      'apis/authorization.k8s.io/v1',
      'apis/autoscaling/v1',
      'apis/autoscaling/v2',
      'apis/batch/v1',
      'apis/coordination.k8s.io/v1',
      'apis/discovery.k8s.io/v1',
      'apis/events.k8s.io/v1',
      'apis/kubeherald.io/v1alpha1',
      'apis/networking.k8s.io/v1',
      'apis/policy/v1',
      'apis/rbac.authorization.k8s.io/v1',
      'apis/scheduling.k8s.io/v1',
      'apis/storage.k8s.io/v1',
    ]);
    for (const [gv, { serverRelativeURL }] of Object.entries(index.paths)) {
      const hash = createHash('sha512').update(JSON.stringify(openapiDocument(types, gv))).digest('hex').toUpperCase();
      assert.equal(serverRelativeURL, `/openapi/v3/${gv}?hash=${hash}`);
      assert.match(hash, /^[0-9A-F]{128}$/);
    }
  });

  it('changes a group/version hash only when its document changes', () => {
    const before = openapiIndex(builtinResourceTypes()).paths;
    const after = openapiIndex(types).paths;
    assert.equal(before['api/v1'].serverRelativeURL, after['api/v1'].serverRelativeURL);
    assert.equal(before['apis/kubeherald.io/v1alpha1'], undefined);
  });
});

describe('openapiDocument', () => {
  it('returns undefined for group/versions not served and malformed paths', () => {
    assert.equal(openapiDocument(types, 'apis/flowcontrol.apiserver.k8s.io/v1'), undefined);
    assert.equal(openapiDocument(types, 'api/v2'), undefined);
    assert.equal(openapiDocument(types, 'apis/apps'), undefined);
    assert.equal(openapiDocument(types, 'version'), undefined);
  });

  it('is an OpenAPI 3.0.0 document with the server version', () => {
    const d = doc('apis/apps/v1');
    assert.equal(d.openapi, '3.0.0');
    assert.equal(d.info.title, 'Kubernetes');
    assert.match(d.info.version, /^v1\.32\./);
    assert.deepEqual(d.components.securitySchemes.BearerToken, {
      type: 'apiKey',
      description: 'Bearer Token authentication',
      name: 'authorization',
      in: 'header',
    });
  });

  it('lets kubectl find server-side field validation for every patchable kind, built-in and custom', () => {
    for (const rt of types.filter((t) => t.verbs.includes('patch'))) {
      const d = doc(groupVersionPath(rt.group, rt.version));
      assert.ok(kubectlSupportsFieldValidation(d, rt), `${rt.group}/${rt.version} ${rt.kind}`);
    }
    assert.ok(kubectlSupportsFieldValidation(doc('apis/apps/v1'), { group: 'autoscaling', version: 'v1', kind: 'Scale' }));
    assert.ok(!kubectlSupportsFieldValidation(doc('apis/authorization.k8s.io/v1'), { group: 'authorization.k8s.io', version: 'v1', kind: 'SubjectAccessReview' }));
  });

  it('puts fieldValidation, fieldManager, dryRun and force inline on every PATCH but proxy connections', () => {
    for (const gv of Object.keys(openapiIndex(types).paths)) {
      for (const [path, item] of Object.entries(doc(gv).paths) as [string, Obj][]) {
        if (!item.patch || item.patch['x-kubernetes-action'] === 'connect') continue;
        const names = item.patch.parameters.map((p: Obj) => `${p.in}:${p.name}`);
        assert.deepEqual(names, ['query:dryRun', 'query:force', 'query:fieldManager', 'query:fieldValidation'], path);
        assert.equal(item.patch['x-kubernetes-action'], 'patch', path);
        assert.ok(item.parameters.some((p: Obj) => p.name === 'pretty'), path);
      }
    }
  });

  it('resolves every $ref to a component schema', () => {
    for (const gv of Object.keys(openapiIndex(types).paths)) {
      const d = doc(gv);
      const refs = collectRefs(d);
      assert.ok(refs.length > 0, gv);
      for (const ref of refs) {
        assert.match(ref, /^#\/components\/schemas\//, gv);
        assert.ok(d.components.schemas[ref.slice('#/components/schemas/'.length)], `${gv}: ${ref}`);
      }
      assert.doesNotThrow(() => JSON.stringify(d));
    }
  });

  it('names components like the real server and tags kinds with their GVK', () => {
    const core = doc('api/v1').components.schemas;
    assert.deepEqual(core['io.k8s.api.core.v1.Pod']['x-kubernetes-group-version-kind'], [{ group: '', kind: 'Pod', version: 'v1' }]);
    assert.deepEqual(core['io.k8s.api.core.v1.PodList']['x-kubernetes-group-version-kind'], [{ group: '', kind: 'PodList', version: 'v1' }]);
    assert.deepEqual(core['io.k8s.api.core.v1.Pod'].properties.metadata, { $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' });
    assert.deepEqual(core['io.k8s.api.core.v1.Pod'].properties.spec, { $ref: '#/components/schemas/io.k8s.api.core.v1.PodSpec' });
    assert.equal(core['io.k8s.api.core.v1.PodSpec'].properties.containers.items.$ref, '#/components/schemas/io.k8s.api.core.v1.Container');
    assert.equal(core['io.k8s.api.core.v1.PodSpec'].properties.containers['x-kubernetes-patch-merge-key'], 'name');
    assert.ok(core['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'].properties.labels);
    assert.ok(core['io.k8s.apimachinery.pkg.apis.meta.v1.Status']);
    assert.ok(core['io.k8s.apimachinery.pkg.apis.meta.v1.Patch']);
    for (const name of ['io.k8s.api.core.v1.Binding', 'io.k8s.api.policy.v1.Eviction', 'io.k8s.api.authentication.v1.TokenRequest']) {
      assert.ok(core[name], name);
    }

    const custom = doc('apis/kubeherald.io/v1alpha1').components.schemas;
    assert.deepEqual(custom['io.kubeherald.v1alpha1.Route']['x-kubernetes-group-version-kind'], [
      { group: 'kubeherald.io', kind: 'Route', version: 'v1alpha1' },
    ]);
    assert.deepEqual(custom['io.kubeherald.v1alpha1.Route'].properties.spec, { type: 'object', properties: { sink: { type: 'string' } } });
    assert.ok(custom['io.kubeherald.v1alpha1.RouteList']);

    const events = doc('apis/events.k8s.io/v1').components.schemas;
    assert.deepEqual(events['io.k8s.api.events.v1.Event']['x-kubernetes-group-version-kind'], [
      { group: 'events.k8s.io', kind: 'Event', version: 'v1' },
    ]);
    assert.equal(events['io.k8s.api.core.v1.Event'], undefined);
  });

  it('serves namespaced resource paths with the real actions and operation IDs', () => {
    const paths = doc('api/v1').paths;
    const actions = (path: string): Record<string, string> =>
      Object.fromEntries(
        Object.entries(paths[path])
          .filter(([k]) => k !== 'parameters')
          .map(([method, op]) => [method, `${(op as Obj)['x-kubernetes-action']} ${(op as Obj).operationId}`]),
      );
    assert.deepEqual(actions('/api/v1/namespaces/{namespace}/pods'), {
      get: 'list listCoreV1NamespacedPod',
      post: 'post createCoreV1NamespacedPod',
      delete: 'deletecollection deleteCoreV1CollectionNamespacedPod',
    });
    assert.deepEqual(actions('/api/v1/namespaces/{namespace}/pods/{name}'), {
      get: 'get readCoreV1NamespacedPod',
      put: 'put replaceCoreV1NamespacedPod',
      patch: 'patch patchCoreV1NamespacedPod',
      delete: 'delete deleteCoreV1NamespacedPod',
    });
    assert.deepEqual(actions('/api/v1/namespaces/{namespace}/pods/{name}/status'), {
      get: 'get readCoreV1NamespacedPodStatus',
      put: 'put replaceCoreV1NamespacedPodStatus',
      patch: 'patch patchCoreV1NamespacedPodStatus',
    });
    assert.deepEqual(actions('/api/v1/namespaces/{namespace}/pods/{name}/log'), { get: 'get readCoreV1NamespacedPodLog' });
    assert.deepEqual(actions('/api/v1/namespaces/{namespace}/pods/{name}/eviction'), { post: 'post createCoreV1NamespacedPodEviction' });
    assert.deepEqual(actions('/api/v1/namespaces/{namespace}/pods/{name}/exec'), {
      get: 'connect connectCoreV1GetNamespacedPodExec',
      post: 'connect connectCoreV1PostNamespacedPodExec',
    });
    assert.deepEqual(actions('/api/v1/pods'), { get: 'list listCoreV1PodForAllNamespaces' });
    assert.deepEqual(actions('/api/v1/watch/namespaces/{namespace}/pods'), { get: 'watchlist watchCoreV1NamespacedPodList' });
    assert.deepEqual(actions('/api/v1/watch/namespaces/{namespace}/pods/{name}'), { get: 'watch watchCoreV1NamespacedPod' });
    assert.deepEqual(actions('/api/v1/watch/pods'), { get: 'watchlist watchCoreV1PodListForAllNamespaces' });

    const pod = paths['/api/v1/namespaces/{namespace}/pods/{name}'];
    assert.deepEqual(pod.parameters.map((p: Obj) => `${p.in}:${p.name}`), ['path:name', 'path:namespace', 'query:pretty']);
    assert.deepEqual(pod.patch['x-kubernetes-group-version-kind'], { group: '', kind: 'Pod', version: 'v1' });
    assert.deepEqual(Object.keys(pod.patch.requestBody.content), [
      'application/apply-patch+yaml',
      'application/json-patch+json',
      'application/merge-patch+json',
      'application/strategic-merge-patch+json',
    ]);
    assert.equal(pod.get.responses['200'].content['application/json'].schema.$ref, '#/components/schemas/io.k8s.api.core.v1.Pod');
    assert.equal(
      paths['/api/v1/namespaces/{namespace}/pods'].get.responses['200'].content['application/json'].schema.$ref,
      '#/components/schemas/io.k8s.api.core.v1.PodList',
    );
    assert.deepEqual(
      paths['/api/v1/namespaces/{namespace}/pods'].get.parameters.map((p: Obj) => p.name),
      ['allowWatchBookmarks', 'continue', 'fieldSelector', 'labelSelector', 'limit', 'resourceVersion', 'resourceVersionMatch', 'sendInitialEvents', 'timeoutSeconds', 'watch'],
    );
  });

  it('serves cluster-scoped paths and leaves out verbs the resource lacks', () => {
    const paths = doc('api/v1').paths;
    assert.equal(paths['/api/v1/namespaces'].delete, undefined, 'namespaces have no deletecollection');
    assert.ok(paths['/api/v1/namespaces'].get && paths['/api/v1/namespaces'].post);
    assert.equal(paths['/api/v1/namespaces/{name}'].patch.operationId, 'patchCoreV1Namespace');
    assert.deepEqual(paths['/api/v1/nodes/{name}'].parameters.map((p: Obj) => p.name), ['name', 'pretty']);
    assert.ok(paths['/api/v1/nodes/{name}/status'].patch);
    assert.equal(paths['/api/v1/nodes/{name}/proxy/{path}'].get['x-kubernetes-action'], 'connect');
    assert.equal(paths['/api/v1/namespaces/{name}/finalize'].put.operationId, 'replaceCoreV1NamespaceFinalize');

    const authz = doc('apis/authorization.k8s.io/v1').paths;
    assert.deepEqual(Object.keys(authz).sort(), [
      '/apis/authorization.k8s.io/v1/namespaces/{namespace}/localsubjectaccessreviews',
      '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
      '/apis/authorization.k8s.io/v1/subjectaccessreviews',
    ]);
    assert.deepEqual(Object.keys(authz['/apis/authorization.k8s.io/v1/subjectaccessreviews']), ['post', 'parameters']);
    assert.equal(
      authz['/apis/authorization.k8s.io/v1/subjectaccessreviews'].post.operationId,
      'createAuthorizationV1SubjectAccessReview',
    );
  });

  it('tags scale with autoscaling/v1 Scale and CR operations with the CR kind', () => {
    const apps = doc('apis/apps/v1').paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale'];
    assert.deepEqual(apps.patch['x-kubernetes-group-version-kind'], { group: 'autoscaling', kind: 'Scale', version: 'v1' });
    assert.equal(apps.get.responses['200'].content['application/json'].schema.$ref, '#/components/schemas/io.k8s.api.autoscaling.v1.Scale');

    const route = doc('apis/kubeherald.io/v1alpha1').paths['/apis/kubeherald.io/v1alpha1/namespaces/{namespace}/routes/{name}'];
    assert.deepEqual(route.patch['x-kubernetes-group-version-kind'], { group: 'kubeherald.io', kind: 'Route', version: 'v1alpha1' });
    assert.equal(route.patch.operationId, 'patchKubeheraldIoV1alpha1NamespacedRoute');
    assert.deepEqual(Object.keys(route.patch.requestBody.content), [
      'application/apply-patch+yaml',
      'application/json-patch+json',
      'application/merge-patch+json',
    ]);
    assert.ok(doc('apis/kubeherald.io/v1alpha1').paths['/apis/kubeherald.io/v1alpha1/namespaces/{namespace}/routes/{name}/status'].patch);
    assert.equal(doc('apis/rbac.authorization.k8s.io/v1').paths['/apis/rbac.authorization.k8s.io/v1/clusterroles/{name}'].patch.tags[0], 'rbacAuthorization_v1');
  });
});
