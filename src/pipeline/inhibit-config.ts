// The `inhibit:` section: causal inhibition is on by default; each built-in
// cause can be switched off, and Alertmanager-style rules added. Bad rules
// are refused with the field named (inhibit.rules[0].source.reson: …).

import { z } from 'zod';
import { count, list, strict } from '../config-kit/fields.ts';
import { type UserRule, validateRule } from './inhibit-rules.ts';

const ruleSchema = z.unknown().superRefine((raw, ctx) => {
  for (const problem of validateRule(raw, '')) {
    // the problem starts with its path below the rule (".source.reson: …"): put it at that path
    const m = /^((?:\.[^.:\s[\]]+|\[\d+\])*): (.*)$/.exec(problem);
    const path = m ? [...m[1].matchAll(/\.([^.[\]]+)|\[(\d+)\]/g)].map((x) => (x[2] !== undefined ? Number(x[2]) : x[1])) : [];
    ctx.addIssue({ code: 'custom', path, message: m ? m[2] : problem });
  }
});

export const inhibitSchema = strict({
  enabled: z.boolean().default(true),
  /** a NotReady node holds back its pods' NotReady/evictions and the availability of workloads whose unready pods are all on such nodes */
  node: z.boolean().default(true),
  /** a stuck rollout holds back its pods' pull failures and crash loops */
  rollout: z.boolean().default(true),
  /** a namespace being deleted holds back its objects */
  namespace: z.boolean().default(true),
  /** after a cause resolves, its effects stay held this long (they usually resolve with it); what still fires then is notified on its own */
  releaseAfterSeconds: count(0).default(60),
  rules: list(ruleSchema),
});

export type InhibitConfig = z.output<typeof inhibitSchema>;

export const DEFAULT_INHIBIT: InhibitConfig = { enabled: true, node: true, rollout: true, namespace: true, releaseAfterSeconds: 60, rules: [] };

/** The user rules as the Inhibitor takes them (validated by the schema). */
export function userRules(cfg: InhibitConfig): UserRule[] {
  return cfg.rules.map((r, i) => {
    const o = r as { name?: string; source: Record<string, string>; target: Record<string, string>; equal?: string[] };
    return { name: o.name ?? `rules[${i}]`, source: o.source, target: o.target, equal: o.equal ?? [] };
  });
}
