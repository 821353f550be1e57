// Built-in kinds of the cluster-operations family a 1.32 server serves:
// PodDisruptionBudgets, TokenReviews, ResourceQuotas, LimitRanges,
// PriorityClasses, PodTemplates, Ingresses and IngressClasses, with the real
// discovery data (short names, verbs, scope, subresources). Kept apart from
// builtins.ts so their schemas and the behaviour behind them live together;
// builtins.ts only lists them.

import { conditionSchema, intOrStringSchema, labelSelectorSchema, objectMetaSchema, podTemplateSpecSchema, quantitySchema, typeMetaProperties } from './builtins.ts';
import type { JSONSchemaProps, KObject, ResourceType } from './types.ts';

type S = JSONSchemaProps;

const string = (): S => ({ type: 'string' });
const int32 = (): S => ({ type: 'integer', format: 'int32' });
const int64 = (): S => ({ type: 'integer', format: 'int64' });
const boolean = (): S => ({ type: 'boolean' });
const time = (): S => ({ type: 'string', format: 'date-time' });
const object = (properties: Record<string, S>, extra: S = {}): S => ({ type: 'object', properties, ...extra });
const opaque = (): S => ({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true });
const mapOf = (values: S): S => ({ type: 'object', additionalProperties: values });
const atomic = (items: S): S => ({ type: 'array', items, 'x-kubernetes-list-type': 'atomic' });
const intOrString = (): S => intOrStringSchema();
const quantityMap = (): S => mapOf(quantitySchema());

function kind(group: string, kindName: string, description: string, properties: Record<string, S>, required?: string[]): S {
  return {
    description,
    type: 'object',
    properties: { ...typeMetaProperties(), metadata: objectMetaSchema(), ...properties },
    ...(required ? { required } : {}),
    'x-kubernetes-group-version-kind': [{ group, kind: kindName, version: 'v1' }],
  };
}

function podDisruptionBudgetSchema(): S {
  return kind('policy', 'PodDisruptionBudget', 'PodDisruptionBudget is an object to define the max disruption that can be caused to a collection of pods', {
    spec: object({
      maxUnavailable: intOrString(),
      minAvailable: intOrString(),
      selector: labelSelectorSchema(),
      unhealthyPodEvictionPolicy: string(),
    }),
    status: object(
      {
        conditions: { type: 'array', items: conditionSchema(), 'x-kubernetes-list-map-keys': ['type'], 'x-kubernetes-list-type': 'map', 'x-kubernetes-patch-merge-key': 'type', 'x-kubernetes-patch-strategy': 'merge' },
        currentHealthy: int32(),
        desiredHealthy: int32(),
        disruptedPods: mapOf(time()),
        disruptionsAllowed: int32(),
        expectedPods: int32(),
        observedGeneration: int64(),
      },
      { required: ['disruptionsAllowed', 'currentHealthy', 'desiredHealthy', 'expectedPods'] },
    ),
  });
}

function tokenReviewSchema(): S {
  return kind('authentication.k8s.io', 'TokenReview', 'TokenReview attempts to authenticate a token to a known user. Note: TokenReview requests may be cached by the webhook token authenticator plugin in the kube-apiserver.', {
    spec: object({ audiences: atomic(string()), token: string() }),
    status: object({
      audiences: atomic(string()),
      authenticated: boolean(),
      error: string(),
      user: object({ extra: mapOf(atomic(string())), groups: atomic(string()), uid: string(), username: string() }),
    }),
  }, ['spec']);
}

function resourceQuotaSchema(): S {
  return kind('', 'ResourceQuota', 'ResourceQuota sets aggregate quota restrictions enforced per namespace', {
    spec: object({ hard: quantityMap(), scopeSelector: opaque(), scopes: atomic(string()) }),
    status: object({ hard: quantityMap(), used: quantityMap() }),
  });
}

function limitRangeSchema(): S {
  const item = object(
    {
      default: quantityMap(),
      defaultRequest: quantityMap(),
      max: quantityMap(),
      maxLimitRequestRatio: quantityMap(),
      min: quantityMap(),
      type: string(),
    },
    { required: ['type'] },
  );
  return kind('', 'LimitRange', 'LimitRange sets resource usage limits for each kind of resource in a Namespace.', {
    spec: object({ limits: atomic(item) }, { required: ['limits'] }),
  });
}

function priorityClassSchema(): S {
  return kind('scheduling.k8s.io', 'PriorityClass', 'PriorityClass defines mapping from a priority class name to the priority integer value. The value can be any valid integer.', {
    description: string(),
    globalDefault: boolean(),
    preemptionPolicy: string(),
    value: int32(),
  }, ['value']);
}

function podTemplateSchema(): S {
  return kind('', 'PodTemplate', 'PodTemplate describes a template for creating copies of a predefined pod.', { template: podTemplateSpecSchema() });
}

function ingressSchema(): S {
  return kind('networking.k8s.io', 'Ingress', 'Ingress is a collection of rules that allow inbound connections to reach the endpoints defined by a backend. An Ingress can be configured to give services externally-reachable urls, load balance traffic, terminate SSL, offer name based virtual hosting etc.', {
    spec: object({
      defaultBackend: opaque(),
      ingressClassName: string(),
      rules: atomic(object({ host: string(), http: opaque() })),
      tls: atomic(object({ hosts: atomic(string()), secretName: string() })),
    }),
    status: object({ loadBalancer: opaque() }),
  });
}

function ingressClassSchema(): S {
  return kind('networking.k8s.io', 'IngressClass', 'IngressClass represents the class of the Ingress, referenced by the Ingress Spec. The `ingressclass.kubernetes.io/is-default-class` annotation can be used to indicate that an IngressClass should be considered default.', {
    spec: object({ controller: string(), parameters: opaque() }),
  });
}

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

interface Def {
  group: string;
  resource: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  schema: S;
  verbs?: string[];
  shortNames?: string[];
  subresources?: string[];
}

function resourceType(d: Def): ResourceType {
  const rt: ResourceType = {
    group: d.group,
    version: 'v1',
    resource: d.resource,
    singular: d.singular,
    kind: d.kind,
    listKind: `${d.kind}List`,
    namespaced: d.namespaced,
    verbs: d.verbs ?? ALL_VERBS,
    subresources: d.subresources ?? [],
    storage: d.group ? `${d.group}/${d.resource}` : d.resource,
    schema: d.schema,
  };
  if (d.shortNames) rt.shortNames = d.shortNames;
  return rt;
}

/** The kinds of this family, with the discovery data of a real 1.32 server. */
export function clusterResourceTypes(): ResourceType[] {
  const defs: Def[] = [
    { group: '', resource: 'limitranges', singular: 'limitrange', kind: 'LimitRange', namespaced: true, shortNames: ['limits'], schema: limitRangeSchema() },
    { group: '', resource: 'podtemplates', singular: 'podtemplate', kind: 'PodTemplate', namespaced: true, schema: podTemplateSchema() },
    {
      group: '', resource: 'resourcequotas', singular: 'resourcequota', kind: 'ResourceQuota', namespaced: true,
      shortNames: ['quota'], subresources: ['status'], schema: resourceQuotaSchema(),
    },
    {
      group: 'policy', resource: 'poddisruptionbudgets', singular: 'poddisruptionbudget', kind: 'PodDisruptionBudget',
      namespaced: true, shortNames: ['pdb'], subresources: ['status'], schema: podDisruptionBudgetSchema(),
    },
    {
      group: 'authentication.k8s.io', resource: 'tokenreviews', singular: 'tokenreview', kind: 'TokenReview',
      namespaced: false, verbs: ['create'], schema: tokenReviewSchema(),
    },
    {
      group: 'scheduling.k8s.io', resource: 'priorityclasses', singular: 'priorityclass', kind: 'PriorityClass',
      namespaced: false, shortNames: ['pc'], schema: priorityClassSchema(),
    },
    {
      group: 'networking.k8s.io', resource: 'ingresses', singular: 'ingress', kind: 'Ingress', namespaced: true,
      shortNames: ['ing'], subresources: ['status'], schema: ingressSchema(),
    },
    { group: 'networking.k8s.io', resource: 'ingressclasses', singular: 'ingressclass', kind: 'IngressClass', namespaced: false, schema: ingressClassSchema() },
  ];
  return defs.map(resourceType);
}

/** The PriorityClasses every cluster has (created by kube-apiserver's bootstrap). */
export function systemPriorityClasses(): KObject[] {
  const pc = (name: string, value: number, description: string): KObject => ({
    apiVersion: 'scheduling.k8s.io/v1',
    kind: 'PriorityClass',
    metadata: { name },
    value,
    globalDefault: false,
    description,
    preemptionPolicy: 'PreemptLowerPriority',
  });
  return [
    pc('system-node-critical', 2000001000, 'Used for system critical pods that must not be moved from their current node.'),
    pc('system-cluster-critical', 2000000000, 'Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.'),
  ];
}
