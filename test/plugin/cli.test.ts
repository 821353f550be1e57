// `kubeherald plugin webhook` as a real OS process: it says where it
// listens, delivers to the webhook fake, finishes a delivery in flight on
// SIGTERM and exits 0; a bad config or a missing credential exits 1 before
// listening, naming what is wrong.

import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Code, ConnectError } from '@connectrpc/connect';
import { Outcome } from '../../src/gen/kubeherald/v1/plugin_pb.js';
import { FakeWebhooks } from '../fakes/webhook.ts';
import { notification, pluginClient, SECRET } from './helpers.ts';
import { registry, type TestRegistry } from './registry-fake.ts';

const main = new URL('../../src/cli/main.ts', import.meta.url).pathname;

interface Running {
  child: ChildProcess;
  /** JSON log lines on stderr, parsed, as they come */
  lines: Record<string, unknown>[];
  until(pred: (l: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  exit: Promise<{ code: number | null; stderr: string }>;
}

function run(args: string[], env: NodeJS.ProcessEnv): Running {
  const child = spawn(process.execPath, [main, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH, ...env } });
  const lines: Record<string, unknown>[] = [];
  const waiters: { pred: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }[] = [];
  let stderr = '';
  let partial = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    partial += chunk;
    let nl: number;
    while ((nl = partial.indexOf('\n')) >= 0) {
      const text = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(text) as Record<string, unknown>;
      } catch {
        continue;
      }
      lines.push(line);
      for (const w of [...waiters]) if (w.pred(line)) (waiters.splice(waiters.indexOf(w), 1), w.resolve(line));
    }
  });
  child.stdout!.resume();
  const exit = once(child, 'exit').then(([code]) => ({ code: code as number | null, stderr }));
  return {
    child,
    lines,
    exit,
    until: (pred) => {
      const seen = lines.find(pred);
      if (seen) return Promise.resolve(seen);
      return Promise.race([
        new Promise<Record<string, unknown>>((resolve) => waiters.push({ pred, resolve })),
        exit.then(({ code, stderr: err }) => Promise.reject(new Error(`exited ${code} first:\n${err}`))),
      ]);
    },
  };
}

/** An HTTP receiver that can hold requests until the test lets them go. */
async function gateReceiver() {
  const held: ServerResponse[] = [];
  let hold = false;
  let arrived: (() => void) | undefined;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (!hold) return void res.end('ok');
      held.push(res);
      arrived?.();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/gate`,
    hold() {
      hold = true;
      return new Promise<void>((resolve) => (arrived = resolve));
    },
    release() {
      hold = false;
      for (const r of held.splice(0)) r.end('ok');
    },
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('kubeherald plugin (process)', () => {
  let dir: string;
  let fake: FakeWebhooks;
  let gate: Awaited<ReturnType<typeof gateReceiver>>;
  let reg: TestRegistry;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kubeherald-plugin-cli-'));
    fake = await FakeWebhooks.start({ secret: SECRET });
    gate = await gateReceiver();
    reg = await registry();
    reg.heartbeatMs = 50;
  });
  after(async () => {
    await fake.close();
    await gate.close();
    await reg.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves webhook deliveries, registers, and drains on SIGTERM, exiting 0', async () => {
    const config = join(dir, 'webhook.yaml');
    writeFileSync(config, `# the plugin's own sink\nname: hooks\nurls:\n  - ${fake.url('/hook')}\n  - ${gate.url}\ntimeoutSeconds: 5\n`);
    const p = run(['plugin', 'webhook', '--listen', '127.0.0.1:0', '--config', config, '--grace-seconds', '20', '--register', reg.url, '--advertise', 'plugin-1.example:50051', '--instance-id', 'wh-cli'], {
      KUBEHERALD_WEBHOOK_SECRET: SECRET,
    });
    const listening = await p.until((l) => l.msg === 'plugin listening');
    assert.match(String(listening.address), /^127\.0\.0\.1:\d+$/);
    assert.deepEqual([listening.type, listening.sink, listening.plugin], ['webhook', 'hooks', 'webhook']);
    const client = pluginClient(String(listening.address));
    try {
      const first = await client.plugin.deliver({ deliveryId: 'cli-1', sink: 'hooks', payload: { case: 'notification', value: notification('cli-1') }, attempt: 1 });
      assert.deepEqual([first.outcome, first.message], [Outcome.DELIVERED, '']);
      const got = fake.accepted('/hook');
      assert.equal(got.length, 1);
      assert.equal(got[0].verified, true);
      assert.equal(got[0].headers['webhook-id'], 'cli-1');

      await reg.until(() => reg.count('heartbeat') >= 1);
      assert.deepEqual(reg.calls[0], { rpc: 'register', instanceId: 'wh-cli', type: 'webhook', address: 'plugin-1.example:50051', version: '0.1.0' });

      // a delivery in flight when SIGTERM comes is finished, a new one is refused
      const held = gate.hold();
      const slow = client.plugin.deliver({ deliveryId: 'cli-2', sink: 'hooks', payload: { case: 'notification', value: notification('cli-2') }, attempt: 1 });
      await held;
      p.child.kill('SIGTERM');
      await p.until((l) => l.msg === 'plugin: shutting down');
      await assert.rejects(
        client.plugin.deliver({ deliveryId: 'cli-3', sink: 'hooks', payload: { case: 'notification', value: notification('cli-3') }, attempt: 1 }),
        (err: unknown) => ConnectError.from(err).code === Code.Unavailable,
      );
      gate.release();
      assert.equal((await slow).outcome, Outcome.DELIVERED);
      const { code } = await p.exit;
      assert.equal(code, 0);
      // out of the registry first, so routers stop choosing it while it drains
      assert.equal(reg.calls.at(-1)?.rpc, 'deregister');
      assert.equal(reg.known.size, 0);
      assert.deepEqual(fake.accepted('/hook').map((r) => r.headers['webhook-id']), ['cli-1', 'cli-2']);
      const delivered = p.lines.filter((l) => l.msg === 'delivery').map((l) => [l.deliveryId, l.outcome, l.sink]);
      assert.deepEqual(delivered, [
        ['cli-1', 'delivered', 'hooks'],
        ['cli-2', 'delivered', 'hooks'],
      ]);
      // the secret appears nowhere in what the plugin said
      assert.equal(JSON.stringify(p.lines).includes(SECRET), false);
    } finally {
      client.close();
      if (p.child.exitCode === null) p.child.kill('SIGKILL');
    }
  });

  it('exits 1 before listening on a bad config or a missing credential', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, `urls: [${fake.url('/hook')}]\ntimeoutSecond: 5\npayload: pods\n`);
    const ok = join(dir, 'ok.yaml');
    writeFileSync(ok, `urls: [${fake.url('/hook')}]\n`);
    // each start costs a Node process: run them side by side
    const [a, c] = await Promise.all([
      run(['plugin', 'webhook', '--listen', '127.0.0.1:0', '--config', bad], { KUBEHERALD_WEBHOOK_SECRET: SECRET }).exit,
      run(['plugin', 'webhook', '--listen', '127.0.0.1:0', '--config', ok], {}).exit,
    ]);
    const escaped = bad.replaceAll('.', '\\.');
    assert.equal(a.code, 1);
    assert.match(a.stderr, new RegExp(`${escaped}:2: timeoutSecond: unknown key; did you mean "timeoutSeconds"\\?`));
    assert.match(a.stderr, new RegExp(`${escaped}:3: payload: expected one of notification, pod, got "pods"`));
    assert.equal(c.code, 1);
    assert.match(c.stderr, /KUBEHERALD_WEBHOOK_SECRET: webhook sink "webhook" \(secretFrom\.env\): environment variable is not set or is empty/);
    for (const r of [a, c]) assert.equal(r.stderr.includes('plugin listening'), false);
  });
});
