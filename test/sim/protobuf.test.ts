import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../src/sim/errors.ts';
import { PROTOBUF_CONTENT_TYPE, decodeK8sProtobuf, encodeK8sProtobuf, protobufKinds } from '../../src/sim/protobuf.ts';
import type { KObject } from '../../src/sim/types.ts';

// Captured kubectl 1.32 request bodies (protobuf, as `kubectl create …`,
// `kubectl auth can-i`, `kubectl auth whoami` and `kubectl create token` send
// them), with the JSON each must decode to. The expected JSON equals what
// `kubectl … --dry-run=client -o json` prints for the same command.

interface Fixture {
  name: string;
  body: string;
  json: Record<string, unknown>;
}

const FIXTURES: Fixture[] = [
  {
    name: 'configmap',
    // POST /api/v1/namespaces/default/configmaps
    body:
      'azhzAAoPCgJ2MRIJQ29uZmlnTWFwEkMKEwoDY20xEgAaACIAKgAyADgAQgASBgoBYRIBYhIVCgVmLnR4dBIMaGVsbG8Kd29y' +
      'bGQKGg0KA2JpbhIGYmluAP8BGgAiAA==',
    json: {"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm1","creationTimestamp":null},"data":{"a":"b","f.txt":"hello\nworld\n"},"binaryData":{"bin":"YmluAP8B"}},
  },
  {
    name: 'secret',
    // POST /api/v1/namespaces/default/secrets
    body:
      'azhzAAoMCgJ2MRIGU2VjcmV0EjkKEgoCczESABoAIgAqADIAOABCABIMCgJwdxIGczNjcjN0Eg0KBHVzZXISBWFkbWluGgZP' +
      'cGFxdWUaACIA',
    json: {"apiVersion":"v1","kind":"Secret","metadata":{"name":"s1","creationTimestamp":null},"data":{"pw":"czNjcjN0","user":"YWRtaW4="},"type":"Opaque"},
  },
  {
    name: 'namespace',
    // POST /api/v1/namespaces
    body:
      'azhzAAoPCgJ2MRIJTmFtZXNwYWNlEhsKEwoDbnMxEgAaACIAKgAyADgAQgASABoCCgAaACIA',
    json: {"apiVersion":"v1","kind":"Namespace","metadata":{"name":"ns1","creationTimestamp":null},"spec":{},"status":{}},
  },
  {
    name: 'serviceaccount',
    // POST /api/v1/namespaces/ns1/serviceaccounts
    body:
      'azhzAAoUCgJ2MRIOU2VydmljZUFjY291bnQSGAoWCgNzYTESABoDbnMxIgAqADIAOABCABoAIgA=',
    json: {"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"sa1","namespace":"ns1","creationTimestamp":null}},
  },
  {
    name: 'deployment',
    // POST /apis/apps/v1/namespaces/default/deployments
    body:
      'azhzAAoVCgdhcHBzL3YxEgpEZXBsb3ltZW50Er0BCh8KA3dlYhIAGgAiACoAMgA4AEIAWgoKA2FwcBIDd2ViEosBCAMSDAoK' +
      'CgNhcHASA3dlYhpxChwKABIAGgAiACoAMgA4AEIAWgoKA2FwcBIDd2ViElESMwoFbmdpbngSCm5naW54OjEuMjcqADIKCgAQ' +
      'ABhQIgAqAEIAagByAIABAIgBAJABAKIBABoAMgBCAEoAUgBYAGAAaACCAQCKAQCaAQDCAQAiAgoAKAA4ABoMCAAQABgAIAAo' +
      'ADgAGgAiAA==',
    json: {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","creationTimestamp":null,"labels":{"app":"web"}},"spec":{"replicas":3,"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"creationTimestamp":null,"labels":{"app":"web"}},"spec":{"containers":[{"name":"nginx","image":"nginx:1.27","ports":[{"containerPort":80}],"resources":{}}]}},"strategy":{}},"status":{}},
  },
  {
    name: 'service-clusterip',
    // POST /api/v1/namespaces/default/services
    body:
      'azhzAAoNCgJ2MRIHU2VydmljZRKLAQohCgRzdmMxEgAaACIAKgAyADgAQgBaCwoDYXBwEgRzdmMxEmIKGwoHODAtODA4MBID' +
      'VENQGFAiBwgAEJA/GgAoAAodCgg0NDMtODQ0MxIDVENQGLsDIgcIABD7QRoAKAASCwoDYXBwEgRzdmMxGgAiCUNsdXN0ZXJJ' +
      'UDoAQgBSAFoAYABoABoCCgAaACIA',
    json: {"apiVersion":"v1","kind":"Service","metadata":{"name":"svc1","creationTimestamp":null,"labels":{"app":"svc1"}},"spec":{"ports":[{"name":"80-8080","protocol":"TCP","port":80,"targetPort":8080},{"name":"443-8443","protocol":"TCP","port":443,"targetPort":8443}],"selector":{"app":"svc1"},"type":"ClusterIP"},"status":{"loadBalancer":{}}},
  },
  {
    name: 'service-nodeport',
    // POST /api/v1/namespaces/default/services
    body:
      'azhzAAoNCgJ2MRIHU2VydmljZRJqCh8KA25wMRIAGgAiACoAMgA4AEIAWgoKA2FwcBIDbnAxEkMKHQoHODAtODA4MBIDVENQ' +
      'GFAiBwgAEJA/GgAogOsBEgoKA2FwcBIDbnAxGgAiCE5vZGVQb3J0OgBCAFIAWgBgAGgAGgIKABoAIgA=',
    json: {"apiVersion":"v1","kind":"Service","metadata":{"name":"np1","creationTimestamp":null,"labels":{"app":"np1"}},"spec":{"ports":[{"name":"80-8080","protocol":"TCP","port":80,"targetPort":8080,"nodePort":30080}],"selector":{"app":"np1"},"type":"NodePort"},"status":{"loadBalancer":{}}},
  },
  {
    name: 'role',
    // POST /apis/rbac.authorization.k8s.io/v1/namespaces/default/roles
    body:
      'azhzAAokChxyYmFjLmF1dGhvcml6YXRpb24uazhzLmlvL3YxEgRSb2xlElMKEgoCcjESABoAIgAqADIAOABCABIYCgNnZXQK' +
      'BGxpc3QSABoEcG9kcyIDZm9vEiMKA2dldAoEbGlzdBIEYXBwcxoLZGVwbG95bWVudHMiA2ZvbxoAIgA=',
    json: {"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"r1","creationTimestamp":null},"rules":[{"verbs":["get","list"],"apiGroups":[""],"resources":["pods"],"resourceNames":["foo"]},{"verbs":["get","list"],"apiGroups":["apps"],"resources":["deployments"],"resourceNames":["foo"]}]},
  },
  {
    name: 'clusterrole-aggregation',
    // POST /apis/rbac.authorization.k8s.io/v1/clusterroles
    body:
      'azhzAAorChxyYmFjLmF1dGhvcml6YXRpb24uazhzLmlvL3YxEgtDbHVzdGVyUm9sZRIpChMKA2NyMRIAGgAiACoAMgA4AEIA' +
      'GhIKEAoGCgFhEgFiCgYKAWMSAWQaACIA',
    json: {"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"cr1","creationTimestamp":null},"aggregationRule":{"clusterRoleSelectors":[{"matchLabels":{"a":"b","c":"d"}}]}},
  },
  {
    name: 'clusterrole-nonresource',
    // POST /apis/rbac.authorization.k8s.io/v1/clusterroles
    body:
      'azhzAAorChxyYmFjLmF1dGhvcml6YXRpb24uazhzLmlvL3YxEgtDbHVzdGVyUm9sZRImChMKA2NyMxIAGgAiACoAMgA4AEIA' +
      'Eg8KA2dldCoIL2hlYWx0aHoaACIA',
    json: {"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"cr3","creationTimestamp":null},"rules":[{"verbs":["get"],"nonResourceURLs":["/healthz"]}]},
  },
  {
    name: 'rolebinding',
    // POST /apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings
    body:
      'azhzAAorChxyYmFjLmF1dGhvcml6YXRpb24uazhzLmlvL3YxEgtSb2xlQmluZGluZxKyAQoTCgNyYjESABoAIgAqADIAOABC' +
      'ABIqCgRVc2VyEhlyYmFjLmF1dGhvcml6YXRpb24uazhzLmlvGgVhbGljZSIAEioKBUdyb3VwEhlyYmFjLmF1dGhvcml6YXRp' +
      'b24uazhzLmlvGgRkZXZzIgASHAoOU2VydmljZUFjY291bnQSABoDc2ExIgNuczEaJQoZcmJhYy5hdXRob3JpemF0aW9uLms4' +
      'cy5pbxIEUm9sZRoCcjEaACIA',
    json: {"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"rb1","creationTimestamp":null},"subjects":[{"kind":"User","apiGroup":"rbac.authorization.k8s.io","name":"alice"},{"kind":"Group","apiGroup":"rbac.authorization.k8s.io","name":"devs"},{"kind":"ServiceAccount","name":"sa1","namespace":"ns1"}],"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"r1"}},
  },
  {
    name: 'clusterrolebinding',
    // POST /apis/rbac.authorization.k8s.io/v1/clusterrolebindings
    body:
      'azhzAAoyChxyYmFjLmF1dGhvcml6YXRpb24uazhzLmlvL3YxEhJDbHVzdGVyUm9sZUJpbmRpbmcSbwoUCgRjcmIxEgAaACIA' +
      'KgAyADgAQgASKAoEVXNlchIZcmJhYy5hdXRob3JpemF0aW9uLms4cy5pbxoDYm9iIgAaLQoZcmJhYy5hdXRob3JpemF0aW9u' +
      'Lms4cy5pbxILQ2x1c3RlclJvbGUaA2NyMhoAIgA=',
    json: {"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","metadata":{"name":"crb1","creationTimestamp":null},"subjects":[{"kind":"User","apiGroup":"rbac.authorization.k8s.io","name":"bob"}],"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"cr2"}},
  },
  {
    name: 'ssar-resource',
    // POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews
    body:
      'azhzAAoyChdhdXRob3JpemF0aW9uLms4cy5pby92MRIXU2VsZlN1YmplY3RBY2Nlc3NSZXZpZXcSSQoQCgASABoAIgAqADIA' +
      'OABCABIrCikKA25zMRIEbGlzdBoEYXBwcyIAKgtkZXBsb3ltZW50czIFc2NhbGU6ABoICAASABoAIAAaACIA',
    json: {"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectAccessReview","metadata":{"creationTimestamp":null},"spec":{"resourceAttributes":{"namespace":"ns1","verb":"list","group":"apps","resource":"deployments","subresource":"scale"}},"status":{"allowed":false}},
  },
  {
    name: 'ssar-nonresource',
    // POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews
    body:
      'azhzAAoyChdhdXRob3JpemF0aW9uLms4cy5pby92MRIXU2VsZlN1YmplY3RBY2Nlc3NSZXZpZXcSLwoQCgASABoAIgAqADIA' +
      'OABCABIREg8KCC9oZWFsdGh6EgNnZXQaCAgAEgAaACAAGgAiAA==',
    json: {"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectAccessReview","metadata":{"creationTimestamp":null},"spec":{"nonResourceAttributes":{"path":"/healthz","verb":"get"}},"status":{"allowed":false}},
  },
  {
    name: 'ssrr',
    // POST /apis/authorization.k8s.io/v1/selfsubjectrulesreviews
    body:
      'azhzAAoxChdhdXRob3JpemF0aW9uLms4cy5pby92MRIWU2VsZlN1YmplY3RSdWxlc1JldmlldxIfChAKABIAGgAiACoAMgA4' +
      'AEIAEgUKA25zMRoEGAAiABoAIgA=',
    json: {"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectRulesReview","metadata":{"creationTimestamp":null},"spec":{"namespace":"ns1"},"status":{"incomplete":false}},
  },
  {
    name: 'tokenrequest',
    // POST /api/v1/namespaces/default/serviceaccounts/sa1/token
    body:
      'azhzAAooChhhdXRoZW50aWNhdGlvbi5rOHMuaW8vdjESDFRva2VuUmVxdWVzdBIdChAKABIAGgAiACoAMgA4AEIAEgMgkBwa' +
      'BAoAEgAaACIA',
    json: {"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","metadata":{"creationTimestamp":null},"spec":{"expirationSeconds":3600},"status":{"token":"","expirationTimestamp":null}},
  },
  {
    name: 'selfsubjectreview',
    // POST /apis/authentication.k8s.io/v1/selfsubjectreviews
    body:
      'azhzAAotChhhdXRoZW50aWNhdGlvbi5rOHMuaW8vdjESEVNlbGZTdWJqZWN0UmV2aWV3EhoKEAoAEgAaACIAKgAyADgAQgAS' +
      'BgoECgASABoAIgA=',
    json: {"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview","metadata":{"creationTimestamp":null},"status":{"userInfo":{}}},
  },
  {
    name: 'job',
    // POST /apis/batch/v1/namespaces/default/jobs
    body:
      'azhzAAoPCghiYXRjaC92MRIDSm9iEoQBChIKAmoxEgAaACIAKgAyADgAQgASZDJiChAKABIAGgAiACoAMgA4AEIAEk4SKwoC' +
      'ajESB2J1c3lib3gaBGVjaG8aAmhpKgBCAGoAcgCAAQCIAQCQAQCiAQAaBU5ldmVyMgBCAEoAUgBYAGAAaACCAQCKAQCaAQDC' +
      'AQAaCCAAKAAwADoAGgAiAA==',
    json: {"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"j1","creationTimestamp":null},"spec":{"template":{"metadata":{"creationTimestamp":null},"spec":{"containers":[{"name":"j1","image":"busybox","command":["echo","hi"],"resources":{}}],"restartPolicy":"Never"}}},"status":{}},
  },
  {
    name: 'cronjob',
    // POST /apis/batch/v1/namespaces/default/cronjobs
    body:
      'azhzAAoTCghiYXRjaC92MRIHQ3JvbkpvYhKnAQoTCgNjajESABoAIgAqADIAOABCABKNAQoLKi81ICogKiAqICoaACp8ChMK' +
      'A2NqMRIAGgAiACoAMgA4AEIAEmUyYwoQCgASABoAIgAqADIAOABCABJPEigKA2NqMRIHYnVzeWJveBoEZGF0ZSoAQgBqAHIA' +
      'gAEAiAEAkAEAogEAGglPbkZhaWx1cmUyAEIASgBSAFgAYABoAIIBAIoBAJoBAMIBABoAGgAiAA==',
    json: {"apiVersion":"batch/v1","kind":"CronJob","metadata":{"name":"cj1","creationTimestamp":null},"spec":{"schedule":"*/5 * * * *","jobTemplate":{"metadata":{"name":"cj1","creationTimestamp":null},"spec":{"template":{"metadata":{"creationTimestamp":null},"spec":{"containers":[{"name":"cj1","image":"busybox","command":["date"],"resources":{}}],"restartPolicy":"OnFailure"}}}}},"status":{}},
  },
  {
    name: 'priorityclass',
    // POST /apis/scheduling.k8s.io/v1/priorityclasses
    body:
      'azhzAAolChRzY2hlZHVsaW5nLms4cy5pby92MRINUHJpb3JpdHlDbGFzcxI0ChMKA3BjMRIAGgAiACoAMgA4AEIAEOgHGAEi' +
      'AmhpKhRQcmVlbXB0TG93ZXJQcmlvcml0eRoAIgA=',
    json: {"apiVersion":"scheduling.k8s.io/v1","kind":"PriorityClass","metadata":{"name":"pc1","creationTimestamp":null},"value":1000,"globalDefault":true,"description":"hi","preemptionPolicy":"PreemptLowerPriority"},
  },
  {
    name: 'quota',
    // POST /api/v1/namespaces/default/resourcequotas
    body:
      'azhzAAoTCgJ2MRINUmVzb3VyY2VRdW90YRI+ChIKAnExEgAaACIAKgAyADgAQgASJgoKCgNjcHUSAwoBMgoMCgRwb2RzEgQK' +
      'AjEwEgpCZXN0RWZmb3J0GgAaACIA',
    json: {"apiVersion":"v1","kind":"ResourceQuota","metadata":{"name":"q1","creationTimestamp":null},"spec":{"hard":{"cpu":"2","pods":"10"},"scopes":["BestEffort"]},"status":{}},
  },
  {
    name: 'pdb',
    // POST /apis/policy/v1/namespaces/default/poddisruptionbudgets
    body:
      'azhzAAogCglwb2xpY3kvdjESE1BvZERpc3J1cHRpb25CdWRnZXQSPQoUCgRwZGIxEgAaACIAKgAyADgAQgASGRIMCgoKA2Fw' +
      'cBIDd2ViGgkIARAAGgM1MCUaCggAGAAgACgAMAAaACIA',
    json: {"apiVersion":"policy/v1","kind":"PodDisruptionBudget","metadata":{"name":"pdb1","creationTimestamp":null},"spec":{"selector":{"matchLabels":{"app":"web"}},"maxUnavailable":"50%"},"status":{"disruptionsAllowed":0,"currentHealthy":0,"desiredHealthy":0,"expectedPods":0}},
  },
];

const meta = (name: string, namespace?: string): Record<string, unknown> => ({
  name,
  ...(namespace ? { namespace } : {}),
  creationTimestamp: '2026-01-01T00:00:00Z',
});

const podSpec = (): Record<string, unknown> => ({
  volumes: [
    { name: 'cfg', configMap: { name: 'cm', items: [{ key: 'k', path: 'p', mode: 420 }], defaultMode: 420, optional: false } },
    { name: 'sec', secret: { secretName: 's', defaultMode: 256 } },
    { name: 'tmp', emptyDir: { medium: 'Memory', sizeLimit: '1Gi' } },
    { name: 'proj', projected: { sources: [{ serviceAccountToken: { expirationSeconds: 3607, path: 'token' } }, { downwardAPI: { items: [{ path: 'labels', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.labels' } }] } }] } },
    { name: 'data', persistentVolumeClaim: { claimName: 'pvc', readOnly: true } },
    { name: 'host', hostPath: { path: '/var/log', type: 'Directory' } },
  ],
  initContainers: [{ name: 'init', image: 'busybox', command: ['sh', '-c', 'true'], resources: {} }],
  containers: [
    {
      name: 'app',
      image: 'nginx',
      args: ['-g', 'daemon off;'],
      workingDir: '/srv',
      ports: [{ name: 'http', containerPort: 80, protocol: 'TCP' }],
      envFrom: [{ prefix: 'X_', configMapRef: { name: 'cm' } }, { secretRef: { name: 's', optional: true } }],
      env: [
        { name: 'A', value: '1' },
        { name: 'B', valueFrom: { secretKeyRef: { name: 's', key: 'k', optional: true } } },
        { name: 'C', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
        { name: 'D', valueFrom: { resourceFieldRef: { containerName: 'app', resource: 'limits.cpu', divisor: '1m' } } },
        { name: 'E', valueFrom: { configMapKeyRef: { name: 'cm', key: 'e' } } },
      ],
      resources: { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '100m' } },
      volumeMounts: [{ name: 'cfg', readOnly: true, mountPath: '/etc/cfg', subPath: 'x' }],
      livenessProbe: {
        httpGet: { path: '/healthz', port: 8080, scheme: 'HTTP', httpHeaders: [{ name: 'X', value: 'y' }] },
        initialDelaySeconds: 5,
        timeoutSeconds: 1,
        periodSeconds: 10,
        successThreshold: 1,
        failureThreshold: 3,
      },
      readinessProbe: { tcpSocket: { port: 'http' }, periodSeconds: 5 },
      startupProbe: { exec: { command: ['cat', '/tmp/ok'] }, failureThreshold: 30, terminationGracePeriodSeconds: 10 },
      lifecycle: { preStop: { exec: { command: ['sleep', '5'] } }, postStart: { sleep: { seconds: 1 } } },
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
      imagePullPolicy: 'IfNotPresent',
      securityContext: {
        capabilities: { drop: ['ALL'] },
        privileged: false,
        runAsUser: 1000,
        runAsNonRoot: true,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        seccompProfile: { type: 'RuntimeDefault' },
      },
      stdin: true,
      tty: true,
    },
  ],
  restartPolicy: 'Always',
  terminationGracePeriodSeconds: 1099511627776,
  activeDeadlineSeconds: 600,
  dnsPolicy: 'ClusterFirst',
  nodeSelector: { 'kubernetes.io/os': 'linux' },
  serviceAccountName: 'default',
  serviceAccount: 'default',
  automountServiceAccountToken: false,
  nodeName: 'node-1',
  hostNetwork: true,
  securityContext: {
    runAsUser: 1000,
    runAsGroup: 3000,
    runAsNonRoot: true,
    supplementalGroups: [4000, 5000],
    fsGroup: 2000,
    sysctls: [{ name: 'net.core.somaxconn', value: '1024' }],
  },
  imagePullSecrets: [{ name: 'reg' }],
  hostname: 'h',
  subdomain: 'sub',
  affinity: {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a', 'b'] }] }],
      },
    },
    podAntiAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [
        { weight: 100, podAffinityTerm: { labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'kubernetes.io/hostname' } },
      ],
    },
  },
  schedulerName: 'default-scheduler',
  tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }],
  hostAliases: [{ ip: '10.0.0.1', hostnames: ['db'] }],
  priorityClassName: 'high',
  priority: -5,
  dnsConfig: { nameservers: ['1.1.1.1'], options: [{ name: 'ndots', value: '2' }] },
  readinessGates: [{ conditionType: 'example.com/ready' }],
  enableServiceLinks: true,
  preemptionPolicy: 'PreemptLowerPriority',
  topologySpreadConstraints: [
    { maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'web' } } },
  ],
  os: { name: 'linux' },
});

const podTemplate = (): Record<string, unknown> => ({
  metadata: { creationTimestamp: null, labels: { app: 'web' } },
  spec: { containers: [{ name: 'c', image: 'busybox', resources: {} }], restartPolicy: 'OnFailure' },
});

/** One object per supported kind, in the form Go would put on the wire (value fields present). */
const SAMPLES: Record<string, Record<string, unknown>> = {
  'v1/ConfigMap': { metadata: meta('cm', 'default'), immutable: true, data: { a: 'b' }, binaryData: { bin: 'AAEC/w==' } },
  'v1/Secret': { metadata: meta('s', 'default'), data: { k: 'dmFs' }, stringData: { plain: 'text' }, type: 'Opaque' },
  'v1/Namespace': {
    metadata: { ...meta('ns'), labels: { team: 'a' } },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Terminating', conditions: [{ type: 'NamespaceDeletionContentFailure', status: 'False', lastTransitionTime: '2026-01-01T00:00:00Z', reason: 'ContentDeleted' }] },
  },
  'v1/ServiceAccount': {
    metadata: meta('sa', 'default'),
    secrets: [{ name: 'sa-token' }],
    imagePullSecrets: [{ name: 'reg' }],
    automountServiceAccountToken: false,
  },
  'v1/Service': {
    metadata: meta('svc', 'default'),
    spec: {
      ports: [{ name: 'http', protocol: 'TCP', appProtocol: 'http', port: 80, targetPort: 'http', nodePort: 30080 }],
      selector: { app: 'web' },
      clusterIP: '10.96.0.10',
      clusterIPs: ['10.96.0.10'],
      type: 'LoadBalancer',
      externalIPs: ['1.2.3.4'],
      sessionAffinity: 'ClientIP',
      loadBalancerSourceRanges: ['0.0.0.0/0'],
      externalTrafficPolicy: 'Local',
      healthCheckNodePort: 32000,
      publishNotReadyAddresses: true,
      sessionAffinityConfig: { clientIP: { timeoutSeconds: 10800 } },
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      allocateLoadBalancerNodePorts: true,
      internalTrafficPolicy: 'Cluster',
    },
    status: {
      loadBalancer: { ingress: [{ ip: '5.6.7.8', ipMode: 'VIP', ports: [{ port: 80, protocol: 'TCP' }] }] },
      conditions: [{ type: 'Ready', status: 'True', observedGeneration: 1, lastTransitionTime: '2026-01-01T00:00:00Z', reason: 'Ok', message: '' }],
    },
  },
  'v1/Pod': {
    metadata: {
      name: 'p',
      namespace: 'default',
      uid: 'u-1',
      resourceVersion: '42',
      generation: 3,
      creationTimestamp: '2026-01-01T00:00:00Z',
      deletionTimestamp: '2026-01-02T03:04:05Z',
      deletionGracePeriodSeconds: 30,
      labels: { app: 'web' },
      annotations: { note: 'x' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u-2', controller: true, blockOwnerDeletion: true }],
      finalizers: ['example.com/f'],
      managedFields: [
        { manager: 'kubectl', operation: 'Update', apiVersion: 'v1', time: '2026-01-01T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:labels': {} } } },
      ],
    },
    spec: podSpec(),
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: '2026-01-01T00:00:10Z' }],
      hostIP: '10.0.0.2',
      hostIPs: [{ ip: '10.0.0.2' }],
      podIP: '10.244.0.5',
      podIPs: [{ ip: '10.244.0.5' }],
      startTime: '2026-01-01T00:00:01Z',
      containerStatuses: [
        {
          name: 'app',
          state: { running: { startedAt: '2026-01-01T00:00:05Z' } },
          lastState: { terminated: { exitCode: 137, reason: 'OOMKilled', startedAt: '2026-01-01T00:00:02Z', finishedAt: '2026-01-01T00:00:04Z', containerID: 'containerd://abc' } },
          ready: true,
          restartCount: 1,
          image: 'nginx:latest',
          imageID: 'docker.io/library/nginx@sha256:1',
          containerID: 'containerd://def',
          started: true,
        },
      ],
      qosClass: 'Burstable',
    },
  },
  'v1/Event': {
    metadata: meta('p.1', 'default'),
    involvedObject: { kind: 'Pod', namespace: 'default', name: 'p', uid: 'u-1', apiVersion: 'v1', resourceVersion: '42', fieldPath: 'spec.containers{app}' },
    reason: 'BackOff',
    message: 'Back-off restarting failed container',
    source: { component: 'kubelet', host: 'node-1' },
    firstTimestamp: '2026-01-01T00:00:00Z',
    lastTimestamp: '2026-01-01T00:05:00Z',
    count: 7,
    type: 'Warning',
    eventTime: '2026-01-01T00:00:00.123456Z',
    series: { count: 2, lastObservedTime: '2026-01-01T00:05:00.000001Z' },
    action: 'Restarting',
    related: { kind: 'Node', name: 'node-1' },
    reportingComponent: 'kubelet',
    reportingInstance: 'node-1',
  },
  'v1/Endpoints': {
    metadata: meta('svc', 'default'),
    subsets: [
      {
        addresses: [{ ip: '10.244.0.5', hostname: 'p', nodeName: 'node-1', targetRef: { kind: 'Pod', namespace: 'default', name: 'p', uid: 'u-1' } }],
        notReadyAddresses: [{ ip: '10.244.0.6' }],
        ports: [{ name: 'http', port: 8080, protocol: 'TCP', appProtocol: 'http' }],
      },
    ],
  },
  'v1/ResourceQuota': {
    metadata: meta('q', 'default'),
    spec: { hard: { pods: '10', 'requests.cpu': '2' }, scopes: ['NotTerminating'], scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In', values: ['high'] }] } },
    status: { hard: { pods: '10' }, used: { pods: '3' } },
  },
  'apps/v1/Deployment': {
    metadata: { ...meta('web', 'default'), generation: 2 },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['db'] }] },
      template: { metadata: { creationTimestamp: null, labels: { app: 'web' } }, spec: podSpec() },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: '25%' } },
      minReadySeconds: 5,
      revisionHistoryLimit: 10,
      paused: true,
      progressDeadlineSeconds: 600,
    },
    status: {
      observedGeneration: 2,
      replicas: 3,
      updatedReplicas: 3,
      readyReplicas: 2,
      availableReplicas: 2,
      unavailableReplicas: 1,
      conditions: [
        { type: 'Available', status: 'False', lastUpdateTime: '2026-01-01T00:00:00Z', lastTransitionTime: '2026-01-01T00:00:00Z', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' },
      ],
      collisionCount: 0,
    },
  },
  'apps/v1/ReplicaSet': {
    metadata: { ...meta('web-abc', 'default'), ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'u-3', controller: true, blockOwnerDeletion: true }] },
    spec: { replicas: 0, minReadySeconds: 1, selector: { matchLabels: { app: 'web' } }, template: podTemplate() },
    status: { replicas: 0, observedGeneration: 4, conditions: [{ type: 'ReplicaFailure', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z', reason: 'FailedCreate' }] },
  },
  'rbac.authorization.k8s.io/v1/Role': {
    metadata: meta('r', 'default'),
    rules: [{ verbs: ['get', 'list'], apiGroups: ['', 'apps'], resources: ['pods', 'deployments'], resourceNames: ['a'] }],
  },
  'rbac.authorization.k8s.io/v1/ClusterRole': {
    metadata: meta('cr'),
    rules: [{ verbs: ['get'], nonResourceURLs: ['/healthz', '/livez'] }],
    aggregationRule: { clusterRoleSelectors: [{ matchLabels: { 'rbac.example.com/aggregate': 'true' } }] },
  },
  'rbac.authorization.k8s.io/v1/RoleBinding': {
    metadata: meta('rb', 'default'),
    subjects: [{ kind: 'ServiceAccount', name: 'sa', namespace: 'default' }, { kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'alice' }],
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r' },
  },
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': {
    metadata: meta('crb'),
    subjects: [{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'devs' }],
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cr' },
  },
  'authorization.k8s.io/v1/SelfSubjectAccessReview': {
    metadata: { creationTimestamp: null },
    spec: { resourceAttributes: { namespace: 'default', verb: 'list', group: 'apps', version: 'v1', resource: 'deployments', subresource: 'scale', name: 'web', fieldSelector: { rawSelector: 'a=b' }, labelSelector: { requirements: [{ key: 'app', operator: 'In', values: ['web'] }] } } },
    status: { allowed: true, reason: 'RBAC: allowed by ClusterRoleBinding "crb"' },
  },
  'authorization.k8s.io/v1/SubjectAccessReview': {
    metadata: { creationTimestamp: null },
    spec: {
      nonResourceAttributes: { path: '/healthz', verb: 'get' },
      user: 'alice',
      groups: ['devs', 'system:authenticated'],
      extra: { scopes: ['a', 'b'], empty: [] },
      uid: 'u-9',
    },
    status: { allowed: false, denied: true, evaluationError: 'none' },
  },
  'authorization.k8s.io/v1/LocalSubjectAccessReview': {
    metadata: { namespace: 'default', creationTimestamp: null },
    spec: { resourceAttributes: { namespace: 'default', verb: 'get', resource: 'pods' }, user: 'bob' },
    status: { allowed: false },
  },
  'authorization.k8s.io/v1/SelfSubjectRulesReview': {
    metadata: { creationTimestamp: null },
    spec: { namespace: 'default' },
    status: {
      resourceRules: [{ verbs: ['get'], apiGroups: [''], resources: ['pods'], resourceNames: ['p'] }],
      nonResourceRules: [{ verbs: ['get'], nonResourceURLs: ['/api'] }],
      incomplete: true,
      evaluationError: 'webhook unavailable',
    },
  },
  'authentication.k8s.io/v1/TokenRequest': {
    metadata: { name: 'sa', namespace: 'default', creationTimestamp: null },
    spec: { audiences: ['https://kubernetes.default.svc'], expirationSeconds: 3600, boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'p', uid: 'u-1' } },
    status: { token: 'ey.token', expirationTimestamp: '2026-01-01T01:00:00Z' },
  },
  'authentication.k8s.io/v1/TokenReview': {
    metadata: { creationTimestamp: null },
    spec: { token: 'ey.token', audiences: ['api'] },
    status: { authenticated: true, user: { username: 'system:serviceaccount:default:sa', uid: 'u-5', groups: ['system:serviceaccounts'], extra: { 'authentication.kubernetes.io/pod-name': ['p'] } }, audiences: ['api'] },
  },
  'authentication.k8s.io/v1/SelfSubjectReview': {
    metadata: { creationTimestamp: null },
    status: { userInfo: { username: 'admin', groups: ['system:masters', 'system:authenticated'] } },
  },
  'coordination.k8s.io/v1/Lease': {
    metadata: meta('kube-scheduler', 'kube-system'),
    spec: { holderIdentity: 'node-1_abc', leaseDurationSeconds: 15, acquireTime: '2026-01-01T00:00:00.000000Z', renewTime: '2026-01-01T00:00:12.345678Z', leaseTransitions: 0 },
  },
  'discovery.k8s.io/v1/EndpointSlice': {
    metadata: { ...meta('svc-abc', 'default'), labels: { 'kubernetes.io/service-name': 'svc' } },
    addressType: 'IPv4',
    endpoints: [
      { addresses: ['10.244.0.5'], conditions: { ready: true, serving: true, terminating: false }, hostname: 'p', targetRef: { kind: 'Pod', namespace: 'default', name: 'p' }, nodeName: 'node-1', zone: 'a', hints: { forZones: [{ name: 'a' }] } },
    ],
    ports: [{ name: 'http', protocol: 'TCP', port: 8080, appProtocol: 'http' }],
  },
  'batch/v1/Job': {
    metadata: meta('j', 'default'),
    spec: { parallelism: 2, completions: 4, activeDeadlineSeconds: 100, backoffLimit: 0, selector: { matchLabels: { 'job-name': 'j' } }, manualSelector: false, template: podTemplate(), ttlSecondsAfterFinished: 60, completionMode: 'NonIndexed', suspend: false },
    status: { conditions: [{ type: 'Complete', status: 'True', lastProbeTime: '2026-01-01T00:00:00Z', lastTransitionTime: '2026-01-01T00:00:00Z' }], startTime: '2026-01-01T00:00:00Z', completionTime: '2026-01-01T00:01:00Z', succeeded: 4, completedIndexes: '0-3' },
  },
  'batch/v1/CronJob': {
    metadata: meta('cj', 'default'),
    spec: { schedule: '*/5 * * * *', startingDeadlineSeconds: 30, concurrencyPolicy: 'Forbid', suspend: true, jobTemplate: { metadata: { name: 'cj', creationTimestamp: null }, spec: { template: podTemplate() } }, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1 },
    status: { active: [{ kind: 'Job', namespace: 'default', name: 'cj-1' }], lastScheduleTime: '2026-01-01T00:05:00Z' },
  },
  'policy/v1/PodDisruptionBudget': {
    metadata: meta('pdb', 'default'),
    spec: { minAvailable: '50%', selector: { matchLabels: { app: 'web' } } },
    status: { observedGeneration: 1, disruptedPods: { 'p-1': '2026-01-01T00:00:00Z' }, disruptionsAllowed: 1, currentHealthy: 3, desiredHealthy: 2, expectedPods: 3, conditions: [{ type: 'DisruptionAllowed', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z', reason: 'SufficientPods', message: '' }] },
  },
  'policy/v1/Eviction': {
    metadata: meta('p', 'default'),
    deleteOptions: { gracePeriodSeconds: 0, preconditions: { uid: 'u-1', resourceVersion: '42' }, propagationPolicy: 'Background', dryRun: ['All'] },
  },
  'autoscaling/v1/HorizontalPodAutoscaler': {
    metadata: meta('web', 'default'),
    spec: { scaleTargetRef: { kind: 'Deployment', name: 'web', apiVersion: 'apps/v1' }, minReplicas: 1, maxReplicas: 5, targetCPUUtilizationPercentage: 80 },
    status: { observedGeneration: 1, lastScaleTime: '2026-01-01T00:00:00Z', currentReplicas: 2, desiredReplicas: 3, currentCPUUtilizationPercentage: 95 },
  },
  'scheduling.k8s.io/v1/PriorityClass': { metadata: meta('high'), value: 1000000, globalDefault: true, description: 'important', preemptionPolicy: 'Never' },
  'networking.k8s.io/v1/Ingress': {
    metadata: meta('web', 'default'),
    spec: {
      ingressClassName: 'nginx',
      defaultBackend: { resource: { apiGroup: 'k8s.example.com', kind: 'StorageBucket', name: 'static' } },
      tls: [{ hosts: ['shop.example.com'], secretName: 'tls' }],
      rules: [{ host: 'shop.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }, { path: '/api', pathType: 'Exact', backend: { service: { name: 'api', port: { name: 'http' } } } }] } }],
    },
    status: { loadBalancer: { ingress: [{ ip: '10.0.0.1', ports: [{ port: 443, protocol: 'TCP', error: 'x' }] }, { hostname: 'lb.example.com' }] } },
  },
  'networking.k8s.io/v1/IngressClass': {
    metadata: meta('nginx'),
    spec: { controller: 'k8s.io/ingress-nginx', parameters: { apiGroup: 'k8s.example.com', kind: 'IngressParameters', name: 'external-lb', scope: 'Namespace', namespace: 'ops' } },
  },
  'v1/LimitRange': {
    metadata: meta('defaults', 'default'),
    spec: { limits: [{ type: 'Container', max: { memory: '1Gi' }, min: { cpu: '10m' }, default: { cpu: '500m' }, defaultRequest: { cpu: '250m' }, maxLimitRequestRatio: { cpu: '4' } }] },
  },
  'v1/PodTemplate': {
    metadata: meta('worker', 'default'),
    template: { metadata: { labels: { app: 'worker' }, creationTimestamp: null }, spec: { containers: [{ name: 'w', image: 'busybox', resources: {} }] } },
  },
  'meta.k8s.io/v1/DeleteOptions': { gracePeriodSeconds: 30, preconditions: { uid: 'u-1' }, orphanDependents: false, propagationPolicy: 'Foreground', dryRun: ['All'] },
};

function sample(key: string): KObject {
  const slash = key.lastIndexOf('/');
  return { apiVersion: key.slice(0, slash), kind: key.slice(slash + 1), ...SAMPLES[key] } as KObject;
}

function statusOf(fn: () => unknown): { code: number; reason: string; message: string } {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ApiError, `expected ApiError, got ${String(e)}`);
    return { code: e.code, reason: e.reason, message: e.message };
  }
  assert.fail('expected an error');
}

/** Protobuf base-128 varint of a 64-bit two's-complement value. */
function varint(v: bigint): number[] {
  let u = BigInt.asUintN(64, v);
  const out: number[] = [];
  while (u >= 0x80n) {
    out.push(Number(u & 0x7fn) | 0x80);
    u >>= 7n;
  }
  return [...out, Number(u)];
}

/** A body around a hand-built object message. */
function envelope(apiVersion: string, kind: string, raw: number[]): Buffer {
  const tm = [0x0a, apiVersion.length, ...Buffer.from(apiVersion), 0x12, kind.length, ...Buffer.from(kind)];
  return Buffer.from([0x6b, 0x38, 0x73, 0x00, 0x0a, tm.length, ...tm, 0x12, raw.length, ...raw]);
}

test('PROTOBUF_CONTENT_TYPE is the Kubernetes protobuf media type', () => {
  assert.equal(PROTOBUF_CONTENT_TYPE, 'application/vnd.kubernetes.protobuf');
});

for (const f of FIXTURES) {
  test(`decodes kubectl's ${f.name} body to the JSON kubectl would have sent`, () => {
    assert.deepStrictEqual(decodeK8sProtobuf(Buffer.from(f.body, 'base64')), f.json);
  });

  test(`re-encodes the ${f.name} body byte for byte`, () => {
    const body = Buffer.from(f.body, 'base64');
    assert.equal(encodeK8sProtobuf(decodeK8sProtobuf(body)).toString('base64'), body.toString('base64'));
  });
}

test('every supported kind has a round-trip sample', () => {
  assert.deepStrictEqual(Object.keys(SAMPLES).sort(), protobufKinds().sort());
});

for (const key of protobufKinds()) {
  test(`round-trips ${key} through encode and decode`, () => {
    const obj = sample(key);
    assert.deepStrictEqual(decodeK8sProtobuf(encodeK8sProtobuf(obj)), obj);
  });
}

test('protobufKinds lists the kinds kubectl creates', () => {
  const kinds = protobufKinds();
  for (const k of ['v1/ConfigMap', 'apps/v1/Deployment', 'rbac.authorization.k8s.io/v1/RoleBinding', 'authorization.k8s.io/v1/SelfSubjectAccessReview', 'coordination.k8s.io/v1/Lease', 'meta.k8s.io/v1/DeleteOptions']) {
    assert.ok(kinds.includes(k), k);
  }
});

test('DeleteOptions is accepted in any group version, as client-go sends it', () => {
  const obj = { apiVersion: 'apps/v1', kind: 'DeleteOptions', propagationPolicy: 'Orphan' } as unknown as KObject;
  assert.deepStrictEqual(decodeK8sProtobuf(encodeK8sProtobuf(obj)), obj);
});

test('int32 and int64 negatives travel as sign-extended 10-byte varints', () => {
  // PodSpec.priority (25) = -5 inside Pod.spec (2)
  const minus5 = varint(-5n);
  assert.equal(minus5.length, 10);
  const body = envelope('v1', 'Pod', [0x12, minus5.length + 2, 0xc8, 0x01, ...minus5]);
  const pod = decodeK8sProtobuf(body) as Record<string, any>;
  assert.equal(pod.spec.priority, -5);
  const again = encodeK8sProtobuf({ apiVersion: 'v1', kind: 'Pod', metadata: {}, spec: { priority: -5, containers: [] } } as KObject);
  assert.ok(again.includes(Buffer.from([0xc8, 0x01, ...minus5])));
});

test('Time is whole seconds in RFC3339; the zero time and an empty Time are null', () => {
  // ObjectMeta.creationTimestamp (8) {seconds: 1767225600, nanos: 999} – nanos dropped like metav1.Time does
  const ts = [0x08, ...varint(1767225600n), 0x10, ...varint(999n)];
  const body = envelope('v1', 'ConfigMap', [0x0a, ts.length + 2, 0x42, ts.length, ...ts]);
  assert.deepStrictEqual(decodeK8sProtobuf(body).metadata, { creationTimestamp: '2026-01-01T00:00:00Z' });

  const zero = [0x08, ...varint(-62135596800n)];
  const zeroBody = envelope('v1', 'ConfigMap', [0x0a, zero.length + 2, 0x42, zero.length, ...zero]);
  assert.deepStrictEqual(decodeK8sProtobuf(zeroBody).metadata, { creationTimestamp: null });
  assert.deepStrictEqual(decodeK8sProtobuf(envelope('v1', 'ConfigMap', [0x0a, 2, 0x42, 0])).metadata, { creationTimestamp: null });
});

test('MicroTime keeps microseconds', () => {
  const lease = sample('coordination.k8s.io/v1/Lease');
  const got = decodeK8sProtobuf(encodeK8sProtobuf(lease)) as Record<string, any>;
  assert.equal(got.spec.renewTime, '2026-01-01T00:00:12.345678Z');
});

test('IntOrString decodes to a number or a string by its type', () => {
  // HTTPGetAction.port as {type: 1, strVal: "http"}
  const ios = [0x08, 0x01, 0x10, 0x00, 0x1a, 0x04, ...Buffer.from('http')];
  const sock = [0x0a, ios.length, ...ios];
  const probe = [0x0a, sock.length + 2, 0x1a, sock.length, ...sock];
  const container = [0x0a, 0x01, 0x63, 0x5a, probe.length, ...probe];
  const spec = [0x12, container.length, ...container];
  const pod = decodeK8sProtobuf(envelope('v1', 'Pod', [0x12, spec.length, ...spec])) as Record<string, any>;
  assert.deepStrictEqual(pod.spec.containers[0].readinessProbe, { tcpSocket: { port: 'http' } });
});

test('packed repeated integers are accepted', () => {
  // PodSecurityContext.supplementalGroups (4) packed: [1, 300]
  const psc = [0x22, 0x03, 0x01, 0xac, 0x02];
  const spec = [0x72, psc.length, ...psc];
  const pod = decodeK8sProtobuf(envelope('v1', 'Pod', [0x12, spec.length, ...spec])) as Record<string, any>;
  assert.deepStrictEqual(pod.spec.securityContext.supplementalGroups, [1, 300]);
});

test('unknown fields of every wire type are skipped', () => {
  // ConfigMap with fields 9 (varint), 10 (fixed64), 11 (bytes), 12 (fixed32), then data {a: b}
  const raw = [0x48, 0x96, 0x01, 0x51, 1, 2, 3, 4, 5, 6, 7, 8, 0x5a, 0x02, 0x00, 0x00, 0x65, 1, 2, 3, 4, 0x12, 0x06, 0x0a, 0x01, 0x61, 0x12, 0x01, 0x62];
  assert.deepStrictEqual(decodeK8sProtobuf(envelope('v1', 'ConfigMap', raw)), { apiVersion: 'v1', kind: 'ConfigMap', data: { a: 'b' } });
});

test('a body without the k8s magic is a 400', () => {
  const s = statusOf(() => decodeK8sProtobuf(Buffer.from('{"kind":"ConfigMap"}')));
  assert.equal(s.code, 400);
  assert.equal(s.reason, 'BadRequest');
  assert.equal(s.message, 'provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]');
  assert.equal(statusOf(() => decodeK8sProtobuf(Buffer.alloc(0))).code, 400);
});

test('an unknown kind is a 415 listing the accepted media types', () => {
  const s = statusOf(() => decodeK8sProtobuf(envelope('storage.k8s.io/v1', 'CSIDriver', [])));
  assert.deepStrictEqual(s, {
    code: 415,
    reason: 'UnsupportedMediaType',
    message: 'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf',
  });
  assert.equal(statusOf(() => encodeK8sProtobuf({ apiVersion: 'v1', kind: 'Nope', metadata: {} })).code, 415);
});

test('a truncated length is a 400 naming the kind', () => {
  const s = statusOf(() => decodeK8sProtobuf(envelope('v1', 'ConfigMap', [0x12, 0x7f, 0x0a])));
  assert.deepStrictEqual(s, { code: 400, reason: 'BadRequest', message: 'ConfigMap in version "v1" cannot be handled as a ConfigMap: unexpected EOF' });
});

test('a wrong wire type is a 400', () => {
  const s = statusOf(() => decodeK8sProtobuf(envelope('v1', 'ConfigMap', [0x0a, 0x02, 0x08, 0x01])));
  assert.equal(s.code, 400);
  assert.equal(s.message, 'ConfigMap in version "v1" cannot be handled as a ConfigMap: proto: wrong wireType = 0 for field Name');
});

test('an over-long varint and a huge length are 400s, not hangs', () => {
  const overflow = statusOf(() => decodeK8sProtobuf(envelope('v1', 'ConfigMap', [0x20, ...Array(11).fill(0xff), 0x01])));
  assert.equal(overflow.code, 400);
  assert.match(overflow.message, /integer overflow/);
  const huge = statusOf(() => decodeK8sProtobuf(Buffer.from([0x6b, 0x38, 0x73, 0x00, 0x12, 0xff, 0xff, 0xff, 0xff, 0x0f])));
  assert.equal(huge.code, 400);
});

test('every truncation of a real body decodes or fails with a 400', () => {
  const body = Buffer.from(FIXTURES.find((f) => f.name === 'deployment')!.body, 'base64');
  for (let n = 0; n < body.length; n++) {
    try {
      decodeK8sProtobuf(body.subarray(0, n));
    } catch (e) {
      assert.ok(e instanceof ApiError, `length ${n}: ${String(e)}`);
      assert.ok(e.code === 400 || e.code === 415, `length ${n}: ${e.code}`);
    }
  }
});

test('random byte flips never crash the decoder', () => {
  let seed = 12345;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  for (const f of FIXTURES) {
    const orig = Buffer.from(f.body, 'base64');
    for (let i = 0; i < 200; i++) {
      const b = Buffer.from(orig);
      for (let k = 0; k < 3; k++) b[4 + rand(b.length - 4)] = rand(256);
      try {
        decodeK8sProtobuf(b);
      } catch (e) {
        assert.ok(e instanceof ApiError, `${f.name}: ${String(e)}`);
      }
    }
  }
});

test('encoding rejects values of the wrong JSON type with a 400', () => {
  const s = statusOf(() => encodeK8sProtobuf({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 7 } } as unknown as KObject));
  assert.equal(s.code, 400);
  assert.equal(s.message, 'cannot encode ConfigMap as protobuf: ConfigMap.metadata.name: expected string');
});
