// `kubeherald doctor` for a Telegram sink: getMe with the bot token.

import type { ReachContext, ReachVerdict } from '../descriptor.ts';
import { platformJson } from '../reach.ts';
import type { TelegramSinkConfig } from './config.ts';

export async function reachTelegram(s: TelegramSinkConfig, ctx: ReachContext): Promise<ReachVerdict> {
  const token = ctx.credential(s.tokenFrom, 'tokenFrom');
  const res = (await platformJson(`${s.apiRoot.replace(/\/+$/, '')}/bot${token}/getMe`, { method: 'GET' }).catch((err: Error) => ({ ok: false, description: err.message }))) as {
    ok?: boolean;
    description?: string;
    result?: { username?: string };
  };
  return res.ok ? { verdict: 'OK', detail: `getMe: @${res.result?.username ?? 'bot'}` } : { verdict: 'FAIL', detail: `getMe: ${res.description ?? 'not ok'} (check tokenFrom)` };
}
