// Failed delivery attempts are counted by why they failed, the `reason`
// label of kubeherald_delivery_attempts_total (as Alertmanager's Reason): a
// sink's SinkError says it, the deliverer's own timeout says `timeout`, an
// error no sink classified counts as the retryable kind's `server`.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMetrics } from '../../src/app/metrics.ts';
import { SinkError } from '../../src/contracts/sink.ts';
import { Harness } from '../pipeline/harness.ts';
import { note } from '../pipeline/helpers.ts';

test('each failed attempt is counted with its reason; a delivered one has none', async () => {
  const h = new Harness({ policy: { sendTimeoutMs: 5000 }, random: () => 0 });
  const failures: unknown[] = [
    new SinkError('HTTP 401', { kind: 'retryable', reason: 'auth' }),
    new SinkError('HTTP 429', { kind: 'rate-limited', retryAfterMs: 1000 }),
    new TypeError('a bug in a sink'),
    'hang',
  ];
  h.sink().respond = (_n, call) => {
    const f = failures[call - 1];
    if (f === 'hang') return new Promise<void>(() => undefined);
    if (f !== undefined) throw f;
    return undefined;
  };
  const metrics = createMetrics({ store: h.store, clusters: () => [] });
  try {
    h.enqueue([note()]);
    await h.run(60_000);
    for (const a of h.attempts) metrics.attempted(a);
    assert.deepEqual(
      h.attempts.map((a) => [a.outcome, a.reason]),
      [
        ['retry', 'auth'],
        ['retry', 'rate-limited'],
        ['retry', 'server'],
        ['retry', 'timeout'],
        ['delivered', undefined],
      ],
    );
    const text = await metrics.registry.metrics();
    for (const reason of ['auth', 'rate-limited', 'server', 'timeout']) {
      assert.match(text, new RegExp(`^kubeherald_delivery_attempts_total\\{sink="chat",outcome="retry",reason="${reason}"\\} 1$`, 'm'));
    }
    assert.match(text, /^kubeherald_delivery_attempts_total\{sink="chat",outcome="delivered"\} 1$/m);
  } finally {
    await metrics.close();
    await h.close();
  }
});
