// Buttons on a crash alert and its crash report, end to end in one
// kubeherald (startHerald, as `run` starts it) on the simulated cluster: a
// Deployment's pod crash-loops, the CrashLoopBackOff alert reaches the Slack
// fake through @slack/web-api with Logs (previous), Describe, Events and
// Restart buttons and the crashed container's last log lines (read with
// kubeherald's own identity, in a namespace chatops.crashReports allows).
// Pressing a button (a block_actions envelope over Socket Mode) runs the
// command as the person who pressed it: alice (edit in demo) gets the
// previous log and a restart through the service's normal write path;
// mallory, who is not mapped, gets a refusal and nothing reaches the cluster
// as her; a forged button is refused.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import type { AccessLogEntry } from '../../src/sim/apiserver.ts';
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

describe('buttons on a crash alert, and its crash report', () => {
  let w: World;
  let slack: FakeSlack;
  let alert: SlackCall;
  const requests: AccessLogEntry[] = [];

  before(async () => {
    slack = await FakeSlack.start({
      channels: [
        { id: CHANNEL, name: 'alerts' },
        { id: OTHER, name: 'elsewhere' },
      ],
      users: [
        { id: 'U0ALICE', name: 'alice', email: 'alice@example.com' },
        { id: 'U0MALLORY', name: 'mallory', email: 'mallory@example.com' },
      ],
    });
    w = await startWorld(
      [
        'cluster: {name: sim}',
        'sinks:',
        `  - {name: chat, type: slack, channel: ${CHANNEL}, apiUrl: '${slack.apiUrl}', tokenFrom: {env: SLACK_BOT_TOKEN}, actions: true, crashReport: {lines: 5}, delivery: {groupBy: []}}`,
        'routes:',
        '  - {name: crashes, match: {reasons: [CrashLoopBackOff]}, sinks: [chat]}',
        'chatops:',
        '  crashReports: {namespaces: [demo]}',
        '  slack:',
        '    enabled: true',
        '    botTokenFrom: {env: SLACK_BOT_TOKEN}',
        '    appTokenFrom: {env: SLACK_APP_TOKEN}',
        `    apiUrl: '${slack.apiUrl}'`,
        `    channels: [{id: ${CHANNEL}, namespace: demo}]`,
        '  identities:',
        '    - {platform: slack, user: U0ALICE, kubernetes: {user: alice@example.com}}',
        'state: {path: $STATE}',
      ].join('\n'),
      { sim: { onRequest: (e) => void requests.push(e) } },
    );
    w.sim.scenarios.start('crashloop-deployment');
    w.sim.ctx.store.mutate(DEPLOYMENTS, 'demo', 'worker', (d) => {
      (d.spec as { replicas: number }).replicas = 1;
    });
    const rbac = w.kc.makeApiClient(k8s.RbacAuthorizationV1Api);
    await rbac.createNamespacedRoleBinding({
      namespace: 'demo',
      body: {
        metadata: { name: 'alice-edit' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
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

  /**
   * Presses a button of the alert (or of a reply in its thread) and resolves
   * with kubeherald's answer: a message in the alert's thread, or the reply
   * the button was on, updated in place.
   */
  async function press(user: string, b: Pick<Button, 'action_id' | 'value'>, on: SlackCall = alert): Promise<SlackCall> {
    const ts = tsOf(alert);
    assert.ok(ts, 'the alert was posted with a ts');
    const inThread = (c: SlackCall): boolean =>
      c.params.channel === CHANNEL && ((c.method === 'chat.postMessage' && c.params.thread_ts === ts) || (on !== alert && c.method === 'chat.update' && c.params.ts === tsOf(on)));
    const before = slack.calls.filter((c) => c.status !== 0 && inThread(c)).length;
    const reply = slack.waitForCalls(inThread, before + 1);
    await slack.sendBlockAction({ user, channel: CHANNEL, action_id: b.action_id, value: b.value, message_ts: tsOf(on), ...(on === alert ? {} : { thread_ts: ts }) });
    return (await reply)[before];
  }

  const button = (id: string): Button => {
    const b = buttonsOf(alert).find((x) => x.action_id === id);
    assert.ok(b, `${id} among ${buttonsOf(alert).map((x) => x.action_id).join(', ')}`);
    return b;
  };

  it('the crash alert carries Logs (previous), Describe, Events and Restart of its Deployment, and Silence 1h', () => {
    assert.deepEqual(
      buttonsOf(alert).map((b) => b.text.text),
      ['Logs (previous)', 'Describe', 'Events', 'Restart', 'Silence 1h'],
    );
    // each names the cluster the alert came from: a press acts there, whatever the channel's default
    assert.equal(button('kh:restart').value, 'demo/worker@sim');
    assert.match(button('kh:logs-previous').value, /^demo\/worker-[a-z0-9]+-[a-z0-9]+\/worker@sim$/);
    assert.equal(button('kh:describe-pod').value, button('kh:logs-previous').value.replace(/\/worker@sim$/, '@sim'));
  });

  it('carries a crash report: the last log lines of the crashed container, read as kubeherald', () => {
    const t = textOf(alert);
    assert.match(t, /Last 5 log lines of the previous container worker/);
    assert.match(t, /```[\s\S]+```/);
    const reads = requests.filter((r) => /\/pods\/[^/]+\/log/.test(r.path) && /previous=true/.test(r.requestURI) && !r.impersonated);
    assert.ok(reads.length >= 1, 'the log was read with kubeherald’s own identity');
    assert.ok(!requests.some((r) => /\/secrets/.test(r.path)), 'no Secret was read');
  });

  it('Logs (previous), pressed by alice, answers in the alert’s thread with the crashed container’s log, read as alice', async () => {
    const reply = await press('U0ALICE', button('kh:logs-previous'));
    assert.match(textOf(reply), /previous log of demo\/worker-[\s\S]*exiting with status 1/);
    assert.ok(requests.some((r) => /\/log/.test(r.path) && r.impersonated?.username === 'alice@example.com'), 'read as alice');
  });

  it('Restart, pressed by alice, goes through the service’s normal write path as alice: a preview, then her confirmation restarts', async () => {
    const restartedAt = async (): Promise<string | undefined> =>
      (await w.kc.makeApiClient(k8s.AppsV1Api).readNamespacedDeployment({ name: 'worker', namespace: 'demo' })).spec?.template?.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt'];
    const patchedAsAlice = (from: number): boolean =>
      requests.slice(from).some((r) => r.method === 'PATCH' && /deployments\/worker/.test(r.path) && !/dryRun/.test(r.requestURI) && r.impersonated?.username === 'alice@example.com');
    const from = requests.length;
    const preview = await press('U0ALICE', button('kh:restart'));
    assert.match(textOf(preview), /Preview[\s\S]*deployment demo\/worker: restart/);
    assert.equal(await restartedAt(), undefined, 'nothing written before a confirmation');
    assert.ok(!patchedAsAlice(from));
    const confirm = (preview.params.blocks as { type: string; elements?: Button[] }[] | undefined)?.flatMap((b) => (b.type === 'actions' ? (b.elements ?? []) : [])).find((b) => /confirm/i.test(b.text.text));
    assert.ok(confirm, `a Confirm button: ${textOf(preview)}`);
    const done = await press('U0ALICE', confirm, preview);
    assert.match(textOf(done), /restart/i);
    assert.ok(await restartedAt(), `restarted: ${textOf(done)}`);
    assert.ok(patchedAsAlice(from), 'patched as alice');
  });

  it('mallory, not mapped, is refused; nothing reaches the cluster as her', async () => {
    const reply = await press('U0MALLORY', button('kh:logs-previous'));
    assert.match(textOf(reply), /not mapped/);
    assert.ok(!requests.some((r) => /mallory/.test(r.impersonated?.username ?? '')));
  });

  it('a forged alert button is refused; nothing runs', async () => {
    const count = requests.length;
    const reply = await press('U0ALICE', { action_id: 'kh:logs-previous', value: 'demo/worker --tail 10000 -n kube-system' });
    assert.match(textOf(reply), /not one kubeherald made/);
    const reply2 = await press('U0ALICE', { action_id: 'kh:delete', value: 'demo/worker' });
    assert.match(textOf(reply2), /not one kubeherald made/);
    assert.ok(!requests.slice(count).some((r) => r.impersonated?.username === 'alice@example.com'), 'no request as alice');
  });
});
