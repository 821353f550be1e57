// `kubeherald config validate` and `kubeherald config example`.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { Command } from 'commander';
import { EXAMPLE_CONFIG_PATH, exampleConfig, registerConfig, validateConfigFile } from '../../src/cli/config.ts';
import { DEFAULT_DETECTORS } from '../../src/detect/config.ts';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'kubeherald-cli-config-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

async function validate(file: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = capture();
  const err = capture();
  const code = await validateConfigFile(file, { stdout: out.stream, stderr: err.stream });
  return { code, stdout: out.text(), stderr: err.text() };
}

describe('config validate', () => {
  it('says a valid file is valid, with its sink and enabled-detector counts', async () => {
    // the example has the default detectors: counted from them, so a new detector does not change this test
    const enabled = Object.values(DEFAULT_DETECTORS).filter((d) => d.enabled).length;
    assert.ok(!DEFAULT_DETECTORS.normalEvents.enabled && DEFAULT_DETECTORS.oomKilled.enabled && DEFAULT_DETECTORS.evicted.enabled);
    assert.deepEqual(await validate(EXAMPLE_CONFIG_PATH), { code: 0, stdout: `${EXAMPLE_CONFIG_PATH}: valid (2 sinks, ${enabled} detectors enabled)\n`, stderr: '' });
    const one = join(dir, 'one.yaml');
    writeFileSync(one, 'detectors:\n  normalEvents: { enabled: true }\n  oomKilled: { enabled: false }\n  evicted: { enabled: false }\n');
    assert.deepEqual(await validate(one), { code: 0, stdout: `${one}: valid (1 sink, ${enabled + 1 - 2} detectors enabled)\n`, stderr: '' });
  });

  it('prints every issue and returns 1', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'cluster:\n  nmae: x\nsinks:\n  - { name: a, type: console, color: blue }\n');
    assert.deepEqual(await validate(bad), {
      code: 1,
      stdout: '',
      stderr: `${bad}:2: cluster.nmae: unknown key; did you mean "name"?\n${bad}:4: sinks[0].color: expected one of auto, always, never, got "blue"\n`,
    });
  });

  it('ignores the environment: it checks the file alone', async () => {
    const ok = join(dir, 'ok.yaml');
    writeFileSync(ok, 'log: { level: info }\n');
    const saved = process.env.KUBEHERALD_LOG_LEVEL;
    process.env.KUBEHERALD_LOG_LEVEL = 'nonsense';
    try {
      assert.equal((await validate(ok)).code, 0);
    } finally {
      if (saved === undefined) delete process.env.KUBEHERALD_LOG_LEVEL;
      else process.env.KUBEHERALD_LOG_LEVEL = saved;
    }
  });

  it('reports a missing file', async () => {
    const missing = join(dir, 'missing.yaml');
    assert.deepEqual(await validate(missing), { code: 1, stdout: '', stderr: `${missing}: cannot read the config file: no such file\n` });
  });

  it('is registered as `config validate <file>` and `config example`', () => {
    const program = new Command();
    registerConfig(program);
    const config = program.commands.find((c) => c.name() === 'config');
    assert.ok(config);
    assert.deepEqual(
      config.commands.map((c) => c.name()),
      ['validate', 'example'],
    );
    assert.deepEqual(
      config.commands[0].registeredArguments.map((a) => [a.name(), a.required]),
      [['file', true]],
    );
  });
});

describe('config example', () => {
  it('is examples/kubeherald.yaml', async () => {
    assert.equal(await exampleConfig(), readFileSync(new URL('../../examples/kubeherald.yaml', import.meta.url), 'utf8'));
  });
});
