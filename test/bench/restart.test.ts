// The restart bench's and the latency split's pure parts: markers in a post,
// re-sends and order from the receipts, the listener/deliverer split, and
// when the compiled build is stale.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildIsStale, shebangFlags } from '../../bench/build.ts';
import { markerMessage, markerStamps } from '../../bench/marker.ts';
import { pathLatency } from '../../bench/path-latency.ts';
import type { Receipt } from '../../bench/receiver.ts';
import { restartDeliveries } from '../../bench/restart-figures.ts';
import { parsePods, percentile, positionals } from '../../bench/summary.ts';

const receipt = (path: string, id: string | undefined, seq: number, at = 0, stamp = 1_700_000_000_000): Receipt => ({ path, id, stamps: [stamp], seqs: [seq], receivedAt: at });

test('markerStamps: each marker once per post (Slack repeats its text in blocks), with its sequence number when it has one', () => {
  const m = markerMessage(7, 1_700_000_000_123);
  assert.equal(m, 'sent 1700000000123 seq 7');
  assert.deepEqual(markerStamps(`{"text":"${m}","blocks":[{"text":"${m}"}]}`), { stamps: [1_700_000_000_123], seqs: [7] });
  assert.deepEqual(markerStamps('sent 1700000000001 and sent 1700000000002 seq 3'), { stamps: [1_700_000_000_001, 1_700_000_000_002], seqs: [-1, 3] });
  assert.deepEqual(markerStamps('nothing here, sent 12 seq 1'), { stamps: [], seqs: [] });
});

test('restartDeliveries: a webhook-id accepted twice is a re-send; a lower sequence after a higher one on the same target is out of order', () => {
  const clean = [receipt('/hook/0', 'a', 1), receipt('/hook/1', 'b', 1), receipt('/hook/0', 'c', 2), receipt('/hook/1', 'd', 5)];
  assert.deepEqual(restartDeliveries(clean), { delivered: 4, resends: 0, outOfOrder: 0, targets: 2 });
  const bad = [...clean, receipt('/hook/0', 'a', 1), receipt('/hook/1', 'e', 4)];
  // the re-sent 'a' (seq 1 after 2) is out of order too; e (4 after 5) on its target
  assert.deepEqual(restartDeliveries(bad), { delivered: 5, resends: 1, outOfOrder: 2, targets: 2 });
  assert.deepEqual(restartDeliveries([]), { delivered: 0, resends: 0, outOfOrder: 0, targets: 0 });
  // every sink gets a notification under the same id: once per target is no re-send
  assert.deepEqual(restartDeliveries([receipt('/hook/0', 'a', 1), receipt('/hook/1', 'a', 1)]), { delivered: 2, resends: 0, outOfOrder: 0, targets: 2 });
});

test('pathLatency: stamp → outbox commit is the listener, commit → receipt the deliverer; receipts without a row are left out', () => {
  const t = 1_700_000_000_000;
  const rs = [receipt('/h', 'a', 1, t + 100, t), receipt('/h', 'b', 2, t + 300, t), receipt('/h', 'x', 3, t + 999, t), receipt('/h', undefined, 4, t + 5, t)];
  const created = new Map([
    ['a', t + 40],
    ['b', t + 100],
  ]);
  assert.deepEqual(pathLatency(rs, created), { enqueueP50Ms: 100, enqueueP99Ms: 100, deliveryP50Ms: 200, deliveryP99Ms: 200, matched: 2 });
  assert.equal(pathLatency(rs, new Map()), undefined);
  // markers of an earlier phase (numbered below this one's first) are left out
  assert.deepEqual(pathLatency(rs, created, 2), { enqueueP50Ms: 100, enqueueP99Ms: 100, deliveryP50Ms: 200, deliveryP99Ms: 200, matched: 1 });
});

test('percentile: nearest rank; undefined for no samples', () => {
  assert.equal(percentile([5, 1, 3, 2, 4], 50), 3);
  assert.equal(percentile(Array.from({ length: 100 }, (_, i) => i + 1), 99), 100);
  assert.equal(percentile([], 50), undefined);
});

test('buildIsStale: a missing build, or one older than the newest source, is rebuilt', () => {
  assert.equal(buildIsStale(undefined, 1), true);
  assert.equal(buildIsStale(100, 200), true);
  assert.equal(buildIsStale(200, 200), false);
  assert.equal(buildIsStale(300, 200), false);
});

test('--pods: a whole number ≥ 1 sizes the cluster; absent leaves each bench its own; its value is not a bench name', () => {
  assert.equal(parsePods(['listen']), undefined);
  assert.equal(parsePods(['listen', '--pods', '50000']), 50_000);
  assert.equal(parsePods(['--pods=1000', 'listen']), 1000);
  assert.throws(() => parsePods(['--pods', 'lots']), /--pods: expected a whole number of pods ≥ 1, got "lots"/);
  assert.deepEqual(positionals(['listen', '--pods', '1000', '--runs', '3', 'restart']), ['listen', 'restart']);
});

test("shebangFlags: the Node flags bin/kubeherald.js runs with, so the bench's process is the one users run", () => {
  assert.deepEqual(shebangFlags('#!/usr/bin/env -S node --max-semi-space-size=16'), ['--max-semi-space-size=16']);
  assert.deepEqual(shebangFlags('#!/usr/bin/env -S node --a=1  --b'), ['--a=1', '--b']);
  assert.deepEqual(shebangFlags('#!/usr/bin/env node'), []);
  assert.throws(() => shebangFlags('#!/bin/sh'), /not a node shebang/);
});
