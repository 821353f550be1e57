// Telegram alert buttons whose action does not fit in 64 bytes of
// callback_data (most pods of a Deployment: namespace, pod name, container
// and, for Silence 1h, a channel tag and expiry too). The way Telegram bots
// do it: the button carries a short random token, and the action behind it
// is kept in the state database, bound to the chat the alert goes to and
// to an expiry; the chat side (src/chatops/alert-actions.ts
// resolveAlertButton) refuses a token it does not know, from another chat,
// or past its time. A button that fits stays inline (no row to keep).

import { randomBytes } from 'node:crypto';
import type { Notification } from '../../model/notification.ts';
import { ALERT_ACTIONS, ALERT_BUTTON_TOKEN_ID, ALERT_BUTTON_TTL_SECONDS, type AlertAction, SILENCE_BUTTON_TTL_SECONDS, telegramCallbackData } from '../alert-actions.ts';

/** Where tokens are kept (the state database's alert_buttons; structurally its AlertButtonRepo). */
export interface AlertButtonTokens {
  put(row: { token: string; actionId: string; value: string; channel: string; expiresAt: number }): void;
}

export interface TelegramButtonDataOptions {
  tokens: AlertButtonTokens;
  /** the chat the alert is posted to, as the chat adapter reports a press's chat */
  chatId: string;
  /** a button's expiry when the alert has no time (default Date.now) */
  now?: () => number;
  /** default 16 random bytes, base64url (22 characters) */
  token?: () => string;
  /** a token that could not be stored: the button is left out, the alert still goes */
  onError?: (err: Error) => void;
}

/** `4:kh:b<token>`: the inline encoding (src/chatops/telegram/render.ts encodeCallbackData) of the token action. */
export function tokenCallbackData(token: string): string {
  return `${ALERT_BUTTON_TOKEN_ID.length}:${ALERT_BUTTON_TOKEN_ID}${token}`;
}

/**
 * The callback_data of each alert button for TelegramFormatOptions.callbackData:
 * inline when it fits, else a stored token; undefined (no button) when the
 * token cannot be stored.
 */
export function telegramButtonData(o: TelegramButtonDataOptions): (a: AlertAction, n: Notification) => string | undefined {
  const token = o.token ?? (() => randomBytes(16).toString('base64url'));
  return (a, n) => {
    const inline = telegramCallbackData(a);
    if (inline !== undefined) return inline;
    const at = n.eventTime ? Number(n.eventTime.seconds) * 1000 : (o.now ?? Date.now)();
    // Silence 1h keeps its own 24 h (its value carries it too); the others are next steps worth a week
    const ttl = a.id === ALERT_ACTIONS.silence ? SILENCE_BUTTON_TTL_SECONDS : ALERT_BUTTON_TTL_SECONDS;
    const t = token();
    try {
      o.tokens.put({ token: t, actionId: a.id, value: a.value, channel: o.chatId, expiresAt: at + ttl * 1000 });
    } catch (err) {
      o.onError?.(err as Error);
      return undefined;
    }
    return tokenCallbackData(t);
  };
}
