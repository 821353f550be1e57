// Buttons on alerts, on the sink side: which notifications get which
// buttons, in Slack's Block Kit and Telegram's inline keyboard; every value
// decodes through the chat side's decoder and the grammar; Telegram's
// 64-byte callback_data is never exceeded (long names: fewer buttons).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { alertCommand } from '../../src/chatops/alert-actions.ts';
import { parseCommand } from '../../src/chatops/grammar.ts';
import { decodeCallbackData } from '../../src/chatops/telegram/render.ts';
import { type Notification, NotificationSchema, Severity, State } from '../../src/model/notification.ts';
import { ALERT_ACTION_REASONS, alertActions, TELEGRAM_CALLBACK_DATA_MAX, telegramAlertActions, telegramCallbackData } from '../../src/sinks/alert-actions.ts';
import { formatSlackMessage, formatSlackParent, formatSlackReply } from '../../src/sinks/slack/format.ts';
import { formatTelegram } from '../../src/sinks/telegram/format.ts';

type Init = Omit<MessageInitShape<typeof NotificationSchema>, '$typeName'>;

function podAlert(reason: string, over: Init = {}): Notification {
  return create(NotificationSchema, {
    idempotencyKey: `k-${reason}`,
    incidentKey: `pod/uid-1/app/${reason}`,
    eventTime: timestampFromDate(new Date('2025-03-04T12:01:05Z')),
    severity: Severity.CRITICAL,
    state: State.FIRING,
    reason,
    title: `Pod api-7d9f8b6c5-x2x4z: ${reason}`,
    involvedObject: { apiVersion: 'v1', kind: 'Pod', namespace: 'demo', name: 'api-7d9f8b6c5-x2x4z', uid: 'uid-1' },
    owner: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'demo', name: 'api' },
    fields: { container: 'app', restarts: '4' },
    ...over,
  });
}

function nodeAlert(over: Init = {}): Notification {
  return create(NotificationSchema, {
    idempotencyKey: 'k-node',
    incidentKey: 'node/n1/NotReady',
    severity: Severity.CRITICAL,
    state: State.FIRING,
    reason: 'NodeNotReady',
    title: 'Node sim-node-2 is NotReady',
    involvedObject: { apiVersion: 'v1', kind: 'Node', name: 'sim-node-2', uid: 'n1' },
    ...over,
  });
}

const ids = (n: Notification): string[] => alertActions(n).map((a) => a.id);
/** The command text each button runs, as the chat side decodes it. */
const commands = (n: Notification): string[] =>
  alertActions(n).map((a) => {
    const c = alertCommand(a.id, a.value);
    assert.ok(c?.ok, `${a.id} ${a.value} decodes`);
    return c.text;
  });

describe('alert buttons: which alerts, which buttons', () => {
  it('a crash loop of a Deployment pod: previous logs, describe, events, restart of the Deployment', () => {
    assert.deepEqual(commands(podAlert('CrashLoopBackOff')), [
      'logs api-7d9f8b6c5-x2x4z -n demo -c app --previous --tail 100',
      'describe pod api-7d9f8b6c5-x2x4z -n demo',
      'events -n demo --for pod/api-7d9f8b6c5-x2x4z',
      'restart deployment api -n demo',
    ]);
    assert.deepEqual(commands(podAlert('OOMKilled')), commands(podAlert('CrashLoopBackOff')));
  });

  it('every command a button stands for parses with the normal grammar', () => {
    for (const n of [podAlert('CrashLoopBackOff'), podAlert('PodNotReady', { fields: {} }), podAlert('ErrImagePull'), nodeAlert()]) {
      for (const text of commands(n)) assert.ok(parseCommand(text).ok, text);
    }
  });

  it('no restart for a bare pod or a StatefulSet pod', () => {
    assert.ok(!ids(podAlert('CrashLoopBackOff', { owner: undefined })).includes('kh:restart'));
    assert.ok(!ids(podAlert('CrashLoopBackOff', { owner: { kind: 'StatefulSet', namespace: 'demo', name: 'db' } })).includes('kh:restart'));
    assert.ok(!ids(podAlert('CrashLoopBackOff', { owner: { kind: 'Deployment', namespace: 'other', name: 'api' } })).includes('kh:restart'));
  });

  it('image pull: describe and events, no logs (nothing ran)', () => {
    for (const reason of ['ErrImagePull', 'ImagePullBackOff']) assert.deepEqual(ids(podAlert(reason, { owner: undefined })), ['kh:describe-pod', 'kh:events-pod']);
  });

  it('pod not ready: current logs without a container when none is known', () => {
    assert.equal(commands(podAlert('PodNotReady', { fields: {}, owner: undefined }))[0], 'logs api-7d9f8b6c5-x2x4z -n demo --tail 100');
  });

  it('node not ready: describe and cordon', () => {
    assert.deepEqual(commands(nodeAlert()), ['describe node sim-node-2', 'cordon sim-node-2']);
  });

  it('an alert from a named cluster: every button acts on that cluster, whatever the channel’s default', () => {
    const n = podAlert('CrashLoopBackOff', { cluster: 'prod-eu_1' });
    assert.ok(alertActions(n).every((a) => a.value.endsWith('@prod-eu_1')));
    assert.deepEqual(commands(n), commands(podAlert('CrashLoopBackOff')).map((t) => `${t} --cluster prod-eu_1`));
    for (const text of commands(n)) assert.ok(parseCommand(text).ok, text);
    assert.deepEqual(commands(nodeAlert({ cluster: 'b' })), ['describe node sim-node-2 --cluster b', 'cordon sim-node-2 --cluster b']);
    // a cluster name chat could not take: no buttons rather than buttons acting on another cluster
    assert.deepEqual(alertActions(podAlert('CrashLoopBackOff', { cluster: 'a b' })), []);
    assert.deepEqual(alertActions(nodeAlert({ cluster: 'x/y' })), []);
  });

  it('no buttons for other reasons, resolved alerts, or names no command could take', () => {
    for (const reason of ['RolloutCompleted', 'BackOff', 'Evicted', 'PodFailed', 'Warning', 'ChatCommand']) assert.deepEqual(alertActions(podAlert(reason)), [], reason);
    for (const reason of ALERT_ACTION_REASONS) assert.deepEqual(alertActions(podAlert(reason, { state: State.RESOLVED })), [], `${reason} resolved`);
    assert.deepEqual(alertActions(podAlert('CrashLoopBackOff', { involvedObject: { kind: 'Pod', namespace: 'demo', name: 'Bad Name;rm' } })), []);
    assert.deepEqual(alertActions(podAlert('CrashLoopBackOff', { involvedObject: undefined })), []);
    assert.deepEqual(alertActions(nodeAlert({ involvedObject: { kind: 'Node', name: 'node/../x' } })), []);
    // a container name that is no label: logs without -c rather than a value the decoder refuses
    assert.equal(commands(podAlert('CrashLoopBackOff', { fields: { container: 'a b' } }))[0], 'logs api-7d9f8b6c5-x2x4z -n demo --previous --tail 100');
  });
});

describe('alert buttons on Slack', () => {
  const buttons = (m: ReturnType<typeof formatSlackMessage>) =>
    m.attachments[0].blocks.flatMap((b) => (b.type === 'actions' ? b.elements : []));

  it('only with actions: true, on the incident message while it fires', () => {
    const n = podAlert('CrashLoopBackOff');
    assert.deepEqual(buttons(formatSlackMessage(n)), []);
    const shown = buttons(formatSlackMessage(n, { actions: true }));
    assert.deepEqual(shown.map((b) => [b.action_id, b.text.text, b.value]), [
      ['kh:logs-previous', 'Logs (previous)', 'demo/api-7d9f8b6c5-x2x4z/app'],
      ['kh:describe-pod', 'Describe', 'demo/api-7d9f8b6c5-x2x4z'],
      ['kh:events-pod', 'Events', 'demo/api-7d9f8b6c5-x2x4z'],
      ['kh:restart', 'Restart', 'demo/api'],
    ]);
    assert.equal(shown[3].style, 'danger');
    // the incident message updated to resolved loses them; replies and groups never carry them
    assert.deepEqual(buttons(formatSlackParent(n, podAlert('CrashLoopBackOff', { state: State.RESOLVED }), { actions: true })), []);
    assert.equal(buttons(formatSlackParent(n, n, { actions: true })).length, 4);
    assert.deepEqual(buttons(formatSlackReply(n, { actions: true })), []);
    assert.deepEqual(buttons(formatSlackMessage([n, nodeAlert()], { actions: true })), []);
    assert.deepEqual(buttons(formatSlackMessage(podAlert('RolloutCompleted'), { actions: true })), []);
  });
});

describe('alert buttons on Telegram', () => {
  const keyboard = (n: Notification | Notification[], actions = true) => formatTelegram(n, { parseMode: 'HTML', actions }).reply_markup?.inline_keyboard.flat() ?? [];

  it('one row of buttons whose callback_data the chat adapter decodes', () => {
    const row = keyboard(podAlert('CrashLoopBackOff'));
    assert.deepEqual(row.map((b) => b.text), ['Logs (previous)', 'Describe', 'Events', 'Restart']);
    for (const b of row) {
      const d = decodeCallbackData(b.callback_data);
      assert.ok(d);
      assert.ok(alertCommand(d.id, d.value)?.ok);
      assert.ok(Buffer.byteLength(b.callback_data) <= TELEGRAM_CALLBACK_DATA_MAX);
    }
    assert.deepEqual(keyboard(podAlert('CrashLoopBackOff'), false), []);
    assert.deepEqual(keyboard([podAlert('CrashLoopBackOff'), nodeAlert()]), []);
    assert.deepEqual(keyboard(podAlert('CrashLoopBackOff', { state: State.RESOLVED })), []);
  });

  it('long namespace and pod names: fewer buttons, never more than 64 bytes', () => {
    const ns = 'n'.repeat(30);
    const pod = `${'p'.repeat(20)}-7d9f8b6c5-x2x4z`;
    const n = podAlert('CrashLoopBackOff', { involvedObject: { kind: 'Pod', namespace: ns, name: pod }, owner: { kind: 'Deployment', namespace: ns, name: 'p'.repeat(20) } });
    // all four on Slack, whose values may be 2,000 characters
    assert.equal(alertActions(n).length, 4);
    const row = keyboard(n);
    assert.ok(row.length > 0 && row.length < 4, `${row.length} buttons`);
    assert.deepEqual(row.map((b) => b.text), telegramAlertActions(n).map((a) => a.label));
    for (const b of row) assert.ok(Buffer.byteLength(b.callback_data) <= TELEGRAM_CALLBACK_DATA_MAX, b.callback_data);
    // the longest names Kubernetes allows: no button at all rather than one cut short
    const longest = podAlert('CrashLoopBackOff', { involvedObject: { kind: 'Pod', namespace: 'n'.repeat(63), name: 'p'.repeat(253) } });
    assert.deepEqual(keyboard(longest), []);
    assert.equal(telegramCallbackData({ id: 'kh:cordon', value: 'x'.repeat(100) }), undefined);
  });
});
