import assert from 'node:assert/strict';
import { test } from 'node:test';
import { detect } from '../../src/detect/index.ts';
import type { Delta } from '../../src/detect/types.ts';
import { Severity } from '../../src/model/notification.ts';
import { at, config, deployment, DEPLOY_UID, t } from './fixtures.ts';

const run = (delta: Delta, cfg = config()) => detect('Deployment', delta, t(100), cfg);
const keys = (delta: Delta, cfg = config()) => run(delta, cfg).map((o) => `${o.key.replace(`deployment/${DEPLOY_UID}/`, '')} ${o.kind}`);

const complete = (rev: string, gen = 2) =>
  deployment({ generation: gen, revision: rev, progressing: ['True', 'NewReplicaSetAvailable', 10], availableCond: ['True', 'MinimumReplicasAvailable', 3] });
const rolling = (rev: string, gen = 2) =>
  deployment({ generation: gen, revision: rev, updated: 2, total: 4, available: 3, progressing: ['True', 'ReplicaSetUpdated', 10], availableCond: ['True', 'MinimumReplicasAvailable', 3] });

test('rollout completed: an edge on the transition to complete, keyed by the revision', () => {
  const obs = run({ old: rolling('2'), current: complete('2') });
  assert.deepEqual(obs, [
    {
      kind: 'edge',
      key: `deployment/${DEPLOY_UID}/rollout/2`,
      state: 'firing',
      detector: 'rollout',
      severity: Severity.INFO,
      reason: 'RolloutCompleted',
      title: 'Deployment demo/web rolled out revision 2',
      message: 'Deployment demo/web finished rolling out revision 2: 3 of 3 replicas updated and available (nginx:1.28)',
      fields: { revision: '2', replicas: '3', updatedReplicas: '3', availableReplicas: '3', images: 'nginx:1.28' },
      involved: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'demo', name: 'web', uid: DEPLOY_UID },
    },
  ]);
  // the controller moved straight from one complete revision to the next between two sightings
  assert.deepEqual(keys({ old: complete('1', 1), current: complete('2') }), ['rollout/2 edge']);
  // a spec change not yet observed by the controller (observedGeneration behind) is not complete
  assert.deepEqual(keys({ old: rolling('2'), current: { ...complete('2', 3) } }), ['rollout/2 edge']);
  const unobserved = deployment({ generation: 3, observedGeneration: 2, revision: '2', progressing: ['True', 'NewReplicaSetAvailable', 10] });
  assert.deepEqual(keys({ old: rolling('2'), current: unobserved }), []);
});

test('rollout completed is never announced without a transition', () => {
  // first sighting (a re-list, a restart): no old version
  assert.deepEqual(keys({ current: complete('2') }), []);
  // a status write of an already complete Deployment
  assert.deepEqual(keys({ old: complete('2'), current: complete('2') }), []);
  // scaling a finished Deployment: the generation moves, Progressing stays NewReplicaSetAvailable
  const scaling = deployment({ generation: 3, observedGeneration: 2, revision: '2', progressing: ['True', 'NewReplicaSetAvailable', 10] });
  assert.deepEqual(keys({ old: scaling, current: complete('2', 3) }), []);
  assert.deepEqual(keys({ old: rolling('2'), current: complete('2') }, config({ rollout: { completed: false } })), []);
  assert.deepEqual(keys({ old: rolling('2'), current: complete('2') }, config({ rollout: { enabled: false } })), []);
});

test('a stuck rollout (ProgressDeadlineExceeded) is a warning level; so is a Deployment without minimum availability', () => {
  const stuck = deployment({
    generation: 2,
    revision: '2',
    updated: 1,
    total: 4,
    available: 2,
    progressing: ['False', 'ProgressDeadlineExceeded', 97],
    availableCond: ['False', 'MinimumReplicasUnavailable', 40],
  });
  const obs = run({ old: stuck, current: stuck });
  assert.deepEqual(keys({ current: stuck }), ['ProgressDeadlineExceeded level', 'Unavailable level']);
  assert.deepEqual(
    [obs[0].state, obs[0].severity, obs[0].reason, obs[0].title, obs[0].message, obs[0].since, obs[0].minDurationMs],
    [
      'firing',
      Severity.WARNING,
      'ProgressDeadlineExceeded',
      'Deployment demo/web rollout is stuck',
      'Deployment demo/web revision 2 has not progressed within its deadline: 1 of 3 replicas updated, 2 available; ReplicaSet "api-785d7c54c4" has timed out progressing.',
      at(97),
      undefined,
    ],
  );
  assert.deepEqual(
    [obs[1].state, obs[1].reason, obs[1].title, obs[1].message, obs[1].since, obs[1].minDurationMs],
    [
      'firing',
      'MinimumReplicasUnavailable',
      'Deployment demo/web does not have minimum availability',
      'Deployment demo/web has 2 of 3 replicas available: Deployment does not have minimum availability.',
      at(40),
      60_000,
    ],
  );
  assert.deepEqual(keys({ current: rolling('2') }), []);
});
