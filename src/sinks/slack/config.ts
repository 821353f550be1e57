// The Slack sink's config: a bot token (chat.postMessage, threads, updates)
// or an incoming webhook URL (posts only), both read from the environment or
// a file, never written in the config.

import { z } from 'zod';
import { count, dnsLabel, strict } from '../../config-kit/fields.ts';
import { sinkDeliveryFields } from '../../contracts/delivery.ts';
import { credentialRefSchema } from '../credential.ts';
import { crashReportSchema } from '../crash-report.ts';

const httpUrl = z.string().regex(/^https?:\/\/[^\s/]+\S*$/, { error: 'expected an http(s) URL' });

export const slackSinkSchema = strict({
  name: dnsLabel,
  type: z.literal('slack'),
  /** where the bot token (xoxb-…) is: `{ env: SLACK_BOT_TOKEN }` or `{ file: /var/run/secrets/slack/token }` */
  tokenFrom: credentialRefSchema.optional(),
  /** where the incoming webhook URL is, instead of a token: posts only, no threads or updates */
  webhookUrlFrom: credentialRefSchema.optional(),
  /** channel ID (C0123ABCD) or name (#alerts); required with tokenFrom */
  channel: z.string().min(1).optional(),
  /** the Web API base URL (tests and proxies) */
  apiUrl: httpUrl.default('https://slack.com/api/'),
  /** reply to an incident's first message in its thread, and update that message's colour and status */
  threads: z.boolean().default(true),
  /** a link shown on every message; {cluster} {namespace} {kind} {name} {uid} {reason} {incidentKey} are filled in */
  linkTemplate: z.union([z.literal(''), httpUrl]).default(''),
  /** (default false) buttons on crash-loop, OOM-kill, image-pull and not-ready alerts (Logs, Describe, Events, Restart …); a press runs the command as the person who pressed it, so chatops must answer in this channel with the same Slack app */
  actions: z.boolean().optional(),
  /** attach the last `lines` log lines of the crashed container to CrashLoopBackOff and OOMKilled alerts, where chatops.crashReports.namespaces allows */
  crashReport: crashReportSchema.optional(),
  /** per request; a timed-out send is retried by the outbox */
  timeoutSeconds: count(1).default(10),
  ...sinkDeliveryFields,
}).superRefine((c, ctx) => {
  if ((c.tokenFrom === undefined) === (c.webhookUrlFrom === undefined)) {
    ctx.addIssue({ code: 'custom', path: ['tokenFrom'], message: 'expected exactly one of tokenFrom (a bot token) or webhookUrlFrom (an incoming webhook URL)' });
  } else if (c.tokenFrom && !c.channel) {
    ctx.addIssue({ code: 'custom', path: ['channel'], message: 'required with tokenFrom: the channel ID (C0123ABCD) or name (#alerts) to post to' });
  } else if (c.webhookUrlFrom && c.channel) {
    ctx.addIssue({ code: 'custom', path: ['channel'], message: 'not used with webhookUrlFrom: an incoming webhook posts to the channel chosen when it was created' });
  }
});

export type SlackSinkConfig = z.output<typeof slackSinkSchema>;
