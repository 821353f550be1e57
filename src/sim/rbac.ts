// Authentication, impersonation and RBAC authorization as kube-apiserver
// performs them (k8s.io/apiserver authentication + impersonation filters,
// plugin/pkg/auth/authorizer/rbac). Wording of reasons and 403 messages is
// copied from the real server because kubectl prints them verbatim.

import { ApiError, badRequest, invalid, qualifiedResource } from './errors.ts';
import type { KObject, NonResourceAttributes, ResourceAttributes, UserInfo } from './types.ts';

const RBAC_GROUP = 'rbac.authorization.k8s.io';
const AUTHN_GROUP = 'authentication.k8s.io';
const AUTHZ_GROUP = 'authorization.k8s.io';

export const RBAC_STORAGE = {
  roles: `${RBAC_GROUP}/roles`,
  roleBindings: `${RBAC_GROUP}/rolebindings`,
  clusterRoles: `${RBAC_GROUP}/clusterroles`,
  clusterRoleBindings: `${RBAC_GROUP}/clusterrolebindings`,
} as const;

export const ANONYMOUS = 'system:anonymous';
export const ALL_AUTHENTICATED = 'system:authenticated';
export const ALL_UNAUTHENTICATED = 'system:unauthenticated';
export const MASTERS = 'system:masters';
const SA_PREFIX = 'system:serviceaccount:';

/** Reads RBAC objects (plain JSON, core form) from the simulator's store. ns undefined = all namespaces. */
export interface RbacObjects {
  list(storage: string, namespace?: string): KObject[];
}

export interface Decision {
  allowed: boolean;
  denied?: boolean;
  reason: string;
}

export interface PolicyRule {
  verbs?: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

interface Subject {
  kind: string;
  name: string;
  namespace?: string;
  apiGroup?: string;
}

interface RoleRef {
  kind: string;
  name: string;
  apiGroup?: string;
}

interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

type Attributes = ResourceAttributes | NonResourceAttributes;

const isResource = (a: Attributes): a is ResourceAttributes => !('path' in a);

// ---------------------------------------------------------------------------
// Rule matching (pkg/apis/rbac/v1/evaluation_helpers.go)

const has = (list: string[] | undefined, v: string): boolean => list !== undefined && list.includes(v);

function verbMatches(rule: PolicyRule, verb: string): boolean {
  return has(rule.verbs, '*') || has(rule.verbs, verb);
}

function apiGroupMatches(rule: PolicyRule, group: string): boolean {
  return has(rule.apiGroups, '*') || has(rule.apiGroups, group);
}

// "pods/*" is deliberately NOT a wildcard: the real matcher only knows "*",
// exact "resource/subresource" and "*/subresource".
function resourceMatches(rule: PolicyRule, combined: string, subresource: string): boolean {
  for (const r of rule.resources ?? []) {
    if (r === '*' || r === combined) return true;
    if (subresource && r.length === subresource.length + 2 && r.startsWith('*/') && r.endsWith(subresource)) return true;
  }
  return false;
}

function resourceNameMatches(rule: PolicyRule, name: string): boolean {
  if (!rule.resourceNames || rule.resourceNames.length === 0) return true;
  return rule.resourceNames.includes(name);
}

function nonResourceURLMatches(rule: PolicyRule, path: string): boolean {
  for (const u of rule.nonResourceURLs ?? []) {
    if (u === '*' || u === path) return true;
    if (u.endsWith('*') && path.startsWith(u.replace(/\*+$/, ''))) return true;
  }
  return false;
}

export function ruleAllows(attrs: Attributes, rule: PolicyRule): boolean {
  if (!verbMatches(rule, attrs.verb)) return false;
  if (!isResource(attrs)) return nonResourceURLMatches(rule, attrs.path);
  const sub = attrs.subresource ?? '';
  const combined = sub ? `${attrs.resource}/${sub}` : attrs.resource;
  return (
    apiGroupMatches(rule, attrs.group) &&
    resourceMatches(rule, combined, sub) &&
    resourceNameMatches(rule, attrs.name ?? '')
  );
}

// ---------------------------------------------------------------------------
// Subjects

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** "system:serviceaccount:ns:name" → [ns, name], validated like serviceaccount.SplitUsername. */
export function splitServiceAccountUsername(username: string): [string, string] | undefined {
  if (!username.startsWith(SA_PREFIX)) return undefined;
  const parts = username.slice(SA_PREFIX.length).split(':');
  if (parts.length !== 2) return undefined;
  const [ns, name] = parts;
  if (ns.length > 63 || !DNS1123_LABEL.test(ns)) return undefined;
  if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) return undefined;
  return [ns, name];
}

export const serviceAccountGroups = (ns: string): string[] => ['system:serviceaccounts', `system:serviceaccounts:${ns}`];

function appliesToUser(user: UserInfo, s: Subject, bindingNamespace: string): boolean {
  switch (s.kind) {
    case 'User':
      return user.username === s.name;
    case 'Group':
      return user.groups.includes(s.name);
    case 'ServiceAccount': {
      // A RoleBinding may omit the SA namespace: it defaults to the binding's.
      const ns = s.namespace || bindingNamespace;
      return ns !== '' && user.username === `${SA_PREFIX}${ns}:${s.name}`;
    }
    default:
      return false;
  }
}

function describeSubject(s: Subject, bindingNamespace: string): string {
  if (s.kind === 'ServiceAccount') return `${s.kind} ${goQuote(`${s.name}/${s.namespace || bindingNamespace}`)}`;
  return `${s.kind} ${goQuote(s.name)}`;
}

/** Go's %q for the plain strings Kubernetes names are made of. */
const goQuote = (s: string): string => JSON.stringify(s);

// ---------------------------------------------------------------------------
// Label selectors (aggregationRule.clusterRoleSelectors)

export function selectorMatches(sel: LabelSelector, labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (l[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const present = Object.prototype.hasOwnProperty.call(l, e.key);
    switch (e.operator) {
      case 'In':
        if (!present || !(e.values ?? []).includes(l[e.key])) return false;
        break;
      case 'NotIn':
        if (present && (e.values ?? []).includes(l[e.key])) return false;
        break;
      case 'Exists':
        if (!present) return false;
        break;
      case 'DoesNotExist':
        if (present) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

// ---------------------------------------------------------------------------
// Rule resolution (pkg/registry/rbac/validation/rule.go)

type Visitor = (source: string | undefined, rule: PolicyRule | undefined, err: string | undefined) => boolean;

const ruleKey = (r: PolicyRule): string =>
  JSON.stringify([r.verbs ?? null, r.apiGroups ?? null, r.resources ?? null, r.resourceNames ?? null, r.nonResourceURLs ?? null]);

/** Per-request view of the RBAC objects: looks each role up at most once. */
class Resolver {
  private readonly objects: RbacObjects;
  private clusterRoles: Map<string, KObject> | undefined;
  private readonly roles = new Map<string, Map<string, KObject>>();
  private readonly effective = new Map<string, PolicyRule[]>();

  constructor(objects: RbacObjects) {
    this.objects = objects;
  }

  private clusterRoleMap(): Map<string, KObject> {
    if (!this.clusterRoles) {
      this.clusterRoles = new Map();
      for (const cr of this.objects.list(RBAC_STORAGE.clusterRoles)) {
        if (cr.metadata.name) this.clusterRoles.set(cr.metadata.name, cr);
      }
    }
    return this.clusterRoles;
  }

  private roleMap(ns: string): Map<string, KObject> {
    let m = this.roles.get(ns);
    if (!m) {
      m = new Map();
      for (const r of this.objects.list(RBAC_STORAGE.roles, ns)) if (r.metadata.name) m.set(r.metadata.name, r);
      this.roles.set(ns, m);
    }
    return m;
  }

  /**
   * The rules a ClusterRole grants. An aggregated role gets the union of the
   * roles its selectors match (what the aggregation controller writes into it),
   * computed here so it is never stale.
   */
  clusterRoleRules(name: string, visiting = new Set<string>()): PolicyRule[] | undefined {
    const cached = this.effective.get(name);
    if (cached) return cached;
    const cr = this.clusterRoleMap().get(name);
    if (!cr) return undefined;
    const own = (cr.rules as PolicyRule[] | null | undefined) ?? [];
    const selectors = (cr.aggregationRule as { clusterRoleSelectors?: LabelSelector[] } | undefined)?.clusterRoleSelectors;
    if (!selectors || selectors.length === 0 || visiting.has(name)) {
      if (!visiting.has(name)) this.effective.set(name, own);
      return own;
    }
    visiting.add(name);
    const matched = new Set<string>();
    for (const [n, other] of this.clusterRoleMap()) {
      if (n !== name && selectors.some((s) => selectorMatches(s, other.metadata.labels))) matched.add(n);
    }
    const rules: PolicyRule[] = [];
    const seen = new Set<string>();
    for (const n of [...matched].sort()) {
      for (const r of this.clusterRoleRules(n, visiting) ?? []) {
        const k = ruleKey(r);
        if (!seen.has(k)) {
          seen.add(k);
          rules.push(r);
        }
      }
    }
    visiting.delete(name);
    this.effective.set(name, rules);
    return rules;
  }

  private roleRefRules(ref: RoleRef, bindingNamespace: string): { rules?: PolicyRule[]; err?: string } {
    if (ref.kind === 'Role') {
      const role = bindingNamespace ? this.roleMap(bindingNamespace).get(ref.name) : undefined;
      if (!role) return { err: `role.${RBAC_GROUP} ${goQuote(ref.name)} not found` };
      return { rules: (role.rules as PolicyRule[] | null | undefined) ?? [] };
    }
    if (ref.kind === 'ClusterRole') {
      const rules = this.clusterRoleRules(ref.name);
      if (!rules) return { err: `clusterrole.${RBAC_GROUP} ${goQuote(ref.name)} not found` };
      return { rules };
    }
    return { err: `unsupported role reference kind: ${goQuote(ref.kind)}` };
  }

  /** ClusterRoleBindings first, then the namespace's RoleBindings, as VisitRulesFor does. */
  visitRulesFor(user: UserInfo, namespace: string, visit: Visitor): void {
    for (const b of this.objects.list(RBAC_STORAGE.clusterRoleBindings)) {
      const subject = ((b.subjects as Subject[] | undefined) ?? []).find((s) => appliesToUser(user, s, ''));
      if (!subject) continue;
      const ref = b.roleRef as RoleRef;
      const { rules, err } = this.roleRefRules(ref, '');
      if (err !== undefined) {
        if (!visit(undefined, undefined, err)) return;
        continue;
      }
      const source = `ClusterRoleBinding ${goQuote(b.metadata.name ?? '')} of ${ref.kind} ${goQuote(ref.name)} to ${describeSubject(subject, '')}`;
      for (const r of rules!) if (!visit(source, r, undefined)) return;
    }
    if (!namespace) return;
    for (const b of this.objects.list(RBAC_STORAGE.roleBindings, namespace)) {
      const subject = ((b.subjects as Subject[] | undefined) ?? []).find((s) => appliesToUser(user, s, namespace));
      if (!subject) continue;
      const ref = b.roleRef as RoleRef;
      const { rules, err } = this.roleRefRules(ref, namespace);
      if (err !== undefined) {
        if (!visit(undefined, undefined, err)) return;
        continue;
      }
      const source = `RoleBinding ${goQuote(`${b.metadata.name ?? ''}/${namespace}`)} of ${ref.kind} ${goQuote(ref.name)} to ${describeSubject(subject, namespace)}`;
      for (const r of rules!) if (!visit(source, r, undefined)) return;
    }
  }
}

/** utilerrors.NewAggregate(errs).Error(): one message alone, several bracketed and de-duplicated. */
function aggregateErrors(errs: string[]): string {
  const unique = [...new Set(errs)];
  return unique.length === 1 ? unique[0] : `[${unique.join(', ')}]`;
}

export interface ResourceRuleInfo {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
}

export interface NonResourceRuleInfo {
  verbs: string[];
  nonResourceURLs?: string[];
}

export interface RulesForResult {
  resourceRules: ResourceRuleInfo[];
  nonResourceRules: NonResourceRuleInfo[];
  incomplete: boolean;
  evaluationError?: string;
}

export class Authorizer {
  private readonly objects: RbacObjects;

  constructor(objects: RbacObjects) {
    this.objects = objects;
  }

  authorize(user: UserInfo, attrs: ResourceAttributes | NonResourceAttributes): Decision {
    // The privileged-group authorizer runs before RBAC and gives no reason.
    if (user.groups.includes(MASTERS)) return { allowed: true, reason: '' };
    const errors: string[] = [];
    let reason = '';
    const namespace = isResource(attrs) ? (attrs.namespace ?? '') : '';
    new Resolver(this.objects).visitRulesFor(user, namespace, (source, rule, err) => {
      if (rule && ruleAllows(attrs, rule)) {
        reason = `RBAC: allowed by ${source}`;
        return false;
      }
      if (err !== undefined) errors.push(err);
      return true;
    });
    if (reason) return { allowed: true, reason };
    return { allowed: false, reason: errors.length ? `RBAC: ${aggregateErrors(errors)}` : '' };
  }

  /** What `kubectl auth can-i --list` shows: every rule that applies to the user in the namespace. */
  rulesFor(user: UserInfo, namespace: string): RulesForResult {
    const resourceRules: ResourceRuleInfo[] = [];
    const nonResourceRules: NonResourceRuleInfo[] = [];
    const errors: string[] = [];
    new Resolver(this.objects).visitRulesFor(user, namespace, (_source, rule, err) => {
      if (err !== undefined) errors.push(err);
      if (rule?.resources?.length) {
        resourceRules.push(
          compact({ verbs: rule.verbs ?? [], apiGroups: rule.apiGroups, resources: rule.resources, resourceNames: rule.resourceNames }),
        );
      }
      if (rule?.nonResourceURLs?.length) {
        nonResourceRules.push(compact({ verbs: rule.verbs ?? [], nonResourceURLs: rule.nonResourceURLs }));
      }
      return true;
    });
    const out: RulesForResult = { resourceRules, nonResourceRules, incomplete: false };
    if (errors.length) out.evaluationError = aggregateErrors(errors);
    return out;
  }
}

/** Drops empty optional lists, as the Go types' omitempty does. */
function compact<T extends object>(o: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined || (Array.isArray(v) && v.length === 0 && k !== 'verbs')) continue;
    out[k] = v;
  }
  return out as T;
}

// ---------------------------------------------------------------------------
// Authentication

/**
 * Bearer token → user. No (or empty) token is anonymous; an unknown token is
 * undefined so the caller answers 401. Service-account users get their fixed
 * groups, and every authenticated user gets system:authenticated.
 */
export function authenticate(tokens: Map<string, UserInfo>, bearer: string | undefined): UserInfo | undefined {
  if (bearer === undefined || bearer === '') return { username: ANONYMOUS, groups: [ALL_UNAUTHENTICATED] };
  const found = tokens.get(bearer);
  if (!found) return undefined;
  const groups = [...found.groups];
  const sa = splitServiceAccountUsername(found.username);
  if (sa) for (const g of serviceAccountGroups(sa[0])) if (!groups.includes(g)) groups.push(g);
  if (!groups.includes(ALL_AUTHENTICATED)) groups.push(ALL_AUTHENTICATED);
  const user: UserInfo = { username: found.username, groups };
  if (found.uid !== undefined) user.uid = found.uid;
  if (found.extra !== undefined) user.extra = found.extra;
  return user;
}

// ---------------------------------------------------------------------------
// 403s

/**
 * The Status the real server returns for a denied request
 * (responsewriters.Forbidden + apierrors.NewForbidden). `reason` is the
 * authorizer's reason; RBAC only gives one when a binding is broken.
 */
export function forbiddenError(user: UserInfo, attrs: ResourceAttributes | NonResourceAttributes, reason = ''): ApiError {
  const suffix = reason ? `: ${reason}` : '';
  if (!isResource(attrs)) {
    return new ApiError(403, 'Forbidden', `forbidden: User ${goQuote(user.username)} cannot ${attrs.verb} path ${goQuote(attrs.path)}${suffix}`, {});
  }
  const resource = attrs.subresource ? `${attrs.resource}/${attrs.subresource}` : attrs.resource;
  const scope = attrs.namespace ? `in the namespace ${goQuote(attrs.namespace)}` : 'at the cluster scope';
  const why = `User ${goQuote(user.username)} cannot ${attrs.verb} resource ${goQuote(resource)} in API group ${goQuote(attrs.group)} ${scope}${suffix}`;
  const qr = qualifiedResource(attrs.resource, attrs.group);
  const message = attrs.name ? `${qr} ${goQuote(attrs.name)} is forbidden: ${why}` : `${qr} is forbidden: ${why}`;
  return new ApiError(403, 'Forbidden', message, {
    name: attrs.name || undefined,
    group: attrs.group || undefined,
    kind: attrs.resource,
  });
}

// ---------------------------------------------------------------------------
// Impersonation (k8s.io/apiserver/pkg/endpoints/filters/impersonation.go)

type Headers = Record<string, string | string[] | undefined>;

interface ImpersonationRequest {
  kind: 'User' | 'ServiceAccount' | 'Group' | 'UserExtra' | 'UID';
  name: string;
  namespace?: string;
  apiVersion?: string;
  fieldPath?: string;
}

/**
 * Node joins repeated request headers with ", " in IncomingHttpHeaders, so a
 * string is split back into the separate values Go would see; arrays
 * (req.headersDistinct) are taken as they are.
 */
function headerValues(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  if (Array.isArray(v)) return v;
  return v.split(', ');
}

const firstHeader = (v: string | string[] | undefined): string => (Array.isArray(v) ? (v[0] ?? '') : (v ?? ''));

function unescapeExtraKey(encoded: string): string {
  try {
    return decodeURIComponent(encoded);
  } catch {
    return encoded;
  }
}

/** Go's %v of a v1.ObjectReference, used in the "without impersonating a user" error. */
function formatReference(r: ImpersonationRequest): string {
  return `{${[r.kind, r.namespace ?? '', r.name, '', r.apiVersion ?? '', '', r.fieldPath ?? ''].join(' ')}}`;
}

function buildImpersonationRequests(headers: Headers): ImpersonationRequest[] {
  const requests: ImpersonationRequest[] = [];
  const requestedUser = firstHeader(headers['impersonate-user']);
  if (requestedUser) {
    const sa = splitServiceAccountUsername(requestedUser);
    requests.push(sa ? { kind: 'ServiceAccount', namespace: sa[0], name: sa[1] } : { kind: 'User', name: requestedUser });
  }
  const groups = headerValues(headers['impersonate-group']);
  for (const g of groups) requests.push({ kind: 'Group', name: g });
  let hasExtra = false;
  for (const [header, value] of Object.entries(headers)) {
    const lower = header.toLowerCase();
    if (!lower.startsWith('impersonate-extra-')) continue;
    hasExtra = true;
    const key = unescapeExtraKey(lower.slice('impersonate-extra-'.length));
    for (const v of headerValues(value)) {
      requests.push({ kind: 'UserExtra', name: v, apiVersion: `${AUTHN_GROUP}/v1`, fieldPath: key });
    }
  }
  const uid = firstHeader(headers['impersonate-uid']);
  if (uid) requests.push({ kind: 'UID', name: uid, apiVersion: `${AUTHN_GROUP}/v1` });
  if ((groups.length > 0 || hasExtra || uid) && !requestedUser) {
    throw new ApiError(500, 'InternalError', `requested [${requests.map(formatReference).join(' ')}] without impersonating a user`);
  }
  return requests;
}

function impersonationAttributes(r: ImpersonationRequest): ResourceAttributes {
  switch (r.kind) {
    case 'ServiceAccount':
      return { verb: 'impersonate', group: '', version: 'v1', resource: 'serviceaccounts', namespace: r.namespace, name: r.name };
    case 'User':
      return { verb: 'impersonate', group: '', version: 'v1', resource: 'users', name: r.name };
    case 'Group':
      return { verb: 'impersonate', group: '', version: 'v1', resource: 'groups', name: r.name };
    case 'UserExtra':
      return { verb: 'impersonate', group: AUTHN_GROUP, version: 'v1', resource: 'userextras', subresource: r.fieldPath, name: r.name };
    case 'UID':
      return { verb: 'impersonate', group: AUTHN_GROUP, version: 'v1', resource: 'uids', name: r.name };
  }
}

/**
 * Applies the Impersonate-* headers (lower-cased keys, as node gives them).
 * Returns the requester unchanged when there are none; throws the real 403
 * when one of them is not allowed, or a 500 (the real server answers
 * InternalError, in plain text, prefixed "Internal Server Error: <uri>: ")
 * when groups/extras/uid come without a user.
 */
export function impersonate(authz: Authorizer, requester: UserInfo, headers: Headers): UserInfo {
  const lowered: Headers = {};
  for (const [k, v] of Object.entries(headers)) lowered[k.toLowerCase()] = v;
  const requests = buildImpersonationRequests(lowered);
  if (requests.length === 0) return requester;
  const groupsSpecified = headerValues(lowered['impersonate-group']).length > 0;

  let username = '';
  let groups: string[] = [];
  const extra: Record<string, string[]> = {};
  let uid = '';
  for (const r of requests) {
    switch (r.kind) {
      case 'ServiceAccount':
        username = `${SA_PREFIX}${r.namespace}:${r.name}`;
        if (!groupsSpecified) groups = serviceAccountGroups(r.namespace!);
        break;
      case 'User':
        username = r.name;
        break;
      case 'Group':
        groups.push(r.name);
        break;
      case 'UserExtra':
        (extra[r.fieldPath!] ??= []).push(r.name);
        break;
      case 'UID':
        uid = r.name;
        break;
    }
    const attrs = impersonationAttributes(r);
    const decision = authz.authorize(requester, attrs);
    if (!decision.allowed) throw forbiddenError(requester, attrs, decision.reason);
  }

  if (username !== ANONYMOUS) {
    if (!groups.includes(ALL_AUTHENTICATED) && !groups.includes(ALL_UNAUTHENTICATED)) groups.push(ALL_AUTHENTICATED);
  } else if (!groups.includes(ALL_UNAUTHENTICATED)) {
    groups.push(ALL_UNAUTHENTICATED);
  }
  const user: UserInfo = { username, groups };
  if (uid) user.uid = uid;
  if (Object.keys(extra).length) user.extra = extra;
  return user;
}

// ---------------------------------------------------------------------------
// SubjectAccessReview & co (pkg/registry/authorization/*)

type ReviewKind = 'SubjectAccessReview' | 'SelfSubjectAccessReview' | 'LocalSubjectAccessReview';

interface ReviewSpec {
  resourceAttributes?: Record<string, unknown> | null;
  nonResourceAttributes?: Record<string, unknown> | null;
  user?: string;
  groups?: string[] | null;
  extra?: Record<string, string[]> | null;
  uid?: string;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** How field.Invalid renders a Go struct value, e.g. authorization.NonResourceAttributes{Path:"/x", Verb:"get"}. */
function goStruct(name: string, fields: [string, unknown][]): string {
  return `authorization.${name}{${fields.map(([k, v]) => `${k}:${JSON.stringify(v ?? '')}`).join(', ')}}`;
}

function validateReview(kind: ReviewKind, spec: ReviewSpec, namespace: string): void {
  const causes: { reason: string; message: string; field: string }[] = [];
  const bad = (field: string, value: string, detail: string) =>
    causes.push({ reason: 'FieldValueInvalid', message: `Invalid value: ${value}: ${detail}`, field });
  const ra = spec.resourceAttributes ?? undefined;
  const nra = spec.nonResourceAttributes ?? undefined;
  if (ra && nra) {
    const value = goStruct('NonResourceAttributes', [['Path', nra.path], ['Verb', nra.verb]]);
    bad('spec.nonResourceAttributes', value, 'cannot be specified in combination with resourceAttributes');
  }
  if (!ra && !nra) bad('spec.resourceAttributes', '"null"', 'exactly one of nonResourceAttributes or resourceAttributes must be specified');
  if (kind !== 'SelfSubjectAccessReview' && !spec.user && !(spec.groups && spec.groups.length)) {
    bad('spec.user', JSON.stringify(spec.user ?? ''), 'at least one of user or group must be specified');
  }
  if (kind === 'LocalSubjectAccessReview') {
    if (ra && str(ra.namespace) !== namespace) {
      bad('spec.resourceAttributes.namespace', JSON.stringify(str(ra.namespace)), 'must match metadata.namespace');
    }
    if (nra) {
      const value = goStruct('NonResourceAttributes', [['Path', nra.path], ['Verb', nra.verb]]);
      bad('spec.nonResourceAttributes', value, 'disallowed on this kind of request');
    }
  }
  if (causes.length) throw invalid(kind, AUTHZ_GROUP, '', causes);
}

function attributesFromSpec(spec: ReviewSpec): ResourceAttributes | NonResourceAttributes {
  const ra = spec.resourceAttributes;
  if (ra) {
    const attrs: ResourceAttributes = { verb: str(ra.verb), group: str(ra.group), resource: str(ra.resource) };
    if (str(ra.version)) attrs.version = str(ra.version);
    if (str(ra.subresource)) attrs.subresource = str(ra.subresource);
    if (str(ra.namespace)) attrs.namespace = str(ra.namespace);
    if (str(ra.name)) attrs.name = str(ra.name);
    return attrs;
  }
  const nra = spec.nonResourceAttributes!;
  return { verb: str(nra.verb), path: str(nra.path) };
}

/**
 * Evaluates a (Self|Local)SubjectAccessReview body and returns it with its
 * status filled in. `namespace` is the URL's namespace (LocalSubjectAccessReview).
 */
export function reviewAccess(authz: Authorizer, kind: ReviewKind, body: KObject, requester: UserInfo, namespace?: string): KObject {
  const metadata = { ...(body.metadata ?? {}) };
  if (kind === 'LocalSubjectAccessReview') {
    if (!namespace) throw badRequest(`namespace is required on this type: ${namespace ?? ''}`);
    if (!metadata.namespace) metadata.namespace = namespace;
    else if (metadata.namespace !== namespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
  }
  const spec = (body.spec ?? {}) as ReviewSpec;
  validateReview(kind, spec, metadata.namespace ?? '');

  let user: UserInfo = requester;
  if (kind !== 'SelfSubjectAccessReview') {
    user = { username: spec.user ?? '', groups: spec.groups ?? [] };
    if (spec.uid) user.uid = spec.uid;
    if (spec.extra) user.extra = spec.extra;
  }
  const decision = authz.authorize(user, attributesFromSpec(spec));
  const status: Record<string, unknown> = { allowed: decision.allowed };
  if (decision.denied) status.denied = true;
  if (decision.reason) status.reason = decision.reason;
  if (!('creationTimestamp' in metadata)) metadata.creationTimestamp = null as unknown as string;
  return { kind, apiVersion: `${AUTHZ_GROUP}/v1`, metadata, spec: body.spec ?? {}, status };
}

/** Evaluates a SelfSubjectRulesReview (`kubectl auth can-i --list`). The real server echoes no spec back. */
export function reviewRules(authz: Authorizer, body: KObject, requester: UserInfo): KObject {
  const namespace = str((body.spec as { namespace?: unknown } | undefined)?.namespace);
  if (!namespace) throw badRequest('no namespace on request');
  const r = authz.rulesFor(requester, namespace);
  const status: Record<string, unknown> = {
    resourceRules: r.resourceRules,
    nonResourceRules: r.nonResourceRules,
    incomplete: r.incomplete,
  };
  if (r.evaluationError) status.evaluationError = r.evaluationError;
  return {
    kind: 'SelfSubjectRulesReview',
    apiVersion: `${AUTHZ_GROUP}/v1`,
    metadata: { creationTimestamp: null as unknown as string },
    spec: {},
    status,
  };
}

/**
 * A SelfSubjectReview (`kubectl auth whoami`): the user the server resolved
 * for this request, after impersonation, as pkg/registry/authentication/selfsubjectreview does.
 */
export function selfSubjectReview(user: UserInfo, created: string): KObject {
  const userInfo: Record<string, unknown> = { username: user.username };
  if (user.uid) userInfo.uid = user.uid;
  if (user.groups.length) userInfo.groups = [...user.groups];
  if (user.extra && Object.keys(user.extra).length) userInfo.extra = user.extra;
  return {
    kind: 'SelfSubjectReview',
    apiVersion: `${AUTHN_GROUP}/v1`,
    metadata: { creationTimestamp: created },
    status: { userInfo },
  };
}

// ---------------------------------------------------------------------------
// Bootstrap policy (plugin/pkg/auth/authorizer/rbac/bootstrappolicy)

const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'delete', 'deletecollection', 'patch', 'update'];
const READ_WRITE = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

// Key order follows the Go struct (verbs, apiGroups, resources, resourceNames, nonResourceURLs), as served JSON is.
const rule = (verbs: string[], apiGroups: string[], resources: string[], resourceNames?: string[]): PolicyRule =>
  resourceNames ? { verbs, apiGroups, resources, resourceNames } : { verbs, apiGroups, resources };
const urls = (verbs: string[], nonResourceURLs: string[]): PolicyRule => ({ verbs, nonResourceURLs });

const AGGREGATE_TO = (to: string) => `rbac.authorization.k8s.io/aggregate-to-${to}`;

function clusterRole(name: string, rules: PolicyRule[] | null, extraLabels: Record<string, string> = {}, aggregateFrom?: string): KObject {
  const obj: KObject = {
    apiVersion: `${RBAC_GROUP}/v1`,
    kind: 'ClusterRole',
    metadata: {
      name,
      labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults', ...extraLabels },
      annotations: { 'rbac.authorization.kubernetes.io/autoupdate': 'true' },
    },
  };
  obj.rules = rules;
  if (aggregateFrom) obj.aggregationRule = { clusterRoleSelectors: [{ matchLabels: { [AGGREGATE_TO(aggregateFrom)]: 'true' } }] };
  return obj;
}

function clusterRoleBinding(name: string, role: string, subjects: Subject[]): KObject {
  return {
    apiVersion: `${RBAC_GROUP}/v1`,
    kind: 'ClusterRoleBinding',
    metadata: {
      name,
      labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' },
      annotations: { 'rbac.authorization.kubernetes.io/autoupdate': 'true' },
    },
    subjects,
    roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name: role },
  };
}

const group = (name: string): Subject => ({ kind: 'Group', apiGroup: RBAC_GROUP, name });

const aggregateToAdminRules = (): PolicyRule[] => [
  rule(['create'], [AUTHZ_GROUP], ['localsubjectaccessreviews']),
  rule(READ_WRITE, [RBAC_GROUP], ['rolebindings', 'roles']),
];

const aggregateToEditRules = (): PolicyRule[] => [
  rule(READ, [''], ['pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy', 'secrets', 'services/proxy']),
  rule(['impersonate'], [''], ['serviceaccounts']),
  rule(WRITE, [''], ['pods', 'pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy']),
  rule(['create'], [''], ['pods/eviction']),
  rule(WRITE, [''], [
    'configmaps', 'events', 'persistentvolumeclaims', 'replicationcontrollers', 'replicationcontrollers/scale',
    'secrets', 'serviceaccounts', 'services', 'services/proxy',
  ]),
  rule(['create'], [''], ['serviceaccounts/token']),
  rule(WRITE, ['apps'], [
    'daemonsets', 'deployments', 'deployments/rollback', 'deployments/scale', 'replicasets', 'replicasets/scale',
    'statefulsets', 'statefulsets/scale',
  ]),
  rule(WRITE, ['autoscaling'], ['horizontalpodautoscalers']),
  rule(WRITE, ['batch'], ['cronjobs', 'jobs']),
  rule(WRITE, ['extensions'], [
    'daemonsets', 'deployments', 'deployments/rollback', 'deployments/scale', 'ingresses', 'networkpolicies',
    'replicasets', 'replicasets/scale', 'replicationcontrollers/scale',
  ]),
  rule(WRITE, ['policy'], ['poddisruptionbudgets']),
  rule(WRITE, ['networking.k8s.io'], ['ingresses', 'networkpolicies']),
  rule(READ_WRITE, ['coordination.k8s.io'], ['leases']),
];

const aggregateToViewRules = (): PolicyRule[] => [
  rule(READ, [''], [
    'configmaps', 'endpoints', 'persistentvolumeclaims', 'persistentvolumeclaims/status', 'pods',
    'replicationcontrollers', 'replicationcontrollers/scale', 'serviceaccounts', 'services', 'services/status',
  ]),
  rule(READ, [''], [
    'bindings', 'events', 'limitranges', 'namespaces/status', 'pods/log', 'pods/status',
    'replicationcontrollers/status', 'resourcequotas', 'resourcequotas/status',
  ]),
  rule(READ, [''], ['namespaces']),
  rule(READ, ['discovery.k8s.io'], ['endpointslices']),
  rule(READ, ['apps'], [
    'controllerrevisions', 'daemonsets', 'daemonsets/status', 'deployments', 'deployments/scale', 'deployments/status',
    'replicasets', 'replicasets/scale', 'replicasets/status', 'statefulsets', 'statefulsets/scale', 'statefulsets/status',
  ]),
  rule(READ, ['autoscaling'], ['horizontalpodautoscalers', 'horizontalpodautoscalers/status']),
  rule(READ, ['batch'], ['cronjobs', 'cronjobs/status', 'jobs', 'jobs/status']),
  rule(READ, ['extensions'], [
    'daemonsets', 'daemonsets/status', 'deployments', 'deployments/scale', 'deployments/status', 'ingresses',
    'ingresses/status', 'networkpolicies', 'replicasets', 'replicasets/scale', 'replicasets/status',
    'replicationcontrollers/scale',
  ]),
  rule(READ, ['policy'], ['poddisruptionbudgets', 'poddisruptionbudgets/status']),
  rule(READ, ['networking.k8s.io'], ['ingresses', 'ingresses/status', 'networkpolicies']),
];

/** Union without duplicates, in the order the aggregation controller writes it. */
function unionRules(...lists: PolicyRule[][]): PolicyRule[] {
  const seen = new Set<string>();
  const out: PolicyRule[] = [];
  for (const r of lists.flat()) {
    const k = ruleKey(r);
    if (!seen.has(k)) {
      seen.add(k);
      out.push(r);
    }
  }
  return out;
}

/**
 * The default cluster roles and bindings of a fresh cluster, to create at
 * startup. admin/edit/view carry their aggregated rules written out, as the
 * aggregation controller leaves them.
 */
export function defaultRbacObjects(): KObject[] {
  const viewRules = aggregateToViewRules();
  const editRules = unionRules(aggregateToEditRules(), viewRules); // matched: system:aggregate-to-edit, view
  const adminRules = unionRules(editRules, aggregateToAdminRules()); // matched: edit, system:aggregate-to-admin
  const authenticated = group(ALL_AUTHENTICATED);
  return [
    clusterRole('admin', adminRules, {}, 'admin'),
    clusterRole('cluster-admin', [rule(['*'], ['*'], ['*']), urls(['*'], ['*'])]),
    clusterRole('edit', editRules, { [AGGREGATE_TO('admin')]: 'true' }, 'edit'),
    clusterRole('system:aggregate-to-admin', aggregateToAdminRules(), { [AGGREGATE_TO('admin')]: 'true' }),
    clusterRole('system:aggregate-to-edit', aggregateToEditRules(), { [AGGREGATE_TO('edit')]: 'true' }),
    clusterRole('system:aggregate-to-view', aggregateToViewRules(), { [AGGREGATE_TO('view')]: 'true' }),
    clusterRole('system:auth-delegator', [
      rule(['create'], [AUTHN_GROUP], ['tokenreviews']),
      rule(['create'], [AUTHZ_GROUP], ['subjectaccessreviews']),
    ]),
    clusterRole('system:basic-user', [
      rule(['create'], [AUTHZ_GROUP], ['selfsubjectaccessreviews', 'selfsubjectrulesreviews']),
      rule(['create'], [AUTHN_GROUP], ['selfsubjectreviews']),
    ]),
    clusterRole('system:discovery', [
      urls(['get'], ['/api', '/api/*', '/apis', '/apis/*', '/healthz', '/livez', '/openapi', '/openapi/*', '/readyz', '/version', '/version/']),
    ]),
    clusterRole('system:monitoring', [
      urls(['get'], ['/healthz', '/healthz/*', '/livez', '/livez/*', '/metrics', '/metrics/slis', '/readyz', '/readyz/*']),
    ]),
    clusterRole('system:public-info-viewer', [urls(['get'], ['/healthz', '/livez', '/readyz', '/version', '/version/'])]),
    clusterRole('system:service-account-issuer-discovery', [urls(['get'], ['/.well-known/openid-configuration', '/openid/v1/jwks'])]),
    clusterRole('view', viewRules, { [AGGREGATE_TO('edit')]: 'true' }, 'view'),
    clusterRoleBinding('cluster-admin', 'cluster-admin', [group(MASTERS)]),
    clusterRoleBinding('system:basic-user', 'system:basic-user', [authenticated]),
    clusterRoleBinding('system:discovery', 'system:discovery', [authenticated]),
    clusterRoleBinding('system:monitoring', 'system:monitoring', [group('system:monitoring')]),
    clusterRoleBinding('system:public-info-viewer', 'system:public-info-viewer', [authenticated, group(ALL_UNAUTHENTICATED)]),
    clusterRoleBinding('system:service-account-issuer-discovery', 'system:service-account-issuer-discovery', [
      group('system:serviceaccounts'),
    ]),
  ];
}
