// scripts/test-loaded.ts: the load runs while the test command runs and is
// gone when it ends, whether the tests pass, fail, die of a signal, are
// interrupted, or the script itself is killed. The test commands here are
// tiny node programs, not the suite.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { hasStressNg, leadingOptions, main, npmTest, runLoaded } from '../../scripts/test-loaded.ts';

const script = join(import.meta.dirname, '../../scripts/test-loaded.ts');
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
/** A node program as a test command. */
const nodeCommand = (code: string): { command: string; args: string[] } => ({ command: process.execPath, args: ['-e', code] });
const quiet = (): void => {};

describe('npm run test:loaded', () => {
  // stress-ng where this machine has it (CI installs only what .ci/run does: there, the node loop)
  for (const load of hasStressNg() ? (['node', 'stress-ng'] as const) : (['node'] as const)) {
    it(`runs the command while the load (${load}) runs, returns its status, and stops the load after`, async () => {
      let pids: number[] = [];
      // the command checks the load is there while it runs (exit 0 only if every load pid is alive); it gets the pids as arguments
      const command = nodeCommand(`const pids = process.argv.slice(1).map(Number);
        const alive = (p) => { try { process.kill(p, 0); return true; } catch { return false; } };
        process.exit(pids.length > 0 && pids.every(alive) ? 0 : 4);`);
      const lines: string[] = [];
      const r = await runLoaded({
        ...command,
        load,
        workers: 2,
        log: (l) => void lines.push(l),
        onLoad: (p) => {
          pids = p;
          command.args.push(...p.map(String));
        },
      });
      assert.equal(r.code, 0);
      assert.equal(r.load, load);
      assert.equal(r.workers, 2);
      // one busy loop per core, or one watchdog over stress-ng's workers
      assert.equal(pids.length, load === 'node' ? 2 : 1);
      assert.deepEqual(pids.filter(alive), [], 'stopped once the tests ended');
      assert.match(lines[0], load === 'node' ? /2 cores kept busy by 2 node busy loops/ : /2 cores kept busy by stress-ng --cpu 2/);
      assert.match(lines.at(-1)!, /^test:loaded: exit status 0 after \d+\.\d s under load$/);
    });
  }

  it('a failing or signalled test command: its status (1 for a signal), and the load stopped all the same', async () => {
    let pids: number[] = [];
    const failed = await runLoaded({ ...nodeCommand('process.exit(3)'), load: 'node', workers: 1, log: quiet, onLoad: (p) => (pids = p) });
    assert.equal(failed.code, 3);
    assert.deepEqual(pids.filter(alive), []);
    const killed = await runLoaded({ ...nodeCommand("process.kill(process.pid, 'SIGKILL')"), load: 'node', workers: 1, log: quiet, onLoad: (p) => (pids = p) });
    assert.equal(killed.code, 1);
    assert.deepEqual(pids.filter(alive), []);
    const missing = await runLoaded({ command: '/nonexistent/kubeherald-test-command', args: [], load: 'node', workers: 1, log: quiet, onLoad: (p) => (pids = p) });
    assert.equal(missing.code, 127);
    assert.deepEqual(pids.filter(alive), []);
  });

  it('ctrl-C (SIGINT to the script): the tests get it, the load stops, exit status 130', async () => {
    // the script in a process of its own, with a test command that would run for ever
    const child = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { main } from ${JSON.stringify(script)};
         process.exitCode = await main(['--load', 'node', '--workers', '2'], {
           command: process.execPath,
           args: ['-e', 'setInterval(() => {}, 1e6)'],
           log: () => {},
           onLoad: (pids) => console.log(JSON.stringify(pids)),
         });`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const [line] = (await once(child.stdout!, 'data')) as [Buffer];
    const pids = JSON.parse(line.toString()) as number[];
    assert.equal(pids.length, 2);
    assert.ok(pids.every(alive));
    const exited = once(child, 'exit');
    child.kill('SIGINT');
    const [code] = (await exited) as [number | null];
    assert.equal(code, 130);
    // the script waited for its load processes to exit before it did
    assert.deepEqual(pids.filter(alive), []);
  });

  it('the script killed outright (SIGKILL): its load processes notice and stop by themselves', async () => {
    const child = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { runLoaded } from ${JSON.stringify(script)};
         await runLoaded({
           command: process.execPath,
           args: ['-e', 'console.log(JSON.stringify({ tests: process.pid })); setInterval(() => {}, 1e6)'],
           load: 'node',
           workers: 2,
           log: () => {},
           onLoad: (pids) => console.log(JSON.stringify({ load: pids })),
         });`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const seen: { load?: number[]; tests?: number } = {};
    let buffered = '';
    await new Promise<void>((resolve) => {
      child.stdout!.on('data', (d: Buffer) => {
        buffered += d.toString();
        for (const l of buffered.split('\n').slice(0, -1)) Object.assign(seen, JSON.parse(l));
        buffered = buffered.slice(buffered.lastIndexOf('\n') + 1);
        if (seen.load && seen.tests) resolve();
      });
    });
    try {
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
      // not our children: there is no exit event to await, so look until they are gone (no deadline but the test's)
      while (seen.load!.some(alive)) await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(seen.load!.filter(alive), []);
    } finally {
      // the orphaned test command is this test's to clean up (npm test would go on running, as with any killed parent)
      if (seen.tests && alive(seen.tests)) process.kill(seen.tests, 'SIGKILL');
    }
  });

  it('the command under load is npm test itself, through the npm that runs the script', () => {
    assert.deepEqual(npmTest([], { npm_execpath: '/usr/lib/node_modules/npm/bin/npm-cli.js' }), { command: process.execPath, args: ['/usr/lib/node_modules/npm/bin/npm-cli.js', 'test'] });
    assert.deepEqual(npmTest(['test/cli'], {}), { command: 'npm', args: ['test', '--', 'test/cli'] });
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8')) as { scripts: Record<string, string> };
    assert.equal(pkg.scripts['test:loaded'], 'node scripts/test-loaded.ts');
  });

  it('options: --load and --workers at the start, the rest for npm test; bad values named', async () => {
    assert.deepEqual(leadingOptions(['--load', 'node', '--workers=3', 'test/cli', '--test-name-pattern=x'], ['load', 'workers']), { values: { load: 'node', workers: '3' }, rest: ['test/cli', '--test-name-pattern=x'] });
    assert.deepEqual(leadingOptions(['--test-name-pattern', 'x', '--load', 'node'], ['load', 'workers']), { values: {}, rest: ['--test-name-pattern', 'x', '--load', 'node'] });
    assert.throws(() => leadingOptions(['--workers'], ['load', 'workers']), /--workers: expected a value/);
    await assert.rejects(main(['--load', 'cpu'], { ...nodeCommand('0'), log: quiet }), /--load: expected node or stress-ng, got "cpu"/);
    await assert.rejects(main(['--workers', '0'], { ...nodeCommand('0'), log: quiet }), /--workers: expected a whole number ≥ 1, got "0"/);
    if (!hasStressNg()) await assert.rejects(main(['--load', 'stress-ng'], { ...nodeCommand('0'), log: quiet }), /stress-ng is not installed/);
  });
});
