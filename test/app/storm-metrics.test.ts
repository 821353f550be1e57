// /metrics during a storm: kubeherald_storm_active{sink,target} is 1 for each
// target in a storm and gone once it ends; what the digests absorbed is
// counted per sink.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMetrics } from '../../src/app/metrics.ts';
import { note, T0, tempStore } from '../pipeline/helpers.ts';

test('storm metrics: the targets in a storm, and the notifications digested', async () => {
  const tmp = tempStore('kubeherald-storm-metrics-');
  const store = tmp.open({ now: () => T0 });
  const metrics = createMetrics({ store, clusters: () => [] });
  try {
    const url = await metrics.listen('127.0.0.1:0');
    store.storms.put({ sink: 'slack', target: 'C0ALERTS', state: '{}', active: true, updatedAt: T0 });
    store.storms.put({ sink: 'slack', target: 'C0QUIET', state: '{}', active: false, updatedAt: T0 });
    for (let i = 0; i < 3; i++) metrics.decided({ sink: 'slack', notification: note({ pod: `p${i}` }), outcome: 'digested', groupKey: 'storm:C0ALERTS' });
    metrics.decided({ sink: 'slack', notification: note({ pod: 'q' }), outcome: 'queued' });
    let text = await (await fetch(url)).text();
    assert.match(text, /^kubeherald_storm_active\{sink="slack",target="C0ALERTS"\} 1$/m);
    assert.doesNotMatch(text, /C0QUIET/, 'a target not in a storm has no series');
    assert.match(text, /^kubeherald_notifications_digested_total\{sink="slack"\} 3$/m);

    store.storms.put({ sink: 'slack', target: 'C0ALERTS', state: '{}', active: false, updatedAt: T0 + 1 });
    text = await (await fetch(url)).text();
    assert.doesNotMatch(text, /^kubeherald_storm_active\{/m, 'the storm ended: its series is gone');
  } finally {
    await metrics.close();
    store.close();
    tmp.cleanup();
  }
});
