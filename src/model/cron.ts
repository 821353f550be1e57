// Cron schedules as the CronJob controller reads them (robfig/cron's
// standard parser): five fields (minute hour day-of-month month
// day-of-week) with lists, ranges, steps and names, or a descriptor
// (@hourly, @daily …), evaluated in an IANA time zone. Pure; shared by the
// simulator's CronJob controller and the CronJob detector.

export interface CronSchedule {
  minutes: Set<number>;
  hours: Set<number>;
  days: Set<number>;
  months: Set<number>;
  weekdays: Set<number>;
  /** a field given as * (or ?): day-of-month and day-of-week are ANDed only when one of them is */
  daysStar: boolean;
  weekdaysStar: boolean;
}

const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

interface Bounds {
  min: number;
  max: number;
  names?: string[];
  /** what names[0] stands for */
  nameBase?: number;
}

const FIELDS: Bounds[] = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12, names: MONTHS, nameBase: 1 },
  { min: 0, max: 6, names: WEEKDAYS, nameBase: 0 },
];

function value(s: string, b: Bounds): number {
  const i = b.names?.indexOf(s.toLowerCase()) ?? -1;
  if (i >= 0) return i + (b.nameBase ?? 0);
  if (!/^\d+$/.test(s)) throw new Error(`failed to parse int from ${s}: strconv.Atoi: parsing "${s}": invalid syntax`);
  return Number(s);
}

function parseField(field: string, b: Bounds): { set: Set<number>; star: boolean } {
  const set = new Set<number>();
  let star = false;
  for (const part of field.split(',')) {
    const [range, stepText, extra] = part.split('/');
    if (extra !== undefined) throw new Error(`too many slashes: ${part}`);
    let lo: number;
    let hi: number;
    if (range === '*' || range === '?') {
      lo = b.min;
      hi = b.max;
      if (stepText === undefined) star = true;
    } else {
      const [a, z, more] = range.split('-');
      if (more !== undefined) throw new Error(`too many hyphens: ${range}`);
      lo = value(a, b);
      hi = z === undefined ? (stepText === undefined ? lo : b.max) : value(z, b);
    }
    const step = stepText === undefined ? 1 : value(stepText, b);
    if (lo < b.min) throw new Error(`beginning of range (${lo}) below minimum (${b.min}): ${part}`);
    if (hi > b.max) throw new Error(`end of range (${hi}) above maximum (${b.max}): ${part}`);
    if (lo > hi) throw new Error(`beginning of range (${lo}) beyond end of range (${hi}): ${part}`);
    if (step === 0) throw new Error(`step of range should be a positive number: ${part}`);
    for (let v = lo; v <= hi; v += step) set.add(v);
  }
  return { set, star };
}

/** Parses a schedule; throws with robfig/cron's wording on a bad one. */
export function parseCron(schedule: string): CronSchedule {
  const trimmed = schedule.trim();
  if (trimmed === '') throw new Error('empty spec string');
  if (/^(TZ|CRON_TZ)=/.test(trimmed)) throw new Error('cannot use TZ or CRON_TZ in schedule, use timeZone field instead');
  let spec = trimmed;
  if (spec.startsWith('@')) {
    const d = DESCRIPTORS[spec.toLowerCase()];
    if (!d) throw new Error(`unrecognized descriptor: ${spec}`);
    spec = d;
  }
  const fields = spec.split(/\s+/);
  if (fields.length !== 5) throw new Error(`expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`);
  const [mi, h, d, mo, w] = fields.map((f, i) => parseField(f, FIELDS[i]));
  return {
    minutes: mi.set,
    hours: h.set,
    days: d.set,
    months: mo.set,
    weekdays: w.set,
    daysStar: d.star,
    weekdaysStar: w.star,
  };
}

/** Whether `tz` names a time zone the runtime knows (Go's time.LoadLocation). */
export function validTimeZone(tz: string): boolean {
  if (tz === '' || tz === 'Local') return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Offset of the zone from UTC at instant `ms`, in milliseconds. */
export function zoneOffsetMs(ms: number, tz: string | undefined): number {
  if (!tz || tz === 'UTC' || tz === 'Etc/UTC') return 0;
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(tz, f);
  }
  const p: Record<string, number> = {};
  for (const part of f.formatToParts(new Date(ms))) if (part.type !== 'literal') p[part.type] = Number(part.value);
  const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return wall - Math.floor(ms / 1000) * 1000;
}

function matchesDay(s: CronSchedule, d: Date): boolean {
  const dom = s.days.has(d.getUTCDate());
  const dow = s.weekdays.has(d.getUTCDay());
  if (s.daysStar || s.weekdaysStar) return dom && dow;
  return dom || dow;
}

/**
 * The first activation strictly after `afterMs`, or undefined when there is
 * none within five years (e.g. 30 February).
 */
export function nextActivation(s: CronSchedule, afterMs: number, tz?: string): number | undefined {
  const offset = zoneOffsetMs(afterMs, tz);
  // search in wall-clock time, as if the zone were UTC
  const t = new Date(Math.floor((afterMs + offset) / 60_000) * 60_000 + 60_000);
  const limit = t.getTime() + 5 * 366 * 86_400_000;
  while (t.getTime() < limit) {
    if (!s.months.has(t.getUTCMonth() + 1)) {
      t.setUTCMonth(t.getUTCMonth() + 1, 1);
      t.setUTCHours(0, 0, 0, 0);
      continue;
    }
    if (!matchesDay(s, t)) {
      t.setUTCDate(t.getUTCDate() + 1);
      t.setUTCHours(0, 0, 0, 0);
      continue;
    }
    if (!s.hours.has(t.getUTCHours())) {
      t.setUTCHours(t.getUTCHours() + 1, 0, 0, 0);
      continue;
    }
    if (!s.minutes.has(t.getUTCMinutes())) {
      t.setUTCMinutes(t.getUTCMinutes() + 1, 0, 0);
      continue;
    }
    const wall = t.getTime();
    // back to an instant: the zone's offset at (about) that wall time
    let utc = wall - zoneOffsetMs(wall - offset, tz);
    utc = wall - zoneOffsetMs(utc, tz);
    if (utc > afterMs) return utc;
    t.setUTCMinutes(t.getUTCMinutes() + 1, 0, 0);
  }
  return undefined;
}

/**
 * getMostRecentScheduleTime: the latest activation in (earliestMs, nowMs]
 * and how many there were, counting at most `cap` + 1 of them.
 */
export function mostRecentSchedule(
  s: CronSchedule,
  earliestMs: number,
  nowMs: number,
  tz?: string,
  cap = 100,
): { mostRecent?: number; missed: number } {
  let missed = 0;
  let mostRecent: number | undefined;
  let t = nextActivation(s, earliestMs, tz);
  while (t !== undefined && t <= nowMs) {
    mostRecent = t;
    missed++;
    if (missed > cap) {
      // the rest only matters for the most recent one: jump close to now
      let last = t;
      let n = nextActivation(s, t, tz);
      const step = n === undefined ? 0 : n - t;
      if (step > 0) {
        const skip = Math.floor((nowMs - t) / step) - 1;
        if (skip > 0) {
          missed += skip;
          last = t + skip * step;
        }
      }
      n = nextActivation(s, last - 1, tz);
      while (n !== undefined && n <= nowMs) {
        if (n > last) missed++;
        mostRecent = n;
        last = n;
        n = nextActivation(s, n, tz);
      }
      return { mostRecent, missed };
    }
    t = nextActivation(s, t, tz);
  }
  return { mostRecent, missed };
}
