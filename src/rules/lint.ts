// Words in a route that nothing produces: a reason no detector or
// Kubernetes component gives (`RolloutComplete` for RolloutCompleted), a
// kind kubeherald neither watches nor sees Events about, a detector that
// does not exist. Such a route compiles and silently never matches, so
// each one is a warning with a suggestion, and an error where the user
// asks for strictness (--strict). Pure: the vocabulary is given (see
// src/detect/vocabulary.ts); a route from a custom resource that no schema
// has seen is looked at before it is trusted.

import { didYouMean } from '../config-kit/suggest.ts';
import { compileCel, type PinDim } from './cel.ts';
import { fieldName, type Path, type PathProblem } from './route.ts';
import type { RouteProblem, RouteSpec } from './types.ts';

/** The words routes are checked against. */
export interface RouteVocabulary {
  reasons: readonly string[];
  kinds: readonly string[];
  /** plural resource names of the extra watched resources (their kinds are checked by name) */
  resources: readonly string[];
  detectors: readonly string[];
  /** detectors whose reasons come from the objects (a condition's own reason): routes pinned to one are not checked for reasons */
  openDetectors?: readonly string[];
}

type Word = 'reasons' | 'kinds' | 'detectors';

const REASON: Record<Word, string> = { reasons: 'UnknownReason', kinds: 'UnknownKind', detectors: 'UnknownDetector' };
const DIM: Record<Word, PinDim> = { reasons: 'reason', kinds: 'kind', detectors: 'detector' };

/** The plural a resource of this kind most likely has (how Kubernetes guesses it too). */
function pluralsOf(kind: string): string[] {
  const k = kind.toLowerCase();
  return [k, `${k}s`, `${k}es`, k.replace(/y$/, 'ies')];
}

function known(word: Word, value: string, v: RouteVocabulary): boolean {
  if (word === 'reasons') return v.reasons.includes(value);
  if (word === 'detectors') return v.detectors.includes(value);
  return v.kinds.includes(value) || (/^[A-Z]/.test(value) && pluralsOf(value).some((p) => v.resources.includes(p)));
}

function message(word: Word, value: string, v: RouteVocabulary): string {
  const candidates = word === 'reasons' ? v.reasons : word === 'kinds' ? v.kinds : v.detectors;
  const guess = didYouMean(value, candidates);
  const hint = guess ? `did you mean ${JSON.stringify(guess)}?` : undefined;
  const q = JSON.stringify(value);
  switch (word) {
    case 'reasons':
      return `${q} is not a reason kubeherald's detectors or Kubernetes' own components give; ${hint ?? 'only an Event from another controller could carry it'}`;
    case 'kinds':
      return `${q} is not a kind kubeherald watches or sees Kubernetes events about; ${hint ?? 'add its resource to watch.resources to be told of its changes'}`;
    default:
      return `${q} is not a detector; ${hint ?? `detectors: ${candidates.join(', ')}`}`;
  }
}

/** The route's unknown words, with paths relative to the route (`["match", "reasons", 0]`). */
export function lintRouteAt(spec: RouteSpec, v: RouteVocabulary): PathProblem[] {
  const out: PathProblem[] = [];
  const match = spec.match as unknown;
  if (match === null || typeof match !== 'object' || Array.isArray(match)) return out;
  const m = match as Record<string, unknown>;
  const open = (ds: readonly unknown[]): boolean => ds.some((d) => typeof d === 'string' && (v.openDetectors ?? []).includes(d));
  const openReasons = Array.isArray(m.detectors) && open(m.detectors);
  for (const word of ['kinds', 'reasons', 'detectors'] as const) {
    const values = m[word];
    if (!Array.isArray(values) || (word === 'reasons' && openReasons)) continue;
    values.forEach((value, i) => {
      if (typeof value === 'string' && value !== '' && !known(word, value, v)) out.push({ path: ['match', word, i], reason: REASON[word], message: message(word, value, v) });
    });
  }
  // `reason == "RolloutComplete"` in CEL is the same mistake
  if (typeof m.cel === 'string' && m.cel.trim() !== '') {
    const c = compileCel(m.cel);
    if (c.ok) {
      const celOpen = openReasons || open([...(c.pins.get('detector') ?? [])]);
      for (const word of ['kinds', 'reasons', 'detectors'] as const) {
        if (word === 'reasons' && celOpen) continue;
        for (const value of c.pins.get(DIM[word]) ?? []) {
          if (!known(word, value, v)) out.push({ path: ['match', 'cel'] as Path, reason: REASON[word], message: `${DIM[word]}: ${message(word, value, v)}` });
        }
      }
    }
  }
  return out;
}

/** lintRouteAt for a route, its fields named as compileRoutes names them ("spec.match.reasons[0]", "match.reasons[0]"). */
export function lintRoute(spec: RouteSpec, v: RouteVocabulary): RouteProblem[] {
  return lintRouteAt(spec, v).map((p) => ({ routeId: spec.id, field: fieldName(spec, p.path), reason: p.reason, message: p.message }));
}
