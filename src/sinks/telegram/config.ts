// The Telegram sink's config: a bot token read from the environment or a
// file, the chat (and forum topic) to post to, and how messages are marked up.

import { z } from 'zod';
import { count, dnsLabel, list, strict } from '../../config-kit/fields.ts';
import { sinkDeliveryFields } from '../../contracts/delivery.ts';
import { credentialRefSchema } from '../credential.ts';
import { crashReportSchema } from '../crash-report.ts';

const httpUrl = z.string().regex(/^https?:\/\/[^\s/]+\S*$/, { error: 'expected an http(s) URL' });

export const SILENT_CLASSES = ['critical', 'warning', 'info', 'resolved'] as const;

export const telegramSinkSchema = strict({
  name: dnsLabel,
  type: z.literal('telegram'),
  /** where the bot token (123456:ABC…) is: `{ env: TELEGRAM_BOT_TOKEN }` or `{ file: PATH }` */
  tokenFrom: credentialRefSchema,
  /** a chat ID (-1001234567890) or a public channel's @username */
  chatId: z.union([
    z.number().refine((n) => Number.isSafeInteger(n) && n !== 0, { error: 'expected a chat ID (an integer such as -1001234567890)' }),
    z.string().regex(/^(-?[1-9][0-9]*|@[A-Za-z][A-Za-z0-9_]{3,31})$/, { error: 'expected a chat ID (-1001234567890) or a channel @username' }),
  ]),
  /** a forum topic to post in (message_thread_id) */
  messageThreadId: count(1).optional(),
  parseMode: z.enum(['HTML', 'MarkdownV2']).default('HTML'),
  /** deliver these without a sound: severities (critical, warning, info) and resolved */
  silentFor: list(z.enum(SILENT_CLASSES)).default(['info']),
  /** the Bot API server (tests, a local Bot API server) */
  apiRoot: httpUrl.default('https://api.telegram.org'),
  /** a link shown on every message; {cluster} {namespace} {kind} {name} {uid} {reason} {incidentKey} are filled in */
  linkTemplate: z.union([z.literal(''), httpUrl]).default(''),
  /** (default false) buttons on crash-loop, OOM-kill, image-pull and not-ready alerts (Logs, Describe, Events, Restart …); a press runs the command as the person who pressed it, so chatops must answer in this chat with the same bot */
  actions: z.boolean().optional(),
  /** attach the last `lines` log lines of the crashed container to CrashLoopBackOff and OOMKilled alerts, where chatops.crashReports.namespaces allows */
  crashReport: crashReportSchema.optional(),
  /** per request; a timed-out send is retried by the outbox */
  timeoutSeconds: count(1).default(10),
  ...sinkDeliveryFields,
});

export type TelegramSinkConfig = z.output<typeof telegramSinkSchema>;
