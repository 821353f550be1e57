// `kubeherald doctor` for a Slack sink: auth.test with the bot token (a webhook has no harmless call).

import type { ReachContext, ReachVerdict } from '../descriptor.ts';
import { platformJson } from '../reach.ts';
import type { SlackSinkConfig } from './config.ts';

export async function reachSlack(s: SlackSinkConfig, ctx: ReachContext): Promise<ReachVerdict> {
  if (!s.tokenFrom) return { verdict: 'OK', detail: 'incoming webhook: not checked without --send-test' };
  const token = ctx.credential(s.tokenFrom, 'tokenFrom');
  const res = await platformJson(`${s.apiUrl.replace(/\/?$/, '/')}auth.test`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/x-www-form-urlencoded' } });
  const body = res as { ok?: boolean; error?: string; team?: string; user?: string };
  return body.ok ? { verdict: 'OK', detail: `auth.test: ${body.user ?? 'bot'} in ${body.team ?? 'workspace'}` } : { verdict: 'FAIL', detail: `auth.test: ${body.error ?? 'not ok'} (check tokenFrom)` };
}
