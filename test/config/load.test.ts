// loadConfig: file, environment and flags, in that order of strength, each
// validated where it came from.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError, defaultConfig, loadConfig } from '../../src/config/index.ts';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'kubeherald-config-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function rejectsWith(p: Promise<unknown>, message: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    assert.equal(err.message, message);
    return true;
  });
}

const FILE = [
  'cluster:',
  '  name: from-file',
  '  context: file-ctx',
  'watch:',
  '  namespaces:',
  '    include: [file-a]',
  '    exclude: [file-x]',
  'log:',
  '  level: warn',
  '  format: pretty',
  '',
].join('\n');

describe('loadConfig', () => {
  it('with nothing is the defaults', async () => {
    assert.deepEqual(await loadConfig({ env: {} }), defaultConfig());
  });

  it('takes the file over the defaults', async () => {
    const cfg = await loadConfig({ file: file('a.yaml', FILE), env: {} });
    assert.deepEqual(cfg.cluster, { name: 'from-file', kubeconfig: '', context: 'file-ctx', inCluster: false });
    assert.deepEqual(cfg.watch.namespaces, { include: ['file-a'], exclude: ['file-x'] });
    assert.deepEqual(cfg.log, { level: 'warn', format: 'pretty' });
  });

  it('takes the environment over the file', async () => {
    const cfg = await loadConfig({
      file: file('b.yaml', FILE),
      env: {
        KUBEHERALD_CLUSTER_NAME: 'from-env',
        KUBEHERALD_CONTEXT: 'env-ctx',
        KUBEHERALD_NAMESPACES: 'env-a, env-b,,',
        KUBEHERALD_EXCLUDE_NAMESPACES: 'env-x',
        KUBEHERALD_LOG_LEVEL: 'debug',
        KUBEHERALD_LOG_FORMAT: 'json',
        KUBEHERALD_IN_CLUSTER: '0',
      },
    });
    assert.deepEqual(cfg.cluster, { name: 'from-env', kubeconfig: '', context: 'env-ctx', inCluster: false });
    assert.deepEqual(cfg.watch.namespaces, { include: ['env-a', 'env-b'], exclude: ['env-x'] });
    assert.deepEqual(cfg.log, { level: 'debug', format: 'json' });
  });

  it('takes flags over the environment and the file', async () => {
    const cfg = await loadConfig({
      file: file('c.yaml', FILE),
      env: { KUBEHERALD_CLUSTER_NAME: 'from-env', KUBEHERALD_CONTEXT: 'env-ctx', KUBEHERALD_NAMESPACES: 'env-a', KUBEHERALD_LOG_LEVEL: 'debug', KUBEHERALD_KUBECONFIG: '/env/kubeconfig' },
      flags: { clusterName: 'from-flag', context: 'flag-ctx', kubeconfig: '/flag/kubeconfig', namespace: ['flag-a', 'flag-b'], excludeNamespace: ['flag-x'], logLevel: 'error' },
    });
    assert.deepEqual(cfg.cluster, { name: 'from-flag', kubeconfig: '/flag/kubeconfig', context: 'flag-ctx', inCluster: false });
    assert.deepEqual(cfg.watch.namespaces, { include: ['flag-a', 'flag-b'], exclude: ['flag-x'] });
    assert.deepEqual(cfg.log, { level: 'error', format: 'pretty' });
  });

  it('ignores empty variables and flags not given (an empty repeatable flag)', async () => {
    const cfg = await loadConfig({
      file: file('d.yaml', FILE),
      env: { KUBEHERALD_CLUSTER_NAME: '', KUBEHERALD_NAMESPACES: '' },
      flags: { namespace: [], excludeNamespace: [], logLevel: undefined },
    });
    assert.equal(cfg.cluster.name, 'from-file');
    assert.deepEqual(cfg.watch.namespaces, { include: ['file-a'], exclude: ['file-x'] });
    assert.equal(cfg.log.level, 'warn');
  });

  it('reads KUBEHERALD_IN_CLUSTER as a boolean', async () => {
    assert.equal((await loadConfig({ env: { KUBEHERALD_IN_CLUSTER: 'true' } })).cluster.inCluster, true);
    assert.equal((await loadConfig({ env: { KUBEHERALD_IN_CLUSTER: '1' } })).cluster.inCluster, true);
    assert.equal((await loadConfig({ env: { KUBEHERALD_IN_CLUSTER: 'FALSE' } })).cluster.inCluster, false);
  });

  it('reads the file named by KUBEHERALD_CONFIG when none is given', async () => {
    const cfg = await loadConfig({ env: { KUBEHERALD_CONFIG: file('e.yaml', 'cluster: { name: via-env }\n') } });
    assert.equal(cfg.cluster.name, 'via-env');
    const explicit = await loadConfig({ file: file('f.yaml', 'cluster: { name: explicit }\n'), env: { KUBEHERALD_CONFIG: join(dir, 'e.yaml') } });
    assert.equal(explicit.cluster.name, 'explicit');
  });

  it('resolves relative paths in the file against its directory, and ~ against the home directory', async () => {
    mkdirSync(join(dir, 'conf'));
    const path = file('conf/g.yaml', 'cluster: { kubeconfig: ../kube/config }\nsinks:\n  - { name: a, type: jsonl, path: out/n.jsonl }\n  - { name: b, type: jsonl, path: "~/n.jsonl" }\n  - { name: c, type: jsonl }\n');
    const cfg = await loadConfig({ file: path, env: {} });
    assert.equal(cfg.cluster.kubeconfig, join(dir, 'kube/config'));
    assert.deepEqual(
      cfg.sinks.map((s) => (s.type === 'jsonl' ? s.path : '')),
      [join(dir, 'conf/out/n.jsonl'), join(homedir(), 'n.jsonl'), '-'],
    );
  });

  it('leaves relative paths from flags and the environment to the working directory', async () => {
    const path = file('h.yaml', 'cluster: { kubeconfig: k }\n');
    assert.equal((await loadConfig({ file: path, env: { KUBEHERALD_KUBECONFIG: 'rel/k' } })).cluster.kubeconfig, 'rel/k');
    assert.equal((await loadConfig({ file: path, env: {}, flags: { kubeconfig: '~/k' } })).cluster.kubeconfig, join(homedir(), 'k'));
  });
});

describe('loadConfig errors', () => {
  it('names a missing file', async () => {
    const missing = join(dir, 'nope.yaml');
    await rejectsWith(loadConfig({ file: missing, env: {} }), `${missing}: cannot read the config file: no such file`);
    await rejectsWith(loadConfig({ env: { KUBEHERALD_CONFIG: missing } }), `${missing}: cannot read the config file: no such file`);
    await rejectsWith(loadConfig({ file: dir, env: {} }), `${dir}: cannot read the config file: is a directory, not a regular file`);
  });

  it('names the variable that holds a bad value', async () => {
    await rejectsWith(
      loadConfig({ env: { KUBEHERALD_NAMESPACES: 'ok,Bad_One', KUBEHERALD_LOG_LEVEL: 'verbose', KUBEHERALD_IN_CLUSTER: 'maybe', KUBEHERALD_LOG_FORMAT: 'text' } }),
      [
        'KUBEHERALD_IN_CLUSTER: cluster.inCluster: expected true or false, got "maybe"',
        'KUBEHERALD_NAMESPACES: watch.namespaces.include[1]: expected a namespace name or glob (lowercase letters, digits, "-", "*" and "?"), got "Bad_One"',
        'KUBEHERALD_LOG_LEVEL: log.level: expected one of trace, debug, info, warn, error, got "verbose"',
        'KUBEHERALD_LOG_FORMAT: log.format: expected one of json, pretty, got "text"',
      ].join('\n'),
    );
  });

  it('names the flag that holds a bad value', async () => {
    await rejectsWith(
      loadConfig({ env: {}, flags: { clusterName: '', namespace: ['a*'], excludeNamespace: ['KUBE'], logLevel: 'warning' } }),
      [
        '--cluster-name: cluster.name: expected a non-empty string, got ""',
        '--exclude-namespace: watch.namespaces.exclude[0]: expected a namespace name or glob (lowercase letters, digits, "-", "*" and "?"), got "KUBE"',
        '--log-level: log.level: expected one of trace, debug, info, warn, error, got "warning"; did you mean "warn"?',
      ].join('\n'),
    );
  });

  it('reports file, environment and flag problems together', async () => {
    const path = file('bad.yaml', 'log:\n  level: loud\n');
    await rejectsWith(
      loadConfig({ file: path, env: { KUBEHERALD_LOG_LEVEL: 'loud' }, flags: { logLevel: 'loud' } }),
      [
        `${path}:2: log.level: expected one of trace, debug, info, warn, error, got "loud"`,
        'KUBEHERALD_LOG_LEVEL: log.level: expected one of trace, debug, info, warn, error, got "loud"',
        '--log-level: log.level: expected one of trace, debug, info, warn, error, got "loud"',
      ].join('\n'),
    );
  });

  it('still rejects a bad file value that the environment overrides', async () => {
    const path = file('bad2.yaml', 'log:\n  level: loud\n');
    await rejectsWith(loadConfig({ file: path, env: { KUBEHERALD_LOG_LEVEL: 'info' } }), `${path}:2: log.level: expected one of trace, debug, info, warn, error, got "loud"`);
  });

  it('blames the variable for a conflict between it and the file', async () => {
    const path = file('i.yaml', 'cluster:\n  kubeconfig: /k\n');
    await rejectsWith(
      loadConfig({ file: path, env: { KUBEHERALD_IN_CLUSTER: 'true' } }),
      "KUBEHERALD_IN_CLUSTER: cluster.inCluster: true cannot be combined with cluster.kubeconfig (in-cluster config uses the pod's service account)",
    );
  });
});
