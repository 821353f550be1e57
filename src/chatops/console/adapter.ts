// The terminal as a chat platform: `kubeherald chat --as alice` and
// `kubeherald demo --chat`. Interactively a prompt with history; with input
// that is not a terminal (a pipe, a test), every line runs in order once the
// cluster is ready, each reply is printed, and `done` resolves at the end of
// the input, so a script can drive it.
//
// `as <name>` switches who is typing, but only where the caller lists the
// names (the demo, whose users are its own): a terminal that could become
// anyone would make the identity mapping mean nothing.

import { createInterface, type Interface } from 'node:readline';
import type { ChatAdapter, ChatHandler, ChatReply, ChatUser, MessageTarget } from '../types.ts';
import { renderConsoleReply } from './render.ts';

export interface ConsoleAdapterOptions {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  /** the chat user typing: the identity mapping's `platform: console` entries match this name */
  as: string;
  /** a prompt with history (default: whether input is a TTY) */
  interactive?: boolean;
  /** commands wait for this (the demo's cluster reaching its first incidents) */
  ready?: Promise<void>;
  /** the chat users `as <name>` may switch to (the demo's); absent: `as` is not a command here */
  users?: readonly string[];
}

export class ConsoleAdapter implements ChatAdapter {
  readonly platform = 'console' as const;
  readonly #opts: ConsoleAdapterOptions;
  #user: ChatUser;
  #rl: Interface | undefined;
  #resolveDone!: () => void;
  /** resolves when the input ended or the user typed `exit` */
  readonly done: Promise<void>;

  constructor(opts: ConsoleAdapterOptions) {
    this.#opts = opts;
    this.#user = { platform: 'console', id: opts.as, name: opts.as };
    this.done = new Promise((resolve) => (this.#resolveDone = resolve));
  }

  async start(handler: ChatHandler, signal: AbortSignal): Promise<void> {
    const interactive = this.#opts.interactive ?? Boolean((this.#opts.input as { isTTY?: boolean }).isTTY);
    const rl = createInterface({ input: this.#opts.input, output: interactive ? this.#opts.output : undefined, terminal: interactive, historySize: 500, prompt: `kubeherald (${this.#opts.as})> ` });
    this.#rl = rl;
    const out = this.#opts.output;
    const run = async (line: string): Promise<void> => {
      const text = line.trim();
      if (!text || text.startsWith('#')) return;
      const as = this.#opts.users ? /^as(?:\s+(\S*))?\s*$/.exec(text) : null;
      if (as) {
        const name = as[1] ?? '';
        if (!this.#opts.users!.includes(name)) {
          out.write(`as: expected one of ${this.#opts.users!.join(', ')}${name ? `, not ${JSON.stringify(name)}` : ''}; you are still ${this.#user.id}.\n`);
          return;
        }
        this.#user = { platform: 'console', id: name, name };
        rl.setPrompt(`kubeherald (${name})> `);
        out.write(`You are ${name} now.\n`);
        return;
      }
      const reply = await handler.handle({ platform: 'console', user: this.#user, channel: 'console', text, receivedAt: Date.now() }, signal);
      if (reply) out.write(renderConsoleReply(reply));
    };
    // lines are handled one at a time, in order, each after the previous reply
    let chain = this.#opts.ready ?? Promise.resolve();
    const stopped = new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    rl.on('line', (line) => {
      if (interactive && /^(exit|quit)$/.test(line.trim())) {
        rl.close();
        return;
      }
      chain = chain
        .then(() => (signal.aborted ? undefined : Promise.race([run(line), stopped])))
        .catch((err: unknown) => void out.write(`error: ${(err as Error).message}\n`))
        .then(() => {
          if (interactive && !signal.aborted) rl.prompt();
        });
    });
    rl.once('close', () => void chain.then(() => this.#resolveDone()));
    signal.addEventListener('abort', () => rl.close(), { once: true });
    if (interactive) {
      out.write(`Type a command (\`help\` lists them, \`exit\` leaves). You are ${this.#opts.as}.\n`);
      void chain.then(() => rl.prompt());
    }
  }

  /** An update nobody typed for (a request expired, or ran after an approval at a terminal): printed like a reply. */
  async notify(_to: MessageTarget, reply: ChatReply): Promise<void> {
    this.#opts.output.write(renderConsoleReply(reply));
  }

  async stop(): Promise<void> {
    this.#rl?.close();
    await this.done;
  }
}
