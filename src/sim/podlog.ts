// pods/log as the kubelet serves it through the API server: container
// choice, --previous, --tail, --since, --timestamps, --limit-bytes, --follow,
// and the errors kubectl users know. --since is judged on the cluster's
// clock (the kubelet's), not the machine's, so a stepped simulator agrees
// with the timestamps it wrote.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { badRequest, notFound } from './errors.ts';
import type { LogLine, LogStore } from './logs.ts';
import { queryBool, type RequestInfo } from './request.ts';
import type { ObjectStore } from './store.ts';

type Obj = Record<string, unknown>;

export function servePodLog(store: ObjectStore, logs: LogStore, info: RequestInfo, req: IncomingMessage, res: ServerResponse, nowMs: () => number = Date.now): void {
  const ns = info.namespace!;
  const name = info.name!;
  const pod = store.get('pods', ns, name);
  if (!pod) throw notFound('pods', '', name);
  const spec = (pod.spec ?? {}) as Obj;
  const containers = ((spec.containers ?? []) as Obj[]).map((c) => String(c.name));
  const inits = ((spec.initContainers ?? []) as Obj[]).map((c) => String(c.name));
  const q = info.query;
  let container = q.get('container') ?? '';
  if (!container) {
    if (containers.length !== 1) {
      throw badRequest(`a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]`);
    }
    container = containers[0];
  }
  if (!containers.includes(container) && !inits.includes(container)) {
    throw badRequest(`container ${container} is not valid for pod ${name}`);
  }
  const previous = queryBool(q, 'previous');
  let lines = logs.read(ns, name, container, previous);
  if (previous && !lines) throw badRequest(`previous terminated container "${container}" in pod "${name}" not found`);
  if (!lines || lines.length === 0) {
    const statuses = (((pod.status ?? {}) as Obj).containerStatuses ?? []) as Obj[];
    const st = statuses.find((s) => s.name === container);
    const waiting = ((st?.state ?? {}) as Obj).waiting as Obj | undefined;
    if (!st || waiting) {
      const reason = String(waiting?.reason ?? 'ContainerCreating');
      const why = reason === 'ErrImagePull' || reason === 'ImagePullBackOff' ? 'trying and failing to pull image' : `waiting to start: ${reason}`;
      throw badRequest(`container "${container}" in pod "${name}" is ${why}`);
    }
  }
  lines = lines ?? [];

  const sinceSeconds = q.get('sinceSeconds');
  const sinceTime = q.get('sinceTime');
  if (sinceSeconds !== null && sinceTime !== null) throw badRequest('at most one of `sinceTime` or `sinceSeconds` may be specified');
  if (sinceSeconds !== null && !(Number.isInteger(Number(sinceSeconds)) && Number(sinceSeconds) > 0)) {
    throw badRequest(`sinceSeconds: Invalid value: ${sinceSeconds}: must be greater than 0`);
  }
  const cutoff = sinceSeconds ? nowMs() - Number(sinceSeconds) * 1000 : sinceTime ? Date.parse(sinceTime) : undefined;
  if (cutoff !== undefined) lines = lines.filter((l) => Date.parse(l.time) >= cutoff);
  const tail = q.get('tailLines');
  if (tail !== null) {
    const n = Number(tail);
    if (!Number.isInteger(n) || n < 0) throw badRequest(`tailLines: Invalid value: ${tail}: must be greater than or equal to 0`);
    lines = n === 0 ? [] : lines.slice(-n);
  }
  const timestamps = queryBool(q, 'timestamps');
  const fmt = (l: LogLine): string => (timestamps ? `${l.time} ${l.text}\n` : `${l.text}\n`);
  let budget = q.get('limitBytes') ? Number(q.get('limitBytes')) : Infinity;
  const emit = (text: string): boolean => {
    if (budget <= 0) return false;
    const chunk = budget < Buffer.byteLength(text) ? Buffer.from(text).subarray(0, budget) : Buffer.from(text);
    budget -= chunk.length;
    res.write(chunk);
    return budget > 0;
  };

  res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
  let open = true;
  for (const l of lines) if (!(open = emit(fmt(l)))) break;
  if (!queryBool(q, 'follow') || !open || previous) {
    res.end();
    return;
  }
  const stopFollow = logs.follow(ns, name, container, (l) => {
    if (!emit(fmt(l))) done();
  });
  const stopWatch = store.subscribe((c) => {
    if (c.type === 'DELETED' && c.storage === 'pods' && c.object.metadata.namespace === ns && c.object.metadata.name === name) done();
  });
  function done(): void {
    stopFollow();
    stopWatch();
    if (!res.writableEnded) res.end();
  }
  req.on('close', done);
}
