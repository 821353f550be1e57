// The durable pipeline inside the running product, on the simulator's clock:
// a webhook receiver down for 30 simulated minutes while incidents fire
// (everything delivered afterwards, in order, backoff as configured, no
// request before a Retry-After expired), and 50 crash-looping pods of one
// deployment with the default settings: 50 records for a record sink, each
// at once, never one standing for the others.

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AttemptRecord } from '../../src/pipeline/deliverer.ts';
import { backoffDelay } from '../../src/pipeline/retry.ts';
import { DEPLOYMENTS } from '../../src/sim/refs.ts';
import { readJsonl, startWorld, type World } from './helpers.ts';

interface Hit {
  at: number;
  id: string;
  status: number;
  retryAfter?: number;
  body: { idempotencyKey?: string; reason?: string; involvedObject?: { name: string }; fields?: Record<string, string>; message?: string };
}

/** A webhook receiver that answers by cluster time (`now`, read per request) and records every request with it. */
async function receiver(now: () => number, answer: (at: number, n: number) => { status: number; retryAfter?: number }): Promise<{ url: string; hits: Hit[]; close(): Promise<void> }> {
  const hits: Hit[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = now();
      const a = answer(at, hits.length);
      hits.push({ at, id: String(req.headers['webhook-id']), status: a.status, ...(a.retryAfter !== undefined ? { retryAfter: a.retryAfter } : {}), body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      res.writeHead(a.status, a.retryAfter !== undefined ? { 'retry-after': String(a.retryAfter) } : {}).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    hits,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const hookConfig = (url: string, delivery: string): string =>
  ['cluster: {name: sim}', 'sinks:', `  - {name: hook, type: webhook, urls: ["${url}"], sign: false}`, `delivery: {${delivery}}`, 'state: {path: $STATE}'].join('\n');

const BACKOFF = { baseMs: 1000, factor: 2, capMs: 60_000 };
const STEP = 1000;
const OUTAGE = 30 * 60_000;
const RETRY_AFTER_S = 90;

describe('a webhook receiver down for 30 simulated minutes while incidents fire', () => {
  let w: World;
  let rx: Awaited<ReturnType<typeof receiver>>;
  let downAt = Infinity;
  let upAt = Infinity;
  const submitted: string[] = [];

  before(async () => {
    rx = await receiver(
      () => w.sim.clock.nowMs(),
      (at, n) => {
        if (at < downAt || at >= upAt) return { status: 200 };
        // a receiver in trouble: mostly 503, every seventh answer a 429 naming when to come back
        return n % 7 === 3 ? { status: 429, retryAfter: RETRY_AFTER_S } : { status: 503 };
      },
    );
    w = await startWorld(hookConfig(rx.url, 'backoff: {baseSeconds: 1, factor: 2, maxSeconds: 60}'));
    await w.start({ onNotification: (n) => submitted.push(n.idempotencyKey) });
    w.sim.scenarios.start('crashloop', { name: 'early' });
    await w.run(60_000);
    downAt = w.sim.clock.nowMs();
    upAt = downAt + OUTAGE;
    // incidents keep coming while the receiver is down
    for (const [i, name] of ['p1', 'p2', 'p3'].entries()) {
      w.sim.scenarios.start('crashloop', { name, recoverAfter: 20 + i * 60 });
      await w.run(OUTAGE / 3, STEP);
    }
    // back up: the backlog drains within the longest wait the policy allows
    await w.run(3 * 60_000, STEP);
  });

  after(async () => {
    await w?.close();
    await rx?.close();
  });

  it('had a real outage: failures for 30 minutes, then successes', () => {
    const during = rx.hits.filter((h) => h.at >= downAt && h.at < upAt);
    assert.ok(during.length > 20, `${during.length} requests during the outage`);
    assert.ok(during.every((h) => h.status !== 200));
    assert.ok(during.some((h) => h.status === 429) && during.some((h) => h.status === 503));
    assert.ok(submitted.length >= 6, `${submitted.length} notifications`);
  });

  it('delivers everything, once, in the order it was produced (one target)', () => {
    const accepted = rx.hits.filter((h) => h.status === 200).map((h) => h.id);
    assert.deepEqual(accepted, submitted);
    assert.ok(accepted.every((id, i) => rx.hits.find((h) => h.id === id)!.body.idempotencyKey === submitted[i]));
  });

  it('never asks again before a Retry-After expired, for that delivery or any other', () => {
    for (const [i, h] of rx.hits.entries()) {
      if (h.status !== 429) continue;
      const next = rx.hits[i + 1];
      assert.ok(next, 'a request after the 429');
      assert.ok(next.at - h.at >= RETRY_AFTER_S * 1000, `request ${i + 1} came ${next.at - h.at} ms after a Retry-After of ${RETRY_AFTER_S} s`);
    }
  });

  it('waits between failed attempts of a delivery as the backoff policy says (full jitter pinned at 0.5)', () => {
    const byId = new Map<string, Hit[]>();
    for (const h of rx.hits) byId.set(h.id, [...(byId.get(h.id) ?? []), h]);
    let checked = 0;
    for (const hits of byId.values()) {
      for (let k = 1; k < hits.length; k++) {
        const prev = hits[k - 1];
        if (prev.status !== 503) continue;
        // attempt k failed: the next waits random × min(cap, base × factor^(k−1)); the clock steps by STEP
        const want = backoffDelay(k, BACKOFF, () => 0.5);
        const gap = hits[k].at - prev.at;
        assert.ok(gap >= want && gap <= want + STEP, `attempt ${k + 1} of ${hits[0].id}: ${gap} ms after a 503, policy ${want} ms`);
        checked++;
      }
    }
    assert.ok(checked > 20, `${checked} backoff intervals checked`);
  });
});

describe('record sinks: 50 crash-looping pods of one deployment', () => {
  let w: World;
  let rx: Awaited<ReturnType<typeof receiver>>;
  const attempts: AttemptRecord[] = [];

  before(async () => {
    rx = await receiver(
      () => w.sim.clock.nowMs(),
      () => ({ status: 200 }),
    );
    w = await startWorld(
      [
        'cluster: {name: sim}',
        'sinks:',
        `  - {name: hook, type: webhook, urls: ["${rx.url}"], sign: false}`,
        '  - {name: file, type: jsonl, path: $DIR/out.jsonl}',
        'state: {path: $STATE}',
      ].join('\n'),
    );
    await w.start({ onAttempt: (a) => attempts.push(a) });
    w.sim.scenarios.start('crashloop-deployment');
    w.sim.ctx.store.mutate(DEPLOYMENTS, 'demo', 'worker', (d) => {
      (d.spec as { replicas: number }).replicas = 50;
    });
    // the default settings: a record sink never groups or folds, whatever the chat sinks do
    await w.run(90_000, STEP);
  });

  after(async () => {
    await w?.close();
    await rx?.close();
  });

  it('gets every crash loop on its own, each pod once, none standing for the others', () => {
    for (const sink of ['config/hook', 'config/file']) {
      const mine = attempts.filter((a) => a.sink === sink && a.outcome === 'delivered');
      assert.ok(mine.length >= 50 && mine.every((a) => a.members === 1), `${sink}: ${JSON.stringify(mine.map((a) => a.members))}`);
    }
    const crash = rx.hits.filter((h) => h.body.reason === 'CrashLoopBackOff');
    assert.equal(crash.length, 50);
    assert.equal(new Set(crash.map((h) => h.body.involvedObject?.name)).size, 50);
    const lines = readJsonl(join(w.dir, 'out.jsonl')).filter((l) => l.reason === 'CrashLoopBackOff');
    assert.equal(lines.length, 50);
    assert.equal(new Set(lines.map((l) => l.involvedObject?.name)).size, 50);
    assert.ok(lines.every((l) => (l as unknown as { fields?: Record<string, string> }).fields?.groupSize === undefined));
  });
});
