// What a receiver got against what a reference listener made, for tests that
// kill kubeherald: a notification is its incident and state ("FIRING key"),
// and one the reference made n times may arrive n times.

import { type Notification, State } from '../../src/model/notification.ts';

export const pairOf = (incidentKey: string, firing: boolean): string => `${firing ? 'FIRING' : 'RESOLVED'} ${incidentKey}`;

export interface Arrived {
  pair: string;
  /** the request's idempotency key (webhook-id) */
  id: string;
}

export interface Account {
  /** expected (before the stop) and never arrived */
  lost: string[];
  /** arrived, never made by the reference (judged after the stop) */
  unexpected: string[];
  /** every request beyond what the reference made, under any key */
  duplicated: number;
  /** the same, counting a repeat of one key once: what a receiver deduplicating by key still sees twice */
  underNewKey: number;
}

export function account(reference: readonly Notification[], all: readonly Arrived[], want: readonly string[]): Account {
  const got = new Set(all.map((d) => d.pair));
  const wantFinal = new Set(reference.map((n) => pairOf(n.incidentKey, n.state === State.FIRING)));
  const made = new Map<string, number>();
  for (const n of reference) {
    const p = pairOf(n.incidentKey, n.state === State.FIRING);
    made.set(p, (made.get(p) ?? 0) + 1);
  }
  const excess = (count: (pair: string) => number): number => [...got].reduce((sum, p) => sum + Math.max(0, count(p) - (made.get(p) ?? 0)), 0);
  return {
    lost: want.filter((p) => !got.has(p)),
    unexpected: [...got].filter((p) => !wantFinal.has(p)),
    duplicated: excess((p) => all.filter((d) => d.pair === p).length),
    underNewKey: excess((p) => new Set(all.filter((d) => d.pair === p).map((d) => d.id)).size),
  };
}
