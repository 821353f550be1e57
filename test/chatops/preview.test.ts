// preview.ts's pure parts: which commands get a preview, the digest an
// approval is bound to (stable for the same preview, different when
// anything shown or the resourceVersion differs), and how drift between two
// previews is told.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeDrift, isPreviewable, previewDigest, type Preview } from '../../src/chatops/preview.ts';
import type { ParsedCommand } from '../../src/chatops/types.ts';

const target: Preview['target'] = { kind: 'deployment', namespace: 'demo', name: 'web', resourceVersion: '41' };
const changes = ['deployment demo/web: replicas 3 → 0'];
const CMD = 'scale deployment web 0 -n demo';

describe('isPreviewable', () => {
  it('takes the commands that write, and only them', () => {
    const yes: ParsedCommand[] = [
      { verb: 'scale', kind: 'deployment', name: 'web', replicas: 0 },
      { verb: 'restart', kind: 'deployment', name: 'web' },
      { verb: 'rollout', action: 'undo', kind: 'deployment', name: 'web' },
      { verb: 'cordon', node: 'n1' },
      { verb: 'uncordon', node: 'n1' },
      { verb: 'delete', kind: 'pod', name: 'web-1' },
    ] as ParsedCommand[];
    const no: ParsedCommand[] = [
      { verb: 'rollout', action: 'status', kind: 'deployment', name: 'web' },
      { verb: 'rollout', action: 'history', kind: 'deployment', name: 'web' },
      { verb: 'get', kind: 'pods' },
      { verb: 'help' },
    ] as ParsedCommand[];
    for (const c of yes) assert.equal(isPreviewable(c), true, JSON.stringify(c));
    for (const c of no) assert.equal(isPreviewable(c), false, JSON.stringify(c));
  });
});

describe('previewDigest', () => {
  const digest = previewDigest(CMD, target, changes);

  it('is sha256 hex, the same for the same preview however often it is computed', () => {
    assert.match(digest, /^[0-9a-f]{64}$/);
    assert.equal(previewDigest(CMD, { ...target }, [...changes]), digest);
    // key order of the target does not matter: only its fields do
    assert.equal(previewDigest(CMD, { resourceVersion: '41', name: 'web', namespace: 'demo', kind: 'deployment' }, changes), digest);
    // fields the digest does not bind (generation) leave it alone
    assert.equal(previewDigest(CMD, { ...target, generation: 7 }, changes), digest);
  });

  it('changes with anything shown or bound: command, kind, namespace, name, resourceVersion, each change line', () => {
    const variants = [
      previewDigest('scale deployment web 1 -n demo', target, changes),
      previewDigest(CMD, { ...target, kind: 'statefulset' }, changes),
      previewDigest(CMD, { ...target, namespace: 'prod' }, changes),
      previewDigest(CMD, { ...target, name: 'api' }, changes),
      previewDigest(CMD, { ...target, resourceVersion: '42' }, changes),
      previewDigest(CMD, target, ['deployment demo/web: replicas 4 → 0']),
      previewDigest(CMD, target, [...changes, 'one more line']),
      previewDigest(CMD, target, []),
    ];
    assert.equal(new Set([digest, ...variants]).size, variants.length + 1);
  });

  it('cannot be made equal by moving text between fields or lines', () => {
    // plain concatenation would make these two the same
    assert.notEqual(previewDigest(CMD, target, ['a', 'b']), previewDigest(CMD, target, ['a\nb']));
    assert.notEqual(previewDigest(CMD, target, ['ab']), previewDigest(CMD, target, ['a', 'b']));
    assert.notEqual(previewDigest(CMD, { ...target, namespace: 'de', name: 'moweb' }, changes), previewDigest(CMD, { ...target, namespace: 'demo', name: 'web' }, changes));
  });

  it('an absent namespace or resourceVersion digests as empty (a node has neither namespace nor, in a fake, a version)', () => {
    const node = { kind: 'node', name: 'n1' };
    assert.equal(previewDigest('cordon n1', node, ['x']), previewDigest('cordon n1', { ...node, namespace: '', resourceVersion: '' }, ['x']));
  });
});

describe('describeDrift', () => {
  it('nothing moved: nothing to say', () => {
    assert.deepEqual(describeDrift({ state: { replicas: '3' }, target }, { state: { replicas: '3' }, target: { ...target } }), []);
  });

  it('names each value that moved, with both values, in the order of the preview', () => {
    const before = { state: { replicas: '3', images: 'web=web:1', restartedAt: '(never)' }, target };
    const now = { state: { replicas: '5', images: 'web=web:2', restartedAt: '(never)' }, target: { ...target, resourceVersion: '50' } };
    assert.deepEqual(describeDrift(before, now), ['replicas: 3 at the preview, 5 now', 'images: web=web:1 at the preview, web=web:2 now']);
  });

  it('a value gone now reads as (none)', () => {
    assert.deepEqual(describeDrift({ state: { uid: 'u1' }, target }, { state: {}, target }), ['uid: u1 at the preview, (none) now']);
  });

  it('values the same but the object modified: says so with both resourceVersions', () => {
    assert.deepEqual(describeDrift({ state: { replicas: '3' }, target }, { state: { replicas: '3' }, target: { ...target, resourceVersion: '44' } }), [
      'deployment demo/web was modified (resourceVersion 41 → 44)',
    ]);
    const node = { kind: 'node', name: 'n1', resourceVersion: '1' };
    assert.deepEqual(describeDrift({ state: {}, target: node }, { state: {}, target: { ...node, resourceVersion: '2' } }), ['node n1 was modified (resourceVersion 1 → 2)']);
  });
});
