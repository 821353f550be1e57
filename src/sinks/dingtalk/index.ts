// The DingTalk sink: each notification (or group) as a markdown or text
// message from a group's custom robot. Config in config.ts, the message in
// format.ts, signing and the POST in send.ts, the robot's errcodes in
// classify.ts, and the client-side 20-a-minute limit in limiter.ts.

import type { Notification } from '../../model/notification.ts';
import { readCredential } from '../credential.ts';
import { type SendOptions, SinkError, type SinkDeps } from '../types.ts';
import { networkError } from '../http.ts';
import type { GroupSink } from '../types.ts';
import { lifecycle } from '../lifecycle.ts';
import { checkHttpUrl } from '../secrets.ts';
import { classifyDingTalkResponse } from './classify.ts';
import type { DingTalkSinkConfig } from './config.ts';
import { type DingTalkFormatOptions, formatDingTalk } from './format.ts';
import { SendLimiter } from './limiter.ts';
import { postDingTalk } from './send.ts';

export { classifyDingTalkResponse } from './classify.ts';
export { type DingTalkSinkConfig, dingtalkSinkSchema } from './config.ts';
export { type DingTalkMessage, escapeDingTalkMarkdown, formatDingTalk } from './format.ts';
export { PENALTY_MS, SendLimiter } from './limiter.ts';
export { dingtalkSign, signedUrl } from './send.ts';

export interface DingTalkSinkDeps extends SinkDeps {
  /** the clock for signatures and the rate limit (default Date.now) */
  now?: () => number;
}

export function createDingTalkSink(cfg: DingTalkSinkConfig, deps: DingTalkSinkDeps = {}): GroupSink {
  const label = `dingtalk sink "${cfg.name}"`;
  const env = deps.env ?? process.env;
  const url = checkHttpUrl(readCredential(cfg.urlFrom, { owner: label, key: 'urlFrom', env }), label, 'urlFrom', cfg.urlFrom);
  const secret = cfg.secretFrom ? readCredential(cfg.secretFrom, { owner: label, key: 'secretFrom', env }) : undefined;
  const format: DingTalkFormatOptions = { msgType: cfg.msgType, keyword: cfg.keyword, atMobiles: cfg.atMobiles, atAll: cfg.atAll };
  const now = deps.now ?? Date.now;
  const timeoutMs = cfg.timeoutSeconds * 1000;
  const limiter = new SendLimiter(cfg.maxPerMinute);
  const life = lifecycle('dingtalk', cfg.name);

  const deliver = (input: Notification | readonly Notification[], opts?: SendOptions): Promise<void> =>
    life.run(async () => {
      if (Array.isArray(input) && input.length === 0) return;
      const message = formatDingTalk(input, format);
      const slot = limiter.tryAcquire(now());
      if (!slot.ok) {
        const why = slot.penalized ? 'DingTalk refuses this robot for 10 minutes after it exceeded 20 messages a minute' : `held back: the robot may send ${cfg.maxPerMinute} messages a minute, and DingTalk refuses every message for 10 minutes after one more`;
        throw new SinkError(`${label}: ${why}; next slot in ${Math.ceil(slot.retryAfterMs / 1000)}s`, { kind: 'rate-limited', retryAfterMs: slot.retryAfterMs });
      }
      let res;
      try {
        res = await postDingTalk(url, message, { timeoutMs, secret, nowMs: now(), egress: deps.egress, signal: opts?.signal });
      } catch (err) {
        throw networkError(label, err, timeoutMs);
      }
      const failed = classifyDingTalkResponse(label, res, now());
      if (!failed) return;
      if (failed.penalized) limiter.penalize(now());
      throw failed.error;
    });

  return {
    name: cfg.name,
    type: 'dingtalk',
    send: (n, opts) => deliver(n, opts),
    sendGroup: (ns, _group, opts) => deliver(ns, opts),
    close: () => life.close(),
  };
}
