// The Slack sink. With a bot token an incident is one conversation: its
// first notification posts a message, later ones (still firing, resolved)
// reply in that message's thread and update its colour and status line.
// With an incoming webhook every notification is its own message.

import { fromJsonString, toJsonString } from '@bufbuild/protobuf';
import { ConfigError } from '../../config-kit/errors.ts';
import { type Notification, NotificationSchema, State } from '../../model/notification.ts';
import { readCredential } from '../credential.ts';
import { lifecycle } from '../lifecycle.ts';
import { type SendOptions, type Sink, type SinkDeps, type SinkError, type SinkGroupInfo } from '../types.ts';
import { classifySlackError } from './classify.ts';
import type { SlackSinkConfig } from './config.ts';
import { formatSlackMessage, formatSlackParent, formatSlackReply, type SlackFormatOptions, type SlackMessage } from './format.ts';
import { botTransport, type Posted, type SlackTransport, webhookTransport } from './send.ts';
import { MemoryThreadStore, type ThreadRef, type ThreadStore } from './threads.ts';

export { slackSinkSchema, type SlackSinkConfig } from './config.ts';
export { formatSlackMessage, formatSlackParent, formatSlackReply, type SlackMessage } from './format.ts';
export { MemoryThreadStore, type ThreadRef, type ThreadStore } from './threads.ts';

export interface SlackSinkDeps extends SinkDeps {
  /** where incident threads are remembered (default: in memory) */
  threads?: ThreadStore;
  /** overrides timeoutSeconds (tests) */
  timeoutMs?: number;
}

export interface SlackSink extends Sink {
  /**
   * One message for several notifications (the pipeline's grouping). With
   * `group`, update 0 posts it and later updates edit it and reply with the
   * newcomers in its thread; without, a group of one incident goes to that
   * incident's thread.
   */
  sendGroup(ns: readonly Notification[], group?: SinkGroupInfo, opts?: SendOptions): Promise<void>;
  targetOf(n: Notification): string;
}

type Signal = AbortSignal | undefined;

// chat.update answers these when the parent cannot change; the reply still carries the news
const CANNOT_UPDATE = new Set(['cant_update_message', 'edit_window_closed', 'message_not_found']);

function slackCode(err: unknown): string | undefined {
  const code = (err as { data?: { error?: unknown } } | undefined)?.data?.error;
  return typeof code === 'string' ? code : undefined;
}

/** Reads the credential now: a missing token or URL stops kubeherald at start, naming the sink and the variable. */
function transportFor(cfg: SlackSinkConfig, deps: SlackSinkDeps): { transport: SlackTransport; secret: string } {
  const env = deps.env ?? process.env;
  const owner = `slack sink "${cfg.name}"`;
  const timeoutMs = deps.timeoutMs ?? cfg.timeoutSeconds * 1000;
  if (cfg.tokenFrom) {
    const token = readCredential(cfg.tokenFrom, { owner, key: 'tokenFrom', env });
    return { transport: botTransport({ token, apiUrl: cfg.apiUrl, channel: cfg.channel ?? '', timeoutMs, sink: cfg.name, log: deps.log }), secret: token };
  }
  const ref = cfg.webhookUrlFrom;
  if (!ref) throw new ConfigError([{ file: 'config', path: '', message: `${owner}: needs tokenFrom or webhookUrlFrom` }]);
  const url = readCredential(ref, { owner, key: 'webhookUrlFrom', env });
  if (!/^https?:\/\/\S+$/.test(url)) {
    throw new ConfigError([{ file: ref.env ?? ref.file ?? 'config', path: '', message: `${owner} (webhookUrlFrom): expected an http(s) URL` }]);
  }
  return { transport: webhookTransport({ url, timeoutMs, egress: deps.egress }), secret: url };
}

export function createSlackSink(cfg: SlackSinkConfig, deps: SlackSinkDeps = {}): SlackSink {
  const { transport, secret } = transportFor(cfg, deps);
  const threads: ThreadStore = deps.threads ?? deps.state ?? new MemoryThreadStore();
  const threaded = transport.mode === 'bot' && cfg.threads;
  const fopts: SlackFormatOptions = { linkTemplate: cfg.linkTemplate, actions: cfg.actions, channel: cfg.channel };
  const life = lifecycle('slack', cfg.name);
  // one incident at a time: a RESOLVED right behind its FIRING must find the FIRING's thread
  const locks = new Map<string, Promise<void>>();

  const classify = (err: unknown, what: string): SinkError => classifySlackError(err, { sink: cfg.name, what, secrets: [secret] });
  const call = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw classify(err, what);
    }
  };
  const what = transport.mode === 'bot' ? 'chat.postMessage' : 'incoming webhook';
  const post = (msg: SlackMessage, threadTs: string | undefined, signal: Signal): Promise<Posted | undefined> => call(what, () => transport.post(msg, threadTs, signal));

  const withLock = (key: string, fn: () => Promise<void>): Promise<void> => {
    const prev = locks.get(key) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => undefined);
    locks.set(key, tail);
    void tail.then(() => {
      if (locks.get(key) === tail) locks.delete(key);
    });
    return run;
  };

  /** Posts a new parent and remembers it for the incident. */
  const open = async (key: string, msg: SlackMessage, ref: Omit<ThreadRef, 'channel' | 'ts'>, signal: Signal): Promise<void> => {
    const posted = await post(msg, undefined, signal);
    if (posted) await threads.set(key, { channel: posted.channel, ts: posted.ts, ...ref });
    deps.log?.debug({ sink: cfg.name, incident: key, ts: posted?.ts }, 'slack: posted incident message');
  };

  /** Updates the parent first (idempotent, so a retry after a failed reply repeats it harmlessly), then replies. */
  const continueThread = async (key: string, ref: ThreadRef, latest: Notification, reply: SlackMessage, signal: Signal): Promise<void> => {
    if (ref.opened) {
      const opened = fromJsonString(NotificationSchema, ref.opened);
      try {
        await transport.update(ref, formatSlackParent(opened, latest, fopts), signal);
      } catch (err) {
        const code = slackCode(err);
        if (!code || !CANNOT_UPDATE.has(code)) throw classify(err, 'chat.update');
        if (code === 'message_not_found') {
          // the parent was deleted: this notification starts the conversation again
          await open(key, formatSlackMessage(latest, fopts), { opened: openedJson(latest), resolved: latest.state === State.RESOLVED }, signal);
          return;
        }
        deps.log?.warn({ sink: cfg.name, incident: key, code }, 'slack: cannot update the incident message; replying only');
      }
    }
    await post(reply, ref.ts, signal);
    if (latest.state === State.RESOLVED && !ref.resolved) await threads.set(key, { ...ref, resolved: true });
  };

  const deliverOne = async (n: Notification, signal: Signal): Promise<void> => {
    const key = n.incidentKey;
    if (!threaded || !key) {
      await post(formatSlackMessage(n, fopts), undefined, signal);
      return;
    }
    await withLock(key, async () => {
      const ref = await threads.get(key);
      // after RESOLVED, the same key firing again is a new occurrence: a new message
      if (!ref || (ref.resolved && n.state !== State.RESOLVED)) {
        await open(key, formatSlackMessage(n, fopts), { opened: openedJson(n), resolved: n.state === State.RESOLVED }, signal);
        return;
      }
      await continueThread(key, ref, n, formatSlackReply(n, fopts), signal);
    });
  };

  /** Each incident in a group message that is not in a thread yet continues in the group's thread. */
  const adopt = async (ns: readonly Notification[], posted: Posted): Promise<void> => {
    for (const key of new Set(ns.map((n) => n.incidentKey))) {
      if (!key) continue;
      const ref = await threads.get(key);
      const members = ns.filter((n) => n.incidentKey === key);
      if (!ref || ref.resolved) await threads.set(key, { channel: posted.channel, ts: posted.ts, resolved: members.every((n) => n.state === State.RESOLVED) });
    }
  };

  /** A group the pipeline keeps updating: its first message is edited to list everyone, and the newcomers are replied in its thread. */
  const deliverKeyedGroup = (ns: readonly Notification[], group: SinkGroupInfo, signal: Signal): Promise<void> =>
    withLock(`group:${group.key}`, async () => {
      const key = `group:${group.key}`;
      const msg = formatSlackMessage(ns, fopts);
      const ref = group.update > 0 ? await threads.get(key) : undefined;
      if (ref) {
        try {
          await transport.update(ref, msg, signal);
          const added = ns.slice(ref.members ?? ns.length);
          if (added.length > 0) await post(formatSlackMessage(added, fopts), ref.ts, signal);
          await threads.set(key, { ...ref, members: ns.length });
          return;
        } catch (err) {
          if (slackCode(err) !== 'message_not_found') throw classify(err, 'chat.update');
          // the group's message was deleted: post it again
        }
      }
      const posted = await post(msg, undefined, signal);
      if (!posted) return;
      await threads.set(key, { channel: posted.channel, ts: posted.ts, members: ns.length });
      await adopt(ns, posted);
    });

  const deliverGroup = async (ns: readonly Notification[], group: SinkGroupInfo | undefined, signal: Signal): Promise<void> => {
    if (threaded && group) return deliverKeyedGroup(ns, group, signal);
    if (ns.length === 1) return deliverOne(ns[0], signal);
    const msg = formatSlackMessage(ns, fopts);
    const keys = [...new Set(ns.map((n) => n.incidentKey))];
    if (!threaded || keys.some((k) => !k)) {
      await post(msg, undefined, signal);
      return;
    }
    if (keys.length === 1) {
      // repeats of one incident: they belong in its thread
      const key = keys[0];
      const latest = ns[ns.length - 1];
      await withLock(key, async () => {
        const ref = await threads.get(key);
        if (ref && !(ref.resolved && latest.state !== State.RESOLVED)) await continueThread(key, ref, latest, msg, signal);
        else await open(key, msg, { resolved: ns.every((n) => n.state === State.RESOLVED) }, signal);
      });
      return;
    }
    const posted = await post(msg, undefined, signal);
    if (posted) await adopt(ns, posted);
  };

  return {
    name: cfg.name,
    type: 'slack',
    send(n, opts) {
      return life.run(() => deliverOne(n, opts?.signal));
    },
    sendGroup(ns, group, opts) {
      return life.run(() => (ns.length === 0 ? Promise.resolve() : deliverGroup(ns, group, opts?.signal)));
    },
    targetOf() {
      // a webhook's URL is its secret: the channel behind it is not ours to name
      return transport.mode === 'bot' ? (cfg.channel ?? '') : 'webhook';
    },
    close() {
      return life.close();
    },
  };
}

/** What the thread store keeps of the opening notification: no raw object, which can be large. */
function openedJson(n: Notification): string {
  return toJsonString(NotificationSchema, n.rawObject ? { ...n, rawObject: undefined } : n);
}
