import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { globMatch, namespaceAllowed } from '../../src/config/index.ts';

describe('globMatch', () => {
  const cases: [string, string, boolean][] = [
    ['prod', 'prod', true],
    ['prod', 'prod-eu', false],
    ['prod', 'pro', false],
    ['*', '', true],
    ['*', 'anything', true],
    ['team-*', 'team-a', true],
    ['team-*', 'team-', true],
    ['team-*', 'team', false],
    ['*-sandbox', 'a-sandbox', true],
    ['*-sandbox', 'a-sandbox-2', false],
    ['a*b*c', 'aXbYc', true],
    ['a*b*c', 'abcbc', true],
    ['a*b*c', 'acb', false],
    ['a**b', 'ab', true],
    ['?', 'a', true],
    ['?', '', false],
    ['?', 'ab', false],
    ['team-?', 'team-a', true],
    ['team-?', 'team-ab', false],
    ['*a?', 'xxab', true],
    ['*a?', 'xxa', false],
  ];
  for (const [glob, text, want] of cases) {
    it(`${JSON.stringify(glob)} ${want ? 'matches' : 'does not match'} ${JSON.stringify(text)}`, () => {
      assert.equal(globMatch(glob, text), want);
    });
  }

  it('stays linear on patterns that make naive backtracking explode', () => {
    const text = 'a'.repeat(5000);
    assert.equal(globMatch(`${'*a'.repeat(30)}b`, text), false);
  });
});

describe('namespaceAllowed', () => {
  it('allows every namespace when include is empty', () => {
    assert.equal(namespaceAllowed({ include: [], exclude: [] }, 'default'), true);
  });

  it('allows only included namespaces', () => {
    const ns = { include: ['team-*', 'prod'], exclude: [] };
    assert.equal(namespaceAllowed(ns, 'team-a'), true);
    assert.equal(namespaceAllowed(ns, 'prod'), true);
    assert.equal(namespaceAllowed(ns, 'staging'), false);
  });

  it('lets exclude win over include', () => {
    const ns = { include: ['team-*'], exclude: ['*-sandbox', 'kube-system'] };
    assert.equal(namespaceAllowed(ns, 'team-a'), true);
    assert.equal(namespaceAllowed(ns, 'team-sandbox'), false);
    assert.equal(namespaceAllowed({ include: [], exclude: ['kube-system'] }, 'kube-system'), false);
    assert.equal(namespaceAllowed({ include: [], exclude: ['kube-system'] }, 'kube-public'), true);
  });

  it('never filters cluster-scoped objects', () => {
    assert.equal(namespaceAllowed({ include: ['team-*'], exclude: ['*'] }, ''), true);
  });
});
