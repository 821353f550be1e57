// The published package, as a user gets it: `npm pack` (which builds dist/),
// the tarball installed into an empty directory from the registry only, and
// `npx kubeherald demo --once` run there on the pinned Node 24 and on the
// oldest Node that package.json's `engines` admits (the registry's `node`
// package at that version). Slow (npm installs from the registry), so it is
// not part of `npm test`: `npm run test:package`, which .ci/run calls.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { demoExpectations } from '../../src/sim/scenarios/demo.ts';

const run = promisify(execFile);
const root = join(import.meta.dirname, '../..');
/** what the demo expects, counted from the source the package was packed from */
const EXPECTED = demoExpectations().length;
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string; engines: { node: string }; files: string[] };

/** The lowest version `engines.node` admits (">=22.19" → "22.19.0"). */
function oldestSupported(range: string): string {
  const m = /^>=\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(range.trim());
  if (!m) throw new Error(`engines.node: expected ">=X.Y", got "${range}"`);
  return `${m[1]}.${m[2] ?? 0}.${m[3] ?? 0}`;
}

const work = mkdtempSync(join(tmpdir(), 'kubeherald-package-'));
// npm and npx run on the Node first on PATH; the project's scripts put the pinned Node 24 there
const env = (nodeBin?: string): NodeJS.ProcessEnv => {
  const out: NodeJS.ProcessEnv = { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };
  // nothing of this checkout's npm run leaks into the user's directory (its prefix, its scripts' config)
  for (const k of Object.keys(out)) if (k.startsWith('npm_package_') || k === 'npm_config_prefix' || k === 'npm_config_local_prefix' || k === 'INIT_CWD') delete out[k];
  out.PATH = [nodeBin ?? join(root, 'node_modules', 'node', 'bin'), process.env.PATH].join(delimiter);
  return out;
};
const sh = (cmd: string, args: string[], cwd: string, nodeBin?: string) => run(cmd, args, { cwd, env: env(nodeBin), maxBuffer: 64 * 1024 * 1024 });

let tarball = '';
let app = '';
let oldNodeBin = '';
let packedFiles: string[] = [];
const oldest = oldestSupported(pkg.engines.node);

before(async () => {
  app = join(work, 'app');
  const oldNode = join(work, 'node-old');
  for (const d of [app, oldNode]) {
    mkdirSync(d);
    writeFileSync(join(d, 'package.json'), '{ "name": "scratch", "private": true }\n');
  }
  // pack (prepack builds dist/) and fetch the old Node at the same time
  const [packed] = await Promise.all([sh('npm', ['pack', '--json', '--pack-destination', work], root), sh('npm', ['install', `node@${oldest}`], oldNode)]);
  const info = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as { filename: string; files: { path: string }[] }[];
  tarball = join(work, info[0].filename);
  oldNodeBin = join(oldNode, 'node_modules', 'node', 'bin');
  packedFiles = info[0].files.map((f) => f.path);
  // from the registry only: the tarball names its dependencies, npm fetches them
  await sh('npm', ['install', tarball], app);
});

after(() => rmSync(work, { recursive: true, force: true }));

describe('the npm package', () => {
  it('ships the compiled program and what it reads, not the sources, tests, benchmarks or CI', () => {
    for (const f of ['package.json', 'README.md', 'bin/kubeherald.js', 'dist/cli/main.js', 'dist/gen/kubeherald/v1/plugin_pb.js', 'dist/build-info.json', 'examples/kubeherald.yaml']) {
      assert.ok(packedFiles.includes(f), `the tarball lacks ${f}`);
    }
    const stray = packedFiles.filter((f) => /^(src|test|bench|scripts|\.ci|proto|node_modules)\//.test(f) || f.endsWith('.ts'));
    assert.deepEqual(stray, []);
  });

  it('runs the demo where it is installed, on the pinned Node', async () => {
    const { stdout } = await sh('npx', ['--no-install', 'kubeherald', 'demo', '--once'], app);
    assert.ok(stdout.includes(`${EXPECTED} of ${EXPECTED} expected incidents notified exactly once; 0 unexpected — PASS`), stdout);
    const v = await sh('npx', ['--no-install', 'kubeherald', 'version'], app);
    assert.match(v.stdout, new RegExp(`^kubeherald ${pkg.version.replace(/\./g, '\\.')}\\b`, 'm'));
    assert.match(v.stdout, /node v24\./);
  });

  it(`runs the demo on the oldest Node the package admits (${oldest})`, async () => {
    const { stdout: version } = await sh('node', ['--version'], app, oldNodeBin);
    assert.equal(version.trim(), `v${oldest}`);
    const { stdout } = await sh('npx', ['--no-install', 'kubeherald', 'demo', '--once'], app, oldNodeBin);
    assert.ok(stdout.includes(`${EXPECTED} of ${EXPECTED} expected incidents notified exactly once; 0 unexpected — PASS`), stdout);
  });
});
