// Silences from chat, end to end in one kubeherald on the simulated cluster
// with the Slack fake: a Deployment's pod crash-loops and its alert carries
// "Silence 1h". Pressed by someone RBAC does not allow to create silences,
// from another channel, or on an alert too old: refused and audited. Pressed
// by alice (a Role granting silences in demo): a silence of that pod and
// reason for an hour, recorded with who and why. Typed: `silence … -- why`,
// refusals (no comment, cluster-wide without the right, too long without
// --force, --force without the right), `silence list`, `silence expire`.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { channelTag } from '../../src/sinks/alert-actions.ts';
import { DEPLOYMENTS } from '../../src/sim/refs.ts';
import { blockText } from '../chatops/slack-stub.ts';
import { FakeSlack, type SlackCall } from '../fakes/slack.ts';
import { startWorld, type World } from './helpers.ts';

const CHANNEL = 'C0ALERTS';
const OTHER = 'C0ELSEWHERE';

interface Button {
  action_id: string;
  value: string;
  text: { text: string };
}

const textOf = (c: SlackCall): string => `${String(c.params.text ?? '')}\n${blockText(c.params.blocks as unknown[] | undefined)}\n${blockText(c.params.attachments as unknown[] | undefined)}`;

function buttonsOf(c: SlackCall): Button[] {
  const attachments = (c.params.attachments ?? []) as { blocks?: { type: string; elements?: Button[] }[] }[];
  return attachments.flatMap((a) => a.blocks ?? []).flatMap((b) => (b.type === 'actions' ? (b.elements ?? []) : []));
}

describe('silences from chat: the Silence 1h button and the silence command', () => {
  let w: World;
  let slack: FakeSlack;
  let alert: SlackCall;

  before(async () => {
    slack = await FakeSlack.start({
      channels: [
        { id: CHANNEL, name: 'alerts' },
        { id: OTHER, name: 'elsewhere' },
      ],
      users: [
        { id: 'U0ALICE', name: 'alice', email: 'alice@example.com' },
        { id: 'U0BOB', name: 'bob', email: 'bob@example.com' },
      ],
    });
    w = await startWorld(
      [
        'cluster: {name: sim}',
        'sinks:',
        `  - {name: chat, type: slack, channel: ${CHANNEL}, apiUrl: '${slack.apiUrl}', tokenFrom: {env: SLACK_BOT_TOKEN}, actions: true, delivery: {groupBy: []}}`,
        'routes:',
        '  - {name: crashes, match: {reasons: [CrashLoopBackOff]}, sinks: [chat]}',
        'chatops:',
        '  slack:',
        '    enabled: true',
        '    botTokenFrom: {env: SLACK_BOT_TOKEN}',
        '    appTokenFrom: {env: SLACK_APP_TOKEN}',
        `    apiUrl: '${slack.apiUrl}'`,
        `    channels: [{id: ${CHANNEL}, namespace: demo}, {id: ${OTHER}, namespace: demo}]`,
        '  identities:',
        '    - {platform: slack, user: U0ALICE, kubernetes: {user: alice@example.com}}',
        '    - {platform: slack, user: U0BOB, kubernetes: {user: bob@example.com}}',
        'state: {path: $STATE}',
      ].join('\n'),
    );
    w.sim.scenarios.start('crashloop-deployment');
    w.sim.ctx.store.mutate(DEPLOYMENTS, 'demo', 'worker', (d) => {
      (d.spec as { replicas: number }).replicas = 1;
    });
    // alice may make, list and end silences in demo (not cluster-wide, not force); bob may not
    const rbac = w.kc.makeApiClient(k8s.RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({
      namespace: 'demo',
      body: { metadata: { name: 'silencer' }, rules: [{ apiGroups: ['kubeherald.io'], resources: ['silences'], verbs: ['create', 'list', 'delete'] }] },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: 'demo',
      body: {
        metadata: { name: 'alice-silencer' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'silencer' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'alice@example.com' }],
      },
    });
    await w.start({ env: { SLACK_BOT_TOKEN: slack.token, SLACK_APP_TOKEN: slack.appToken } });
    const firing = slack.waitForCalls((c) => c.method === 'chat.postMessage' && c.params.channel === CHANNEL && /CrashLoopBackOff|crash-looping/.test(textOf(c)) && !c.params.thread_ts);
    await w.run(60_000, 1000);
    alert = (await firing)[0];
  });

  after(async () => {
    await w?.close();
    await slack?.close();
  });

  const tsOf = (c: SlackCall): string => String((c.response as { ts?: unknown } | undefined)?.ts ?? '');

  /** Presses a button as `user` in `channel` on the alert; resolves with kubeherald's answer there. */
  async function press(user: string, value: string, channel = CHANNEL): Promise<string> {
    const seen = slack.calls.length;
    const reply = slack.waitForCalls((c) => slack.calls.indexOf(c) >= seen && c.status !== 0 && c.params.channel === channel && (c.method === 'chat.postMessage' || c.method === 'chat.update'));
    await slack.sendBlockAction({ user, channel, action_id: 'kh:silence', value, message_ts: tsOf(alert) });
    return textOf((await reply)[0]);
  }

  /** `@bot <command>` by user; resolves with the reply's text. */
  async function ask(user: string, command: string): Promise<string> {
    const sent = await slack.sendAppMention({ user, channel: CHANNEL, text: `<@U0000BOT> ${command}` });
    const [call] = await slack.waitForCalls((c) => c.method === 'chat.postMessage' && c.params.thread_ts === sent.ts && c.status !== 0);
    return textOf(call);
  }

  const silenceButton = (): Button => {
    const b = buttonsOf(alert).find((x) => x.action_id === 'kh:silence');
    assert.ok(b, `a Silence 1h button among ${buttonsOf(alert).map((x) => x.text.text).join(', ')}`);
    return b;
  };
  const audits = () => w.herald!.store.audit.list({ limit: 1000 });

  it('the crash alert carries Silence 1h, bound to this channel', () => {
    const b = silenceButton();
    assert.equal(b.text.text, 'Silence 1h');
    const [tag, , kind, ns, name, reason] = b.value.split('/');
    // the cluster the alert came from ends it: the silence is that cluster's only
    assert.deepEqual([tag, kind, ns, reason], [channelTag(CHANNEL), 'Pod', 'demo', 'CrashLoopBackOff@sim']);
    assert.match(name!, /^worker-/);
  });

  it('bob, whom RBAC does not let create silences, is refused; the refusal is audited and nothing is silenced', async () => {
    const reply = await press('U0BOB', silenceButton().value);
    assert.match(reply, /may not create silences in namespace demo/);
    assert.equal(w.herald!.store.silences.list({ all: true }).length, 0);
    assert.ok(audits().some((a) => a.platformUserId === 'U0BOB' && a.decision === 'denied' && /^silence /.test(a.command ?? '')), 'audited');
  });

  it('the button pressed in another channel is refused and audited', async () => {
    const reply = await press('U0ALICE', silenceButton().value, OTHER);
    assert.match(reply, /another channel/);
    assert.equal(w.herald!.store.silences.list({ all: true }).length, 0);
    assert.ok(audits().some((a) => a.channel === OTHER && a.outcome === 'invalid' && /kh:silence/.test(a.text)), 'audited');
  });

  it('a button on an alert too old is refused and audited', async () => {
    const [tag, , ...rest] = silenceButton().value.split('/');
    const old = [tag, '1', ...rest].join('/');
    const reply = await press('U0ALICE', old);
    assert.match(reply, /too old/);
    assert.equal(w.herald!.store.silences.list({ all: true }).length, 0);
  });

  it('alice presses it: that pod and reason are silenced for an hour, with who and why; audited', async () => {
    const reply = await press('U0ALICE', silenceButton().value);
    assert.match(reply, /Silenced cluster=sim namespace=demo kind=Pod name=worker-\S+ reason=CrashLoopBackOff until .* \(1h\): s-[0-9a-f]+/);
    const [s] = w.herald!.store.silences.list({ all: true });
    assert.ok(s);
    assert.equal(s.matchers.cluster, 'sim');
    assert.equal(s.source, 'chat');
    assert.match(s.createdBy, /^alice@example\.com \(slack \S+\)$/);
    assert.match(s.comment, /Silence 1h button on CrashLoopBackOff of pod\/worker-/);
    assert.equal(s.endsAt - s.startsAt, 3_600_000);
    assert.ok(audits().some((a) => a.platformUserId === 'U0ALICE' && a.outcome === 'ok' && a.text.includes(s.id)), 'the trail names the silence');
  });

  it('typed: refusals say why (no comment, cluster-wide without the right, too long, --force without the right)', async () => {
    assert.match(await ask('U0ALICE', 'silence --reason BackOff for 2h'), /say why after `--`/);
    assert.match(await ask('U0ALICE', 'silence -A --kind Node for 1h -- drain'), /may not create silences/);
    assert.match(await ask('U0ALICE', 'silence --reason BackOff for 30d -- long one'), /longer than silences.maxDuration[\s\S]*--force/);
    assert.match(await ask('U0ALICE', 'silence --reason BackOff --force for 30d -- long one'), /may not force silences in namespace demo/);
    assert.match(await ask('U0BOB', 'silence list'), /may not list silences in namespace demo/);
    assert.equal(w.herald!.store.silences.list({ all: true }).length, 1, 'nothing more was silenced');
  });

  it('typed: a silence with matchers, listed with who and why, then expired by hand', async () => {
    const made = await ask('U0ALICE', 'silence --kind Pod -l app=web --reason BackOff until 2099-01-01T00:00Z --force -- not allowed');
    assert.match(made, /may not force/);
    const ok = await ask('U0ALICE', 'silence -l app=web --reason BackOff for 2h -- rolling out web');
    const id = /: (s-[0-9a-f]+)/.exec(ok)?.[1];
    assert.ok(id, ok);
    const list = await ask('U0ALICE', 'silence list');
    assert.match(list, new RegExp(`${id}[\\s\\S]*labels.app=web[\\s\\S]*alice@example.com[\\s\\S]*rolling out web`));
    assert.match(await ask('U0BOB', `silence expire ${id}`), /may not delete silences in namespace demo/);
    assert.match(await ask('U0ALICE', `silence expire ${id}`), new RegExp(`Expired ${id}`));
    assert.ok(w.herald!.store.silences.get(id)!.expiredAt !== undefined);
    assert.match(await ask('U0ALICE', `silence expire ${id}`), /No silence .* in force/);
  });
});
