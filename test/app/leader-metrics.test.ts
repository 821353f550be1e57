// kubeherald_leader and kubeherald_leader_transitions_total: what the
// leadership reports through metrics.leader(), as Prometheus reads it.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMetrics } from '../../src/app/metrics.ts';
import type { Store } from '../../src/store/types.ts';

test('metrics.leader: a gauge per lease, and a transition per change of it (not per report)', async () => {
  // nothing here is read at scrape time: registry.metrics() is not /metrics' refresh
  const deps = { store: {} as Store, listener: () => undefined, clusters: () => [] };
  const metrics = createMetrics(deps as unknown as Parameters<typeof createMetrics>[0]);
  const scrape = async (): Promise<string> => metrics.registry.metrics();

  metrics.leader('kubeherald/kubeherald', false);
  let text = await scrape();
  assert.match(text, /^kubeherald_leader\{lease="kubeherald\/kubeherald"\} 0$/m);
  assert.match(text, /^kubeherald_leader_transitions_total\{lease="kubeherald\/kubeherald"\} 0$/m);

  metrics.leader('kubeherald/kubeherald', true);
  metrics.leader('kubeherald/kubeherald', true);
  text = await scrape();
  assert.match(text, /^kubeherald_leader\{lease="kubeherald\/kubeherald"\} 1$/m);
  assert.match(text, /^kubeherald_leader_transitions_total\{lease="kubeherald\/kubeherald"\} 1$/m);

  metrics.leader('kubeherald/kubeherald', false);
  metrics.leader('other/lease', true);
  text = await scrape();
  assert.match(text, /^kubeherald_leader\{lease="kubeherald\/kubeherald"\} 0$/m);
  assert.match(text, /^kubeherald_leader_transitions_total\{lease="kubeherald\/kubeherald"\} 2$/m);
  assert.match(text, /^kubeherald_leader\{lease="other\/lease"\} 1$/m);
  assert.match(text, /^kubeherald_leader_transitions_total\{lease="other\/lease"\} 1$/m, 'a process leading from its first report took the lease once');
  assert.match(text, /^# HELP kubeherald_leader Whether this process leads/m);
});
