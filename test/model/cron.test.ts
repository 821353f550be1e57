// The cron schedules the simulator's CronJob controller and the CronJob
// detector share: robfig/cron's standard syntax, descriptors, the
// day-of-month/day-of-week rule, time zones and counting missed runs.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mostRecentSchedule, nextActivation, parseCron, validTimeZone } from '../../src/model/cron.ts';

const ms = (iso: string): number => Date.parse(iso);
const iso = (t: number | undefined): string | undefined => (t === undefined ? undefined : new Date(t).toISOString());

function nexts(schedule: string, from: string, n: number, tz?: string): string[] {
  const s = parseCron(schedule);
  const out: string[] = [];
  let t = ms(from);
  for (let i = 0; i < n; i++) {
    t = nextActivation(s, t, tz)!;
    out.push(iso(t)!);
  }
  return out;
}

test('five fields with lists, ranges, steps and names', () => {
  assert.deepEqual(nexts('*/15 * * * *', '2025-03-01T10:07:00Z', 3), ['2025-03-01T10:15:00.000Z', '2025-03-01T10:30:00.000Z', '2025-03-01T10:45:00.000Z']);
  assert.deepEqual(nexts('0 9-17/4 * * MON-FRI', '2025-03-01T00:00:00Z', 3), ['2025-03-03T09:00:00.000Z', '2025-03-03T13:00:00.000Z', '2025-03-03T17:00:00.000Z']);
  assert.deepEqual(nexts('30 2 1,15 jan,jul *', '2025-03-01T00:00:00Z', 2), ['2025-07-01T02:30:00.000Z', '2025-07-15T02:30:00.000Z']);
  // strictly after: an activation at the given instant is not the next one
  assert.deepEqual(nexts('0 * * * *', '2025-03-01T10:00:00Z', 1), ['2025-03-01T11:00:00.000Z']);
});

test('descriptors', () => {
  assert.deepEqual(nexts('@hourly', '2025-03-01T10:07:00Z', 1), ['2025-03-01T11:00:00.000Z']);
  assert.deepEqual(nexts('@daily', '2025-03-01T10:07:00Z', 1), ['2025-03-02T00:00:00.000Z']);
  assert.deepEqual(nexts('@weekly', '2025-03-01T10:07:00Z', 1), ['2025-03-02T00:00:00.000Z']); // a Sunday
  assert.deepEqual(nexts('@monthly', '2025-03-01T10:07:00Z', 1), ['2025-04-01T00:00:00.000Z']);
  assert.deepEqual(nexts('@yearly', '2025-03-01T10:07:00Z', 1), ['2026-01-01T00:00:00.000Z']);
});

test('day of month and day of week: either matches when both are restricted, both must when one is *', () => {
  // the 13th or any Friday
  assert.deepEqual(nexts('0 0 13 * 5', '2025-03-01T00:00:00Z', 3), ['2025-03-07T00:00:00.000Z', '2025-03-13T00:00:00.000Z', '2025-03-14T00:00:00.000Z']);
  assert.deepEqual(nexts('0 0 * * 5', '2025-03-01T00:00:00Z', 1), ['2025-03-07T00:00:00.000Z']);
  // 30 February never comes
  assert.equal(nextActivation(parseCron('0 0 30 2 *'), ms('2025-03-01T00:00:00Z')), undefined);
});

test('time zones: wall-clock activations, across a daylight saving change', () => {
  assert.deepEqual(nexts('0 9 * * *', '2025-03-01T00:00:00Z', 1, 'Asia/Tokyo'), ['2025-03-02T00:00:00.000Z']);
  // Berlin: 09:00 is 08:00Z in winter, 07:00Z once summer time began (30 March 2025)
  assert.deepEqual(nexts('0 9 * * *', '2025-03-29T12:00:00Z', 2, 'Europe/Berlin'), ['2025-03-30T07:00:00.000Z', '2025-03-31T07:00:00.000Z']);
  assert.deepEqual(nexts('0 9 * * *', '2025-03-28T12:00:00Z', 1, 'Europe/Berlin'), ['2025-03-29T08:00:00.000Z']);
  assert.ok(validTimeZone('America/New_York'));
  assert.ok(!validTimeZone('Mars/Olympus'));
  assert.ok(!validTimeZone(''));
});

test('errors in robfig/cron\'s words', () => {
  assert.throws(() => parseCron('every minute'), /expected exactly 5 fields, found 2: \[every minute\]/);
  assert.throws(() => parseCron('61 * * * *'), /end of range \(61\) above maximum \(59\): 61/);
  assert.throws(() => parseCron('5-1 * * * *'), /beginning of range \(5\) beyond end of range \(1\)/);
  assert.throws(() => parseCron('*/0 * * * *'), /step of range should be a positive number/);
  assert.throws(() => parseCron('@fortnightly'), /unrecognized descriptor: @fortnightly/);
  assert.throws(() => parseCron('TZ=UTC * * * * *'), /use timeZone field instead/);
  assert.throws(() => parseCron('x * * * *'), /failed to parse int from x/);
  assert.throws(() => parseCron(''), /empty spec string/);
});

test('mostRecentSchedule: the latest activation up to now and how many there were', () => {
  const s = parseCron('*/10 * * * *');
  assert.deepEqual(mostRecentSchedule(s, ms('2025-03-01T10:00:00Z'), ms('2025-03-01T10:35:00Z')), { mostRecent: ms('2025-03-01T10:30:00Z'), missed: 3 });
  assert.deepEqual(mostRecentSchedule(s, ms('2025-03-01T10:00:00Z'), ms('2025-03-01T10:05:00Z')), { mostRecent: undefined, missed: 0 });
  // far behind: the count passes the cap, the most recent is still exact
  const every = parseCron('* * * * *');
  const far = mostRecentSchedule(every, ms('2025-03-01T00:00:00Z'), ms('2025-03-01T10:00:30Z'));
  assert.equal(far.mostRecent, ms('2025-03-01T10:00:00Z'));
  assert.ok(far.missed > 100);
  assert.ok(Math.abs(far.missed - 600) <= 2, `missed ${far.missed}`);
});
