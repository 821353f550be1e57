// Posting one message to the incoming webhook. The URL's last part is the
// webhook's key, so the URL appears in nothing this returns or throws.

import type { EgressPolicy } from '../egress.ts';
import { type HttpResult, postJson } from '../http.ts';
import type { MattermostMessage } from './format.ts';

export function postMattermost(url: string, message: MattermostMessage, opts: { timeoutMs: number; egress?: EgressPolicy; signal?: AbortSignal }): Promise<HttpResult> {
  return postJson(url, JSON.stringify(message), { timeoutMs: opts.timeoutMs, egress: opts.egress, signal: opts.signal });
}
