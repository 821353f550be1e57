import assert from 'node:assert/strict';
import { it } from 'node:test';
import { clusterLeaseName } from '../../src/app/leadership.ts';

const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

it('a cluster Lease is named after the home Lease and the cluster, a valid Lease name however the cluster is named', () => {
  assert.equal(clusterLeaseName('kubeherald', 'staging'), 'kubeherald-staging');
  const names = ['Prod_EU', 'prod-eu', '_x_', 'a'.repeat(300), 'eu.west-1'].map((c) => clusterLeaseName('kubeherald', c));
  for (const n of names) assert.match(n, SUBDOMAIN, n);
  for (const n of names) assert.ok(n.length <= 253, n);
  // names that had to change keep apart from those that did not
  assert.notEqual(clusterLeaseName('kubeherald', 'Prod_EU'), clusterLeaseName('kubeherald', 'prod-eu'));
  assert.equal(clusterLeaseName('kubeherald', 'eu.west-1'), 'kubeherald-eu.west-1');
});
