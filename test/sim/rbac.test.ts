import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Authorizer,
  authenticate,
  defaultRbacObjects,
  forbiddenError,
  impersonate,
  reviewAccess,
  reviewRules,
  ruleAllows,
  RBAC_STORAGE,
  type RbacObjects,
} from '../../src/sim/rbac.ts';
import { ApiError } from '../../src/sim/errors.ts';
import type { KObject, UserInfo } from '../../src/sim/types.ts';

const G = 'rbac.authorization.k8s.io';

function store(objects: KObject[]): RbacObjects {
  const byStorage: Record<string, string> = {
    Role: RBAC_STORAGE.roles,
    RoleBinding: RBAC_STORAGE.roleBindings,
    ClusterRole: RBAC_STORAGE.clusterRoles,
    ClusterRoleBinding: RBAC_STORAGE.clusterRoleBindings,
  };
  return {
    list: (storage, namespace) =>
      objects.filter((o) => byStorage[o.kind!] === storage && (namespace === undefined || o.metadata.namespace === namespace)),
  };
}

const role = (name: string, namespace: string, rules: unknown[]): KObject => ({ kind: 'Role', metadata: { name, namespace }, rules });
const clusterRole = (name: string, rules: unknown[], extra: Partial<KObject> = {}): KObject => ({
  kind: 'ClusterRole',
  metadata: { name, ...(extra.metadata ?? {}) },
  rules,
  ...(extra.aggregationRule ? { aggregationRule: extra.aggregationRule } : {}),
});
const binding = (kind: 'RoleBinding' | 'ClusterRoleBinding', name: string, namespace: string | undefined, roleRef: [string, string], subjects: unknown[]): KObject => ({
  kind,
  metadata: namespace ? { name, namespace } : { name },
  roleRef: { apiGroup: G, kind: roleRef[0], name: roleRef[1] },
  subjects,
});
const user = (name: string): unknown => ({ kind: 'User', apiGroup: G, name });
const groupSubject = (name: string): unknown => ({ kind: 'Group', apiGroup: G, name });

const alice: UserInfo = { username: 'alice', groups: ['system:authenticated'] };

test('rule forms: wildcards, subresources, names, non-resource URLs', () => {
  const pods = { verb: 'get', group: '', resource: 'pods', namespace: 'ns' };
  assert.equal(ruleAllows(pods, { verbs: ['*'], apiGroups: ['*'], resources: ['*'] }), true);
  assert.equal(ruleAllows(pods, { verbs: ['list'], apiGroups: [''], resources: ['pods'] }), false);
  assert.equal(ruleAllows(pods, { verbs: ['get'], apiGroups: ['apps'], resources: ['pods'] }), false);
  // a subresource needs its own entry; "pods" alone does not grant "pods/log"
  const log = { ...pods, subresource: 'log' };
  assert.equal(ruleAllows(log, { verbs: ['get'], apiGroups: [''], resources: ['pods'] }), false);
  assert.equal(ruleAllows(log, { verbs: ['get'], apiGroups: [''], resources: ['pods/log'] }), true);
  assert.equal(ruleAllows(log, { verbs: ['get'], apiGroups: [''], resources: ['*/log'] }), true);
  // "pods/*" is not a wildcard in real RBAC
  assert.equal(ruleAllows(log, { verbs: ['get'], apiGroups: [''], resources: ['pods/*'] }), false);
  const scale = { verb: 'update', group: 'apps', resource: 'deployments', subresource: 'scale', name: 'web' };
  assert.equal(ruleAllows(scale, { verbs: ['update'], apiGroups: ['apps'], resources: ['*/scale'] }), true);
  assert.equal(ruleAllows(scale, { verbs: ['update'], apiGroups: ['apps'], resources: ['*/status'] }), false);
  // resourceNames restrict to named requests
  const named = { verbs: ['get'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['cfg'] };
  assert.equal(ruleAllows({ verb: 'get', group: '', resource: 'configmaps', name: 'cfg' }, named), true);
  assert.equal(ruleAllows({ verb: 'get', group: '', resource: 'configmaps', name: 'other' }, named), false);
  assert.equal(ruleAllows({ verb: 'list', group: '', resource: 'configmaps' }, { ...named, verbs: ['list'] }), false);
  // non-resource URLs with a trailing *
  const urls = { verbs: ['get'], nonResourceURLs: ['/healthz', '/apis/*'] };
  assert.equal(ruleAllows({ verb: 'get', path: '/healthz' }, urls), true);
  assert.equal(ruleAllows({ verb: 'get', path: '/healthz/etcd' }, urls), false);
  assert.equal(ruleAllows({ verb: 'get', path: '/apis/apps/v1' }, urls), true);
  assert.equal(ruleAllows({ verb: 'post', path: '/apis/apps/v1' }, urls), false);
  // resource rules never grant non-resource paths
  assert.equal(ruleAllows({ verb: 'get', path: '/api' }, { verbs: ['*'], apiGroups: ['*'], resources: ['*'] }), false);
});

test('RoleBinding to a Role grants only in its namespace, with the real reason', () => {
  const authz = new Authorizer(
    store([
      role('reader', 'dev', [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] }]),
      binding('RoleBinding', 'read-pods', 'dev', ['Role', 'reader'], [user('alice')]),
    ]),
  );
  assert.deepEqual(authz.authorize(alice, { verb: 'list', group: '', resource: 'pods', namespace: 'dev' }), {
    allowed: true,
    reason: 'RBAC: allowed by RoleBinding "read-pods/dev" of Role "reader" to User "alice"',
  });
  assert.deepEqual(authz.authorize(alice, { verb: 'list', group: '', resource: 'pods', namespace: 'prod' }), { allowed: false, reason: '' });
  assert.equal(authz.authorize(alice, { verb: 'list', group: '', resource: 'pods' }).allowed, false);
  assert.equal(authz.authorize(alice, { verb: 'delete', group: '', resource: 'pods', namespace: 'dev', name: 'x' }).allowed, false);
});

test('RoleBinding to a ClusterRole is limited to the binding namespace; ClusterRoleBinding is not', () => {
  const objects = [
    clusterRole('pod-reader', [{ verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['pods', 'nodes'] }]),
    binding('RoleBinding', 'rb', 'dev', ['ClusterRole', 'pod-reader'], [user('alice')]),
    binding('ClusterRoleBinding', 'crb', undefined, ['ClusterRole', 'pod-reader'], [groupSubject('ops')]),
  ];
  const authz = new Authorizer(store(objects));
  assert.equal(authz.authorize(alice, { verb: 'get', group: '', resource: 'pods', namespace: 'dev', name: 'p' }).allowed, true);
  assert.equal(authz.authorize(alice, { verb: 'get', group: '', resource: 'pods', namespace: 'prod', name: 'p' }).allowed, false);
  assert.equal(authz.authorize(alice, { verb: 'list', group: '', resource: 'nodes' }).allowed, false);
  const bob: UserInfo = { username: 'bob', groups: ['ops', 'system:authenticated'] };
  assert.deepEqual(authz.authorize(bob, { verb: 'list', group: '', resource: 'nodes' }), {
    allowed: true,
    reason: 'RBAC: allowed by ClusterRoleBinding "crb" of ClusterRole "pod-reader" to Group "ops"',
  });
  assert.equal(authz.authorize(bob, { verb: 'watch', group: '', resource: 'pods', namespace: 'any' }).allowed, true);
});

test('service account subjects and groups', () => {
  const objects = [
    clusterRole('cm-reader', [{ verbs: ['get'], apiGroups: [''], resources: ['configmaps'] }]),
    // namespace omitted: defaults to the binding's namespace
    binding('RoleBinding', 'sa-rb', 'apps', ['ClusterRole', 'cm-reader'], [{ kind: 'ServiceAccount', name: 'builder' }]),
    binding('ClusterRoleBinding', 'all-sa', undefined, ['ClusterRole', 'cm-reader'], [groupSubject('system:serviceaccounts:tools')]),
  ];
  const authz = new Authorizer(store(objects));
  const builder = authenticate(new Map([['t', { username: 'system:serviceaccount:apps:builder', groups: [] }]]), 't')!;
  assert.deepEqual(builder.groups, ['system:serviceaccounts', 'system:serviceaccounts:apps', 'system:authenticated']);
  assert.deepEqual(authz.authorize(builder, { verb: 'get', group: '', resource: 'configmaps', namespace: 'apps', name: 'c' }), {
    allowed: true,
    reason: 'RBAC: allowed by RoleBinding "sa-rb/apps" of ClusterRole "cm-reader" to ServiceAccount "builder/apps"',
  });
  assert.equal(authz.authorize(builder, { verb: 'get', group: '', resource: 'configmaps', namespace: 'other', name: 'c' }).allowed, false);
  const tool = authenticate(new Map([['u', { username: 'system:serviceaccount:tools:x', groups: [] }]]), 'u')!;
  assert.equal(authz.authorize(tool, { verb: 'get', group: '', resource: 'configmaps', namespace: 'anywhere', name: 'c' }).allowed, true);
});

test('a binding to a missing role denies and says why', () => {
  const authz = new Authorizer(store([binding('RoleBinding', 'broken', 'dev', ['Role', 'gone'], [user('alice')])]));
  const attrs = { verb: 'get', group: '', resource: 'pods', namespace: 'dev', name: 'p' };
  const d = authz.authorize(alice, attrs);
  assert.deepEqual(d, { allowed: false, reason: 'RBAC: role.rbac.authorization.k8s.io "gone" not found' });
  assert.equal(
    forbiddenError(alice, attrs, d.reason).message,
    'pods "p" is forbidden: User "alice" cannot get resource "pods" in API group "" in the namespace "dev": RBAC: role.rbac.authorization.k8s.io "gone" not found',
  );
});

test('system:masters is always allowed, with no reason', () => {
  const authz = new Authorizer(store([]));
  const admin: UserInfo = { username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] };
  assert.deepEqual(authz.authorize(admin, { verb: 'delete', group: 'apps', resource: 'deployments', namespace: 'x', name: 'y' }), {
    allowed: true,
    reason: '',
  });
  assert.deepEqual(authz.authorize(admin, { verb: 'get', path: '/metrics' }), { allowed: true, reason: '' });
});

test('aggregated cluster roles: defaults are written out and extended by labelled roles', () => {
  const defaults = defaultRbacObjects();
  const view = defaults.find((o) => o.metadata.name === 'view')!;
  const edit = defaults.find((o) => o.metadata.name === 'edit')!;
  const admin = defaults.find((o) => o.metadata.name === 'admin')!;
  assert.deepEqual(view.aggregationRule, { clusterRoleSelectors: [{ matchLabels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' } }] });
  assert.equal((view.rules as unknown[]).length, 10);
  assert.equal((edit.rules as unknown[]).length, 13 + 10);
  assert.equal((admin.rules as unknown[]).length, 13 + 10 + 2);

  const crd = clusterRole('widgets-view', [{ verbs: ['get', 'list'], apiGroups: ['example.com'], resources: ['widgets'] }], {
    metadata: { name: 'widgets-view', labels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' } },
  });
  const objects = [
    ...defaults,
    crd,
    binding('RoleBinding', 'alice-admin', 'team', ['ClusterRole', 'admin'], [user('alice')]),
    binding('RoleBinding', 'carol-view', 'team', ['ClusterRole', 'view'], [user('carol')]),
  ];
  const authz = new Authorizer(store(objects));
  const carol: UserInfo = { username: 'carol', groups: ['system:authenticated'] };
  const widgets = { verb: 'list', group: 'example.com', resource: 'widgets', namespace: 'team' };
  assert.equal(authz.authorize(carol, widgets).allowed, true);
  assert.equal(authz.authorize(alice, widgets).allowed, true, 'view → edit → admin aggregation is transitive');
  assert.equal(authz.authorize(carol, { verb: 'get', group: '', resource: 'secrets', namespace: 'team', name: 's' }).allowed, false);
  assert.equal(authz.authorize(alice, { verb: 'get', group: '', resource: 'secrets', namespace: 'team', name: 's' }).allowed, true);
  assert.equal(authz.authorize(alice, { verb: 'create', group: G, resource: 'rolebindings', namespace: 'team' }).allowed, true);
  assert.equal(authz.authorize(carol, { verb: 'get', group: '', resource: 'pods', namespace: 'team', subresource: 'log', name: 'p' }).allowed, true);
  assert.equal(authz.authorize(carol, { verb: 'create', group: '', resource: 'pods', namespace: 'team', subresource: 'exec', name: 'p' }).allowed, false);
});

test('default bindings: discovery for authenticated, public info for everyone', () => {
  const authz = new Authorizer(store(defaultRbacObjects()));
  const anon = authenticate(new Map(), undefined)!;
  assert.deepEqual(anon, { username: 'system:anonymous', groups: ['system:unauthenticated'] });
  assert.deepEqual(authz.authorize(anon, { verb: 'get', path: '/version' }), {
    allowed: true,
    reason: 'RBAC: allowed by ClusterRoleBinding "system:public-info-viewer" of ClusterRole "system:public-info-viewer" to Group "system:unauthenticated"',
  });
  assert.equal(authz.authorize(anon, { verb: 'get', path: '/api' }).allowed, false);
  assert.equal(authz.authorize(alice, { verb: 'get', path: '/apis/apps/v1' }).allowed, true);
  assert.equal(authz.authorize(alice, { verb: 'create', group: 'authorization.k8s.io', resource: 'selfsubjectaccessreviews' }).allowed, true);
  assert.equal(authz.authorize(alice, { verb: 'list', group: '', resource: 'pods', namespace: 'default' }).allowed, false);
});

test('authenticate: unknown token is undefined, known token gains system:authenticated', () => {
  const tokens = new Map<string, UserInfo>([['abc', { username: 'alice', groups: ['devs'] }]]);
  assert.equal(authenticate(tokens, 'nope'), undefined);
  assert.deepEqual(authenticate(tokens, 'abc'), { username: 'alice', groups: ['devs', 'system:authenticated'] });
  assert.deepEqual(authenticate(tokens, ''), { username: 'system:anonymous', groups: ['system:unauthenticated'] });
  assert.deepEqual(tokens.get('abc')!.groups, ['devs'], 'the token table is not modified');
});

test('forbidden messages match the real server', () => {
  const cases: [Parameters<typeof forbiddenError>[1], string][] = [
    [{ verb: 'list', group: '', resource: 'pods', namespace: 'default' }, 'pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "default"'],
    [{ verb: 'delete', group: '', resource: 'pods', namespace: 'prod', name: 'web-1' }, 'pods "web-1" is forbidden: User "alice" cannot delete resource "pods" in API group "" in the namespace "prod"'],
    [{ verb: 'list', group: '', resource: 'nodes' }, 'nodes is forbidden: User "alice" cannot list resource "nodes" in API group "" at the cluster scope'],
    [{ verb: 'get', group: '', resource: 'pods', subresource: 'log', namespace: 'dev', name: 'p' }, 'pods "p" is forbidden: User "alice" cannot get resource "pods/log" in API group "" in the namespace "dev"'],
    [{ verb: 'patch', group: 'apps', resource: 'deployments', namespace: 'dev', name: 'web' }, 'deployments.apps "web" is forbidden: User "alice" cannot patch resource "deployments" in API group "apps" in the namespace "dev"'],
    [{ verb: 'get', path: '/metrics' }, 'forbidden: User "alice" cannot get path "/metrics"'],
  ];
  for (const [attrs, message] of cases) assert.equal(forbiddenError(alice, attrs).message, message);
  const err = forbiddenError(alice, { verb: 'patch', group: 'apps', resource: 'deployments', subresource: 'scale', namespace: 'dev', name: 'web' });
  assert.deepEqual(err.toStatus(), {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: 'deployments.apps "web" is forbidden: User "alice" cannot patch resource "deployments/scale" in API group "apps" in the namespace "dev"',
    reason: 'Forbidden',
    code: 403,
    details: { name: 'web', group: 'apps', kind: 'deployments' },
  });
});

function impersonationAuthz(): Authorizer {
  return new Authorizer(
    store([
      clusterRole('impersonator', [
        { verbs: ['impersonate'], apiGroups: [''], resources: ['users', 'groups'] },
        { verbs: ['impersonate'], apiGroups: ['authentication.k8s.io'], resources: ['userextras/scopes', 'uids'] },
      ]),
      clusterRole('sa-impersonator', [{ verbs: ['impersonate'], apiGroups: [''], resources: ['serviceaccounts'] }]),
      binding('ClusterRoleBinding', 'admins-impersonate', undefined, ['ClusterRole', 'impersonator'], [user('admin')]),
      binding('RoleBinding', 'ci-sa', 'ci', ['ClusterRole', 'sa-impersonator'], [user('admin')]),
    ]),
  );
}

test('impersonation: allowed user, groups, extras and uid', () => {
  const authz = impersonationAuthz();
  const admin: UserInfo = { username: 'admin', groups: ['system:authenticated'] };
  assert.equal(impersonate(authz, admin, { accept: 'application/json' }), admin);
  assert.deepEqual(impersonate(authz, admin, { 'impersonate-user': 'bob' }), { username: 'bob', groups: ['system:authenticated'] });
  // node joins repeated headers with ", "
  assert.deepEqual(
    impersonate(authz, admin, {
      'impersonate-user': 'bob',
      'impersonate-group': 'devs, ops',
      'impersonate-extra-scopes': ['view', 'edit'],
      'impersonate-uid': '1234',
    }),
    { username: 'bob', groups: ['devs', 'ops', 'system:authenticated'], uid: '1234', extra: { scopes: ['view', 'edit'] } },
  );
  assert.deepEqual(impersonate(authz, admin, { 'impersonate-user': 'bob', 'impersonate-group': ['system:unauthenticated'] }), {
    username: 'bob',
    groups: ['system:unauthenticated'],
  });
  assert.deepEqual(impersonate(authz, admin, { 'impersonate-user': 'system:serviceaccount:ci:deployer' }), {
    username: 'system:serviceaccount:ci:deployer',
    groups: ['system:serviceaccounts', 'system:serviceaccounts:ci', 'system:authenticated'],
  });
});

test('impersonation: denied with the real 403 messages', () => {
  const authz = impersonationAuthz();
  const alice2: UserInfo = { username: 'alice', groups: ['system:authenticated'] };
  assert.throws(
    () => impersonate(authz, alice2, { 'impersonate-user': 'bob' }),
    (e: unknown) =>
      e instanceof ApiError &&
      e.code === 403 &&
      e.reason === 'Forbidden' &&
      e.message === 'users "bob" is forbidden: User "alice" cannot impersonate resource "users" in API group "" at the cluster scope' &&
      JSON.stringify(e.details) === JSON.stringify({ name: 'bob', kind: 'users' }),
  );
  const admin: UserInfo = { username: 'admin', groups: ['system:authenticated'] };
  assert.throws(
    () => impersonate(authz, admin, { 'impersonate-user': 'system:serviceaccount:prod:deployer' }),
    { message: 'serviceaccounts "deployer" is forbidden: User "admin" cannot impersonate resource "serviceaccounts" in API group "" in the namespace "prod"' },
  );
  assert.throws(
    () => impersonate(authz, admin, { 'impersonate-user': 'bob', 'impersonate-extra-team': 'blue' }),
    {
      message:
        'userextras.authentication.k8s.io "blue" is forbidden: User "admin" cannot impersonate resource "userextras/team" in API group "authentication.k8s.io" at the cluster scope',
    },
  );
  assert.throws(
    () => impersonate(authz, admin, { 'impersonate-group': 'devs' }),
    (e: unknown) => e instanceof ApiError && e.code === 500 && e.message === 'requested [{Group  devs    }] without impersonating a user',
  );
});

test('SubjectAccessReview kinds', () => {
  const authz = new Authorizer(
    store([
      role('reader', 'dev', [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }]),
      binding('RoleBinding', 'rb', 'dev', ['Role', 'reader'], [user('alice')]),
    ]),
  );
  const requester: UserInfo = { username: 'carol', groups: ['system:authenticated'] };
  const sar = reviewAccess(
    authz,
    'SubjectAccessReview',
    {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      metadata: {},
      spec: { user: 'alice', resourceAttributes: { namespace: 'dev', verb: 'get', resource: 'pods' } },
    },
    requester,
  );
  assert.deepEqual(sar.status, { allowed: true, reason: 'RBAC: allowed by RoleBinding "rb/dev" of Role "reader" to User "alice"' });
  assert.equal(sar.metadata.creationTimestamp, null);

  const self = reviewAccess(
    authz,
    'SelfSubjectAccessReview',
    { kind: 'SelfSubjectAccessReview', metadata: {}, spec: { resourceAttributes: { namespace: 'dev', verb: 'get', resource: 'pods' } } },
    requester,
  );
  assert.deepEqual(self.status, { allowed: false });

  const local = reviewAccess(
    authz,
    'LocalSubjectAccessReview',
    { kind: 'LocalSubjectAccessReview', metadata: {}, spec: { user: 'alice', resourceAttributes: { namespace: 'dev', verb: 'get', resource: 'pods' } } },
    requester,
    'dev',
  );
  assert.equal(local.metadata.namespace, 'dev');
  assert.equal((local.status as { allowed: boolean }).allowed, true);

  assert.throws(
    () =>
      reviewAccess(
        authz,
        'LocalSubjectAccessReview',
        { metadata: {}, spec: { user: 'alice', resourceAttributes: { namespace: 'other', verb: 'get', resource: 'pods' } } },
        requester,
        'dev',
      ),
    {
      message:
        'LocalSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes.namespace: Invalid value: "other": must match metadata.namespace',
    },
  );
  assert.throws(
    () => reviewAccess(authz, 'SubjectAccessReview', { metadata: {}, spec: { resourceAttributes: { verb: 'get', resource: 'pods' } } }, requester),
    (e: unknown) =>
      e instanceof ApiError &&
      e.code === 422 &&
      e.message === 'SubjectAccessReview.authorization.k8s.io "" is invalid: spec.user: Invalid value: "": at least one of user or group must be specified',
  );
  assert.throws(() => reviewAccess(authz, 'SelfSubjectAccessReview', { metadata: {}, spec: {} }, requester), {
    message:
      'SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes: Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified',
  });
  const nonResource = reviewAccess(authz, 'SubjectAccessReview', { metadata: {}, spec: { groups: ['system:masters'], nonResourceAttributes: { path: '/metrics', verb: 'get' } } }, requester);
  assert.deepEqual(nonResource.status, { allowed: true });
});

test('SelfSubjectRulesReview lists the applicable rules', () => {
  const authz = new Authorizer(store(defaultRbacObjects()));
  const review = reviewRules(authz, { kind: 'SelfSubjectRulesReview', metadata: {}, spec: { namespace: 'default' } }, alice);
  const status = review.status as { resourceRules: unknown[]; nonResourceRules: { nonResourceURLs: string[] }[]; incomplete: boolean };
  assert.deepEqual(status.resourceRules, [
    { verbs: ['create'], apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'] },
    { verbs: ['create'], apiGroups: ['authentication.k8s.io'], resources: ['selfsubjectreviews'] },
  ]);
  assert.equal(status.nonResourceRules.length, 2);
  assert.equal(status.incomplete, false);
  assert.deepEqual(review.spec, {});
  assert.throws(() => reviewRules(authz, { metadata: {}, spec: {} }, alice), { message: 'no namespace on request' });
});

test('aggregation computed at request time equals the written-out default rules', () => {
  const defaults = defaultRbacObjects();
  for (const name of ['admin', 'edit', 'view']) {
    const written = defaults.find((o) => o.metadata.name === name)!.rules;
    // a role with the same selector but no rules of its own resolves to the same set
    const copy = { ...defaults.find((o) => o.metadata.name === name)!, metadata: { name: `copy-${name}` }, rules: [] };
    const authz = new Authorizer(store([...defaults, copy, binding('RoleBinding', 'b', 'ns', ['ClusterRole', `copy-${name}`], [user('dave')])]));
    const review = reviewRules(authz, { metadata: {}, spec: { namespace: 'ns' } }, { username: 'dave', groups: [] });
    assert.deepEqual((review.status as { resourceRules: unknown[] }).resourceRules, written, name);
  }
});
