// A send the deliverer gives up on is aborted, not left running: at its
// timeout the request's connection closes before the retry's request
// arrives, and a stop whose deadline passes aborts the sends in flight and
// leaves their deliveries pending for the next start. Real HTTP (the webhook
// sink's fetch) against a local server; the deliverer's timers on a manual
// clock, so the timeout fires when the test says.

import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, it } from 'node:test';
import { type AttemptRecord, Deliverer } from '../../src/pipeline/deliverer.ts';
import { Outbox } from '../../src/pipeline/outbox.ts';
import type { Sink } from '../../src/sinks/types.ts';
import { createWebhookSink } from '../../src/sinks/webhook/index.ts';
import { webhookSinkSchema } from '../../src/sinks/webhook/config.ts';
import type { SqliteStore } from '../../src/store/sqlite.ts';
import { uniform } from './harness.ts';
import { ManualClock, note, T0, tempStore, type TempStore } from './helpers.ts';

/** A receiver that says what happened in order: each request's arrival and its connection's close. */
class Receiver {
  readonly events: string[] = [];
  readonly server: Server;
  #waiters: { event: string; resolve: () => void }[] = [];
  #count = 0;

  /** `answer(i)`: whether the i-th request (1-based) gets a 200; the others hang */
  constructor(answer: (i: number) => boolean) {
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const i = ++this.#count;
      this.#emit(`request ${i}`);
      req.socket.once('close', () => this.#emit(`closed ${i}`));
      req.resume();
      if (answer(i)) req.once('end', () => res.writeHead(200).end());
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  seen(event: string): Promise<void> {
    if (this.events.includes(event)) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ event, resolve }));
  }

  #emit(event: string): void {
    this.events.push(event);
    for (const w of this.#waiters.filter((x) => x.event === event)) w.resolve();
    this.#waiters = this.#waiters.filter((x) => x.event !== event);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const TIMEOUT_MS = 5000;

class Rig {
  readonly clock = new ManualClock(T0);
  readonly tmp: TempStore = tempStore('kubeherald-abort-');
  readonly attempts: AttemptRecord[] = [];
  readonly sinks: Map<string, Sink>;
  store!: SqliteStore;
  deliverer!: Deliverer;
  #waiters: { n: number; resolve: () => void }[] = [];

  constructor(url: string) {
    // the sink's own deadline is far off: only the deliverer's abort can end a hung request in time
    const cfg = { ...webhookSinkSchema.parse({ name: 'hook', type: 'webhook' }), urls: [url], sign: false, timeoutSeconds: 120 };
    this.sinks = new Map([['hook', createWebhookSink(cfg)]]);
    this.open();
  }

  open(): void {
    this.store = this.tmp.open({ now: () => this.clock.ms() });
    const policies = uniform({ sendTimeoutMs: TIMEOUT_MS });
    this.deliverer = new Deliverer({
      store: this.store,
      sinks: this.sinks,
      policy: policies,
      clock: this.clock,
      sendTimer: this.clock,
      // a retry is due at once: nothing but the abort keeps it from overlapping the first request
      random: () => 0,
      onAttempt: (a) => {
        this.attempts.push(a);
        for (const w of this.#waiters.filter((x) => this.attempts.length >= x.n)) w.resolve();
        this.#waiters = this.#waiters.filter((x) => this.attempts.length < x.n);
      },
    });
    this.deliverer.start();
  }

  enqueue(): void {
    const outbox = new Outbox({ store: this.store, sinks: this.sinks, policies: uniform({ sendTimeoutMs: TIMEOUT_MS }) });
    this.store.transaction(() => outbox.enqueue([note()], ['hook'], this.clock.ms()));
    this.deliverer.wake();
  }

  attemptsReach(n: number): Promise<void> {
    if (this.attempts.length >= n) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ n, resolve }));
  }

  async close(): Promise<void> {
    await this.deliverer.stop({ signal: AbortSignal.abort() });
    for (const s of this.sinks.values()) await s.close();
    this.store.close();
    this.tmp.cleanup();
  }
}

let receiver: Receiver | undefined;
let rig: Rig | undefined;

afterEach(async () => {
  await rig?.close();
  await receiver?.close();
  rig = receiver = undefined;
});

describe('a send given up on is aborted', { timeout: 60_000 }, () => {
  it('at its timeout: the hung request is closed before the retry arrives, and the retry delivers', async () => {
    receiver = new Receiver((i) => i > 1);
    rig = new Rig(await receiver.listen());
    rig.enqueue();
    await receiver.seen('request 1');
    rig.clock.advance(TIMEOUT_MS);
    await rig.attemptsReach(2);
    assert.deepEqual(
      rig.attempts.map((a) => [a.outcome, a.reason, a.error]),
      [
        ['retry', 'timeout', 'no answer from sink "hook" within 5 s'],
        ['delivered', undefined, undefined],
      ],
    );
    assert.deepEqual(receiver.events.slice(0, 3), ['request 1', 'closed 1', 'request 2']);
  });

  it('by a stop whose deadline passed: the request is closed and the delivery stays pending, sent after the next start', async () => {
    let answering = false;
    receiver = new Receiver(() => answering);
    rig = new Rig(await receiver.listen());
    rig.enqueue();
    await receiver.seen('request 1');
    const deadline = new AbortController();
    const stopped = rig.deliverer.stop({ signal: deadline.signal });
    deadline.abort();
    await stopped;
    await receiver.seen('closed 1');
    assert.deepEqual(
      rig.attempts.map((a) => [a.outcome, a.reason]),
      [['retry', 'canceled']],
    );
    const row = rig.store.outbox.get(rig.attempts[0].id)!;
    assert.equal(row.state, 'pending', 'not lost, not dead');
    assert.equal(row.nextAttemptAt, rig.clock.ms(), 'due at once: stopping is not a failure to back off from');

    // the next start sends it
    answering = true;
    rig.store.close();
    rig.open();
    await rig.attemptsReach(2);
    assert.equal(rig.attempts[1].outcome, 'delivered');
    assert.equal(rig.store.outbox.get(rig.attempts[0].id)!.state, 'delivered');
  });

});
