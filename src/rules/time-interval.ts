// Named time intervals (`timeIntervals:` in the config file): when a route
// is active or muted, and when a silence applies. They mirror Alertmanager's
// time_intervals (times, weekdays, daysOfMonth, months, years, location) in
// kubeherald's camelCase, with one deliberate difference: a `times` entry
// whose end is before its start crosses midnight ("22:00"–"06:00"), and the
// part after midnight belongs to the day the range started (Friday's night
// runs into Saturday morning). Pure: evaluated on an instant handed in (the
// pipeline's clock), in the interval's IANA zone through Intl.

import { didYouMean } from '../config-kit/suggest.ts';

/** `HH:MM` local wall-clock times; the start is inclusive, the end exclusive ("24:00" is the end of the day). */
export interface TimeRange {
  startTime: string;
  endTime: string;
}

/** Every field given must match (AND); within a list any entry may (OR); an omitted field matches always. */
export interface TimeIntervalSpec {
  times?: TimeRange[];
  /** "monday", "monday:friday" (a range may wrap: "saturday:monday") */
  weekdays?: string[];
  /** "1", "1:5", "-1" (the last day of the month), "-7:-1" */
  daysOfMonth?: string[];
  /** "january", "1", "january:march", "november:february" */
  months?: string[];
  /** "2026", "2026:2027" */
  years?: string[];
  /** an IANA time zone ("Europe/Berlin"); default UTC */
  location?: string;
}

export interface NamedTimeInterval {
  name: string;
  /** the named interval holds when any of these does */
  intervals: TimeIntervalSpec[];
}

export interface CompiledTimeInterval {
  name: string;
  /** the zones it is evaluated in, for explanations: "Europe/Berlin" */
  locations: string[];
  contains(at: number | Date): boolean;
}

export interface TimeIntervalProblem {
  /** relative to the list handed in: [0, 'intervals', 1, 'times', 0, 'startTime'] */
  path: (string | number)[];
  message: string;
}

const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const NAMED_KEYS = ['name', 'intervals'];
const INTERVAL_KEYS = ['times', 'weekdays', 'daysOfMonth', 'months', 'years', 'location'];
const RANGE_KEYS = ['startTime', 'endTime'];
const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** One local time of day in minutes; inclusive start, exclusive end. */
interface Minutes {
  start: number;
  end: number;
}

interface Span {
  from: number;
  to: number;
}

interface CompiledSpec {
  times?: Minutes[];
  weekdays?: Span[];
  daysOfMonth?: Span[];
  months?: Span[];
  years?: Span[];
  zone: string;
}

/** Local calendar facts of an instant in one zone. */
interface Local {
  year: number;
  /** 1–12 */
  month: number;
  day: number;
  /** 0 = Sunday */
  weekday: number;
  minute: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric' });
    formatters.set(zone, f);
  }
  return f;
}

/** Whether Intl knows the zone (Node ships full ICU). */
export function knownZone(zone: string): boolean {
  try {
    formatter(zone);
    return true;
  } catch {
    return false;
  }
}

function localOf(at: number, zone: string): Local {
  const parts: Record<string, number> = {};
  for (const p of formatter(zone).formatToParts(at)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const { year, month, day } = parts;
  return { year, month, day, weekday: new Date(Date.UTC(year, month - 1, day)).getUTCDay(), minute: parts.hour * 60 + parts.minute };
}

/** The local calendar day before `l` (its minute is kept; only the date matters). */
function dayBefore(l: Local): Local {
  const d = new Date(Date.UTC(l.year, l.month - 1, l.day - 1));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), weekday: d.getUTCDay(), minute: l.minute };
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function inSpans(spans: Span[] | undefined, v: number): boolean {
  if (!spans) return true;
  // a wrapping span (from > to) covers the end of the cycle and its start
  return spans.some((s) => (s.from <= s.to ? v >= s.from && v <= s.to : v >= s.from || v <= s.to));
}

function dayMatches(spec: CompiledSpec, l: Local): boolean {
  if (!inSpans(spec.weekdays, l.weekday) || !inSpans(spec.months, l.month) || !inSpans(spec.years, l.year)) return false;
  if (!spec.daysOfMonth) return true;
  const len = daysInMonth(l.year, l.month);
  const resolve = (d: number): number => (d < 0 ? len + d + 1 : d);
  return spec.daysOfMonth.some((s) => {
    const from = Math.max(1, resolve(s.from));
    const to = Math.min(len, resolve(s.to));
    return from <= to && l.day >= from && l.day <= to;
  });
}

function specContains(spec: CompiledSpec, at: number): boolean {
  const l = localOf(at, spec.zone);
  if (!spec.times) return dayMatches(spec, l);
  for (const t of spec.times) {
    if (t.start < t.end) {
      if (l.minute >= t.start && l.minute < t.end && dayMatches(spec, l)) return true;
    } else {
      // across midnight: the evening is today's, the early morning the previous day's
      if (l.minute >= t.start && dayMatches(spec, l)) return true;
      if (l.minute < t.end && dayMatches(spec, dayBefore(l))) return true;
    }
  }
  return false;
}

/**
 * Checks and compiles a `timeIntervals:` list from anywhere (the config file,
 * a custom resource no schema has seen): every problem with its path, and the
 * intervals that were valid, by name.
 */
export function compileTimeIntervals(value: unknown): { intervals: Map<string, CompiledTimeInterval>; problems: TimeIntervalProblem[] } {
  const problems: TimeIntervalProblem[] = [];
  const intervals = new Map<string, CompiledTimeInterval>();
  if (value === undefined || value === null) return { intervals, problems };
  if (!Array.isArray(value)) return { intervals, problems: [{ path: [], message: 'expected a list of named time intervals' }] };
  value.forEach((entry, i) => {
    const before = problems.length;
    const problem = (path: (string | number)[], message: string): void => {
      problems.push({ path: [i, ...path], message });
    };
    if (!isMapping(entry)) return problem([], 'expected a mapping with name and intervals');
    unknownKeys(entry, NAMED_KEYS, [], problem);
    const name = entry.name;
    if (typeof name !== 'string' || !NAME.test(name)) problem(['name'], `expected a name (letters, digits, "-", "_", "."), got ${show(name)}`);
    else if (intervals.has(name) || value.slice(0, i).some((e) => isMapping(e) && e.name === name)) problem(['name'], `duplicate time interval name "${name}"`);
    const specs: CompiledSpec[] = [];
    if (!Array.isArray(entry.intervals)) problem(['intervals'], 'expected a list of intervals (times, weekdays, daysOfMonth, months, years, location)');
    else entry.intervals.forEach((iv, j) => {
      const s = compileSpec(iv, (path, message) => problem(['intervals', j, ...path], message));
      if (s) specs.push(s);
    });
    if (problems.length > before || typeof name !== 'string') return;
    intervals.set(name, {
      name,
      locations: [...new Set(specs.map((s) => s.zone))],
      // an empty `intervals:` never holds, as in Alertmanager
      contains: (at) => {
        const ms = typeof at === 'number' ? at : at.getTime();
        return specs.some((s) => specContains(s, ms));
      },
    });
  });
  return { intervals, problems };
}

type Problem = (path: (string | number)[], message: string) => void;

function compileSpec(iv: unknown, problem: Problem): CompiledSpec | undefined {
  if (!isMapping(iv)) {
    problem([], `expected a mapping of ${INTERVAL_KEYS.join(', ')}`);
    return undefined;
  }
  let ok = unknownKeys(iv, INTERVAL_KEYS, [], problem);
  const bad: Problem = (path, message) => {
    ok = false;
    problem(path, message);
  };
  let zone = 'UTC';
  if (iv.location !== undefined && iv.location !== null) {
    if (typeof iv.location !== 'string' || iv.location === '') bad(['location'], `expected an IANA time zone name such as "Europe/Berlin", got ${show(iv.location)}`);
    // "Local" would make the answer depend on the machine kubeherald runs on
    else if (iv.location.toLowerCase() === 'local' || !knownZone(iv.location)) bad(['location'], `unknown time zone "${iv.location}" (expected an IANA name such as "Europe/Berlin" or "UTC")`);
    else zone = iv.location;
  }
  const spec: CompiledSpec = { zone };
  if (iv.times !== undefined && iv.times !== null) {
    if (!Array.isArray(iv.times)) bad(['times'], 'expected a list of {startTime, endTime}');
    else {
      const times: Minutes[] = [];
      iv.times.forEach((t, k) => {
        if (!isMapping(t)) return bad(['times', k], 'expected a mapping with startTime and endTime');
        if (!unknownKeys(t, RANGE_KEYS, ['times', k], problem)) ok = false;
        const start = clock(t.startTime, false);
        const end = clock(t.endTime, true);
        if (typeof start === 'string') bad(['times', k, 'startTime'], start);
        if (typeof end === 'string') bad(['times', k, 'endTime'], end);
        if (typeof start !== 'number' || typeof end !== 'number') return;
        if (start === end) return bad(['times', k], `startTime and endTime are both ${t.startTime as string}: an empty range (leave times out for the whole day)`);
        // end < start crosses midnight (Alertmanager refuses it; "22:00"–"06:00" is what people mean)
        times.push({ start, end });
      });
      if (times.length) spec.times = times;
    }
  }
  const ranges = (key: 'weekdays' | 'daysOfMonth' | 'months' | 'years', parse: (s: string) => number | string, wrap: boolean, example: string): void => {
    const list = iv[key];
    if (list === undefined || list === null) return;
    if (!Array.isArray(list)) return bad([key], `expected a list such as ${example}`);
    const spans: Span[] = [];
    list.forEach((item, k) => {
      if (typeof item !== 'string' && typeof item !== 'number') return bad([key, k], `expected a value or a range such as ${example}, got ${show(item)}`);
      const text = String(item).trim().toLowerCase();
      const parts = text.split(':');
      if (parts.length > 2 || parts.some((p) => p === '')) return bad([key, k], `expected a value or a range "from:to" such as ${example}, got ${show(item)}`);
      const [from, to] = [parse(parts[0]), parse(parts[parts.length - 1])];
      if (typeof from === 'string') return bad([key, k], from);
      if (typeof to === 'string') return bad([key, k], to);
      if (!wrap && from > to && (key !== 'daysOfMonth' || Math.sign(from) === Math.sign(to))) return bad([key, k], `the range starts after it ends: ${show(item)}`);
      spans.push({ from, to });
    });
    if (spans.length) spec[key] = spans;
  };
  ranges('weekdays', (s) => named(s, WEEKDAYS, 'weekday', 0), true, '["monday:friday", "saturday"]');
  ranges('daysOfMonth', dayOfMonth, false, '["1:5", "-1"]');
  ranges('months', (s) => named(s, MONTHS, 'month', 1, 12), true, '["january:march", "12"]');
  ranges('years', year, false, '["2026:2027"]');
  return ok ? spec : undefined;
}

/** "HH:MM" in minutes, or what is wrong with it. */
function clock(v: unknown, isEnd: boolean): number | string {
  if (typeof v !== 'string') return v === undefined ? 'required (HH:MM)' : `expected HH:MM, got ${show(v)}`;
  const m = /^(\d\d):(\d\d)$/.exec(v);
  if (!m) return `expected HH:MM, got ${show(v)}`;
  const minutes = Number(m[1]) * 60 + Number(m[2]);
  if (Number(m[2]) > 59 || minutes > 1440 || (minutes === 1440 && !isEnd)) return `expected a time from 00:00 to ${isEnd ? '24:00' : '23:59'}, got ${show(v)}`;
  return minutes;
}

function named(s: string, names: string[], what: string, base: number, max?: number): number | string {
  const i = names.indexOf(s);
  if (i >= 0) return i + base;
  if (max !== undefined && /^\d+$/.test(s) && Number(s) >= 1 && Number(s) <= max) return Number(s);
  const guess = didYouMean(s, names);
  return `unknown ${what} "${s}"${guess ? `; did you mean "${guess}"?` : ` (expected one of ${names.join(', ')})`}`;
}

function dayOfMonth(s: string): number | string {
  const n = /^-?\d+$/.test(s) ? Number(s) : NaN;
  if (!Number.isInteger(n) || n === 0 || n < -31 || n > 31) return `expected a day of the month from 1 to 31, or -31 to -1 counted from the end, got "${s}"`;
  return n;
}

function year(s: string): number | string {
  return /^\d{4}$/.test(s) ? Number(s) : `expected a year such as 2026, got "${s}"`;
}

function unknownKeys(obj: Record<string, unknown>, known: string[], at: (string | number)[], problem: Problem): boolean {
  let ok = true;
  for (const key of Object.keys(obj)) {
    if (known.includes(key)) continue;
    ok = false;
    const guess = didYouMean(key, known);
    problem([...at, key], guess ? `unknown key; did you mean "${guess}"?` : `unknown key (known keys: ${known.join(', ')})`);
  }
  return ok;
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function show(v: unknown): string {
  return v === undefined ? 'nothing' : JSON.stringify(v);
}

/** A problem's path as a field name under `prefix`: `timeIntervals[0].intervals[1].times[0].startTime`. */
export function timeIntervalField(prefix: string, path: readonly (string | number)[]): string {
  let out = prefix;
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out ? `.${seg}` : seg;
  return out;
}
