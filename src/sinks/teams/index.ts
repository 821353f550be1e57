// The Microsoft Teams sink: each notification (or group) as an Adaptive Card
// posted to a Workflows "When a Teams webhook request is received" URL.
// Config in config.ts, the card in format.ts, the POST in send.ts, what an
// answer means in classify.ts.

import type { Notification } from '../../model/notification.ts';
import { readCredential } from '../credential.ts';
import type { SendOptions, SinkDeps } from '../types.ts';
import { networkError } from '../http.ts';
import type { GroupSink } from '../types.ts';
import { lifecycle } from '../lifecycle.ts';
import { checkHttpUrl } from '../secrets.ts';
import { parseTemplate } from '../template.ts';
import { classifyTeamsResponse } from './classify.ts';
import type { TeamsSinkConfig } from './config.ts';
import { formatTeams, type TeamsAction } from './format.ts';
import { postTeams } from './send.ts';

export { classifyTeamsResponse } from './classify.ts';
export { type TeamsSinkConfig, teamsSinkSchema } from './config.ts';
export { escapeMarkdown, formatTeams, MAX_MESSAGE_BYTES, type TeamsMessage } from './format.ts';

export interface TeamsSinkDeps extends SinkDeps {
  /** for Retry-After dates (default Date.now) */
  now?: () => number;
}

export function createTeamsSink(cfg: TeamsSinkConfig, deps: TeamsSinkDeps = {}): GroupSink {
  const label = `teams sink "${cfg.name}"`;
  const url = checkHttpUrl(readCredential(cfg.urlFrom, { owner: label, key: 'urlFrom', env: deps.env ?? process.env }), label, 'urlFrom', cfg.urlFrom);
  const actions: TeamsAction[] = cfg.actions.map((a) => ({ title: a.title, url: parseTemplate(a.url) }));
  const now = deps.now ?? Date.now;
  const timeoutMs = cfg.timeoutSeconds * 1000;
  const life = lifecycle('teams', cfg.name);

  const deliver = (input: Notification | readonly Notification[], opts?: SendOptions): Promise<void> =>
    life.run(async () => {
      if (Array.isArray(input) && input.length === 0) return;
      const message = formatTeams(input, { actions });
      let res;
      try {
        res = await postTeams(url, message, { timeoutMs, egress: deps.egress, signal: opts?.signal });
      } catch (err) {
        throw networkError(label, err, timeoutMs);
      }
      const error = classifyTeamsResponse(label, res, now());
      if (error) throw error;
    });

  return {
    name: cfg.name,
    type: 'teams',
    send: (n, opts) => deliver(n, opts),
    sendGroup: (ns, _group, opts) => deliver(ns, opts),
    close: () => life.close(),
  };
}
