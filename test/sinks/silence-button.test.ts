// The "Silence 1h" button: made by the sink for the channel it posts to
// (Slack) or the chat (Telegram, within 64 bytes of callback_data), decoded
// by the chat side into a `silence` command the grammar accepts; refused
// from another channel, after its life, or forged.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { alertSilenceCommand, isSilenceAction } from '../../src/chatops/alert-actions.ts';
import { parseCommand } from '../../src/chatops/grammar.ts';
import { decodeCallbackData } from '../../src/chatops/telegram/render.ts';
import { NotificationSchema, Severity, State } from '../../src/model/notification.ts';
import { ALERT_ACTIONS, alertActionsIn, SILENCE_BUTTON_TTL_SECONDS, telegramAlertActionsIn, telegramCallbackData } from '../../src/sinks/alert-actions.ts';
import { formatSlackMessage } from '../../src/sinks/slack/format.ts';
import { formatTelegram } from '../../src/sinks/telegram/format.ts';

const AT = new Date('2026-12-07T12:00:00Z');
const alert = (over: { kind?: string; namespace?: string; name?: string; reason?: string; state?: State } = {}) =>
  create(NotificationSchema, {
    idempotencyKey: 'k',
    incidentKey: 'i',
    eventTime: timestampFromDate(AT),
    severity: Severity.CRITICAL,
    state: over.state ?? State.FIRING,
    reason: over.reason ?? 'CrashLoopBackOff',
    title: 't',
    involvedObject: { apiVersion: 'v1', kind: over.kind ?? 'Pod', namespace: over.namespace ?? 'demo', name: over.name ?? 'api-7d9f8b6c5-x2x4z', uid: 'u' },
  });
const silenceOf = (n: ReturnType<typeof alert>, channel: string | undefined) => alertActionsIn(n, channel).find((a) => a.id === ALERT_ACTIONS.silence);

describe('the Silence 1h button', () => {
  it('is on firing alerts posted to a known channel, and decodes to a silence of that object and reason for 1h', () => {
    const b = silenceOf(alert(), 'C0ALERTS');
    assert.ok(b);
    assert.equal(b.label, 'Silence 1h');
    assert.ok(isSilenceAction(b.id));
    const cmd = alertSilenceCommand(b.value, 'C0ALERTS', AT.getTime() + 60_000);
    assert.ok(cmd.ok);
    const parsed = parseCommand(cmd.text);
    assert.ok(parsed.ok, cmd.text);
    assert.deepEqual({ ...parsed.command, comment: undefined }, { verb: 'silence', action: 'create', namespace: 'demo', allNamespaces: false, kind: 'Pod', name: 'api-7d9f8b6c5-x2x4z', reason: 'CrashLoopBackOff', durationSeconds: 3600, force: false, comment: undefined });
    // a node is cluster-scoped: -A
    const node = alertSilenceCommand(silenceOf(alert({ kind: 'Node', namespace: '', name: 'sim-node-2', reason: 'NodeNotReady' }), 'C0ALERTS')!.value, 'C0ALERTS', AT.getTime());
    assert.ok(node.ok);
    assert.match(node.text, /^silence -A --kind Node --name sim-node-2 --reason NodeNotReady for 1h -- /);
  });

  it("an alert from a named cluster: the silence is that cluster's only; a forged cluster is refused", () => {
    const n = create(NotificationSchema, { ...alert(), cluster: 'prod-eu_1' });
    const v = silenceOf(n, 'C0ALERTS')!.value;
    assert.match(v, /\/CrashLoopBackOff@prod-eu_1$/);
    const cmd = alertSilenceCommand(v, 'C0ALERTS', AT.getTime());
    assert.ok(cmd.ok);
    assert.match(cmd.text, /^silence -n demo --kind Pod --name api-7d9f8b6c5-x2x4z --reason CrashLoopBackOff --cluster prod-eu_1 for 1h -- /);
    const parsed = parseCommand(cmd.text);
    assert.ok(parsed.ok && parsed.command.verb === 'silence' && parsed.command.action === 'create' && parsed.command.cluster === 'prod-eu_1');
    for (const forged of [`${v}@x`, v.replace('@prod-eu_1', '@'), v.replace('@prod-eu_1', '@a b'), v.replace('@prod-eu_1', '@a/b'), v.replace('@prod-eu_1', '@-x')]) {
      const r = alertSilenceCommand(forged, 'C0ALERTS', AT.getTime());
      assert.ok(!r.ok && /not one kubeherald made/.test(r.error), forged);
    }
    assert.equal(silenceOf(create(NotificationSchema, { ...alert(), cluster: 'a b' }), 'C0ALERTS'), undefined, 'no button for a cluster chat could not name');
  });

  it('is absent when resolved, or with no channel to check a press against (an incoming webhook)', () => {
    assert.equal(silenceOf(alert({ state: State.RESOLVED }), 'C0ALERTS'), undefined);
    assert.equal(silenceOf(alert(), undefined), undefined);
  });

  it('is refused from another channel, after its life, or forged', () => {
    const v = silenceOf(alert(), 'C0ALERTS')!.value;
    const other = alertSilenceCommand(v, 'C0OTHER', AT.getTime());
    assert.ok(!other.ok && /another channel/.test(other.error));
    const old = alertSilenceCommand(v, 'C0ALERTS', AT.getTime() + SILENCE_BUTTON_TTL_SECONDS * 1000);
    assert.ok(!old.ok && /too old/.test(old.error));
    for (const forged of ['', 'x', `${v}/extra`, v.replace('CrashLoopBackOff', 'Crash;rm'), v.replace('/demo/', '/Demo/'), v.replace('/Pod/', '/pod/')]) {
      const r = alertSilenceCommand(forged, 'C0ALERTS', AT.getTime());
      assert.ok(!r.ok && /not one kubeherald made/.test(r.error), forged);
    }
  });

  it('on Slack: in the alert’s actions when the sink knows its channel', () => {
    const msg = JSON.stringify(formatSlackMessage(alert(), { actions: true, channel: 'C0ALERTS' }));
    assert.match(msg, /"action_id":"kh:silence"/);
    assert.doesNotMatch(JSON.stringify(formatSlackMessage(alert(), { actions: true })), /kh:silence/);
  });

  it('on Telegram: within 64 bytes of callback_data (long names: no button), decoded by the adapter', () => {
    const b = telegramAlertActionsIn(alert({ name: 'api-1' }), '-1001234567890').find((a) => a.id === ALERT_ACTIONS.silence);
    assert.ok(b);
    const data = telegramCallbackData(b)!;
    assert.deepEqual(decodeCallbackData(data), { id: 'kh:silence', value: b.value });
    assert.ok(alertSilenceCommand(b.value, '-1001234567890', AT.getTime()).ok);
    assert.equal(telegramAlertActionsIn(alert({ name: 'a-very-long-pod-name-7d9f8b6c5-x2x4z' }), '-1001234567890').find((a) => a.id === ALERT_ACTIONS.silence), undefined);
    const msg = JSON.stringify(formatTelegram(alert({ name: 'api-1' }), { parseMode: 'HTML', actions: true, chatId: '-1001234567890' }));
    assert.match(msg, /kh:silence/);
  });
});
