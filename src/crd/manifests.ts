// The CustomResourceDefinitions of kubeherald.io/v1alpha1, generated from
// the zod schemas (src/crd/schemas.ts). `npm run generate:crds` writes them
// to deploy/crds/; a test checks the committed files equal this output.

import { stringify } from 'yaml';
import { structuralSchema } from './openapi.ts';
import { GROUP, type KindInfo, KINDS, objectSchema, VERSION } from './schemas.ts';

const READY = '.status.conditions[?(@.type=="Ready")]';

interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description?: string;
  priority?: number;
}

function printerColumns(info: KindInfo): PrinterColumn[] {
  const ready: PrinterColumn[] = [
    { name: 'Ready', type: 'string', jsonPath: `${READY}.status`, description: 'Whether the controller accepted it' },
    { name: 'Reason', type: 'string', jsonPath: `${READY}.reason`, priority: 1 },
  ];
  const counters = (first: 'Matched' | 'Delivered'): PrinterColumn[] =>
    first === 'Matched'
      ? [
          { name: 'Matched', type: 'integer', jsonPath: '.status.matched', priority: 1 },
          { name: 'Delivered', type: 'integer', jsonPath: '.status.delivered', priority: 1 },
        ]
      : [{ name: 'Delivered', type: 'integer', jsonPath: '.status.delivered', priority: 1 }];
  const age: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };
  if (info.kind === 'ChatIdentity') {
    // a mapping names its chat user by id or by e-mail: one of the two columns is empty
    return [
      { name: 'Platform', type: 'string', jsonPath: '.spec.platform' },
      { name: 'User', type: 'string', jsonPath: '.spec.user', description: 'The platform user id' },
      { name: 'Email', type: 'string', jsonPath: '.spec.email', description: 'Slack: the verified e-mail' },
      { name: 'Kubernetes User', type: 'string', jsonPath: '.spec.kubernetes.user' },
      { name: 'Groups', type: 'string', jsonPath: '.spec.kubernetes.groups', priority: 1 },
      ...ready,
      age,
    ];
  }
  if (info.kind === 'ChatPolicy' || info.kind === 'ClusterChatPolicy') {
    // absent fields are the defaults: empty Commands means every write, empty Approvals means 1
    return [
      { name: 'Commands', type: 'string', jsonPath: '.spec.commands', description: 'Empty: every write' },
      ...(info.kind === 'ClusterChatPolicy' ? [{ name: 'Namespaces', type: 'string', jsonPath: '.spec.namespaces', description: 'Empty: any (or its selector)' } as const] : []),
      { name: 'Approvals', type: 'integer', jsonPath: '.spec.approvals', description: 'Empty: 1' },
      ...ready,
      age,
    ];
  }
  if (info.kind === 'Silence' || info.kind === 'ClusterSilence') {
    return [
      ...ready,
      { name: 'Expired', type: 'string', jsonPath: '.status.conditions[?(@.type=="Expired")].status' },
      { name: 'Ends', type: 'date', jsonPath: '.status.endsAt' },
      { name: 'Comment', type: 'string', jsonPath: '.spec.comment', priority: 1 },
      age,
    ];
  }
  if (info.kind === 'Sink' || info.kind === 'ClusterSink') {
    // Plugin is empty but for type plugin: which plugin type delivers it
    return [{ name: 'Type', type: 'string', jsonPath: '.spec.type' }, { name: 'Plugin', type: 'string', jsonPath: '.spec.plugin', priority: 1 }, ...ready, ...counters('Delivered'), age];
  }
  return [
    // the controller writes the list as text: a JSONPath over spec.sinks[*] prints only the first
    { name: 'Sinks', type: 'string', jsonPath: '.status.sinks' },
    ...ready,
    { name: 'Order', type: 'integer', jsonPath: '.spec.order', priority: 1 },
    ...counters('Matched'),
    age,
  ];
}

export type CRDManifest = Record<string, unknown> & { metadata: { name: string; labels?: Record<string, string> } };

export function crdManifest(info: KindInfo): CRDManifest {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${info.plural}.${GROUP}`,
      labels: { 'app.kubernetes.io/name': 'kubeherald', 'app.kubernetes.io/part-of': 'kubeherald' },
    },
    spec: {
      group: GROUP,
      names: {
        kind: info.kind,
        listKind: `${info.kind}List`,
        plural: info.plural,
        singular: info.singular,
        shortNames: info.shortNames,
        categories: ['kubeherald'],
      },
      scope: info.namespaced ? 'Namespaced' : 'Cluster',
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: printerColumns(info),
          schema: { openAPIV3Schema: structuralSchema(objectSchema(info)) },
        },
      ],
    },
  };
}

export function crdManifests(): CRDManifest[] {
  return Object.values(KINDS).map(crdManifest);
}

/** File name under deploy/crds/ → its YAML. */
export function crdFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const crd of crdManifests()) {
    const header = '# Generated by `npm run generate:crds` from src/crd/schemas.ts. Do not edit.\n';
    files.set(`${crd.metadata.name}.yaml`, header + stringify(crd, { lineWidth: 0 }));
  }
  const kustomization = { apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: [...files.keys()] };
  files.set('kustomization.yaml', '# Generated by `npm run generate:crds`. Do not edit.\n' + stringify(kustomization));
  return files;
}
