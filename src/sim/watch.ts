// Watch streams with the real server's semantics: where a watch starts for
// each resourceVersion value, selector transitions (an object that stops
// matching is DELETED for that watcher), bookmarks, the initial-events-end
// bookmark of watch-list, timeoutSeconds, and 410 Expired as an ERROR event.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, badRequest, expired } from './errors.ts';
import type { Faults } from './faults.ts';
import { apiVersionOf, toWire } from './handlers.ts';
import { queryBool, type RequestInfo } from './request.ts';
import { matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector } from './selectors.ts';
import type { Change, ObjectStore } from './store.ts';
import { toTable } from './table.ts';
import type { KObject, ResourceType } from './types.ts';

export interface WatchDeps {
  store: ObjectStore;
  faults: Faults;
  now: () => Date;
  bookmarkIntervalMs: number;
}

export interface WatchOptions {
  asTable: boolean;
  includeObject?: 'None' | 'Metadata' | 'Object';
}

/** Serialized watch events, shared by every watcher of the same view. */
const encoded = new WeakMap<ResourceType, WeakMap<KObject, string>>();

function encodeObject(rt: ResourceType, obj: KObject): string {
  let cache = encoded.get(rt);
  if (!cache) encoded.set(rt, (cache = new WeakMap()));
  let s = cache.get(obj);
  if (s === undefined) {
    s = JSON.stringify(toWire(rt, obj));
    cache.set(obj, s);
  }
  return s;
}

export const TABLE_CONTENT_TYPE = 'application/json;as=Table;v=v1;g=meta.k8s.io';

/** Throws (before anything is written) for bad parameters, so the caller answers with a plain Status. */
export function serveWatch(deps: WatchDeps, rt: ResourceType, info: RequestInfo, req: IncomingMessage, res: ServerResponse, opts: WatchOptions): void {
  const q = info.query;
  const labels = q.get('labelSelector') ? parseLabelSelector(q.get('labelSelector')!) : [];
  const fields = q.get('fieldSelector') ? parseFieldSelector(q.get('fieldSelector')!, rt.storage, { group: rt.group, namespaced: rt.namespaced }) : [];
  // `kubectl get -w NAME` and single-object watches select by name
  if (info.name) fields.push({ field: 'metadata.name', op: '=', value: info.name });
  const matches = (o: KObject | undefined): boolean =>
    !!o && (!labels.length || matchesLabels(labels, o.metadata.labels)) && (!fields.length || matchesFields(fields, o));

  const rvParam = q.get('resourceVersion') ?? '';
  const bookmarks = queryBool(q, 'allowWatchBookmarks');
  const sendInitial = queryBool(q, 'sendInitialEvents');
  if (sendInitial && (!bookmarks || q.get('resourceVersionMatch') !== 'NotOlderThan')) {
    throw new ApiError(422, 'Invalid', 'ListOptions.meta.k8s.io "" is invalid: [sendInitialEvents: Forbidden: sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled and resourceVersionMatch is set to NotOlderThan, allowWatchBookmarks: Required value: allowWatchBookmarks must be true when sendInitialEvents is set]', {
      causes: [{ reason: 'FieldValueRequired', field: 'allowWatchBookmarks', message: 'Required value: allowWatchBookmarks must be true when sendInitialEvents is set' }],
    });
  }
  let fromRV: number | undefined;
  if (rvParam !== '' && rvParam !== '0' && !sendInitial) {
    if (!/^\d+$/.test(rvParam)) throw badRequest(`resourceVersion: Invalid value: "${rvParam}": must be a non-negative integer`);
    fromRV = Number(rvParam);
  }
  const timeoutSeconds = watchTimeoutSeconds(q.get('timeoutSeconds'));

  res.writeHead(200, {
    'Content-Type': opts.asTable ? TABLE_CONTENT_TYPE : 'application/json',
    'Cache-Control': 'no-cache, private',
    'Transfer-Encoding': 'chunked',
  });
  res.flushHeaders();

  let firstTable = true;
  const write = (type: string, obj: KObject): void => {
    let line: string;
    if (opts.asTable) {
      const table = toTable(rt, [obj], {
        now: deps.now(),
        resourceVersion: obj.metadata.resourceVersion ?? '',
        includeObject: opts.includeObject,
        withHeaders: firstTable,
      });
      firstTable = false;
      line = `{"type":"${type}","object":${JSON.stringify(table)}}\n`;
    } else {
      line = `{"type":"${type}","object":${encodeObject(rt, obj)}}\n`;
    }
    res.write(line);
  };
  const writeRaw = (type: string, object: unknown): void => {
    res.write(`{"type":"${type}","object":${JSON.stringify(object)}}\n`);
  };

  const cleanups: (() => void)[] = [];
  let closed = false;
  const finish = (): void => {
    if (closed) return;
    closed = true;
    for (const c of cleanups) c();
    if (!res.writableEnded) res.end();
  };
  req.on('close', finish);
  res.on('close', finish);

  if (deps.faults.takeWatchExpiry()) {
    writeRaw('ERROR', expired(`too old resource version: ${rvParam || '0'} (${deps.store.resourceVersion})`).toStatus());
    finish();
    return;
  }
  if (deps.faults.takeEmptyWatch(rt.resource)) {
    // a 200 with no events at all, as kube-apiserver has answered Events watches
    finish();
    return;
  }
  if (deps.faults.takeWatchTruncation()) {
    res.write('{"type":"ADDED","object":{"kind":"' + rt.kind + '","apiVersion":"');
    res.destroy();
    return;
  }

  const onChange = (c: Change): void => {
    if (closed) return;
    const now = matches(c.object);
    const before = c.type === 'MODIFIED' ? matches(c.prev) : false;
    if (c.type === 'ADDED') {
      if (now) write('ADDED', c.object);
    } else if (c.type === 'DELETED') {
      if (matches(c.prev) || now) write('DELETED', c.object);
    } else if (now && before) write('MODIFIED', c.object);
    else if (now) write('ADDED', c.object);
    else if (before) {
      // stopped matching: the previous state, stamped with this change's version
      write('DELETED', { ...c.prev!, metadata: { ...c.prev!.metadata, resourceVersion: String(c.rv) } });
    }
  };

  const filter = { storage: rt.storage, namespace: info.namespace };
  try {
    if (fromRV === undefined) {
      // "" and "0": the current state as ADDED events, then changes
      const startRV = deps.store.resourceVersion;
      for (const o of deps.store.list(rt.storage, info.namespace)) if (matches(o)) write('ADDED', o);
      if (sendInitial) {
        writeRaw('BOOKMARK', bookmarkObject(rt, String(startRV), true));
      }
      cleanups.push(deps.store.watch(filter, startRV, onChange));
    } else {
      cleanups.push(deps.store.watch(filter, fromRV, onChange));
    }
  } catch (err) {
    if (err instanceof ApiError) {
      writeRaw('ERROR', err.toStatus());
      finish();
      return;
    }
    throw err;
  }

  if (bookmarks && deps.bookmarkIntervalMs > 0) {
    const t = setInterval(() => {
      if (!closed) writeRaw('BOOKMARK', bookmarkObject(rt, String(deps.store.resourceVersion), false));
    }, deps.bookmarkIntervalMs);
    t.unref();
    cleanups.push(() => clearInterval(t));
  }
  // setTimeout fires at once past 2^31-1 ms; a month-long watch is "forever" here
  const timer = setTimeout(finish, Math.min(timeoutSeconds * 1000, 2 ** 31 - 1));
  timer.unref();
  cleanups.push(() => clearTimeout(timer));
  cleanups.push(
    deps.faults.registerWatch(() => {
      // a dropped connection, not a clean end: clients must re-watch
      res.destroy();
      finish();
    }),
  );
}

/** The server's default watch length, in seconds, for timeoutSeconds absent or 0. */
export const DEFAULT_WATCH_TIMEOUT_SECONDS = 1800;

/**
 * timeoutSeconds as kube-apiserver reads it: absent or 0 is the server's
 * default (kube-apiserver picks between minRequestTimeout and twice that),
 * never "close at once".
 */
export function watchTimeoutSeconds(raw: string | null): number {
  if (raw === null || raw === '') return DEFAULT_WATCH_TIMEOUT_SECONDS;
  if (!/^-?\d+$/.test(raw.trim())) throw badRequest(`timeoutSeconds: Invalid value: "${raw}": must be an integer`);
  const n = Number(raw);
  return n === 0 ? DEFAULT_WATCH_TIMEOUT_SECONDS : Math.max(0, n);
}

function bookmarkObject(rt: ResourceType, rv: string, initialEnd: boolean): object {
  const metadata: Record<string, unknown> = { resourceVersion: rv };
  if (initialEnd) metadata.annotations = { 'k8s.io/initial-events-end': 'true' };
  return { kind: rt.kind, apiVersion: apiVersionOf(rt), metadata };
}
