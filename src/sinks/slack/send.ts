// Sending through Slack's official clients: @slack/web-api with a bot token,
// @slack/webhook with an incoming webhook URL. Both are told never to retry
// or wait on their own: a 429 comes straight back with its Retry-After, and
// the outbox decides when to try again (the SDK's default would hold a send,
// and every send queued behind it, for up to half an hour).

import { AsyncLocalStorage } from 'node:async_hooks';
import { type Logger as SlackLogger, LogLevel, WebClient } from '@slack/web-api';
import { IncomingWebhook, IncomingWebhookHTTPError } from '@slack/webhook';
import { fetch as undiciFetch } from 'undici';
import { type EgressPolicy, EgressError } from '../egress.ts';
import type { Logger } from '../../model/logger.ts';
import type { SlackMessage } from './format.ts';

export interface Posted {
  /** the channel ID (Slack answers with the ID even when the channel was given by name) */
  channel: string;
  ts: string;
}

export interface SlackTransport {
  /** bot: threads and updates possible; webhook: posts only */
  readonly mode: 'bot' | 'webhook';
  /** Posts a message, in a thread when threadTs is given; a webhook answers with no ts. `signal` aborts the request. */
  post(msg: SlackMessage, threadTs?: string, signal?: AbortSignal): Promise<Posted | undefined>;
  update(ref: Posted, msg: SlackMessage, signal?: AbortSignal): Promise<void>;
}

/** The SDK's fetch with the send's signal added beside the SDK's own timeout. */
function fetchWith(signal: AbortSignal | undefined, init: RequestInit | undefined): RequestInit | undefined {
  if (!signal) return init;
  return { ...init, signal: init?.signal ? AbortSignal.any([init.signal, signal]) : signal };
}

/** The SDK's own log lines go to ours at debug level: never to stdout, which belongs to the console and jsonl sinks. */
function sdkLogger(log: Logger | undefined, sink: string): SlackLogger {
  const emit = (level: string) => (...msg: unknown[]) => log?.debug({ sink, sdk: '@slack/web-api', level }, msg.map(String).join(' '));
  return {
    debug: emit('debug'),
    info: emit('info'),
    warn: emit('warn'),
    error: emit('error'),
    setLevel: () => undefined,
    getLevel: () => LogLevel.DEBUG,
    setName: () => undefined,
  };
}

export interface BotTransportOptions {
  token: string;
  apiUrl: string;
  channel: string;
  timeoutMs: number;
  sink: string;
  log?: Logger;
}

export function botTransport(opts: BotTransportOptions): SlackTransport {
  // WebClient takes no per-call signal: the call's signal reaches the SDK's fetch through the async context.
  // With no request queue (the deliverer bounds concurrency) every request starts in its caller's context.
  const callSignal = new AsyncLocalStorage<AbortSignal | undefined>();
  const client = new WebClient(opts.token, {
    slackApiUrl: opts.apiUrl,
    timeout: opts.timeoutMs,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    maxRequestConcurrency: Infinity,
    logger: sdkLogger(opts.log, opts.sink),
    fetch: (url, init) => fetch(url, fetchWith(callSignal.getStore(), init)),
  });
  return {
    mode: 'bot',
    post: (msg, threadTs, signal) => callSignal.run(signal, async () => {
      const res = await client.chat.postMessage({
        channel: opts.channel,
        text: msg.text,
        attachments: msg.attachments,
        // a link in a cluster message should not unfurl a preview of someone's dashboard
        unfurl_links: false,
        unfurl_media: false,
        ...(threadTs ? { thread_ts: threadTs } : {}),
      });
      return { channel: String(res.channel ?? opts.channel), ts: String(res.ts) };
    }),
    update: (ref, msg, signal) => callSignal.run(signal, async () => {
      await client.chat.update({ channel: ref.channel, ts: ref.ts, text: msg.text, attachments: msg.attachments });
    }),
  };
}

/** An IncomingWebhookHTTPError does not carry headers: the transport adds Retry-After here. */
export interface WithRetryAfter {
  retryAfterSeconds?: number;
}

export interface WebhookTransportOptions {
  url: string;
  timeoutMs: number;
  /** a namespaced Sink's egress policy, checked on the URL and at connect time */
  egress?: EgressPolicy;
}

export function webhookTransport(opts: WebhookTransportOptions): SlackTransport {
  return {
    mode: 'webhook',
    async post(msg, _threadTs, signal) {
      let retryAfter: string | null = null;
      // one client per send, so the Retry-After seen belongs to this send's response
      const hook = new IncomingWebhook(opts.url, {
        timeout: opts.timeoutMs,
        retryConfig: { retries: 0 },
        fetch: async (url, sdkInit) => {
          const init = fetchWith(signal, sdkInit);
          const egress = opts.egress;
          if (egress) {
            const refused = egress.checkUrl(String(url));
            if (refused) throw new EgressError(refused);
          }
          const res = egress ? ((await undiciFetch(String(url), { ...(init as object), dispatcher: egress.dispatcher() })) as unknown as Response) : await fetch(url, init);
          retryAfter = res.headers.get('retry-after');
          return res;
        },
      });
      try {
        await hook.send({ text: msg.text, attachments: msg.attachments, unfurl_links: false, unfurl_media: false });
      } catch (err) {
        if (err instanceof IncomingWebhookHTTPError && retryAfter !== null) {
          const seconds = Number.parseInt(retryAfter, 10);
          if (Number.isFinite(seconds) && seconds >= 0) (err as WithRetryAfter).retryAfterSeconds = seconds;
        }
        throw err;
      }
      return undefined;
    },
    async update() {
      throw new Error('an incoming webhook cannot update messages');
    },
  };
}
