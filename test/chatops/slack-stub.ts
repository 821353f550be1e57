// Shared by the Slack adapter tests: a ChatHandler that records what it was
// handed and answers with whatever the test says, and a logger that keeps
// its lines (to check that no token ever reaches them).

import type { ChatHandler, ChatInteraction, ChatMessage, ChatReply } from '../../src/chatops/types.ts';
import type { Logger } from '../../src/model/logger.ts';
import { type LogEntry, recordingLog } from '../helpers/log.ts';

export class StubHandler implements ChatHandler {
  readonly messages: ChatMessage[] = [];
  readonly interactions: ChatInteraction[] = [];
  /** what handle() answers; default: an `ok` reply echoing the text */
  reply: (msg: ChatMessage) => ChatReply | undefined | Promise<ChatReply | undefined> = (msg) => ({ status: 'ok', title: `ran ${msg.text}`, blocks: [{ kind: 'text', text: 'done' }] });
  answer: (ev: ChatInteraction) => ChatReply | undefined | Promise<ChatReply | undefined> = (ev) => ({ status: 'ok', title: `pressed ${ev.actionId}`, blocks: [] });

  async handle(msg: ChatMessage): Promise<ChatReply | undefined> {
    this.messages.push(msg);
    return this.reply(msg);
  }

  async interact(ev: ChatInteraction): Promise<ChatReply | undefined> {
    this.interactions.push(ev);
    return this.answer(ev);
  }
}

export function testLogger(): { log: Logger; entries: LogEntry[]; waitFor: (msg: RegExp) => Promise<LogEntry> } {
  const { log: rec, entries } = recordingLog();
  const waiters: { msg: RegExp; resolve: (e: LogEntry) => void }[] = [];
  const at =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (obj: object, msg: string): void => {
      rec[level](obj, msg);
      const e = entries.at(-1)!;
      for (const w of waiters.splice(0)) (w.msg.test(e.msg) ? w.resolve(e) : waiters.push(w));
    };
  const log: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => log };
  /** the first entry (so far or to come) whose message matches */
  const waitFor = (msg: RegExp): Promise<LogEntry> => {
    const seen = entries.find((e) => msg.test(e.msg));
    return seen ? Promise.resolve(seen) : new Promise((resolve) => waiters.push({ msg, resolve }));
  };
  return { log, entries, waitFor };
}

/** Every string logged, flattened, for "the secret is not in it" checks. */
export function logText(entries: LogEntry[]): string {
  return entries.map((e) => `${e.msg} ${JSON.stringify(e.obj)}`).join('\n');
}

/** A promise and its resolver, for handlers the test holds open. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** All the mrkdwn/plain text in a list of blocks, in order. */
export function blockText(blocks: unknown[] | undefined): string {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o.text === 'string') out.push(o.text);
      for (const [k, x] of Object.entries(o)) if (k !== 'text' || typeof x !== 'string') walk(x);
    }
  };
  walk(blocks);
  return out.join('\n');
}
