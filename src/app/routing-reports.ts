// What the routing hub left out, logged once per change: a Sink it could not
// turn into a working sink, a config-file route the table refused. The same
// problem seen again on the next rebuild is not logged again; one that went
// away is logged as fixed (sinks) or forgotten (routes).

import type { FieldProblem } from '../crd/schemas.ts';
import type { Logger } from '../model/logger.ts';
import type { RoutingTable } from '../rules/types.ts';

const problemsText = (ps: readonly FieldProblem[]): string => ps.map((p) => `${p.field}: ${p.message}`).join('; ');

export class RoutingReports {
  #log: Logger;
  /** last problem text logged per sink or config route */
  #reported = new Map<string, string>();

  constructor(log: Logger) {
    this.#log = log;
  }

  /** A sink's problems now (none: it is usable). */
  sink(id: string, problems: readonly FieldProblem[]): void {
    const text = problemsText(problems);
    if ((this.#reported.get(id) ?? '') === text) return;
    if (text) {
      this.#reported.set(id, text);
      this.#log.error({ sink: id, problems }, `sink left out: ${text}`);
    } else {
      this.#reported.delete(id);
      this.#log.info({ sink: id }, 'sink usable again');
    }
  }

  /** Forgets the sinks `drop` names, so one that comes back is reported afresh. */
  forgetSinks(drop: (id: string) => boolean): void {
    for (const id of [...this.#reported.keys()]) if (drop(id)) this.#reported.delete(id);
  }

  /** Problems of config-file routes (the controller reports the custom resources'). */
  routes(table: RoutingTable): void {
    const now = new Map<string, string>();
    for (const p of table.problems) {
      if (!p.routeId.startsWith('config/')) continue;
      const key = `${p.routeId}#${p.field}`;
      now.set(key, p.message);
      if (this.#reported.get(key) === p.message) continue;
      this.#log.error({ route: p.routeId, field: p.field, reason: p.reason }, `route left out: ${p.message}`);
    }
    for (const key of [...this.#reported.keys()]) if (key.startsWith('config/') && !now.has(key)) this.#reported.delete(key);
    for (const [key, m] of now) this.#reported.set(key, m);
  }
}
