// A route's time windows: `activeTimeIntervals` (it sends only within one of
// them) and `muteTimeIntervals` (it sends nothing within any of them), named
// intervals of the config file's `timeIntervals:` (time-interval.ts).
//
// A muted route still matches — evaluation stops at it as at any match
// (unless `continue`), as in Alertmanager — but adds no sink. Unlike
// Alertmanager a RESOLVED is never muted: a FIRING that went out before the
// window closed is followed by its end, not left open in chat.

import { State } from '../model/notification.ts';
import type { CompiledTimeInterval } from './time-interval.ts';
import type { RouteMute, RouteSpec } from './types.ts';

export interface RouteWindow {
  /** why the route is muted for `state` at `now` (epoch ms), or undefined when it is active */
  mutedAt(now: number, state: State): RouteMute | undefined;
}

type Problem = (path: (string | number)[], reason: string, message: string) => void;

const where = (i: CompiledTimeInterval): string => (i.locations.length ? ` (${i.locations.join(', ')})` : '');

export function compileWindow(spec: RouteSpec, intervals: ReadonlyMap<string, CompiledTimeInterval>, problem: Problem): RouteWindow | undefined {
  const names = (key: 'activeTimeIntervals' | 'muteTimeIntervals'): CompiledTimeInterval[] => {
    const list = spec[key] as unknown;
    if (list === undefined || list === null) return [];
    if (!Array.isArray(list)) {
      problem([key], 'InvalidTimeInterval', 'expected a list of time interval names');
      return [];
    }
    const out: CompiledTimeInterval[] = [];
    list.forEach((name, i) => {
      const found = typeof name === 'string' ? intervals.get(name) : undefined;
      if (found) out.push(found);
      else if (typeof name !== 'string' || name === '') problem([key, i], 'InvalidTimeInterval', `expected a time interval name, got ${JSON.stringify(name)}`);
      else {
        const defined = [...intervals.keys()];
        problem([key, i], 'UnknownTimeInterval', `route "${spec.name}" names time interval "${name}", which is not defined (${defined.length ? `timeIntervals: ${defined.join(', ')}` : 'no timeIntervals are defined'})`);
      }
    });
    return out;
  };
  const active = names('activeTimeIntervals');
  const mute = names('muteTimeIntervals');
  if (active.length === 0 && mute.length === 0) return undefined;
  const route = spec.id;
  return {
    mutedAt(now, state) {
      if (state === State.RESOLVED) return undefined;
      for (const i of mute) {
        if (i.contains(now)) return { route, interval: i.name, kind: 'mute', locations: i.locations, text: `muted by time interval ${i.name}${where(i)}` };
      }
      if (active.length && !active.some((i) => i.contains(now))) {
        const first = active[0];
        const text = active.length === 1 ? `outside its active time interval ${first.name}${where(first)}` : `outside its active time intervals ${active.map((i) => `${i.name}${where(i)}`).join(', ')}`;
        return { route, interval: first.name, kind: 'active', locations: first.locations, text };
      }
      return undefined;
    },
  };
}
