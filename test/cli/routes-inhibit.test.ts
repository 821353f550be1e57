// `routes test` with causal inhibition: a pod NotReady on a node given as
// NotReady before it is held back from chat sinks with the cause named, and
// reaches record sinks marked inhibitedBy; with inhibit.enabled false it goes
// out as usual.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { formatDelivery, previewDelivery } from '../../src/cli/routes-delivery.ts';
import { parseConfigText } from '../../src/config/index.ts';
import { NotificationSchema, ObjectRefSchema, State } from '../../src/model/notification.ts';
import { tableFromConfig } from '../../src/rules/index.ts';

const T0 = Date.UTC(2026, 0, 5, 10, 0, 0);
const sinks = ['sinks:', '  - {name: chat, type: slack, tokenFrom: {env: T}, channel: C1}', '  - {name: file, type: jsonl, path: out.jsonl}'];

const node = create(NotificationSchema, {
  idempotencyKey: 'n1',
  incidentKey: 'node/u1/NotReady',
  eventTime: timestampFromMs(T0),
  state: State.FIRING,
  reason: 'NodeNotReady',
  message: 'Node sim-node-2 is NotReady',
  cluster: 'c',
  involvedObject: create(ObjectRefSchema, { kind: 'Node', name: 'sim-node-2' }),
  fields: { node: 'sim-node-2' },
});
const pod = create(NotificationSchema, {
  idempotencyKey: 'p1',
  incidentKey: 'pod/u2/NotReady',
  eventTime: timestampFromMs(T0 + 60_000),
  state: State.FIRING,
  reason: 'PodNotReady',
  message: 'Pod default/fleet-1 has not been ready',
  cluster: 'c',
  involvedObject: create(ObjectRefSchema, { kind: 'Pod', name: 'fleet-1', namespace: 'default' }),
  owner: create(ObjectRefSchema, { kind: 'Deployment', name: 'fleet', namespace: 'default' }),
  fields: { node: 'sim-node-2' },
});

test('routes test: an effect of a NotReady node given before it is held back from chat, the cause named; a record sink gets it marked', () => {
  const config = parseConfigText(sinks.join('\n'), 'k.yaml');
  const table = tableFromConfig(config);
  const steps = previewDelivery(config, [node, pod], (n) => table.explain(n), T0);
  assert.deepEqual(steps[0].map((s) => `${s.sink} ${s.outcome}`), ['config/chat grouped', 'config/file queued']);
  assert.equal(
    formatDelivery(steps[1]),
    [
      'delivery:',
      '  config/chat: held back from this chat sink: inhibited by NodeNotReady node/sim-node-2 (it is sent when that ends if it still fires)',
      '  config/file: sent on its own, at once, marked inhibitedBy (inhibited by NodeNotReady node/sim-node-2): a record sink gets what chat sinks are kept from',
      '',
    ].join('\n'),
  );
});

test('routes test: with inhibit.enabled false the pod goes out as usual; given alone it is no effect', () => {
  const off = parseConfigText([...sinks, 'inhibit: {enabled: false}'].join('\n'), 'k.yaml');
  const offSteps = previewDelivery(off, [node, pod], (n) => tableFromConfig(off).explain(n), T0);
  assert.deepEqual(offSteps[1].map((s) => `${s.sink} ${s.outcome}`), ['config/chat grouped', 'config/file queued']);
  const on = parseConfigText(sinks.join('\n'), 'k.yaml');
  const alone = previewDelivery(on, [pod], (n) => tableFromConfig(on).explain(n), T0);
  assert.deepEqual(alone[0].map((s) => `${s.sink} ${s.outcome}`), ['config/chat grouped', 'config/file queued']);
});
