// The demo's verdict: each incident the demo scenario plays must have been
// notified exactly once (and resolved exactly once where it resolves), and
// nothing else may have been notified. Pure, so tests can check the checker.

import type { Expectation } from '../model/demo.ts';
import { type Notification, State } from '../model/notification.ts';

export type { Expectation };

export interface ExpectationResult {
  expectation: Expectation;
  firing: number;
  resolved: number;
  ok: boolean;
}

export interface DemoReport {
  results: ExpectationResult[];
  /** notifications no expectation accounts for */
  unexpected: Notification[];
  ok: boolean;
}

function matches(e: Expectation, n: Notification): boolean {
  const o = n.involvedObject;
  if (!o || o.kind !== e.kind || n.reason !== e.reason) return false;
  if (e.namespace !== undefined && o.namespace !== e.namespace) return false;
  if (e.name !== undefined && o.name !== e.name) return false;
  if (e.namePrefix !== undefined && !o.name.startsWith(e.namePrefix)) return false;
  if (e.revision !== undefined && n.fields.revision !== e.revision) return false;
  if (e.generation !== undefined && n.fields.generation !== e.generation) return false;
  return true;
}

export function checkDemo(expectations: Expectation[], notifications: Notification[]): DemoReport {
  const accounted = new Set<Notification>();
  const results = expectations.map((expectation) => {
    const firing = notifications.filter((n) => n.state === State.FIRING && !accounted.has(n) && matches(expectation, n));
    // take one firing notification per expectation, so two expectations of the same shape each need their own
    const mine = firing.slice(0, 1);
    for (const n of mine) accounted.add(n);
    const incidents = new Set(mine.map((n) => n.incidentKey));
    const resolved = notifications.filter((n) => n.state === State.RESOLVED && incidents.has(n.incidentKey));
    for (const n of resolved) accounted.add(n);
    const wantResolved = expectation.state === 'resolved' ? 1 : 0;
    return { expectation, firing: firing.length, resolved: resolved.length, ok: firing.length === 1 && resolved.length === wantResolved };
  });
  const unexpected = notifications.filter((n) => !accounted.has(n));
  return { results, unexpected, ok: results.every((r) => r.ok) && unexpected.length === 0 };
}

export function formatReport(r: DemoReport): string {
  const lines = ['', 'expected incident                                  firing  resolved  ok'];
  for (const x of r.results) {
    const e = x.expectation;
    const what = `${e.reason} ${e.kind}/${e.name ?? e.namePrefix + '…'}${e.revision ? ` rev ${e.revision}` : ''}${e.generation ? ` gen ${e.generation}` : ''}`;
    const want = e.state === 'resolved' ? '1' : '0';
    lines.push(`${what.padEnd(50)} ${String(x.firing).padStart(3)}/1  ${String(x.resolved).padStart(5)}/${want}   ${x.ok ? 'yes' : 'NO'}`);
  }
  for (const n of r.unexpected) {
    lines.push(`unexpected: ${n.state === State.FIRING ? 'FIRING' : 'RESOLVED'} ${n.reason} ${n.involvedObject?.kind}/${n.involvedObject?.name}`);
  }
  const ok = r.results.filter((x) => x.ok).length;
  lines.push('', `${ok} of ${r.results.length} expected incidents notified exactly once; ${r.unexpected.length} unexpected — ${r.ok ? 'PASS' : 'FAIL'}`, '');
  return lines.join('\n');
}
