// Which sink a route's reference names, and whether the route may use it.
// A namespaced Route may only use Sinks of its own namespace: that, with its
// namespace-only matching, is the tenancy boundary. ClusterRoutes and config
// routes may use any sink.

import { didYouMean } from '../config-kit/suggest.ts';
import type { KnownSink, RouteSpec, SinkRef } from './types.ts';

/** The id a sink has in RoutingResult.sinks: "config/<name>", "Sink/<ns>/<name>" or "ClusterSink/<name>". */
export function sinkId(s: KnownSink): string {
  if (s.kind === 'Sink') return `Sink/${s.namespace ?? ''}/${s.name}`;
  return `${s.kind}/${s.name}`;
}

export type SinkResolution = { id: string } | { reason: 'UnknownSink' | 'SinkNotAllowed' | 'InvalidSinkRef'; message: string };

export function resolveSinkRef(route: RouteSpec, ref: SinkRef, known: ReadonlyMap<string, KnownSink>): SinkResolution {
  if (ref === null || typeof ref !== 'object' || typeof ref.name !== 'string' || ref.name === '') {
    return { reason: 'InvalidSinkRef', message: `expected a sink reference with a name, got ${JSON.stringify(ref)}` };
  }
  const { name } = ref;
  if (ref.kind !== undefined && ref.kind !== 'Sink' && ref.kind !== 'ClusterSink') {
    return { reason: 'InvalidSinkRef', message: `kind must be Sink or ClusterSink, got ${JSON.stringify(ref.kind)}` };
  }
  const has = (s: KnownSink): string | undefined => (known.has(sinkId(s)) ? sinkId(s) : undefined);
  /** the unknown-sink message, with the likeliest sink of those the reference could have meant */
  const unknown = (message: string, could: (s: KnownSink) => boolean): SinkResolution => {
    const guess = didYouMean(name, [...known.values()].filter(could).map((s) => s.name));
    return { reason: 'UnknownSink', message: guess ? `${message}; did you mean ${JSON.stringify(guess)}?` : message };
  };

  if (route.source === 'Route') {
    const own = route.namespace ?? '';
    if (ref.kind === 'ClusterSink') return { reason: 'SinkNotAllowed', message: `a Route may only use Sinks in its own namespace "${own}", not ClusterSink "${name}"` };
    if (ref.namespace !== undefined && ref.namespace !== own) {
      return { reason: 'SinkNotAllowed', message: `a Route may only use Sinks in its own namespace "${own}", not Sink "${ref.namespace}/${name}"` };
    }
    const id = has({ kind: 'Sink', namespace: own, name });
    return id ? { id } : unknown(`no Sink "${name}" in namespace "${own}"`, (s) => s.kind === 'Sink' && s.namespace === own);
  }

  if (ref.kind === 'Sink' || ref.namespace !== undefined) {
    if (!ref.namespace) return { reason: 'InvalidSinkRef', message: `a Sink reference from a ${route.source === 'config' ? 'config route' : 'ClusterRoute'} needs a namespace` };
    const id = has({ kind: 'Sink', namespace: ref.namespace, name });
    return id ? { id } : unknown(`no Sink "${name}" in namespace "${ref.namespace}"`, (s) => s.kind === 'Sink' && s.namespace === ref.namespace);
  }
  if (ref.kind === 'ClusterSink') {
    const id = has({ kind: 'ClusterSink', name });
    return id ? { id } : unknown(`no ClusterSink "${name}"`, (s) => s.kind === 'ClusterSink');
  }
  // a bare name: each source prefers the sinks defined next to it
  const order: KnownSink['kind'][] = route.source === 'config' ? ['config', 'ClusterSink'] : ['ClusterSink', 'config'];
  for (const kind of order) {
    const id = has({ kind, name });
    if (id) return { id };
  }
  return unknown(`no config sink or ClusterSink named "${name}"`, (s) => order.includes(s.kind));
}
