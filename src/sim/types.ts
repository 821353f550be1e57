// Shapes shared by the simulator's parts. The simulator speaks the real API
// server's wire format, so these mirror apimachinery's types loosely: objects
// are plain JSON, and only the fields the simulator itself reads are typed.

import type { KubeObject, KubeObjectMeta } from '../model/kube.ts';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** The product's object metadata, with what the server itself keeps. */
export interface ObjectMeta extends KubeObjectMeta {
  generateName?: string;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  managedFields?: unknown[];
}

/** Any Kubernetes object as stored and served: plain JSON. */
export interface KObject extends KubeObject {
  metadata: ObjectMeta;
}

/** An OpenAPI v3 / structural schema, as in a CRD's openAPIV3Schema. */
export interface JSONSchemaProps {
  type?: string;
  format?: string;
  description?: string;
  properties?: Record<string, JSONSchemaProps>;
  additionalProperties?: JSONSchemaProps | boolean;
  items?: JSONSchemaProps;
  required?: string[];
  enum?: Json[];
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  nullable?: boolean;
  default?: Json;
  $ref?: string;
  allOf?: JSONSchemaProps[];
  anyOf?: JSONSchemaProps[];
  oneOf?: JSONSchemaProps[];
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-patch-merge-key'?: string;
  'x-kubernetes-patch-strategy'?: string;
  'x-kubernetes-list-type'?: string;
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: string;
  'x-kubernetes-group-version-kind'?: { group: string; version: string; kind: string }[];
  [k: string]: unknown;
}

export interface PrinterColumn {
  name: string;
  type: string; // string | integer | number | boolean | date
  jsonPath: string;
  description?: string;
  priority?: number;
  format?: string;
}

/**
 * One resource the simulator serves at one group/version, e.g. apps/v1
 * deployments. Several types may share one storage (core/v1 events and
 * events.k8s.io/v1 events), converting on the way in and out.
 */
export interface ResourceType {
  group: string; // "" for the core group
  version: string;
  resource: string; // plural, as in the URL
  singular: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  verbs: string[];
  /** e.g. "status", "scale", "log" */
  subresources: string[];
  /** storage key shared by every view of the same objects, e.g. "events" */
  storage: string;
  /** the kind's OpenAPI schema (used for OpenAPI documents and validation) */
  schema?: JSONSchemaProps;
  printerColumns?: PrinterColumn[];
  /** served from a CustomResourceDefinition */
  crd?: boolean;
  /** storage form → this view (events.k8s.io/v1 over core/v1 events) */
  toView?: (stored: KObject) => KObject;
  /** this view → storage form */
  fromView?: (viewed: KObject) => KObject;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/** The caller of an API request, after authentication and impersonation. */
export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

/** What an authorizer is asked, as in a SubjectAccessReview. */
export interface ResourceAttributes {
  verb: string;
  group: string;
  version?: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

export interface NonResourceAttributes {
  verb: string;
  path: string;
}
