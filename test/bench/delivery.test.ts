// Which state backends `npm run bench -- delivery` measures (BENCH_DELIVERY_BACKENDS).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deliveryBackends } from '../../bench/delivery.ts';

test('both backends unless told; a subset in the order given; an unknown name refused, naming the variable and the known ones', () => {
  assert.deepEqual(deliveryBackends(undefined), ['sqlite', 'postgres']);
  assert.deepEqual(deliveryBackends(' '), ['sqlite', 'postgres']);
  assert.deepEqual(deliveryBackends('postgres'), ['postgres']);
  assert.deepEqual(deliveryBackends('postgres, sqlite'), ['postgres', 'sqlite']);
  assert.throws(() => deliveryBackends('sqlite,mysql'), { message: 'BENCH_DELIVERY_BACKENDS: unknown backend "mysql"; known: sqlite, postgres' });
  assert.throws(() => deliveryBackends('sqlite,'), /unknown backend ""/);
});
