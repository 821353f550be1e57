import { strict as assert } from 'node:assert';
import { mock, test } from 'node:test';
import { startOnce } from '../../src/app/start-once.ts';

test('startOnce: ready runs it at once, and the bound later does not run it again', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const run = mock.fn();
  const s = startOnce(run, 30_000);
  assert.equal(run.mock.callCount(), 0);
  s.now();
  assert.equal(run.mock.callCount(), 1);
  s.now();
  t.mock.timers.tick(30_000);
  assert.equal(run.mock.callCount(), 1);
});

test('startOnce: a start that never gets ready still runs it once the bound has passed', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const run = mock.fn();
  const s = startOnce(run, 30_000);
  t.mock.timers.tick(29_999);
  assert.equal(run.mock.callCount(), 0);
  t.mock.timers.tick(1);
  assert.equal(run.mock.callCount(), 1);
  s.now();
  assert.equal(run.mock.callCount(), 1);
});

test('startOnce: after cancel (a stop began) neither ready nor the bound runs it', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const run = mock.fn();
  const s = startOnce(run, 30_000);
  s.cancel();
  t.mock.timers.tick(30_000);
  s.now();
  assert.equal(run.mock.callCount(), 0);
});
