import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  builtinResourceTypes,
  coreEventToEventsV1,
  eventsV1EventToCore,
  openapiName,
  subresourceSchemas,
} from '../../src/sim/builtins.ts';
import type { JSONSchemaProps, KObject, ResourceType } from '../../src/sim/types.ts';
import { unknownFields } from '../../src/sim/validation.ts';

const types = builtinResourceTypes();
const find = (group: string, resource: string): ResourceType => {
  const rt = types.find((t) => t.group === group && t.resource === resource);
  assert.ok(rt, `${group}/${resource} is served`);
  return rt;
};
const KNOWN_VERBS = new Set(['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch']);

describe('builtinResourceTypes', () => {
  it('serves each group/version/resource once', () => {
    const keys = types.map((t) => `${t.group}/${t.version}/${t.resource}`);
    assert.equal(new Set(keys).size, keys.length);
    assert.equal(types.length, 42);
  });

  it('gives every type consistent names, verbs and storage keys', () => {
    for (const t of types) {
      const id = `${t.group}/${t.resource}`;
      // autoscaling serves v2 (preferred) and v1 of the same objects
      assert.equal(t.version, t.group === 'autoscaling' && t.version === 'v2' ? 'v2' : 'v1', id);
      assert.equal(t.listKind, `${t.kind}List`, id);
      assert.match(t.resource, /^[a-z]+$/, id);
      assert.match(t.singular, /^[a-z]+$/, id);
      assert.equal(t.singular, t.kind.toLowerCase(), id);
      assert.ok(t.verbs.length > 0 && t.verbs.every((v) => KNOWN_VERBS.has(v)), id);
      assert.deepEqual([...t.verbs].sort(), t.verbs, `${id} verbs are sorted like discovery`);
      const expectedStorage = t.group === '' || t.group === 'events.k8s.io' ? t.resource : `${t.group}/${t.resource}`;
      assert.equal(t.storage, expectedStorage, id);
      assert.equal(t.crd, undefined, id);
    }
  });

  it('has the real discovery data for the well-known resources', () => {
    const pods = find('', 'pods');
    assert.deepEqual(pods.shortNames, ['po']);
    assert.deepEqual(pods.categories, ['all']);
    assert.equal(pods.namespaced, true);
    assert.deepEqual(pods.verbs, ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch']);
    for (const sub of ['status', 'log', 'exec', 'eviction', 'binding']) assert.ok(pods.subresources.includes(sub), sub);

    const ns = find('', 'namespaces');
    assert.equal(ns.namespaced, false);
    assert.deepEqual(ns.shortNames, ['ns']);
    assert.deepEqual(ns.verbs, ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch']);

    assert.deepEqual(find('', 'nodes').shortNames, ['no']);
    assert.equal(find('', 'nodes').namespaced, false);
    assert.deepEqual(find('', 'events').shortNames, ['ev']);
    assert.deepEqual(find('', 'services').shortNames, ['svc']);
    assert.deepEqual(find('', 'endpoints').shortNames, ['ep']);
    assert.equal(find('', 'endpoints').singular, 'endpoints');
    assert.deepEqual(find('', 'configmaps').shortNames, ['cm']);
    assert.deepEqual(find('apps', 'deployments').shortNames, ['deploy']);
    assert.deepEqual(find('apps', 'deployments').subresources, ['scale', 'status']);
    assert.deepEqual(find('apps', 'replicasets').shortNames, ['rs']);
    assert.deepEqual(find('apps', 'replicasets').categories, ['all']);
    assert.equal(find('', 'secrets').shortNames, undefined);

    const crds = find('apiextensions.k8s.io', 'customresourcedefinitions');
    assert.deepEqual(crds.shortNames, ['crd', 'crds']);
    assert.equal(crds.namespaced, false);
    assert.deepEqual(crds.subresources, ['status']);
    assert.equal(crds.storage, 'apiextensions.k8s.io/customresourcedefinitions');

    assert.equal(find('coordination.k8s.io', 'leases').storage, 'coordination.k8s.io/leases');
    assert.equal(find('apps', 'deployments').storage, 'apps/deployments');
  });

  it('serves the access reviews as create-only, with only the local one namespaced', () => {
    for (const resource of ['subjectaccessreviews', 'selfsubjectaccessreviews', 'localsubjectaccessreviews']) {
      const rt = find('authorization.k8s.io', resource);
      assert.deepEqual(rt.verbs, ['create']);
      assert.equal(rt.namespaced, resource === 'localsubjectaccessreviews', resource);
    }
    assert.deepEqual(find('authentication.k8s.io', 'selfsubjectreviews').verbs, ['create']);
  });

  it('tags every kind schema with its GVK and the TypeMeta/ObjectMeta properties', () => {
    for (const t of types) {
      const s = t.schema!;
      assert.deepEqual(s['x-kubernetes-group-version-kind'], [{ group: t.group, kind: t.kind, version: t.version }], t.resource);
      assert.equal(s.type, 'object');
      assert.deepEqual(s.properties!.apiVersion.type, 'string');
      assert.deepEqual(s.properties!.kind.type, 'string');
      assert.equal(openapiName(s.properties!.metadata), 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta');
    }
    assert.equal(openapiName(find('', 'pods').schema!), 'io.k8s.api.core.v1.Pod');
    assert.equal(openapiName(find('events.k8s.io', 'events').schema!), 'io.k8s.api.events.v1.Event');
    assert.equal(
      openapiName(find('apiextensions.k8s.io', 'customresourcedefinitions').schema!),
      'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition',
    );
  });

  it('names subresource body schemas and tags them with their own GVK', () => {
    const subs = subresourceSchemas();
    assert.deepEqual(subs.scale['x-kubernetes-group-version-kind'], [{ group: 'autoscaling', kind: 'Scale', version: 'v1' }]);
    assert.equal(openapiName(subs.scale), 'io.k8s.api.autoscaling.v1.Scale');
    assert.deepEqual(subs.eviction['x-kubernetes-group-version-kind'], [{ group: 'policy', kind: 'Eviction', version: 'v1' }]);
    assert.deepEqual(subs.binding['x-kubernetes-group-version-kind'], [{ group: '', kind: 'Binding', version: 'v1' }]);
  });

  it('returns fresh schemas on every call', () => {
    const a = builtinResourceTypes();
    const b = builtinResourceTypes();
    assert.notEqual(a[0].schema, b[0].schema);
    assert.deepEqual(a.map((t) => t.schema), b.map((t) => t.schema));
  });
});

describe('builtin schemas', () => {
  const podSpec = (): JSONSchemaProps => find('', 'pods').schema!.properties!.spec;
  const container = (): JSONSchemaProps => podSpec().properties!.containers.items!;

  it('carry the strategic-merge and list-map extensions the real schema has', () => {
    const containers = podSpec().properties!.containers;
    assert.equal(containers['x-kubernetes-patch-merge-key'], 'name');
    assert.equal(containers['x-kubernetes-patch-strategy'], 'merge');
    assert.equal(podSpec().properties!.volumes['x-kubernetes-patch-strategy'], 'merge,retainKeys');
    const ports = container().properties!.ports;
    assert.deepEqual(ports['x-kubernetes-list-map-keys'], ['containerPort', 'protocol']);
    assert.equal(ports['x-kubernetes-patch-merge-key'], 'containerPort');
    assert.equal(container().properties!.env['x-kubernetes-patch-merge-key'], 'name');
    assert.equal(container().properties!.volumeMounts['x-kubernetes-patch-merge-key'], 'mountPath');
    assert.equal(container().properties!.command['x-kubernetes-list-type'], 'atomic');
    const podConditions = find('', 'pods').schema!.properties!.status.properties!.conditions;
    assert.equal(podConditions['x-kubernetes-patch-merge-key'], 'type');
    assert.equal(podConditions['x-kubernetes-list-type'], 'map');
    const strategy = find('apps', 'deployments').schema!.properties!.spec.properties!.strategy;
    assert.equal(strategy['x-kubernetes-patch-strategy'], 'retainKeys');
    assert.equal(container().properties!.resources.properties!.limits.additionalProperties &&
      (container().properties!.resources.properties!.limits.additionalProperties as JSONSchemaProps)['x-kubernetes-int-or-string'], true);
  });

  it('share named sub-schemas between kinds', () => {
    const template = find('apps', 'deployments').schema!.properties!.spec.properties!.template;
    assert.equal(openapiName(template), 'io.k8s.api.core.v1.PodTemplateSpec');
    assert.equal(openapiName(template.properties!.spec), 'io.k8s.api.core.v1.PodSpec');
    assert.deepEqual(template.properties!.spec, podSpec());
    assert.equal(openapiName(find('apps', 'replicasets').schema!.properties!.spec.properties!.selector), 'io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector');
  });

  it('accept realistic objects as the kubelet and controllers write them', () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'web-5d8f-abcde',
        namespace: 'shop',
        generateName: 'web-5d8f-',
        uid: 'u1',
        resourceVersion: '12',
        creationTimestamp: '2025-01-01T00:00:00Z',
        labels: { app: 'web' },
        annotations: { a: 'b' },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-5d8f', uid: 'u0', controller: true, blockOwnerDeletion: true }],
        managedFields: [{ manager: 'kubectl', operation: 'Apply', apiVersion: 'v1', time: '2025-01-01T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': {} } }],
      },
      spec: {
        containers: [
          {
            name: 'web',
            image: 'nginx:1.27',
            imagePullPolicy: 'IfNotPresent',
            command: ['nginx'],
            args: ['-g', 'daemon off;'],
            env: [{ name: 'A', value: '1' }, { name: 'B', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
            ports: [{ containerPort: 80, protocol: 'TCP', name: 'http' }],
            resources: { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: 1 } },
            readinessProbe: { httpGet: { path: '/', port: 80 }, periodSeconds: 5 },
            livenessProbe: { tcpSocket: { port: 80 }, initialDelaySeconds: 3 },
            volumeMounts: [{ name: 'data', mountPath: '/data' }],
            securityContext: { runAsNonRoot: true },
            terminationMessagePath: '/dev/termination-log',
            terminationMessagePolicy: 'File',
          },
        ],
        volumes: [{ name: 'data', emptyDir: {} }, { name: 'cfg', configMap: { name: 'cfg' } }],
        nodeName: 'node-1',
        restartPolicy: 'Always',
        serviceAccountName: 'default',
        dnsPolicy: 'ClusterFirst',
        schedulerName: 'default-scheduler',
        terminationGracePeriodSeconds: 30,
        tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }],
        nodeSelector: { 'kubernetes.io/os': 'linux' },
        affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: {} } },
        securityContext: {},
        enableServiceLinks: true,
        preemptionPolicy: 'PreemptLowerPriority',
        priority: 0,
      },
      status: {
        phase: 'Running',
        conditions: [{ type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: '2025-01-01T00:00:00Z' }],
        hostIP: '10.0.0.1',
        hostIPs: [{ ip: '10.0.0.1' }],
        podIP: '10.244.0.5',
        podIPs: [{ ip: '10.244.0.5' }],
        startTime: '2025-01-01T00:00:00Z',
        qosClass: 'Burstable',
        containerStatuses: [
          {
            name: 'web',
            ready: true,
            started: true,
            restartCount: 2,
            image: 'nginx:1.27',
            imageID: 'docker-pullable://nginx@sha256:abc',
            containerID: 'containerd://abc',
            state: { running: { startedAt: '2025-01-01T00:00:00Z' } },
            lastState: { terminated: { exitCode: 137, reason: 'OOMKilled', startedAt: 'x', finishedAt: 'y', containerID: 'c' } },
          },
        ],
        initContainerStatuses: [{ name: 'init', ready: false, restartCount: 0, image: 'busybox', imageID: '', state: { waiting: { reason: 'PodInitializing' } } }],
      },
    };
    assert.deepEqual(unknownFields(pod, find('', 'pods').schema!), []);

    const node = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'node-1', labels: { 'kubernetes.io/hostname': 'node-1' } },
      spec: { podCIDR: '10.244.0.0/24', podCIDRs: ['10.244.0.0/24'], taints: [{ key: 'k', effect: 'NoSchedule' }], unschedulable: false },
      status: {
        capacity: { cpu: '4', memory: '16Gi', pods: '110' },
        allocatable: { cpu: '4', memory: '16Gi', pods: '110' },
        conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'ok', lastHeartbeatTime: 'x', lastTransitionTime: 'y' }],
        addresses: [{ type: 'InternalIP', address: '10.0.0.1' }, { type: 'Hostname', address: 'node-1' }],
        daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
        nodeInfo: {
          machineID: 'm', systemUUID: 's', bootID: 'b', kernelVersion: '6.1', osImage: 'Linux', containerRuntimeVersion: 'containerd://1.7',
          kubeletVersion: 'v1.32.0', kubeProxyVersion: 'v1.32.0', operatingSystem: 'linux', architecture: 'amd64',
        },
        images: [{ names: ['nginx:1.27'], sizeBytes: 1000 }],
      },
    };
    assert.deepEqual(unknownFields(node, find('', 'nodes').schema!), []);

    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'shop', generation: 3 },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['fe'] }] },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx' }] } },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 1 } },
        minReadySeconds: 0,
        revisionHistoryLimit: 10,
        progressDeadlineSeconds: 600,
        paused: false,
      },
      status: {
        observedGeneration: 3, replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2, unavailableReplicas: 0, collisionCount: 0,
        conditions: [{ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'm', lastUpdateTime: 'x', lastTransitionTime: 'y' }],
      },
    };
    assert.deepEqual(unknownFields(deployment, find('apps', 'deployments').schema!), []);

    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'routes.kubeherald.io' },
      spec: {
        group: 'kubeherald.io',
        names: { plural: 'routes', singular: 'route', kind: 'Route', listKind: 'RouteList', shortNames: ['rt'], categories: ['kubeherald'] },
        scope: 'Namespaced',
        versions: [
          {
            name: 'v1alpha1', served: true, storage: true,
            schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } } },
            subresources: { status: {}, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' } },
            additionalPrinterColumns: [{ name: 'Sink', type: 'string', jsonPath: '.spec.sink' }],
            selectableFields: [{ jsonPath: '.spec.sink' }],
          },
        ],
        conversion: { strategy: 'None' },
      },
      status: { conditions: [{ type: 'Established', status: 'True' }], acceptedNames: { plural: 'routes', kind: 'Route' }, storedVersions: ['v1alpha1'] },
    };
    assert.deepEqual(unknownFields(crd, find('apiextensions.k8s.io', 'customresourcedefinitions').schema!), []);

    const binding = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'rb', namespace: 'shop' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r' },
      subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'alice' }, { kind: 'ServiceAccount', name: 'sa', namespace: 'shop' }],
    };
    assert.deepEqual(unknownFields(binding, find('rbac.authorization.k8s.io', 'rolebindings').schema!), []);
  });

  it('still catch unknown fields at the top of spec, status, metadata and in containers', () => {
    const obj = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', labelz: {} },
      spec: {
        replicaz: 2,
        selector: { matchLabels: {} },
        template: { spec: { containers: [{ name: 'a', image: 'x', imagePullPolicyy: 'Always', securityContext: { anything: 1 } }], hostnetwork: true } },
      },
      status: { ready: 1 },
      extra: true,
    };
    assert.deepEqual(unknownFields(obj, find('apps', 'deployments').schema!), [
      'metadata.labelz',
      'spec.replicaz',
      'spec.template.spec.containers[0].imagePullPolicyy',
      'spec.template.spec.hostnetwork',
      'status.ready',
      'extra',
    ]);
  });
});

describe('events.k8s.io/v1 view of core/v1 events', () => {
  const view = find('events.k8s.io', 'events');
  const core = find('', 'events');

  const coreEvent: KObject = {
    kind: 'Event',
    apiVersion: 'v1',
    metadata: { name: 'web.17a', namespace: 'shop', uid: 'u', resourceVersion: '5' },
    involvedObject: { kind: 'Pod', namespace: 'shop', name: 'web', uid: 'p', apiVersion: 'v1', fieldPath: 'spec.containers{web}' },
    reason: 'BackOff',
    message: 'Back-off restarting failed container',
    source: { component: 'kubelet', host: 'node-1' },
    firstTimestamp: '2025-01-01T00:00:00Z',
    lastTimestamp: '2025-01-01T00:05:00Z',
    count: 7,
    type: 'Warning',
    eventTime: null,
    reportingComponent: 'kubelet',
    reportingInstance: 'node-1',
  };

  const eventsV1: KObject = {
    kind: 'Event',
    apiVersion: 'events.k8s.io/v1',
    metadata: { name: 'web.17a', namespace: 'shop', uid: 'u', resourceVersion: '5' },
    eventTime: null,
    reportingController: 'kubelet',
    reportingInstance: 'node-1',
    reason: 'BackOff',
    regarding: { kind: 'Pod', namespace: 'shop', name: 'web', uid: 'p', apiVersion: 'v1', fieldPath: 'spec.containers{web}' },
    note: 'Back-off restarting failed container',
    type: 'Warning',
    deprecatedSource: { component: 'kubelet', host: 'node-1' },
    deprecatedFirstTimestamp: '2025-01-01T00:00:00Z',
    deprecatedLastTimestamp: '2025-01-01T00:05:00Z',
    deprecatedCount: 7,
  };

  it('shares storage with core/v1 events and converts both ways', () => {
    assert.equal(view.storage, 'events');
    assert.equal(core.storage, 'events');
    assert.equal(core.toView, undefined);
    assert.equal(view.toView, coreEventToEventsV1);
    assert.equal(view.fromView, eventsV1EventToCore);
  });

  it('maps the old-style event field by field', () => {
    const out = view.toView!(coreEvent);
    assert.deepEqual(out, eventsV1);
    assert.deepEqual(Object.keys(out), Object.keys(eventsV1), 'fields come in Go struct order');
  });

  it('round-trips core → events.k8s.io → core', () => {
    assert.deepEqual(view.fromView!(view.toView!(coreEvent)), coreEvent);
  });

  it('round-trips a new-style event with series, action and related', () => {
    const v: KObject = {
      kind: 'Event',
      apiVersion: 'events.k8s.io/v1',
      metadata: { name: 'e', namespace: 'shop' },
      eventTime: '2025-01-01T00:00:00.000000Z',
      series: { count: 3, lastObservedTime: '2025-01-01T00:01:00.000000Z' },
      reportingController: 'kubeherald.io/detector',
      reportingInstance: 'kubeherald-0',
      action: 'Notify',
      reason: 'Sent',
      regarding: { kind: 'Deployment', name: 'web', namespace: 'shop' },
      related: { kind: 'Pod', name: 'web-1', namespace: 'shop' },
      note: 'posted to #ops',
      type: 'Normal',
      deprecatedSource: {},
      deprecatedFirstTimestamp: null,
      deprecatedLastTimestamp: null,
    };
    const stored = view.fromView!(v);
    assert.deepEqual(stored, {
      kind: 'Event',
      apiVersion: 'v1',
      metadata: { name: 'e', namespace: 'shop' },
      involvedObject: { kind: 'Deployment', name: 'web', namespace: 'shop' },
      reason: 'Sent',
      message: 'posted to #ops',
      source: {},
      firstTimestamp: null,
      lastTimestamp: null,
      type: 'Normal',
      eventTime: '2025-01-01T00:00:00.000000Z',
      series: { count: 3, lastObservedTime: '2025-01-01T00:01:00.000000Z' },
      action: 'Notify',
      related: { kind: 'Pod', name: 'web-1', namespace: 'shop' },
      reportingComponent: 'kubeherald.io/detector',
      reportingInstance: 'kubeherald-0',
    });
    assert.deepEqual(view.toView!(stored), v);
  });

  it('fills the zero values Go would serialize for a sparse event', () => {
    assert.deepEqual(view.toView!({ metadata: { name: 'x' } }), {
      kind: 'Event',
      apiVersion: 'events.k8s.io/v1',
      metadata: { name: 'x' },
      eventTime: null,
      regarding: {},
      deprecatedSource: {},
      deprecatedFirstTimestamp: null,
      deprecatedLastTimestamp: null,
    });
    assert.deepEqual(view.fromView!({ metadata: { name: 'x' } }), {
      kind: 'Event',
      apiVersion: 'v1',
      metadata: { name: 'x' },
      involvedObject: {},
      source: {},
      firstTimestamp: null,
      lastTimestamp: null,
      eventTime: null,
      reportingComponent: '',
      reportingInstance: '',
    });
  });

  it('does not alias the input', () => {
    const out = view.toView!(coreEvent);
    (out.metadata as { name: string }).name = 'changed';
    (out.regarding as { name: string }).name = 'changed';
    assert.equal(coreEvent.metadata.name, 'web.17a');
    assert.equal((coreEvent.involvedObject as { name: string }).name, 'web');
  });

  it('validates both forms against their own schemas', () => {
    assert.deepEqual(unknownFields(coreEvent, core.schema!), []);
    assert.deepEqual(unknownFields(eventsV1, view.schema!), []);
    assert.deepEqual(unknownFields({ ...eventsV1, message: 'x' }, view.schema!), ['message']);
  });
});
