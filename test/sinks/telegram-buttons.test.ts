// Telegram alert buttons beyond 64 bytes of callback_data: a button that
// fits stays inline; one that does not (a 63-character namespace and pod
// name) carries a token, and its action is stored bound to the chat and to
// an expiry (24 h after the alert for Silence 1h, a week for the others).
// The chat side resolves a token only from that chat and before its
// expiry; a forged, unknown or expired token is refused. A token that
// cannot be stored leaves its button out, never the alert.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { alertCommand, alertSilenceCommand, isAlertButtonToken, resolveAlertButton, type StoredAlertButton } from '../../src/chatops/alert-actions.ts';
import { parseCommand } from '../../src/chatops/grammar.ts';
import { decodeCallbackData } from '../../src/chatops/telegram/render.ts';
import { NotificationSchema, Severity, State } from '../../src/model/notification.ts';
import { ALERT_BUTTON_TTL_SECONDS, SILENCE_BUTTON_TTL_SECONDS, TELEGRAM_CALLBACK_DATA_MAX } from '../../src/sinks/alert-actions.ts';
import { telegramButtonData } from '../../src/sinks/telegram/buttons.ts';
import { formatTelegram } from '../../src/sinks/telegram/format.ts';

const AT = new Date('2026-12-07T12:00:00Z');
const CHAT = '-1001234567890';
const NS = `ns-${'a'.repeat(59)}`;
const POD = `pod-${'b'.repeat(59)}`;

const alert = (over: { namespace?: string; name?: string; container?: string } = {}) =>
  create(NotificationSchema, {
    idempotencyKey: 'k',
    incidentKey: 'i',
    eventTime: timestampFromDate(AT),
    severity: Severity.CRITICAL,
    state: State.FIRING,
    reason: 'CrashLoopBackOff',
    title: 't',
    fields: { container: over.container ?? 'app' },
    involvedObject: { apiVersion: 'v1', kind: 'Pod', namespace: over.namespace ?? NS, name: over.name ?? POD, uid: 'u' },
    owner: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: over.namespace ?? NS, name: 'web' },
  });

function tokenStore() {
  const rows = new Map<string, StoredAlertButton & { token: string }>();
  let n = 0;
  return {
    rows,
    tokens: { put: (r: StoredAlertButton & { token: string }) => void rows.set(r.token, r) },
    token: () => `tok${String(n++).padStart(19, '0')}`,
    lookup: (t: string) => rows.get(t),
  };
}

const buttonsOf = (n: ReturnType<typeof alert>, callbackData?: Parameters<typeof formatTelegram>[1]['callbackData']) =>
  formatTelegram(n, { parseMode: 'HTML', actions: true, chatId: CHAT, ...(callbackData ? { callbackData } : {}) }).reply_markup?.inline_keyboard.flat() ?? [];

describe('Telegram alert buttons behind tokens', () => {
  it('without a token store, a 63-character namespace and pod name get no button at all (the limit this fixes)', () => {
    assert.deepEqual(buttonsOf(alert()), []);
  });

  it('with one, every button is there (Silence 1h included), each within 64 bytes, each action stored for this chat', () => {
    const s = tokenStore();
    const row = buttonsOf(alert(), telegramButtonData({ tokens: s.tokens, chatId: CHAT, token: s.token }));
    assert.deepEqual(
      row.map((b) => b.text),
      ['Logs (previous)', 'Describe', 'Events', 'Restart', 'Silence 1h'],
    );
    for (const b of row) {
      assert.ok(Buffer.byteLength(b.callback_data) <= TELEGRAM_CALLBACK_DATA_MAX, b.callback_data);
      const d = decodeCallbackData(b.callback_data);
      assert.ok(d && isAlertButtonToken(d.id), b.callback_data);
      const stored = s.lookup(d.value);
      assert.ok(stored, `stored: ${d.value}`);
      assert.equal(stored.channel, CHAT);
      assert.ok(!b.callback_data.includes(NS.slice(0, 10)), 'no names in callback_data');
    }
    const silence = [...s.rows.values()].find((r) => r.actionId === 'kh:silence')!;
    assert.equal(silence.expiresAt, AT.getTime() + SILENCE_BUTTON_TTL_SECONDS * 1000);
    const logs = [...s.rows.values()].find((r) => r.actionId === 'kh:logs-previous')!;
    assert.equal(logs.expiresAt, AT.getTime() + ALERT_BUTTON_TTL_SECONDS * 1000);
    assert.equal(logs.value, `${NS}/${POD}/app`);
  });

  it('a button that fits stays inline: no row is stored', () => {
    const s = tokenStore();
    const row = buttonsOf(alert({ namespace: 'demo', name: 'api-1' }), telegramButtonData({ tokens: s.tokens, chatId: CHAT, token: s.token }));
    assert.ok(row.length >= 4);
    assert.ok(row.every((b) => !isAlertButtonToken(decodeCallbackData(b.callback_data)!.id)));
    assert.equal(s.rows.size, 0);
  });

  it('a token that cannot be stored leaves its button out and says so; the alert still formats', () => {
    const errors: string[] = [];
    const row = buttonsOf(alert(), telegramButtonData({ tokens: { put: () => { throw new Error('database is locked'); } }, chatId: CHAT, onError: (e) => void errors.push(e.message) }));
    assert.deepEqual(row, []);
    assert.equal(errors.length, 5);
  });

  it('resolved from the same chat before its expiry: the stored action, which decodes to the command it stands for', () => {
    const s = tokenStore();
    const row = buttonsOf(alert(), telegramButtonData({ tokens: s.tokens, chatId: CHAT, token: s.token }));
    const now = AT.getTime() + 60_000;
    const texts = row.map((b) => {
      const r = resolveAlertButton(decodeCallbackData(b.callback_data)!.value, s.lookup, CHAT, now);
      assert.ok(r.ok, JSON.stringify(r));
      const c = r.actionId === 'kh:silence' ? alertSilenceCommand(r.value, CHAT, now) : alertCommand(r.actionId, r.value);
      assert.ok(c?.ok, JSON.stringify(c));
      assert.ok(parseCommand(c.text).ok, c.text);
      return c.text;
    });
    assert.ok(texts.includes(`logs ${POD} -n ${NS} -c app --previous --tail 100`), texts.join('\n'));
    assert.ok(texts.some((t) => t.startsWith(`silence -n ${NS} --kind Pod --name ${POD} --reason CrashLoopBackOff for 1h`)), texts.join('\n'));
  });

  it('refused: forged or unknown token (never looked up when malformed), another chat, past its expiry', () => {
    const s = tokenStore();
    buttonsOf(alert(), telegramButtonData({ tokens: s.tokens, chatId: CHAT, token: s.token }));
    const silence = [...s.rows.values()].find((r) => r.actionId === 'kh:silence')!.token;
    const logs = [...s.rows.values()].find((r) => r.actionId === 'kh:logs-previous')!.token;
    let looked = 0;
    const counting = (t: string) => {
      looked++;
      return s.lookup(t);
    };
    for (const forged of ['', 'x', `${silence}x`, `${silence.slice(0, 21)}!`, '../../etc/passwd']) {
      const r = resolveAlertButton(forged, counting, CHAT, AT.getTime());
      assert.ok(!r.ok && /not one kubeherald made/.test(r.error), forged);
    }
    assert.equal(looked, 0, 'malformed tokens are not looked up');
    const unknown = resolveAlertButton('Z'.repeat(22), counting, CHAT, AT.getTime());
    assert.ok(!unknown.ok && /not one kubeherald made, or it was forgotten/.test(unknown.error));
    const elsewhere = resolveAlertButton(silence, s.lookup, '-100999', AT.getTime());
    assert.ok(!elsewhere.ok && /another channel/.test(elsewhere.error));
    const logsElsewhere = resolveAlertButton(logs, s.lookup, '-100999', AT.getTime());
    assert.ok(!logsElsewhere.ok && /another chat/.test(logsElsewhere.error));
    const old = resolveAlertButton(silence, s.lookup, CHAT, AT.getTime() + SILENCE_BUTTON_TTL_SECONDS * 1000);
    assert.ok(!old.ok && /too old for its Silence button/.test(old.error));
    assert.ok(resolveAlertButton(logs, s.lookup, CHAT, AT.getTime() + SILENCE_BUTTON_TTL_SECONDS * 1000).ok, 'Logs lives a week');
    const oldLogs = resolveAlertButton(logs, s.lookup, CHAT, AT.getTime() + ALERT_BUTTON_TTL_SECONDS * 1000);
    assert.ok(!oldLogs.ok && /too old for its buttons/.test(oldLogs.error));
  });
});
