// `silence …` run against a silences port (no cluster): what it makes, who
// and why, the model's refusals in the chat's words, the RBAC `expire` asks
// where the silence silences, and what `list` shows.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Authorization } from '../../src/chatops/authorize.ts';
import { parseCommand } from '../../src/chatops/grammar.ts';
import { runSilence, type SilencePort } from '../../src/chatops/silence-command.ts';
import type { ChatReply, ResourceAttributes, SilenceCommand } from '../../src/chatops/types.ts';
import type { Silence } from '../../src/rules/silence.ts';

const NOW = Date.parse('2026-12-07T12:00:00Z');

function port(): SilencePort & { all: Silence[] } {
  const all: Silence[] = [];
  return {
    all,
    add: (s) => void all.push(s),
    expire: (id, by) => {
      const s = all.find((x) => x.id === id && x.expiredAt === undefined);
      if (s) Object.assign(s, { expiredAt: NOW, expiredBy: by });
      return s;
    },
    get: (id) => all.find((x) => x.id === id),
    open: () => all.filter((s) => s.expiredAt === undefined && s.endsAt > NOW),
    now: () => NOW,
    maxDurationMs: 7 * 86400_000,
  };
}

const cmd = (text: string): SilenceCommand => {
  const r = parseCommand(text);
  assert.ok(r.ok, text);
  assert.equal(r.command.verb, 'silence');
  return r.command as SilenceCommand;
};

async function run(p: SilencePort, text: string, opts: { namespace?: string; allow?: (a: ResourceAttributes) => boolean; asked?: ResourceAttributes[] } = {}): Promise<ChatReply> {
  const c = cmd(text);
  const ns = 'allNamespaces' in c && c.allNamespaces ? '' : ('namespace' in c && c.namespace) || (opts.namespace ?? 'demo');
  return runSilence(c, {
    silences: p,
    user: { platform: 'slack', id: 'U1', name: 'alice' },
    identity: { user: 'alice@corp', groups: [] },
    namespace: ns,
    authorize: async (attrs): Promise<Authorization> => {
      opts.asked?.push(...attrs);
      const denied = attrs.find((a) => !(opts.allow ?? (() => true))(a));
      return denied ? { allowed: false, decision: 'denied', attributes: denied, message: `alice may not ${denied.verb} ${denied.resource} in namespace ${denied.namespace}` } : { allowed: true, decision: 'allowed' };
    },
  });
}

describe('runSilence', () => {
  it('makes a silence of the namespace and matchers, with who and why, and says what it matches and until when', async () => {
    const p = port();
    const r = await run(p, 'silence --reason CrashLoopBackOff -l app=web for 2h -- deploying the fix');
    assert.equal(r.status, 'ok');
    assert.match(r.title!, /^Silenced namespace=demo reason=CrashLoopBackOff labels.app=web until 2026-12-07T14:00:00Z \(2h\): s-[0-9a-f]{10}$/);
    const [s] = p.all;
    assert.deepEqual(s!.matchers, { namespace: 'demo', reason: 'CrashLoopBackOff', labels: { app: 'web' } });
    assert.equal(s!.createdBy, 'alice@corp (slack alice)');
    assert.equal(s!.comment, 'deploying the fix');
    assert.equal(s!.source, 'chat');
    const cluster = await run(p, 'silence -A --kind Node --name n1 until 2026-12-07T13:00Z -- drain');
    assert.match(cluster.title!, /kind=Node name=n1 until 2026-12-07T13:00:00Z/);
    assert.equal(p.all[1]!.matchers.namespace, undefined, '-A: every namespace and cluster-scoped objects');
    // --cluster: that cluster's notifications only (without it, every cluster's)
    const one = await run(p, 'silence --reason BackOff --cluster prod-eu for 1h -- noisy there');
    assert.match(one.title!, /^Silenced cluster=prod-eu namespace=demo reason=BackOff /);
    assert.deepEqual(p.all[2]!.matchers, { namespace: 'demo', reason: 'BackOff', cluster: 'prod-eu' });
    assert.equal(p.all[0]!.matchers.cluster, undefined);
  });

  it('refuses in the chat’s words: no comment, no matcher or too long without --force, an end in the past', async () => {
    const p = port();
    assert.match((await run(p, 'silence --reason X for 1h')).title!, /say why after `--`/);
    assert.match((await run(p, 'silence -A for 1h -- all of it')).title!, /no matcher[\s\S]*Add --force[\s\S]*force silences.kubeherald.io/);
    assert.match((await run(p, 'silence --reason X for 8d -- long')).title!, /longer than silences.maxDuration[\s\S]*--force/);
    assert.match((await run(p, 'silence --reason X until 2026-12-07T11:00Z -- past')).title!, /^silence refused: until: /);
    assert.equal(p.all.length, 0);
    assert.equal((await run(p, 'silence --reason X --force for 8d -- long')).status, 'ok', 'forced (the service checked the right)');
    assert.equal(p.all[0]!.forced, true);
  });

  it('expire asks RBAC for delete where the silence silences, refuses a resource’s silence, and ends it', async () => {
    const p = port();
    await run(p, 'silence -n payments --reason X for 1h -- x');
    const id = p.all[0]!.id;
    const asked: ResourceAttributes[] = [];
    const denied = await run(p, `silence expire ${id}`, { allow: () => false, asked });
    assert.equal(denied.status, 'denied');
    assert.deepEqual(asked, [{ verb: 'delete', group: 'kubeherald.io', resource: 'silences', namespace: 'payments' }]);
    assert.equal(p.all[0]!.expiredAt, undefined);
    const ok = await run(p, `silence expire ${id}`);
    assert.match(ok.title!, new RegExp(`^Expired ${id}`));
    assert.equal(p.all[0]!.expiredBy, 'alice@corp (slack alice)');
    assert.match((await run(p, `silence expire ${id}`)).title!, /No silence .* in force/);
    p.add({ id: 'cr:shop/m.g1', matchers: { namespace: 'shop' }, startsAt: NOW, endsAt: NOW + 3600_000, createdBy: 'resource:shop/m', comment: 'x', source: 'resource', createdAt: NOW });
    assert.match((await run(p, 'silence expire cr:shop/m.g1')).title!, /delete the resource/);
  });

  it('list shows what applies in the namespace (cluster-wide ones too), or everything with -A', async () => {
    const p = port();
    await run(p, 'silence -n demo --reason A for 1h -- one');
    await run(p, 'silence -n shop --reason B for 1h -- two');
    await run(p, 'silence -A --kind Node for 1h -- three');
    const rows = (r: ChatReply): string[] => (r.blocks[0]?.kind === 'table' ? r.blocks[0].rows.map((x) => x[4]!) : []);
    assert.deepEqual(rows(await run(p, 'silence list')), ['one', 'three']);
    assert.deepEqual(rows(await run(p, 'silence list -A')), ['one', 'two', 'three']);
    assert.match((await run(p, 'silence list -n other', { namespace: 'other' })).title!, /1 silence in other/);
  });
});
