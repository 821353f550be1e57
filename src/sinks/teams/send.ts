// Posting one message to the Teams workflow URL. The URL carries the flow's
// signature (sig=…), so it appears in nothing this returns or throws.

import type { EgressPolicy } from '../egress.ts';
import { type HttpResult, postJson } from '../http.ts';
import type { TeamsMessage } from './format.ts';

export function postTeams(url: string, message: TeamsMessage, opts: { timeoutMs: number; egress?: EgressPolicy; signal?: AbortSignal }): Promise<HttpResult> {
  return postJson(url, JSON.stringify(message), { timeoutMs: opts.timeoutMs, egress: opts.egress, signal: opts.signal });
}
