// examples/sinks/<type>.yaml: one documented config per platform, for real
// endpoints. Each must pass `kubeherald config validate`, configure the
// platform its name says, and tell the reader every variable it reads.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { FAKE_SINK_TYPES } from '../../scripts/demo-fakes.ts';
import { validateConfigFile } from '../../src/cli/config.ts';
import { parseConfigText } from '../../src/config/index.ts';

const dir = join(import.meta.dirname, '../../examples/sinks');
const files = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();

function collect(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d: Buffer) => (text += d.toString()));
  return { stream, text: () => text };
}

describe('examples/sinks', () => {
  it('has one example per platform sink type', () => {
    assert.deepEqual(files, [...FAKE_SINK_TYPES].sort().map((t) => `${t}.yaml`));
  });

  for (const file of files) {
    const type = file.replace(/\.yaml$/, '');
    const path = join(dir, file);
    const text = readFileSync(path, 'utf8');

    it(`${file} passes config validate`, async () => {
      const out = collect();
      const err = collect();
      const code = await validateConfigFile(path, { stdout: out.stream, stderr: err.stream });
      assert.equal(err.text(), '');
      assert.equal(code, 0);
      assert.match(out.text(), /: valid \(2 sinks, /);
    });

    it(`${file} configures one ${type} sink, and says how to set every variable it reads and how to run it`, () => {
      const sinks = parseConfigText(text, file).sinks.filter((s) => s.type !== 'console');
      assert.deepEqual(sinks.map((s) => s.type), [type]);
      const vars = [...text.matchAll(/^[^#\n]*\{ ?env: ([A-Za-z_][A-Za-z0-9_]*) ?\}/gm)].map((m) => m[1]);
      assert.ok(vars.length > 0, 'reads a credential from the environment');
      for (const v of vars) assert.match(text, new RegExp(`^#.*export ${v}=`, 'm'), `the header shows how to set ${v}`);
      assert.match(text, new RegExp(`^# +npx kubeherald demo --config examples/sinks/${file}$`, 'm'));
      assert.match(text, new RegExp(`^# +npx kubeherald run --config examples/sinks/${file}$`, 'm'));
      assert.match(text, new RegExp(`^# Against a local fake: +npm run demo:fakes -- ${type}$`, 'm'));
    });
  }
});
