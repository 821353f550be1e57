// Telegram alert buttons for long names, end to end in one kubeherald
// (startHerald, as `run` starts it) on the simulated cluster with the fake
// Bot API: a pod with a 63-character name in a 63-character namespace
// crash-loops; its alert reaches the Telegram sink with every button,
// Silence 1h included, each carrying only a token within 64 bytes of
// callback_data (the action is in the state database). Pressed by alice
// through the chat adapter (grammY long polling the same fake): Logs
// (previous) reads the log as her, Silence 1h silences that pod and reason
// for an hour. A forged token (a modified client) and the button pressed
// after the alert's 24 hours are refused and audited; nothing is silenced
// by them.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { decodeCallbackData } from '../../src/chatops/telegram/render.ts';
import type { AccessLogEntry } from '../../src/sim/apiserver.ts';
import { ALERT_BUTTON_TOKEN_ID, SILENCE_BUTTON_TTL_SECONDS } from '../../src/sinks/alert-actions.ts';
import { FakeTelegram, type SentMessage, type TelegramUser } from '../fakes/telegram.ts';
import { startWorld, type World } from './helpers.ts';

const CHAT = -1001234567890;
const NS = `team-${'a'.repeat(58)}`;
const POD = `payments-api-${'b'.repeat(50)}`;
const alice: TelegramUser = { id: 4242, first_name: 'Alice', username: 'alice' };

describe('Telegram alert buttons for a 63-character namespace and pod name', () => {
  let w: World;
  let telegram: FakeTelegram;
  let alert: SentMessage;
  const requests: AccessLogEntry[] = [];

  before(async () => {
    assert.equal(NS.length, 63);
    assert.equal(POD.length, 63);
    telegram = await FakeTelegram.start({ chats: [{ id: CHAT, type: 'supergroup', title: 'ops' }] });
    w = await startWorld(
      [
        'cluster: {name: sim}',
        'sinks:',
        `  - {name: tg, type: telegram, chatId: ${CHAT}, apiRoot: '${telegram.apiRoot}', tokenFrom: {env: TELEGRAM_TOKEN}, actions: true, delivery: {groupBy: []}}`,
        'routes:',
        '  - {name: crashes, match: {reasons: [CrashLoopBackOff]}, sinks: [tg]}',
        'chatops:',
        '  telegram:',
        '    enabled: true',
        '    tokenFrom: {env: TELEGRAM_TOKEN}',
        `    apiRoot: '${telegram.apiRoot}'`,
        `    chats: [{id: "${CHAT}", namespace: ${NS}}]`,
        '  identities:',
        '    - {platform: telegram, user: "4242", kubernetes: {user: alice@example.com}}',
        'state: {path: $STATE}',
      ].join('\n'),
      // bookmarks each simulated second, not every 20 ms: the test steps a simulated day
      { sim: { onRequest: (e) => void requests.push(e), bookmarkIntervalMs: 1000 } },
    );
    const core = w.kc.makeApiClient(k8s.CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: NS } } });
    await core.createNamespacedPod({
      namespace: NS,
      body: { metadata: { name: POD, annotations: { 'sim.kubeherald.io/behavior': 'crash' } }, spec: { containers: [{ name: 'app', image: 'payments:1' }] } },
    });
    // alice may read pods and their logs, and make silences, in that namespace
    const rbac = w.kc.makeApiClient(k8s.RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({
      namespace: NS,
      body: {
        metadata: { name: 'oncall' },
        rules: [
          { apiGroups: [''], resources: ['pods', 'pods/log', 'events'], verbs: ['get', 'list'] },
          { apiGroups: ['kubeherald.io'], resources: ['silences'], verbs: ['create', 'list', 'delete'] },
        ],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: NS,
      body: { metadata: { name: 'alice-oncall' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'oncall' }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'alice@example.com' }] },
    });
    await w.start({ env: { TELEGRAM_TOKEN: telegram.token } });
    const firing = () => telegram.messages.find((m) => m.chat_id === CHAT && /CrashLoopBackOff/.test(m.plain) && m.reply_to === undefined);
    // step the simulated cluster until the alert is out, not a fixed minute
    for (let i = 0; i < 120 && !firing(); i++) await w.run(1000, 1000);
    alert = firing() ?? assert.fail('no CrashLoopBackOff alert within two simulated minutes');
  });

  after(async () => {
    await w?.close();
    await telegram?.close();
  });

  const buttons = (): { text: string; data: string }[] => (alert.reply_markup?.inline_keyboard.flat() ?? []).map((b) => ({ text: b.text, data: b.callback_data ?? '' }));
  const button = (label: string): string => buttons().find((b) => b.text === label)?.data ?? assert.fail(`no ${label} among ${JSON.stringify(buttons())}`);
  const audits = () => w.herald!.store.audit.list({ limit: 1000 });

  /** Presses the alert's button with `data` as alice; resolves with kubeherald's reply to the alert. */
  async function press(data: string): Promise<SentMessage> {
    const seen = telegram.messages.length;
    await telegram.pushCallbackQuery({ chatId: CHAT, messageId: alert.message_id, data, from: alice });
    return telegram.waitFor(() => telegram.messages.slice(seen).find((m) => m.reply_to === alert.message_id));
  }

  it('the alert carries every button, Silence 1h included, each a token within 64 bytes naming nothing', () => {
    assert.deepEqual(
      buttons().map((b) => b.text),
      ['Logs (previous)', 'Describe', 'Events', 'Silence 1h'],
    );
    for (const b of buttons()) {
      assert.ok(Buffer.byteLength(b.data) <= 64, b.data);
      const d = decodeCallbackData(b.data);
      assert.equal(d?.id, ALERT_BUTTON_TOKEN_ID, b.data);
      assert.ok(!b.data.includes('payments') && !b.data.includes('team-'), b.data);
      const row = w.herald!.store.alertButtons.get(d.value);
      assert.equal(row?.channel, String(CHAT));
    }
  });

  it('a forged token (a modified client) is refused and audited; nothing runs as alice', async () => {
    const forged = `${ALERT_BUTTON_TOKEN_ID.length}:${ALERT_BUTTON_TOKEN_ID}${'A'.repeat(22)}`;
    // the fake lets a client press only what it was shown: show it the forged button
    alert.reply_markup!.inline_keyboard.push([{ text: 'forged', callback_data: forged }]);
    const from = requests.length;
    const reply = await press(forged);
    assert.match(reply.plain, /not one kubeherald made/);
    assert.ok(audits().some((a) => a.platform === 'telegram' && a.outcome === 'invalid' && a.text === `button ${ALERT_BUTTON_TOKEN_ID} ${'A'.repeat(22)}`), 'audited');
    assert.ok(!requests.slice(from).some((r) => r.impersonated?.username === 'alice@example.com'));
    assert.equal(w.herald!.store.silences.list({ all: true }).length, 0);
  });

  it('Logs (previous), pressed by alice, answers with the crashed container’s log, read as her', async () => {
    const reply = await press(button('Logs (previous)'));
    assert.match(reply.plain, new RegExp(`previous log of ${NS}/${POD}`));
    assert.ok(requests.some((r) => r.path.includes(`/pods/${POD}/log`) && r.impersonated?.username === 'alice@example.com'), 'read as alice');
  });

  it('Silence 1h, pressed by alice, silences that pod and reason for an hour, with who and why; audited', async () => {
    const reply = await press(button('Silence 1h'));
    assert.match(reply.plain, new RegExp(`Silenced cluster=sim namespace=${NS} kind=Pod name=${POD} reason=CrashLoopBackOff until .* \\(1h\\): s-[0-9a-f]+`));
    const [s] = w.herald!.store.silences.list({ all: true });
    assert.ok(s);
    assert.equal(s.source, 'chat');
    assert.match(s.createdBy, /^alice@example\.com \(telegram alice\)$/);
    assert.equal(s.endsAt - s.startsAt, 3_600_000);
    assert.ok(audits().some((a) => a.platformUserId === '4242' && a.outcome === 'ok' && a.text.includes(s.id)), 'the trail names the silence');
  });

  it('after the alert’s 24 hours its Silence 1h button is refused and audited; nothing more is silenced', async () => {
    // gone, so a day of the simulator is a quiet one; the button's row stays
    await w.kc.makeApiClient(k8s.CoreV1Api).deleteNamespacedPod({ name: POD, namespace: NS, gracePeriodSeconds: 0 });
    await w.sim.clock.advance(SILENCE_BUTTON_TTL_SECONDS * 1000);
    const reply = await press(button('Silence 1h'));
    assert.match(reply.plain, /too old for its Silence button/);
    assert.ok(audits().some((a) => a.outcome === 'invalid' && /^button kh:b \S+ \(kh:silence /.test(a.text) && /too old/.test(a.error ?? '')), `audited, naming the action behind the token: ${JSON.stringify(audits().filter((a) => a.outcome === 'invalid'))}`);
    assert.equal(w.herald!.store.silences.list({ all: true }).length, 1);
  });
});
