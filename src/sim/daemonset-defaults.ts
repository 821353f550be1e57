// What the API server's DaemonSet strategy adds beyond defaulting: the
// template generation (registry/apps/daemonset PrepareForCreate and
// PrepareForUpdate), which apps/v1 shows as an annotation and the controller
// stamps on pods as `pod-template-generation`. A client cannot set or drop
// it: the server's value always wins.

import type { KObject } from './types.ts';

export const TEMPLATE_GENERATION_ANNOTATION = 'deprecated.daemonset.template.generation';

function templateGenerationOf(o: KObject): number {
  const v = Number(o.metadata.annotations?.[TEMPLATE_GENERATION_ANNOTATION]);
  return Number.isInteger(v) && v > 0 ? v : 1;
}

function canonical(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v ?? null);
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(',')}}`;
}

function setTemplateGeneration(o: KObject, n: number): void {
  o.metadata.annotations = { ...(o.metadata.annotations ?? {}), [TEMPLATE_GENERATION_ANNOTATION]: String(n) };
}

/** A new DaemonSet starts at template generation 1. */
export function daemonSetCreateMeta(obj: KObject): void {
  setTemplateGeneration(obj, 1);
}

/** An update that changes the pod template moves the template generation on; anything else keeps it. */
export function daemonSetUpdateMeta(current: KObject, next: KObject): void {
  const cur = templateGenerationOf(current);
  const tpl = (o: KObject): unknown => (o.spec as { template?: unknown } | undefined)?.template;
  setTemplateGeneration(next, canonical(tpl(current)) === canonical(tpl(next)) ? cur : cur + 1);
}
