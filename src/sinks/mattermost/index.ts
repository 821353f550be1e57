// The Mattermost sink: each notification (or group) as message attachments
// posted to an incoming webhook. Config in config.ts, the post in format.ts,
// the POST in send.ts, what an answer means in classify.ts.

import type { Notification } from '../../model/notification.ts';
import { readCredential } from '../credential.ts';
import { lifecycle } from '../lifecycle.ts';
import type { SendOptions, Sink, SinkDeps } from '../types.ts';
import { networkError } from '../http.ts';
import { checkHttpUrl } from '../secrets.ts';
import { classifyMattermostResponse } from './classify.ts';
import type { MattermostSinkConfig } from './config.ts';
import { formatMattermost, type MattermostFormatOptions } from './format.ts';
import { postMattermost } from './send.ts';

export { classifyMattermostResponse } from './classify.ts';
export { type MattermostSinkConfig, mattermostSinkSchema } from './config.ts';
export { escapeMattermost, formatMattermost, type MattermostMessage } from './format.ts';

export interface MattermostSinkDeps extends SinkDeps {
  /** for Retry-After dates (default Date.now) */
  now?: () => number;
}

export function createMattermostSink(cfg: MattermostSinkConfig, deps: MattermostSinkDeps = {}): Sink {
  const label = `mattermost sink "${cfg.name}"`;
  const url = checkHttpUrl(readCredential(cfg.urlFrom, { owner: label, key: 'urlFrom', env: deps.env ?? process.env }), label, 'urlFrom', cfg.urlFrom);
  const format: MattermostFormatOptions = { channel: cfg.channel, username: cfg.username, iconUrl: cfg.iconUrl };
  const now = deps.now ?? Date.now;
  const timeoutMs = cfg.timeoutSeconds * 1000;
  const life = lifecycle('mattermost', cfg.name);

  const deliver = (input: Notification | readonly Notification[], opts: SendOptions = {}): Promise<void> =>
    life.run(async () => {
      if (Array.isArray(input) && input.length === 0) return;
      const message = formatMattermost(input, format);
      let res;
      try {
        res = await postMattermost(url, message, { timeoutMs, egress: deps.egress, signal: opts.signal });
      } catch (err) {
        throw networkError(label, err, timeoutMs);
      }
      const error = classifyMattermostResponse(label, res, now());
      if (error) throw error;
    });

  return {
    name: cfg.name,
    type: 'mattermost',
    send: (n, opts) => deliver(n, opts),
    sendGroup: (ns, _group, opts) => deliver(ns, opts),
    close: () => life.close(),
  };
}
