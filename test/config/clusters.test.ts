// `clusters:`: several clusters from one process. Its errors name the key
// (and line) at fault; clustersOf gives everything past the config one list,
// the home cluster first, whichever key was written.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { clustersOf, ConfigError, loadConfig, parseConfigText } from '../../src/config/index.ts';
import { configErrors as errorsOf, yaml } from '../helpers/config-errors.ts';

describe('clusters', () => {
  it('clustersOf: the one cluster of `cluster:`, or the list in its order', () => {
    assert.deepEqual(clustersOf(parseConfigText(yaml('cluster: {name: solo}'), 'k.yaml')).map((c) => c.name), ['solo']);
    assert.deepEqual(clustersOf(parseConfigText('', 'k.yaml')), [{ name: 'default', kubeconfig: '', context: '', inCluster: false }]);
    const two = clustersOf(parseConfigText(yaml('clusters:', '  - {name: prod, inCluster: true}', '  - {name: staging, kubeconfig: /etc/kubeherald-clusters/staging/kubeconfig, context: admin}'), 'k.yaml'));
    assert.deepEqual(two, [
      { name: 'prod', kubeconfig: '', context: '', inCluster: true },
      { name: 'staging', kubeconfig: '/etc/kubeherald-clusters/staging/kubeconfig', context: 'admin', inCluster: false },
    ]);
  });

  it('refuses clusters beside a cluster section that sets anything', () => {
    assert.deepEqual(errorsOf(yaml('cluster: {name: prod}', 'clusters:', '  - {name: a}')), [
      'k.yaml:2: clusters: cannot be combined with cluster (cluster.name is set): list every cluster under clusters, or use cluster alone for one',
    ]);
    // a cluster section left at its defaults is no conflict
    assert.equal(clustersOf(parseConfigText(yaml('cluster: {}', 'clusters:', '  - {name: a}'), 'k.yaml'))[0].name, 'a');
  });

  it('names each entry: required, unique, usable after --cluster', () => {
    assert.deepEqual(errorsOf(yaml('clusters:', '  - {name: a}', '  - {name: b}', '  - {name: a}')), ['k.yaml:4: clusters[2].name: "a" is already the name of clusters[0]: names must be unique']);
    assert.deepEqual(errorsOf(yaml('clusters:', '  - {kubeconfig: /k}')), ['k.yaml:2: clusters[0].name: required (expected a string)']);
    assert.match(errorsOf(yaml('clusters:', '  - {name: "prod eu"}'))[0], /^k\.yaml:2: clusters\[0\]\.name: expected a cluster name: letters, digits/);
    assert.match(errorsOf(yaml('clusters:', '  - {name: a, kubconfig: /k}'))[0], /^k\.yaml:2: clusters\[0\]\.kubconfig: unknown key; did you mean "kubeconfig"\?/);
  });

  it('at most one in-cluster entry, and never with a kubeconfig or context', () => {
    assert.deepEqual(errorsOf(yaml('clusters:', '  - {name: a, inCluster: true}', '  - {name: b, inCluster: true}')), [
      'k.yaml:3: clusters[1].inCluster: clusters[0] is already the cluster kubeherald runs in: at most one entry can be inCluster (reach the others through a kubeconfig)',
    ]);
    assert.deepEqual(errorsOf(yaml('clusters:', '  - {name: a, inCluster: true, context: x}')), [
      "k.yaml:2: clusters[0].inCluster: true cannot be combined with context (in-cluster config uses the pod's service account)",
    ]);
  });

  it('a relative kubeconfig is relative to the config file, as cluster.kubeconfig is', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kh-clusters-'));
    try {
      const file = join(dir, 'kubeherald.yaml');
      writeFileSync(file, yaml('clusters:', '  - {name: home}', '  - {name: staging, kubeconfig: clusters/staging/kubeconfig}'));
      const config = await loadConfig({ file, env: {} });
      assert.deepEqual(clustersOf(config).map((c) => c.kubeconfig), ['', join(dir, 'clusters/staging/kubeconfig')]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
