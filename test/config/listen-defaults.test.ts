// Every listener binds the loopback unless told otherwise: each default
// address is a loopback one (or off), an address without a host (":9090")
// is the loopback, and the deploy manifests, whose listeners must be
// reached from outside the pod, give their addresses explicitly.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Command } from 'commander';
import { parseAllDocuments } from 'yaml';
import { createMetrics } from '../../src/app/metrics.ts';
import { listenProbes } from '../../src/app/probes.ts';
import { registerSim } from '../../src/cli/sim.ts';
import { ConfigError, defaultConfig, parseConfigText } from '../../src/config/index.ts';
import { parseHostPort, isLoopbackHost } from '../../src/plugin/address.ts';
import { parseListen as registryListen } from '../../src/router/discovery/registry.ts';
import { parseListen as auditListen } from '../../src/sources/audit-config.ts';

const hostOf = (listen: string): string => listen.slice(0, listen.lastIndexOf(':')).replace(/^\[|\]$/g, '');

describe('listener defaults', () => {
  it('every listen address in the config defaults to the loopback or off', () => {
    const c = defaultConfig();
    const listens: Record<string, string> = {
      'audit.listen': c.audit.listen,
      'chatops.slack.listen': c.chatops.slack.listen,
      'chatops.telegram.webhook.listen': c.chatops.telegram.webhook.listen,
      'metrics.listen': c.metrics.listen,
      'health.listen': c.health.listen,
      'plugins.registry.listen': c.plugins.registry.listen,
    };
    for (const [key, listen] of Object.entries(listens)) {
      if (listen === '') continue; // off
      assert.ok(isLoopbackHost(hostOf(listen)), `${key} defaults to ${listen}, not the loopback`);
    }
    assert.equal(c.audit.listen, '127.0.0.1:8443');
    assert.equal(c.chatops.slack.listen, '127.0.0.1:3000');
    assert.equal(c.chatops.telegram.webhook.listen, '127.0.0.1:8443');
  });

  it('an address without a host is the loopback, wherever one is accepted', async () => {
    assert.deepEqual(auditListen(':8443'), { host: '127.0.0.1', port: 8443 });
    assert.equal(parseConfigText('audit: {listen: ":8443"}\n', 'k.yaml').audit.listen, ':8443');
    assert.deepEqual(registryListen(':50060'), { host: '127.0.0.1', port: 50060 });
    assert.deepEqual(parseHostPort(':50051', '--listen', { allowAnyHost: true }), { host: '127.0.0.1', port: 50051 });
    // every interface only when written
    assert.equal(auditListen('0.0.0.0:8443').host, '0.0.0.0');
    assert.equal(parseHostPort('0.0.0.0:50051', '--listen', { allowAnyHost: true }).host, '0.0.0.0');

    const probes = await listenProbes(':0', () => false);
    try {
      assert.equal(new URL(probes.url).hostname, '127.0.0.1');
    } finally {
      await probes.close();
    }
    const metrics = createMetrics({ store: {} as never, clusters: () => [] });
    const url = await metrics.listen(':0');
    try {
      assert.equal(new URL(url).hostname, '127.0.0.1');
    } finally {
      await metrics.close();
    }
  });

  it('the chat listeners need a host, said clearly', () => {
    for (const [yaml, path] of [
      ['chatops: {slack: {listen: ":3000"}}', 'chatops.slack.listen'],
      ['chatops: {telegram: {webhook: {listen: ":8443"}}}', 'chatops.telegram.webhook.listen'],
    ] as const) {
      assert.throws(() => parseConfigText(`${yaml}\n`, 'k.yaml'), (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.ok(e.issues.some((i) => i.path === path && /expected host:port, e\.g\. 127\.0\.0\.1:\d+, or 0\.0\.0\.0:\d+ for every interface/.test(i.message)), e.message);
        return true;
      });
    }
  });

  it('kubeherald sim listens on 127.0.0.1 unless --host says otherwise', () => {
    const program = new Command();
    registerSim(program);
    const sim = program.commands.find((c) => c.name() === 'sim')!;
    assert.equal(sim.options.find((o) => o.long === '--host')!.defaultValue, '127.0.0.1');
  });
});

type Obj = Record<string, any>;

function docs(path: string): Obj[] {
  return parseAllDocuments(readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8')).map((d) => d.toJS() as Obj).filter(Boolean);
}

describe('deploy manifests give explicit addresses where others must reach in', () => {
  it('each port the kubeherald container exposes is served on an explicit non-loopback address', () => {
    const config = docs('deploy/kubeherald.yaml')[0];
    const deployment = docs('deploy/deployment.yaml').find((d) => d.kind === 'Deployment')!;
    const container = deployment.spec.template.spec.containers[0];
    // which config key serves each named port
    const keyOf: Record<string, (c: Obj) => string | undefined> = { audit: (c) => c.audit?.listen, health: (c) => c.health?.listen, metrics: (c) => c.metrics?.listen };
    const ports = (container.ports ?? []) as Obj[];
    assert.ok(ports.some((p) => p.name === 'audit'), 'the audit port is exposed');
    for (const p of ports) {
      const listen = keyOf[p.name]?.(config);
      assert.ok(listen, `port ${p.name} (${p.containerPort}): deploy/kubeherald.yaml sets no ${p.name}.listen, and the default is the loopback`);
      assert.equal(hostOf(listen), '0.0.0.0', `${p.name}.listen ${listen}`);
      assert.equal(Number(listen.slice(listen.lastIndexOf(':') + 1)), p.containerPort, `${p.name}.listen ${listen} is not port ${p.containerPort}`);
    }
  });

  it('each plugin serves its ports on explicit addresses', () => {
    const deployment = docs('deploy/plugins/slack/deployment.yaml').find((d) => d.kind === 'Deployment')!;
    const container = deployment.spec.template.spec.containers[0];
    const args = container.args as string[];
    const flag = (name: string): string | undefined => {
      const i = args.indexOf(name);
      return i < 0 ? undefined : args[i + 1];
    };
    for (const p of (container.ports ?? []) as Obj[]) {
      const listen = [flag('--listen'), flag('--health-listen')].find((l) => l && Number(l.slice(l.lastIndexOf(':') + 1)) === p.containerPort);
      assert.ok(listen, `port ${p.name} (${p.containerPort}) is served by no --listen/--health-listen`);
      assert.equal(hostOf(listen), '0.0.0.0', `the plugin's ${listen} for port ${p.name}: without a host it would be the loopback`);
    }
  });
});

