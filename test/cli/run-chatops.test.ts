// `kubeherald run` answers chat commands when the config enables a chat
// platform: Telegram by long polling against the local fake, a mapped user
// refused by the cluster's RBAC and an allowed whoami, recorded in the state
// database that `kubeherald audit list` reads.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startSim } from '../../src/sim/sim.ts';
import { FakeTelegram } from '../fakes/telegram.ts';

const bin = join(import.meta.dirname, '../../bin/kubeherald.js');

describe('kubeherald run with chatops', () => {
  it('answers Telegram commands as the mapped Kubernetes user and keeps the audit trail', async () => {
    const sim = await startSim({ clockSpeed: 0 });
    const telegram = await FakeTelegram.start({ chats: [{ id: -1001, type: 'supergroup', title: 'ops' }] });
    const dir = mkdtempSync(join(tmpdir(), 'kubeherald-run-chat-'));
    const kubeconfig = join(dir, 'kc');
    writeFileSync(kubeconfig, sim.kubeconfig);
    const cfg = join(dir, 'kubeherald.yaml');
    writeFileSync(
      cfg,
      `cluster:
  name: e2e
sinks:
  - { name: file, type: jsonl, path: ${join(dir, 'out.jsonl')} }
state:
  path: ${join(dir, 'state.db')}
chatops:
  telegram:
    enabled: true
    tokenFrom: { env: TELEGRAM_TOKEN }
    apiRoot: ${telegram.apiRoot}
    chats: [{ id: "-1001", namespace: default }]
  identities:
    - { platform: telegram, user: "4242", kubernetes: { user: carol@corp } }
`,
    );
    const child = spawn(process.execPath, [bin, 'run', '--config', cfg, '--kubeconfig', kubeconfig, '--log-level', 'warn'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, TELEGRAM_TOKEN: telegram.token },
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    try {
      const from = { id: 4242, first_name: 'Carol', username: 'carol' };
      const ask = async (text: string): Promise<string> => {
        const sent = await telegram.pushMessage({ chatId: -1001, from, text });
        const reply = await Promise.race([
          telegram.waitFor(() => telegram.messages.find((m) => m.reply_to === sent.message_id)),
          exited.then((c) => Promise.reject(new Error(`run exited ${c}: ${err}`))),
        ]);
        return reply.plain;
      };
      assert.match(await ask('/whoami'), /carol@corp/);
      assert.match(await ask('/scale deployment web 0'), /carol@corp\) may not patch deployments\/scale in namespace default/);
    } finally {
      child.kill('SIGTERM');
      assert.equal(await exited, 0, err);
      await telegram.close();
      await sim.close();
    }
    const audit = spawn(process.execPath, [bin, 'audit', 'list', '--config', cfg, '-o', 'json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    audit.stdout.on('data', (d: Buffer) => (out += d.toString()));
    assert.equal(await new Promise((r) => audit.on('exit', r)), 0);
    const rows = JSON.parse(out) as { verb: string; decision: string; identity?: { user: string } }[];
    assert.deepEqual(rows.map((r) => `${r.verb} ${r.decision} ${r.identity?.user}`), ['whoami allowed carol@corp', 'scale denied carol@corp']);
  });
});
