// Each sink follows its own `delivery:` from the config file: reminders off
// for one sink while another gets them, and each sink's own backoff, timed
// on the manual clock with the jitter pinned.

import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { parseConfigText } from '../../src/config/index.ts';
import { resolvePolicies } from '../../src/pipeline/config.ts';
import { SinkError } from '../../src/sinks/types.ts';
import { Harness } from './harness.ts';
import { note, T0 } from './helpers.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const HOUR = 3600_000;

/** The harness with each sink's policy as the config file resolves it. */
function fromConfig(yaml: string, opts: ConstructorParameters<typeof Harness>[0] = {}): Harness {
  const cfg = parseConfigText(yaml, 'k.yaml');
  const policies = resolvePolicies(cfg.delivery, cfg.sinks);
  const names = cfg.sinks.map((s) => s.name);
  return new Harness({ ...opts, sinks: names, policies: Object.fromEntries(names.map((n) => [n, policies.forSink(n)])) });
}

describe('per-sink delivery settings', () => {
  it('a sink with repeatIntervalSeconds: 0 gets no reminders while another sink does', async () => {
    const open = new Set(['pod/a/app/CrashLoopBackOff']);
    h = fromConfig(
      [
        'delivery: { repeatIntervalSeconds: 3600, groupBy: [], floodWindowSeconds: 0 }',
        'sinks:',
        '  - { name: pager, type: console }',
        '  - { name: archive, type: jsonl, delivery: { repeatIntervalSeconds: 0 } }',
      ].join('\n'),
      { openIncidents: () => open, pollIntervalMs: 10 * 60_000 },
    );
    h.enqueue([note({ pod: 'a' })]);
    await h.run(3 * HOUR);
    assert.deepEqual(
      h.sink('pager').calls.map((c) => [c.at - T0, c.notifications[0].fields.reminder ?? '']),
      [
        [0, ''],
        [HOUR, '1'],
        [2 * HOUR, '2'],
        [3 * HOUR, '3'],
      ],
    );
    assert.deepEqual(
      h.sink('archive').calls.map((c) => c.at - T0),
      [0],
    );
    assert.equal(h.store.reminders.list('archive').length, 0, 'nothing remembered for a sink without reminders');
  });

  it('each sink backs off as its own delivery.backoff says, the rest from the global one', async () => {
    h = fromConfig(
      [
        'delivery: { backoff: { baseSeconds: 1, factor: 2, maxSeconds: 300 }, groupBy: [], floodWindowSeconds: 0, repeatIntervalSeconds: 0 }',
        'sinks:',
        '  - { name: fast, type: console }',
        '  - { name: slow, type: jsonl, delivery: { backoff: { baseSeconds: 10, factor: 3 } } }',
        '  - { name: capped, type: jsonl, delivery: { backoff: { maxSeconds: 2 } } }',
      ].join('\n'),
      { random: () => 0.5 },
    );
    for (const s of h.sinks.values()) {
      s.respond = (_n, call) => {
        if (call <= 4) throw new SinkError('HTTP 503', { kind: 'retryable' });
      };
    }
    h.enqueue([note()]);
    await h.run(10 * 60_000);
    const times = (name: string) => h!.sink(name).calls.map((c) => c.at - T0);
    // full jitter pinned at 0.5: half of min(max, base × factor^(n−1)) before attempt n+1
    assert.deepEqual(times('fast'), [0, 500, 1500, 3500, 7500]);
    assert.deepEqual(times('slow'), [0, 5000, 20_000, 65_000, 200_000]);
    assert.deepEqual(times('capped'), [0, 500, 1500, 2500, 3500]);
  });
});
