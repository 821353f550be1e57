// Slack over Socket Mode: kubeherald opens a WebSocket to Slack (an app-level
// token, no public ingress) and Slack sends envelopes down it: app mentions
// and direct messages (Events API), the slash command, and button presses.
// Each envelope is acknowledged at once (Slack redelivers one not acked within
// 3 s), then the command runs and its reply is posted through the Web API
// with the bot token. Reconnection (Slack recycles connections every few
// hours and says so with a `disconnect` message) is the SDK's.

import { SocketModeClient } from '@slack/socket-mode';
import type { AppsConnectionsOpenResponse } from '@slack/web-api';
import type { Logger } from '../../model/logger.ts';
import type { ChatAdapter, ChatHandler, ChatReply, MessageTarget } from '../types.ts';
import { apiBase, sdkLogger, SlackCore, slackError } from './core.ts';

export interface SlackSocketOptions {
  /** xoxb-…: replies, files, users.info */
  botToken: string;
  /** xapp-… with connections:write: opens the socket */
  appToken: string;
  /** the Web API base URL (https://slack.com/api/; a fake in tests) */
  apiUrl: string;
  /** the app's slash command, e.g. /kube */
  slashCommand: string;
  /** ask users.info for the e-mail Slack verified (identities mapped by e-mail) */
  resolveEmail?: boolean;
  log: Logger;
  /** Socket Mode needs no request authentication (the socket is ours); accepted so both Slack adapters take the same options */
  onRejected?: (reason: string) => void;
  /**
   * How long the SDK waits for a pong, and the step of its reconnect delay
   * (it waits this long times the failures in a row before reconnecting).
   * Default 5 s, the SDK's.
   */
  clientPingTimeoutMs?: number;
}

interface SlackEnvelope {
  ack: (response?: Record<string, unknown>) => Promise<void>;
  envelope_id: string;
  type: string;
  body: unknown;
  retry_num?: number;
}

export class SlackSocketAdapter implements ChatAdapter {
  readonly platform = 'slack' as const;
  #o: SlackSocketOptions;
  #core: SlackCore;
  #client: SocketModeClient | undefined;
  #handler: ChatHandler | undefined;
  #signal: AbortSignal | undefined;
  #stopping = false;
  #stopped: Promise<void> | undefined;

  constructor(o: SlackSocketOptions) {
    if (!o.appToken.startsWith('xapp-')) throw new Error('slack: appToken: expected an app-level token (xapp-…) with connections:write');
    this.#o = o;
    this.#core = new SlackCore(o);
  }

  async start(handler: ChatHandler, signal: AbortSignal): Promise<void> {
    if (this.#client) throw new Error('slack: the socket adapter is already started');
    signal.throwIfAborted();
    this.#handler = handler;
    this.#signal = signal;
    const log = this.#o.log;
    await this.#core.init();
    const client = new SocketModeClient({
      appToken: this.#o.appToken,
      logger: sdkLogger(log),
      clientOptions: { slackApiUrl: apiBase(this.#o.apiUrl) },
      ...(this.#o.clientPingTimeoutMs ? { clientPingTimeout: this.#o.clientPingTimeoutMs } : {}),
    });
    this.#client = client;
    client.on('connected', () => log.info({}, 'slack socket connected'));
    client.on('reconnecting', () => log.info({}, 'slack socket reconnecting'));
    client.on('disconnected', () => log.info({}, 'slack socket disconnected'));
    client.on('slack_event', (e: SlackEnvelope) => this.#onEnvelope(e));
    // The SDK reconnects by calling this.start() from a timer and drops the
    // promise: a reconnect Slack refuses (a revoked app token: invalid_auth)
    // would be an unhandled rejection, which ends the whole process. Wrapping
    // the instance's start keeps that in the log instead.
    const sdkStart = client.start.bind(client);
    client.start = () =>
      sdkStart().catch((err: unknown): AppsConnectionsOpenResponse => {
        if (!this.#stopping) log.error({ err: slackError(err) }, 'slack socket could not reconnect; Slack commands stop until kubeherald restarts');
        return { ok: false, error: slackError(err) };
      });
    signal.addEventListener('abort', () => void this.stop(), { once: true });

    // start() settles when Slack says hello; while the SDK retries apps.connections.open it would wait for ever, so an abort ends the wait
    let onAbort: () => void = () => undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(new Error('slack: stopped before the socket connected'));
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      await Promise.race([sdkStart(), aborted]);
    } catch (err) {
      await this.stop();
      throw err instanceof Error && err.message.startsWith('slack:') ? err : new Error(`slack: could not open the socket: ${err === undefined ? 'disconnected' : slackError(err)}`);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
    log.info({ botUserId: this.#core.botUserId }, 'slack socket mode started');
  }

  /** Closes the socket, then waits for replies in flight. */
  async notify(to: MessageTarget, reply: ChatReply): Promise<void> {
    await this.#core.post({ channel: to.channel, ...(to.thread ? { thread: to.thread } : {}), ...(to.messageRef ? { update: to.messageRef } : {}) }, reply);
  }

  stop(): Promise<void> {
    this.#stopped ??= (async () => {
      this.#stopping = true;
      await this.#client?.disconnect().catch(() => undefined);
      await this.#core.drain();
    })();
    return this.#stopped;
  }

  #onEnvelope(e: SlackEnvelope): void {
    // while stopping, an envelope is left unacknowledged: Slack then delivers it to another connection
    if (this.#stopping || !this.#handler) return;
    const receivedAt = Date.now();
    e.ack().catch((err) => this.#o.log.warn({ envelope: e.envelope_id, err: slackError(err) }, 'slack envelope ack failed'));
    const handler = this.#handler;
    const core = this.#core;
    const body = e.body && typeof e.body === 'object' ? (e.body as Record<string, unknown>) : {};
    switch (e.type) {
      case 'events_api': {
        const id = typeof body.event_id === 'string' ? body.event_id : e.envelope_id;
        if (!core.events.first(id)) {
          this.#o.log.debug({ event: id, retry: e.retry_num }, 'slack event redelivered; already handled');
          return;
        }
        const cmd = core.fromEvent(body.event, receivedAt);
        if (cmd) core.track(core.runCommand(handler, cmd, this.#signal));
        return;
      }
      case 'slash_commands': {
        const cmd = core.fromSlashCommand(body, receivedAt);
        if (cmd) core.track(core.runCommand(handler, cmd, this.#signal));
        else this.#o.log.debug({ command: body.command }, 'slash command ignored (not ours)');
        return;
      }
      case 'interactive':
        for (const act of core.fromBlockActions(body, receivedAt)) core.track(core.runAction(handler, act, this.#signal));
        return;
      default:
        return;
    }
  }
}
