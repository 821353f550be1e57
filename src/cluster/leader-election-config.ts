// The `leaderElection:` section: which Lease replicas elect their leader on,
// who this process is, and client-go's timings. Timings are seconds and may
// be fractional (0.5), so tests and small clusters can run short terms. The
// timing rules and the default identity live here rather than beside the
// elector, so validating a config file never loads the Kubernetes client.

import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type * as k8s from '@kubernetes/client-node';
import { z } from 'zod';
import { strict } from '../config-kit/fields.ts';

/** client-go's wait.JitterUntil factor for acquire attempts; renewDeadline must exceed retryPeriod × this. */
export const JITTER_FACTOR = 1.2;

export interface TimingProblem {
  key: 'leaseDuration' | 'renewDeadline' | 'retryPeriod';
  message: string;
}

/** client-go's NewLeaderElector checks, on milliseconds; empty when the timings are sound. */
export function timingProblems(t: { leaseDurationMs: number; renewDeadlineMs: number; retryPeriodMs: number }): TimingProblem[] {
  const out: TimingProblem[] = [];
  const s = (ms: number): string => `${ms / 1000} s`;
  for (const key of ['leaseDuration', 'renewDeadline', 'retryPeriod'] as const) {
    const v = t[`${key}Ms`];
    if (!Number.isFinite(v) || v <= 0) out.push({ key, message: `must be greater than zero, got ${v}` });
  }
  if (out.length) return out;
  if (t.leaseDurationMs <= t.renewDeadlineMs) {
    out.push({ key: 'leaseDuration', message: `must be greater than the renew deadline (${s(t.leaseDurationMs)} ≤ ${s(t.renewDeadlineMs)}): a deposed leader must stop before its lease can expire` });
  }
  if (t.renewDeadlineMs <= t.retryPeriodMs * JITTER_FACTOR) {
    out.push({ key: 'renewDeadline', message: `must be greater than the retry period × ${JITTER_FACTOR} (${s(t.renewDeadlineMs)} ≤ ${s(t.retryPeriodMs * JITTER_FACTOR)}): a leader needs more than one try to renew` });
  }
  return out;
}

/** client-go's usual identity: the pod's name, else the host name and a random suffix (two processes on one host differ). */
export function defaultIdentity(env: NodeJS.ProcessEnv = process.env): string {
  return env.POD_NAME || `${hostname()}_${randomUUID()}`;
}

/** A positive number of seconds, fractions allowed, kept to whole milliseconds. */
function seconds() {
  return z.number().superRefine((n, ctx) => {
    if (!Number.isFinite(n) || n <= 0) ctx.addIssue({ code: 'custom', message: `expected a number of seconds > 0, got ${n}` });
    else if (Math.abs(Math.round(n * 1000) - n * 1000) > 1e-6) ctx.addIssue({ code: 'custom', message: `expected at most millisecond precision, got ${n}` });
  });
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export const leaderElectionSchema = strict({
  /** auto: on when replicas share a state database (state.url set), off on a local SQLite file */
  enabled: z.union([z.literal('auto'), z.boolean()], { error: 'expected auto, true or false' }).default('auto'),
  /** where the Lease lives; empty: customResources.namespace, else the kubeconfig context's namespace, else "default" */
  namespace: z
    .string()
    .refine((s) => s === '' || (s.length <= 63 && DNS1123_LABEL.test(s)), { error: 'expected a namespace name (a DNS-1123 label) or "" for the default' })
    .default(''),
  leaseName: z
    .string()
    .refine((s) => s.length <= 253 && DNS1123_SUBDOMAIN.test(s), { error: 'expected a Lease name (a DNS-1123 subdomain: lowercase letters, digits, "-" and ".")' })
    .default('kubeherald'),
  /** the holderIdentity written into the Lease; empty: $POD_NAME, else the host name and a random suffix */
  identity: z.string().default(''),
  leaseDurationSeconds: seconds().default(15),
  renewDeadlineSeconds: seconds().default(10),
  retryPeriodSeconds: seconds().default(2),
}).superRefine((c, ctx) => {
  // only once each timing is a number: the relations between them would repeat its own error
  if (![c.leaseDurationSeconds, c.renewDeadlineSeconds, c.retryPeriodSeconds].every((n) => typeof n === 'number' && n > 0)) return;
  const problems = timingProblems({ leaseDurationMs: c.leaseDurationSeconds * 1000, renewDeadlineMs: c.renewDeadlineSeconds * 1000, retryPeriodMs: c.retryPeriodSeconds * 1000 });
  for (const p of problems) ctx.addIssue({ code: 'custom', path: [`${p.key}Seconds`], message: p.message });
});

export type LeaderElectionConfig = z.output<typeof leaderElectionSchema>;

/** What the process elects on, resolved: the shape app/leadership.ts takes. */
export interface LeaderElectionSettings {
  kc: k8s.KubeConfig;
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

/**
 * The settings, or undefined when this process elects no leader: `enabled:
 * auto` elects exactly when the state is shared (a state URL is set), since
 * a local SQLite file already has one owner.
 */
export function resolveLeaderElection(
  cfg: LeaderElectionConfig,
  ctx: { kc: k8s.KubeConfig; stateUrl?: string; customResourcesNamespace?: string; env?: NodeJS.ProcessEnv },
): LeaderElectionSettings | undefined {
  const enabled = cfg.enabled === 'auto' ? !!ctx.stateUrl : cfg.enabled;
  if (!enabled) return undefined;
  const contextNamespace = ctx.kc.getContextObject(ctx.kc.getCurrentContext())?.namespace;
  return {
    kc: ctx.kc,
    namespace: cfg.namespace || ctx.customResourcesNamespace || contextNamespace || 'default',
    name: cfg.leaseName,
    identity: cfg.identity || defaultIdentity(ctx.env),
    leaseDurationMs: Math.round(cfg.leaseDurationSeconds * 1000),
    renewDeadlineMs: Math.round(cfg.renewDeadlineSeconds * 1000),
    retryPeriodMs: Math.round(cfg.retryPeriodSeconds * 1000),
  };
}
