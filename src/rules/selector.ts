// Kubernetes label selectors (metav1.LabelSelector) over a notification's
// labels, with Kubernetes' validation and semantics: every requirement must
// hold; NotIn and DoesNotExist hold for an absent key; an empty selector
// matches everything.

import type { LabelSelector } from './types.ts';

export interface SelectorProblem {
  /** relative to the selector, e.g. ["matchExpressions", 0, "values"] */
  path: (string | number)[];
  message: string;
}

type Labels = Readonly<Record<string, string>>;

export interface CompiledSelector {
  test(labels: Labels): boolean;
  /** why the labels fail the selector, or undefined if they pass */
  why(labels: Labels): string | undefined;
}

const NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

function keyProblem(key: unknown): string | undefined {
  if (typeof key !== 'string') return `expected a label key, got ${JSON.stringify(key)}`;
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) return `${JSON.stringify(key)}: the prefix must be a DNS subdomain (e.g. example.com/name)`;
  if (name.length > 63 || !NAME.test(name)) return `${JSON.stringify(key)} is not a valid label key (at most 63 letters, digits, "-", "_" and ".", starting and ending with a letter or digit, with an optional DNS prefix and "/")`;
  return undefined;
}

function valueProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return `expected a label value, got ${JSON.stringify(value)}`;
  if (value !== '' && (value.length > 63 || !NAME.test(value))) return `${JSON.stringify(value)} is not a valid label value (at most 63 letters, digits, "-", "_" and ".", starting and ending with a letter or digit)`;
  return undefined;
}

const list = (values: readonly string[]): string => `[${values.join(', ')}]`;

/** Validates and compiles a selector; problems name the field inside the selector. */
export function compileSelector(sel: LabelSelector): { selector?: CompiledSelector; problems: SelectorProblem[] } {
  const problems: SelectorProblem[] = [];
  const checks: ((labels: Labels) => string | undefined)[] = [];
  if (sel === null || typeof sel !== 'object' || Array.isArray(sel)) return { problems: [{ path: [], message: 'expected a label selector (matchLabels and/or matchExpressions)' }] };

  const matchLabels = sel.matchLabels ?? {};
  if (typeof matchLabels !== 'object' || Array.isArray(matchLabels)) {
    problems.push({ path: ['matchLabels'], message: 'expected a map of label keys to values' });
  } else {
    for (const [key, want] of Object.entries(matchLabels)) {
      const p = keyProblem(key) ?? valueProblem(want);
      if (p) {
        problems.push({ path: ['matchLabels', key], message: p });
        continue;
      }
      checks.push((labels) => {
        if (!Object.hasOwn(labels, key)) return `${key} is missing (want ${key}=${want})`;
        return labels[key] === want ? undefined : `${key}=${JSON.stringify(labels[key])}, want ${JSON.stringify(want)}`;
      });
    }
  }

  const exprs = sel.matchExpressions ?? [];
  if (!Array.isArray(exprs)) {
    problems.push({ path: ['matchExpressions'], message: 'expected a list of requirements' });
  } else {
    exprs.forEach((req, i) => {
      const kp = keyProblem(req?.key);
      if (kp) problems.push({ path: ['matchExpressions', i, 'key'], message: kp });
      const op = req?.operator;
      if (!OPERATORS.includes(op)) {
        problems.push({ path: ['matchExpressions', i, 'operator'], message: `expected one of ${OPERATORS.join(', ')}, got ${JSON.stringify(op)}` });
        return;
      }
      const values = req.values ?? [];
      if (!Array.isArray(values)) {
        problems.push({ path: ['matchExpressions', i, 'values'], message: 'expected a list of label values' });
        return;
      }
      if ((op === 'In' || op === 'NotIn') && values.length === 0) problems.push({ path: ['matchExpressions', i, 'values'], message: `must be non-empty when operator is ${op}` });
      if ((op === 'Exists' || op === 'DoesNotExist') && values.length > 0) problems.push({ path: ['matchExpressions', i, 'values'], message: `must be empty when operator is ${op}` });
      values.forEach((v, j) => {
        const vp = valueProblem(v);
        if (vp) problems.push({ path: ['matchExpressions', i, 'values', j], message: vp });
      });
      if (kp) return;
      const key = req.key;
      const set = new Set(values);
      checks.push((labels) => {
        const has = Object.hasOwn(labels, key);
        switch (op) {
          case 'In':
            if (!has) return `${key} is missing (want ${key} In ${list(values)})`;
            return set.has(labels[key]) ? undefined : `${key}=${JSON.stringify(labels[key])} not In ${list(values)}`;
          case 'NotIn':
            return has && set.has(labels[key]) ? `${key}=${JSON.stringify(labels[key])} is In ${list(values)} (want NotIn)` : undefined;
          case 'Exists':
            return has ? undefined : `${key} is missing (want Exists)`;
          default:
            return has ? `${key}=${JSON.stringify(labels[key])} exists (want DoesNotExist)` : undefined;
        }
      });
    });
  }
  if (problems.length) return { problems };
  const why = (labels: Labels): string | undefined => {
    for (const c of checks) {
      const w = c(labels);
      if (w !== undefined) return w;
    }
    return undefined;
  };
  return { selector: { test: (labels) => why(labels) === undefined, why }, problems };
}
