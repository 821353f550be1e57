// Per-sink and per-route delivery settings inside the running product, on the
// simulator's clock: 50 crash-looping pods reach a sink that does not group
// through a route with `group: {by: [owner]}` and become one message, while
// what another route sends the same sink follows the sink's own settings;
// and a changed `delivery:` of a sink in the watched config file applies
// without a restart.

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseConfigText } from '../../src/config/index.ts';
import type { AttemptRecord } from '../../src/pipeline/deliverer.ts';
import { DEPLOYMENTS } from '../../src/sim/refs.ts';
import { note } from '../pipeline/helpers.ts';
import { readJsonl, startWorld, type World } from './helpers.ts';

const fieldsOf = (l: object): Record<string, string> => (l as { fields?: Record<string, string> }).fields ?? {};

describe('a route grouping by owner in front of a sink that does not group', () => {
  let w: World;
  const attempts: AttemptRecord[] = [];

  before(async () => {
    w = await startWorld(
      [
        'cluster: {name: sim}',
        'sinks:',
        '  - {name: file, type: jsonl, path: $DIR/out.jsonl, delivery: {groupBy: [], floodWindowSeconds: 0}}',
        'routes:',
        '  - {name: crash-loops, match: {reasons: [CrashLoopBackOff]}, sinks: [file], group: {by: [owner]}}',
        '  - {name: the-rest, match: {}, sinks: [file]}',
        'state: {path: $STATE}',
      ].join('\n'),
    );
    await w.start({ onAttempt: (a) => attempts.push(a) });
    w.sim.scenarios.start('crashloop-deployment');
    w.sim.ctx.store.mutate(DEPLOYMENTS, 'demo', 'worker', (d) => {
      (d.spec as { replicas: number }).replicas = 50;
    });
    await w.run(90_000, 1000);
    // three OOM kills of another workload, through the other route
    w.herald!.submit(['api-1', 'api-2', 'api-3'].map((pod) => note({ pod, owner: 'api', reason: 'OOMKilled', namespace: 'demo', cluster: 'sim' })));
    await w.run(20_000, 1000);
  });

  after(async () => {
    await w?.close();
  });

  it('sends the 50 crash loops as one message, and the rest one by one as the sink says', () => {
    const lines = readJsonl(join(w.dir, 'out.jsonl'));
    const crash = lines.filter((l) => l.reason === 'CrashLoopBackOff');
    assert.equal(crash.length, 1, JSON.stringify(crash.map((l) => l.involvedObject?.name)));
    assert.equal(fieldsOf(crash[0]).groupSize, '50');
    assert.equal(attempts.filter((a) => a.sink === 'config/file' && a.outcome === 'delivered' && a.members === 50).length, 1);
    const ooms = lines.filter((l) => l.reason === 'OOMKilled');
    assert.deepEqual(
      ooms.map((l) => [l.involvedObject?.name, fieldsOf(l).groupSize]),
      [
        ['api-1', undefined],
        ['api-2', undefined],
        ['api-3', undefined],
      ],
    );
    // whatever else the rollout produced went through the-rest: ungrouped
    for (const l of lines) if (l.reason !== 'CrashLoopBackOff') assert.equal(fieldsOf(l).groupSize, undefined, l.reason);
  });
});

describe('a sink’s delivery block edited in the watched config file', () => {
  let w: World;
  let file: string;
  const text = (groupBy: string) =>
    ['cluster: {name: sim}', 'sinks:', `  - {name: file, type: jsonl, path: $DIR/out.jsonl, delivery: {groupBy: ${groupBy}, floodWindowSeconds: 0, groupWaitSeconds: 0}}`, 'state: {path: $STATE}'].join('\n');

  before(async () => {
    w = await startWorld(text('[]'));
    file = join(w.dir, 'kubeherald.yaml');
    const write = (groupBy: string) => writeFileSync(file, text(groupBy).replaceAll('$DIR', w.dir).replaceAll('$STATE', w.state));
    write('[]');
    await w.start({ configFile: file, loadConfig: async (f) => parseConfigText(readFileSync(f, 'utf8'), f) });
    w.herald!.submit(['a-1', 'a-2', 'a-3'].map((pod) => note({ pod, owner: 'a', reason: 'OOMKilled' })));
    await w.run(2000, 1000);
    write('[owner]');
    assert.deepEqual(await w.herald!.routing.reloadConfig(), { ok: true, changed: true });
    w.herald!.submit(['b-1', 'b-2', 'b-3'].map((pod) => note({ pod, owner: 'b', reason: 'OOMKilled' })));
    await w.run(2000, 1000);
  });

  after(async () => {
    await w?.close();
  });

  it('groups from then on, without a restart', () => {
    const lines = readJsonl(join(w.dir, 'out.jsonl')).filter((l) => l.reason === 'OOMKilled');
    assert.deepEqual(
      lines.map((l) => [l.involvedObject?.name, fieldsOf(l).groupSize]),
      [
        ['a-1', undefined],
        ['a-2', undefined],
        ['a-3', undefined],
        ['b-1', '3'],
      ],
    );
  });
});
