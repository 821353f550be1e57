// Storage references of the built-in resources the simulator's own controllers
// write to. The storage key convention matches builtins.ts: the plural for
// the core group, "<group>/<plural>" otherwise.

import type { StorageRef } from './store.ts';

const ref = (group: string, resource: string): StorageRef => ({
  group,
  resource,
  storage: group ? `${group}/${resource}` : resource,
});

export const NAMESPACES = ref('', 'namespaces');
export const PODS = ref('', 'pods');
export const NODES = ref('', 'nodes');
export const EVENTS = ref('', 'events');
export const SERVICES = ref('', 'services');
export const ENDPOINTS = ref('', 'endpoints');
export const CONFIGMAPS = ref('', 'configmaps');
export const SECRETS = ref('', 'secrets');
export const PVCS = ref('', 'persistentvolumeclaims');
export const PVS = ref('', 'persistentvolumes');
export const SERVICEACCOUNTS = ref('', 'serviceaccounts');
export const DEPLOYMENTS = ref('apps', 'deployments');
export const REPLICASETS = ref('apps', 'replicasets');
export const DAEMONSETS = ref('apps', 'daemonsets');
export const STATEFULSETS = ref('apps', 'statefulsets');
export const CONTROLLERREVISIONS = ref('apps', 'controllerrevisions');
export const JOBS = ref('batch', 'jobs');
export const CRONJOBS = ref('batch', 'cronjobs');
export const LEASES = ref('coordination.k8s.io', 'leases');
export const ENDPOINTSLICES = ref('discovery.k8s.io', 'endpointslices');
export const CRDS = ref('apiextensions.k8s.io', 'customresourcedefinitions');
export const ROLES = ref('rbac.authorization.k8s.io', 'roles');
export const ROLEBINDINGS = ref('rbac.authorization.k8s.io', 'rolebindings');
export const CLUSTERROLES = ref('rbac.authorization.k8s.io', 'clusterroles');
export const CLUSTERROLEBINDINGS = ref('rbac.authorization.k8s.io', 'clusterrolebindings');
export const PDBS = ref('policy', 'poddisruptionbudgets');
export const RESOURCEQUOTAS = ref('', 'resourcequotas');
export const LIMITRANGES = ref('', 'limitranges');
export const PODTEMPLATES = ref('', 'podtemplates');
export const PRIORITYCLASSES = ref('scheduling.k8s.io', 'priorityclasses');
export const INGRESSES = ref('networking.k8s.io', 'ingresses');
export const INGRESSCLASSES = ref('networking.k8s.io', 'ingressclasses');
