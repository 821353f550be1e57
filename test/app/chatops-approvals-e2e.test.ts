// Safe actions from chat end to end, as `kubeherald run` starts ChatOps
// (startChatOps with a config), on the simulated cluster, through the
// official Slack SDK (Socket Mode) against the local fake: previews,
// buttons, confirmation, approvals by a second person under a policy of the
// config file (scaling in namespace payments needs someone of group sre),
// the refusals, expiry on a stepped clock, two approvers at once, a target
// that moved, `kubeherald requests approve` at a terminal, and a restart
// with a request pending. Decisions replace the message the button was on
// (chat.update).

import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { type ChatOps, startChatOps } from '../../src/app/chatops.ts';
import { decide, kubeAuthorizer } from '../../src/chatops/approvals.ts';
import { IdentityMap } from '../../src/chatops/identity.ts';
import type { AuditEntry } from '../../src/model/audit.ts';
import { type Config, parseConfigText } from '../../src/config/index.ts';
import { silentLogger } from '../../src/model/logger.ts';
import { startSim, type Sim } from '../../src/sim/sim.ts';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite.ts';
import { FakeSlack, type SlackCall } from '../fakes/slack.ts';
import { blockText } from '../chatops/slack-stub.ts';

const NS = 'payments';
const CH = 'C0OPS';
const users = [
  { id: 'U0ALICE', name: 'alice' },
  { id: 'U0BOB', name: 'bob' },
  { id: 'U0CAROL', name: 'carol' },
  { id: 'U0DAVE', name: 'dave' },
  { id: 'U0ERIN', name: 'erin' },
];

async function cluster(): Promise<{ sim: Sim; kc: k8s.KubeConfig }> {
  const sim = await startSim({ clockSpeed: 0, nodes: 2 });
  const kc = new k8s.KubeConfig();
  kc.loadFromString(sim.kubeconfig);
  const rbac = kc.makeApiClient(k8s.RbacAuthorizationV1Api);
  await kc.makeApiClient(k8s.CoreV1Api).createNamespace({ body: { metadata: { name: NS, labels: { 'kubeherald.io/production': 'true' } } } });
  const bind = (name: string, role: string, subject: { kind: 'User' | 'Group'; name: string }) =>
    rbac.createNamespacedRoleBinding({ namespace: NS, body: { metadata: { name }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', ...subject }] } });
  await bind('alice-edit', 'edit', { kind: 'User', name: 'alice@corp' });
  await bind('bob-view', 'view', { kind: 'User', name: 'bob@corp' });
  // carol and dave may edit through group sre; erin is in sre but has no rights here
  await bind('sre-edit', 'edit', { kind: 'Group', name: 'sre-payments' });
  await kc.makeApiClient(k8s.AppsV1Api).createNamespacedDeployment({
    namespace: NS,
    body: { metadata: { name: 'api', namespace: NS }, spec: { replicas: 4, selector: { matchLabels: { app: 'api' } }, template: { metadata: { labels: { app: 'api' } }, spec: { containers: [{ name: 'api', image: 'api:1' }] } } } },
  });
  await sim.clock.advance(10_000);
  return { sim, kc };
}

function config(slackApi: string): Config {
  return parseConfigText(
    `cluster:
  name: e2e
chatops:
  slack:
    enabled: true
    mode: socket
    botTokenFrom: { env: SLACK_BOT_TOKEN }
    appTokenFrom: { env: SLACK_APP_TOKEN }
    apiUrl: ${slackApi}
    channels: [{ id: ${CH}, namespace: ${NS} }]
  identities:
    - { platform: slack, user: U0ALICE, kubernetes: { user: alice@corp } }
    - { platform: slack, user: U0BOB, kubernetes: { user: bob@corp, groups: [sre] } }
    - { platform: slack, user: U0CAROL, kubernetes: { user: carol@corp, groups: [sre, sre-payments] } }
    - { platform: slack, user: U0DAVE, kubernetes: { user: dave@corp, groups: [sre, sre-payments] } }
    - { platform: slack, user: U0ERIN, kubernetes: { user: erin@corp, groups: [sre] } }
    - { platform: console, user: carol, kubernetes: { user: carol@corp, groups: [sre, sre-payments] } }
  policies:
    - name: payments-scaling
      commands: [scale]
      namespaces: [payments]
      approvals: 1
      approvers: { groups: [sre] }
      expirySeconds: 300
`,
    'e2e.yaml',
  );
}

const text = (c: { params: Record<string, unknown> }): string => `${String(c.params.text ?? '')}\n${blockText(c.params.blocks as unknown[] | undefined)}`;

describe('ChatOps approvals end to end (Slack Socket Mode, simulated cluster)', () => {
  let sim: Sim;
  let kc: k8s.KubeConfig;
  let slack: FakeSlack;
  let store: SqliteStore;
  let chat: ChatOps;
  let now = Date.parse('2025-03-01T10:00:00Z');
  const dir = mkdtempSync(join(tmpdir(), 'kubeherald-approvals-'));
  const dbPath = join(dir, 'state.db');
  const audited: AuditEntry[] = [];

  const start = async (): Promise<ChatOps> =>
    startChatOps({
      config: config(slack.apiUrl),
      kc,
      store,
      log: silentLogger,
      env: { SLACK_BOT_TOKEN: slack.token, SLACK_APP_TOKEN: slack.appToken },
      onAudit: (e) => audited.push(e),
      now: () => now,
      // the test ticks by hand
      expiryCheckMs: 3_600_000,
    });

  before(async () => {
    ({ sim, kc } = await cluster());
    slack = await FakeSlack.start({ channels: [{ id: CH, name: 'ops' }], users });
    store = openSqliteStore({ path: dbPath });
    chat = await start();
  });

  after(async () => {
    await chat?.stop();
    await slack?.close();
    store?.close();
    await sim?.close();
  });

  const apps = () => kc.makeApiClient(k8s.AppsV1Api);
  const replicas = async (): Promise<number | undefined> => (await apps().readNamespacedDeploymentScale({ name: 'api', namespace: NS })).spec?.replicas;

  /** `@bot <command>` by user; resolves with the reply message (its ts and text). */
  async function ask(user: string, command: string): Promise<{ ts: string; text: string }> {
    const sent = await slack.sendAppMention({ user, channel: CH, text: `<@U0000BOT> ${command}` });
    const before = slack.calls.filter((c) => c.method === 'chat.postMessage' && c.params.thread_ts === sent.ts).length;
    const calls = await slack.waitForCalls((c) => c.method === 'chat.postMessage' && c.params.thread_ts === sent.ts && c.status !== 0, before + 1);
    const call = calls[before];
    return { ts: String((call.response as { ts?: string }).ts), text: text(call) };
  }

  /** Presses a button on a message: resolves with the answer (an edit of that message, or a new post in its thread). */
  async function press(user: string, message: { ts: string }, action: string, value: string): Promise<{ kind: 'update' | 'post'; text: string }> {
    const seen = slack.calls.length;
    const fresh = (c: SlackCall): boolean => c.status !== 0 && ((c.method === 'chat.update' && c.params.ts === message.ts) || (c.method === 'chat.postMessage' && c.params.thread_ts === message.ts));
    const wait = slack.waitForCalls((c) => slack.calls.indexOf(c) >= seen && fresh(c));
    await slack.sendBlockAction({ user, channel: CH, message_ts: message.ts, action_id: action, value });
    const [c] = await wait;
    return { kind: c.method === 'chat.update' ? 'update' : 'post', text: text(c) };
  }

  const idOf = (t: string): string => /Request ([A-Za-z0-9_-]{22}) expires/.exec(t)?.[1] ?? assert.fail(`no request id in ${t}`);

  /** alice asks to scale api to n and confirms with the button: the request waits for approval. */
  async function proposeAndConfirm(n: number): Promise<{ id: string; msg: { ts: string } }> {
    const preview = await ask('U0ALICE', `scale deployment api ${n}`);
    assert.match(preview.text, /Preview \(dry run as alice@corp\): nothing has changed yet/);
    assert.match(preview.text, /one approval from a member of group sre/);
    const id = idOf(preview.text);
    const confirmed = await press('U0ALICE', preview, 'request.confirm', id);
    assert.equal(confirmed.kind, 'update');
    assert.match(confirmed.text, /Approval needed for request/);
    return { id, msg: preview };
  }

  it('confirm: a write with no approval needed runs once alice presses Confirm, as her, and the message is replaced', async () => {
    // restart is not covered by the payments-scaling policy, but payments is labelled production: one approver
    const preview = await ask('U0ALICE', 'restart deployment api');
    assert.match(preview.text, /namespace payments is labelled kubeherald\.io\/production=true/);
    // in a namespace without the label, the requester's confirmation is enough
    await kc.makeApiClient(k8s.CoreV1Api).patchNamespace({ name: NS, body: { metadata: { labels: { 'kubeherald.io/production': 'false' } } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    now += 60_000; // past the label cache
    const again = await ask('U0ALICE', 'restart deployment api');
    assert.doesNotMatch(again.text, /approval/);
    const done = await press('U0ALICE', again, 'request.confirm', idOf(again.text));
    assert.equal(done.kind, 'update');
    assert.match(done.text, /Done: deployment\.apps\/api restarted/);
    assert.match(done.text, /Ran as\*?\s+alice@corp/);
    const first = idOf(preview.text);
    assert.match((await press('U0ALICE', preview, 'request.cancel', first)).text, /cancelled; nothing was changed/);
    await kc.makeApiClient(k8s.CoreV1Api).patchNamespace({ name: NS, body: { metadata: { labels: { 'kubeherald.io/production': 'true' } } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    now += 60_000;
  });

  it('cancel: nothing is written and the buttons go', async () => {
    const preview = await ask('U0ALICE', 'scale deployment api 1');
    const id = idOf(preview.text);
    // only the requester may cancel
    assert.match((await press('U0CAROL', preview, 'request.cancel', id)).text, /Only U0ALICE, who asked, can cancel/);
    const cancelled = await press('U0ALICE', preview, 'request.cancel', id);
    assert.equal(cancelled.kind, 'update');
    assert.match(cancelled.text, /cancelled; nothing was changed/);
    assert.equal(store.requests.get(id)?.state, 'cancelled');
    assert.equal(await replicas(), 4);
    // a replayed click on the gone button is refused
    assert.match((await press('U0ALICE', preview, 'request.confirm', id)).text, /is cancelled; there is nothing to confirm/);
  });

  it('two-person approval: self-approval, a non-member and an approver without RBAC are refused; carol approves and it runs once as alice', async () => {
    const { id, msg } = await proposeAndConfirm(2);
    assert.equal(await replicas(), 4, 'nothing written before the approval');
    assert.match((await press('U0ALICE', msg, 'request.approve', id)).text, /requester cannot approve their own request/);
    // bob is in sre but has only view: RBAC as bob refuses
    assert.match((await press('U0BOB', msg, 'request.approve', id)).text, /bob@corp.*may not patch deployments/);
    const other = await press('U0ERIN', msg, 'request.approve', id);
    assert.match(other.text, /erin@corp.*may not/);
    assert.equal(store.requests.get(id)?.state, 'awaiting-approval');
    assert.equal(await replicas(), 4);
    const done = await press('U0CAROL', msg, 'request.approve', id);
    assert.equal(done.kind, 'update');
    assert.match(done.text, /Done: deployment\.apps\/api scaled/);
    assert.match(done.text, /Approved by\*?\s+u0carol \(carol@corp\)/);
    assert.equal(await replicas(), 2);
    const r = store.requests.get(id)!;
    assert.equal(r.state, 'executed');
    assert.deepEqual(r.decisions.map((d) => [d.by.id, d.identity.user, d.decision, d.via]), [['U0CAROL', 'carol@corp', 'approve', 'chat']]);
    // a second press after the fact changes nothing
    assert.match((await press('U0DAVE', msg, 'request.approve', id)).text, /already decided \(it is executed\)/);
    assert.equal(await replicas(), 2);
  });

  it('concurrent approvals: carol and dave press at once; it runs exactly once', async () => {
    const { id, msg } = await proposeAndConfirm(4);
    // both presses in flight at once; each is answered (one edit of the message, one refusal in its thread)
    const seen = slack.calls.length;
    const answers = slack.waitForCalls((c) => slack.calls.indexOf(c) >= seen && c.status !== 0 && ((c.method === 'chat.update' && c.params.ts === msg.ts) || (c.method === 'chat.postMessage' && c.params.thread_ts === msg.ts)), 2);
    await Promise.all([
      slack.sendBlockAction({ user: 'U0CAROL', channel: CH, message_ts: msg.ts, action_id: 'request.approve', value: id }),
      slack.sendBlockAction({ user: 'U0DAVE', channel: CH, message_ts: msg.ts, action_id: 'request.approve', value: id }),
    ]);
    const texts = (await answers).map(text);
    assert.equal(texts.filter((t) => /Done: deployment\.apps\/api scaled/.test(t)).length, 1, texts.join('\n---\n'));
    assert.equal(await replicas(), 4);
    const executes = audited.filter((e) => e.text.startsWith(`execute ${id}`));
    assert.equal(executes.length, 1);
    assert.equal(store.requests.get(id)?.state, 'executed');
  });

  it('the target changed between preview and approval: nothing is written, a fresh preview is asked for', async () => {
    const { id, msg } = await proposeAndConfirm(1);
    // someone scales it by hand meanwhile
    await apps().patchNamespacedDeploymentScale({ name: 'api', namespace: NS, body: { spec: { replicas: 6 } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    const out = await press('U0CAROL', msg, 'request.approve', id);
    assert.match(out.text, /Nothing was written: deployment payments\/api changed since the preview: .*previewed "deployment payments\/api: replicas 4 → 1", now it would be "deployment payments\/api: replicas 6 → 1"/);
    assert.match(out.text, /again for a fresh preview and approval/);
    assert.equal(await replicas(), 6);
    assert.equal(store.requests.get(id)?.state, 'stale');
  });

  it('expiry: past its time a request is refused and its message says so', async () => {
    const { id, msg } = await proposeAndConfirm(3);
    now += 301_000;
    const updated = slack.waitForCalls((c) => c.method === 'chat.update' && c.params.ts === msg.ts && /expired/.test(text(c)));
    await chat.tick();
    assert.match(text((await updated)[0]), new RegExp(`Request ${id} expired; nothing was done`));
    assert.equal(store.requests.get(id)?.state, 'expired');
    assert.match((await press('U0CAROL', msg, 'request.approve', id)).text, /expired; nothing was done/);
    assert.equal(await replicas(), 6);
    assert.ok(audited.some((e) => e.text === `expire ${id}`));
  });

  it('kubeherald requests approve at a terminal: the running kubeherald runs it at its next tick and updates the message', async () => {
    const { id, msg } = await proposeAndConfirm(3);
    const c = config(slack.apiUrl);
    const cli = openSqliteStore({ path: dbPath, recover: false, mustExist: true });
    try {
      const out = await decide({ store: cli, identities: new IdentityMap(c.chatops.identities), authorize: kubeAuthorizer(kc), now: () => now }, id, { platform: 'console', id: 'carol', name: 'carol' }, 'approve', { via: 'cli' });
      assert.equal(out.outcome, 'approved');
    } finally {
      cli.close();
    }
    assert.equal(await replicas(), 6, 'the CLI only records the decision');
    const updated = slack.waitForCalls((x) => x.method === 'chat.update' && x.params.ts === msg.ts && /Done/.test(text(x)));
    await chat.tick();
    assert.match(text((await updated)[0]), /Done: deployment\.apps\/api scaled/);
    assert.equal(await replicas(), 3);
    await chat.tick();
    assert.equal(audited.filter((e) => e.text.startsWith(`execute ${id}`)).length, 1);
  });

  it('a restart with a request pending: a new startChatOps on the same file approves and runs it', async () => {
    const { id, msg } = await proposeAndConfirm(2);
    await chat.stop();
    store.close();
    store = openSqliteStore({ path: dbPath });
    chat = await start();
    const done = await press('U0CAROL', msg, 'request.approve', id);
    assert.match(done.text, /Done: deployment\.apps\/api scaled/);
    assert.equal(await replicas(), 2);
  });

  it('a forged or foreign click is refused and audited, with no API call', async () => {
    const msg = await ask('U0ALICE', 'scale deployment api 3');
    const res = await press('U0CAROL', msg, 'request.approve', 'AAAAAAAAAAAAAAAAAAAAAA');
    assert.match(res.text, /no such request/);
    assert.ok(audited.some((e) => e.text.startsWith('approve AAAAAAAAAAAAAAAAAAAAAA') && e.outcome === 'denied'));
  });
});
