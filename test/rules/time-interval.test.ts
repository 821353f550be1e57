// Named time intervals: evaluation in an IANA zone (across midnight, on the
// DST days), and validation naming the field.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileTimeIntervals, type NamedTimeInterval, timeIntervalField } from '../../src/rules/time-interval.ts';

function one(intervals: NamedTimeInterval['intervals']): (iso: string) => boolean {
  const { intervals: compiled, problems } = compileTimeIntervals([{ name: 'x', intervals }]);
  assert.deepEqual(problems, []);
  const x = compiled.get('x');
  assert.ok(x);
  return (iso) => x.contains(Date.parse(iso));
}

function problemsOf(value: unknown): string[] {
  return compileTimeIntervals(value).problems.map((p) => `${timeIntervalField('timeIntervals', p.path)}: ${p.message}`);
}

describe('time intervals: evaluation', () => {
  it('business hours in Europe/Berlin, weekdays only (winter: UTC+1, summer: UTC+2)', () => {
    const business = one([{ times: [{ startTime: '08:00', endTime: '20:00' }], weekdays: ['monday:friday'], location: 'Europe/Berlin' }]);
    // Monday 7 December 2026, winter time
    assert.equal(business('2026-12-07T06:59:00Z'), false); // 07:59 Berlin
    assert.equal(business('2026-12-07T07:00:00Z'), true); // 08:00, start inclusive
    assert.equal(business('2026-12-07T18:59:00Z'), true); // 19:59
    assert.equal(business('2026-12-07T19:00:00Z'), false); // 20:00, end exclusive
    // Monday 6 July 2026, summer time
    assert.equal(business('2026-07-06T06:00:00Z'), true); // 08:00 Berlin
    assert.equal(business('2026-07-06T05:59:00Z'), false);
    // Saturday 12 December 2026
    assert.equal(business('2026-12-12T12:00:00Z'), false);
    // Friday 23:30 UTC is already Saturday 00:30 in Berlin: the zone's day counts
    const fridays = one([{ weekdays: ['friday'], location: 'Europe/Berlin' }]);
    assert.equal(fridays('2026-12-11T22:59:00Z'), true);
    assert.equal(fridays('2026-12-11T23:00:00Z'), false);
  });

  it('a range across midnight in a non-UTC zone; its early morning belongs to the day it started', () => {
    const night = one([{ times: [{ startTime: '22:00', endTime: '06:00' }], location: 'Europe/Berlin' }]);
    assert.equal(night('2026-12-07T20:59:00Z'), false); // 21:59 Berlin
    assert.equal(night('2026-12-07T21:00:00Z'), true); // 22:00
    assert.equal(night('2026-12-07T22:59:00Z'), true); // 23:59
    assert.equal(night('2026-12-07T23:00:00Z'), true); // 00:00 next day
    assert.equal(night('2026-12-08T04:59:00Z'), true); // 05:59
    assert.equal(night('2026-12-08T05:00:00Z'), false); // 06:00
    assert.equal(night('2026-12-08T11:00:00Z'), false); // noon
    // only Friday's night: Saturday 02:00 is in it, Friday 02:00 (Thursday's night) is not
    const fridayNight = one([{ times: [{ startTime: '22:00', endTime: '06:00' }], weekdays: ['friday'], location: 'Europe/Berlin' }]);
    assert.equal(fridayNight('2026-12-11T21:30:00Z'), true); // Fri 22:30
    assert.equal(fridayNight('2026-12-12T01:00:00Z'), true); // Sat 02:00
    assert.equal(fridayNight('2026-12-11T01:00:00Z'), false); // Fri 02:00
    assert.equal(fridayNight('2026-12-12T21:30:00Z'), false); // Sat 22:30
    // the night of the last day of the month, read on the first of the next
    const lastNight = one([{ times: [{ startTime: '23:00', endTime: '01:00' }], daysOfMonth: ['-1'], location: 'America/New_York' }]);
    assert.equal(lastNight('2026-12-01T05:30:00Z'), true); // 1 Dec 00:30 New York, the night of 30 Nov
    assert.equal(lastNight('2026-11-30T05:30:00Z'), false); // 30 Nov 00:30, the night of 29 Nov
  });

  it('spring forward in Europe/Berlin (29 March 2026, 02:00 → 03:00): the hour that does not exist never holds', () => {
    const two = one([{ times: [{ startTime: '02:00', endTime: '03:00' }], location: 'Europe/Berlin' }]);
    // 00:59 UTC is 01:59 CET, 01:00 UTC is 03:00 CEST: no local 02:xx that day
    for (let m = 0; m < 180; m += 15) assert.equal(two(new Date(Date.parse('2026-03-29T00:00:00Z') + m * 60_000).toISOString()), false);
    assert.equal(two('2026-03-28T01:30:00Z'), true); // the day before, 02:30 CET
    const early = one([{ times: [{ startTime: '01:00', endTime: '04:00' }], location: 'Europe/Berlin' }]);
    assert.equal(early('2026-03-28T23:59:00Z'), false); // 00:59 CET
    assert.equal(early('2026-03-29T00:00:00Z'), true); // 01:00 CET
    assert.equal(early('2026-03-29T01:00:00Z'), true); // 03:00 CEST
    assert.equal(early('2026-03-29T01:59:00Z'), true); // 03:59 CEST
    assert.equal(early('2026-03-29T02:00:00Z'), false); // 04:00 CEST: two real hours, not three
  });

  it('fall back in Europe/Berlin (25 October 2026, 03:00 → 02:00): the repeated hour holds both times', () => {
    const two = one([{ times: [{ startTime: '02:00', endTime: '03:00' }], location: 'Europe/Berlin' }]);
    assert.equal(two('2026-10-24T23:59:00Z'), false); // 01:59 CEST
    assert.equal(two('2026-10-25T00:00:00Z'), true); // 02:00 CEST
    assert.equal(two('2026-10-25T00:59:00Z'), true); // 02:59 CEST
    assert.equal(two('2026-10-25T01:00:00Z'), true); // 02:00 CET, again
    assert.equal(two('2026-10-25T01:59:00Z'), true); // 02:59 CET
    assert.equal(two('2026-10-25T02:00:00Z'), false); // 03:00 CET
  });

  it('days of the month (negative from the end), months and years, wrapping weekday and month ranges', () => {
    const firstAndLast = one([{ daysOfMonth: ['1:3', '-1'] }]);
    assert.equal(firstAndLast('2026-02-28T12:00:00Z'), true); // last day of February 2026
    assert.equal(firstAndLast('2028-02-28T12:00:00Z'), false); // 2028 is a leap year
    assert.equal(firstAndLast('2028-02-29T12:00:00Z'), true);
    assert.equal(firstAndLast('2026-03-03T12:00:00Z'), true);
    assert.equal(firstAndLast('2026-03-04T12:00:00Z'), false);
    const winter = one([{ months: ['november:february'], years: ['2026:2027'] }]);
    assert.equal(winter('2026-12-15T00:00:00Z'), true);
    assert.equal(winter('2027-01-15T00:00:00Z'), true);
    assert.equal(winter('2027-03-01T00:00:00Z'), false);
    assert.equal(winter('2028-01-15T00:00:00Z'), false);
    const weekend = one([{ weekdays: ['Saturday:Sunday'], months: ['12'] }]);
    assert.equal(weekend('2026-12-12T10:00:00Z'), true); // Saturday
    assert.equal(weekend('2026-12-13T10:00:00Z'), true); // Sunday
    assert.equal(weekend('2026-12-14T10:00:00Z'), false); // Monday
    const wrap = one([{ weekdays: ['friday:monday'] }]);
    assert.equal(wrap('2026-12-13T10:00:00Z'), true); // Sunday
    assert.equal(wrap('2026-12-15T10:00:00Z'), false); // Tuesday
    // any of several intervals; an empty list never holds
    const either = one([{ weekdays: ['monday'] }, { weekdays: ['tuesday'] }]);
    assert.equal(either('2026-12-15T10:00:00Z'), true);
    assert.equal(either('2026-12-16T10:00:00Z'), false);
    assert.equal(one([])('2026-12-15T10:00:00Z'), false);
    // a day that ends at 24:00
    const evening = one([{ times: [{ startTime: '20:00', endTime: '24:00' }] }]);
    assert.equal(evening('2026-12-15T23:59:00Z'), true);
    assert.equal(evening('2026-12-16T00:00:00Z'), false);
  });
});

describe('time intervals: validation', () => {
  it('names the field of a bad time, an empty range, a bad weekday, day, month and year', () => {
    assert.deepEqual(
      problemsOf([
        {
          name: 'night',
          intervals: [
            { weekdays: ['monday'] },
            {
              times: [{ startTime: '8:00', endTime: '20:00' }, { startTime: '24:00', endTime: '25:00' }, { startTime: '10:00', endTime: '10:00' }, { endTime: '10:00' }],
              weekdays: ['mondey', 'friday:'],
              daysOfMonth: ['0', '5:1'],
              months: ['jan'],
              years: ['26', '2027:2026'],
            },
          ],
        },
      ]),
      [
        'timeIntervals[0].intervals[1].times[0].startTime: expected HH:MM, got "8:00"',
        'timeIntervals[0].intervals[1].times[1].startTime: expected a time from 00:00 to 23:59, got "24:00"',
        'timeIntervals[0].intervals[1].times[1].endTime: expected a time from 00:00 to 24:00, got "25:00"',
        'timeIntervals[0].intervals[1].times[2]: startTime and endTime are both 10:00: an empty range (leave times out for the whole day)',
        'timeIntervals[0].intervals[1].times[3].startTime: required (HH:MM)',
        'timeIntervals[0].intervals[1].weekdays[0]: unknown weekday "mondey"; did you mean "monday"?',
        'timeIntervals[0].intervals[1].weekdays[1]: expected a value or a range "from:to" such as ["monday:friday", "saturday"], got "friday:"',
        'timeIntervals[0].intervals[1].daysOfMonth[0]: expected a day of the month from 1 to 31, or -31 to -1 counted from the end, got "0"',
        'timeIntervals[0].intervals[1].daysOfMonth[1]: the range starts after it ends: "5:1"',
        'timeIntervals[0].intervals[1].months[0]: unknown month "jan"; did you mean "january"?',
        'timeIntervals[0].intervals[1].years[0]: expected a year such as 2026, got "26"',
        'timeIntervals[0].intervals[1].years[1]: the range starts after it ends: "2027:2026"',
      ],
    );
  });

  it('refuses an unknown zone with the zone in the message, and "Local"', () => {
    assert.deepEqual(problemsOf([{ name: 'a', intervals: [{ location: 'Europe/Berlinn' }, { location: 'Local' }, { location: 3 }] }]), [
      'timeIntervals[0].intervals[0].location: unknown time zone "Europe/Berlinn" (expected an IANA name such as "Europe/Berlin" or "UTC")',
      'timeIntervals[0].intervals[1].location: unknown time zone "Local" (expected an IANA name such as "Europe/Berlin" or "UTC")',
      'timeIntervals[0].intervals[2].location: expected an IANA time zone name such as "Europe/Berlin", got 3',
    ]);
  });

  it('unknown keys with a suggestion (Alertmanager spellings), names, duplicates and shapes', () => {
    assert.deepEqual(
      problemsOf([
        { name: 'a', intervals: [{ times: [{ start_time: '08:00', endTime: '09:00' }], days_of_month: ['1'] }] },
        { name: 'a', intervals: [] },
        { name: 'b c', intervals: {} },
        'x',
      ]),
      [
        'timeIntervals[0].intervals[0].days_of_month: unknown key; did you mean "daysOfMonth"?',
        'timeIntervals[0].intervals[0].times[0].start_time: unknown key; did you mean "startTime"?',
        'timeIntervals[0].intervals[0].times[0].startTime: required (HH:MM)',
        'timeIntervals[1].name: duplicate time interval name "a"',
        'timeIntervals[2].name: expected a name (letters, digits, "-", "_", "."), got "b c"',
        'timeIntervals[2].intervals: expected a list of intervals (times, weekdays, daysOfMonth, months, years, location)',
        'timeIntervals[3]: expected a mapping with name and intervals',
      ],
    );
    assert.deepEqual(problemsOf({}), ['timeIntervals: expected a list of named time intervals']);
    assert.deepEqual(problemsOf(undefined), []);
  });

  it('keeps the valid intervals when another is invalid, and says where each is evaluated', () => {
    const { intervals, problems } = compileTimeIntervals([
      { name: 'ok', intervals: [{ weekdays: ['monday'], location: 'Europe/Berlin' }] },
      { name: 'bad', intervals: [{ weekdays: ['noday'] }] },
    ]);
    assert.equal(problems.length, 1);
    assert.deepEqual([...intervals.keys()], ['ok']);
    assert.deepEqual(intervals.get('ok')?.locations, ['Europe/Berlin']);
  });
});
