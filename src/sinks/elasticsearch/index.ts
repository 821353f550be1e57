// The elasticsearch sink: notifications as ECS documents in a data stream,
// exactly once. Each document's _id is the notification's idempotency key and
// is written with `create`, so a retried or repeated delivery is a conflict
// the sink counts as success, never a second document.
//
// One write path: send() and sendBatch() both go through the bulk helper.
// send() calls arriving while a bulk request is in flight are gathered into
// the next one, so a busy caller gets batching without asking for it.

import { silentLogger } from '../../model/logger.ts';
import type { Notification } from '../../model/notification.ts';
import { closedError, type SendOptions, type Sink, type SinkDeps, SinkError } from '../types.ts';
import type { Outcome } from './classify.ts';
import type { ElasticsearchSinkConfig } from './config.ts';
import { documentId, formatDocument } from './format.ts';
import { type BulkEntry, bulkCreate, createClient, prepareCluster } from './send.ts';

export { type Outcome } from './classify.ts';
export { type ElasticsearchSinkConfig, elasticsearchSinkSchema } from './config.ts';
export { documentId, formatDocument } from './format.ts';
export { documentMappings, ilmPolicy, indexTemplate } from './mapping.ts';

export interface ElasticsearchSinkDeps extends SinkDeps {
  /** processing time (event.created); tests pass a fixed clock */
  now?: () => Date;
}

export interface ElasticsearchSink extends Sink {
  readonly type: 'elasticsearch';
  /**
   * Checks the cluster and installs the ILM policy and index template. Called
   * by the first send when not called before; calling it at startup reports a
   * wrong URL, credential or privilege at once. Rejects with a SinkError
   * (retryable when the cluster is unreachable, permanent when it refuses);
   * the next call tries again.
   */
  start(): Promise<void>;
  /**
   * Indexes several notifications in one bulk request (split by size when
   * large). Never rejects for a delivery problem: each notification gets its
   * outcome, in order (`indexed`, `duplicate`: indexed before, or `failed`
   * with a SinkError). Rejects only when the sink is closed.
   */
  sendBatch(ns: Notification[], opts?: SendOptions): Promise<Outcome[]>;
}

// one send() batch at most; the bulk helper still splits it by bytes
const MAX_GATHERED = 500;

interface Pending {
  n: Notification;
  signal?: AbortSignal;
  resolve: () => void;
  reject: (err: SinkError) => void;
}

/**
 * The signal of a gathered bulk request: aborted once every send in it was
 * abandoned (one still waiting for its answer keeps the request going).
 */
function batchSignal(batch: readonly Pending[]): AbortSignal | undefined {
  const signals = batch.map((p) => p.signal);
  if (signals.some((s) => s === undefined)) return undefined;
  const all = new AbortController();
  const check = (): void => {
    if (signals.every((s) => s!.aborted)) all.abort(signals[0]!.reason);
  };
  for (const s of signals) s!.addEventListener('abort', check, { once: true });
  check();
  return all.signal;
}

export function createElasticsearchSink(cfg: ElasticsearchSinkConfig, deps: ElasticsearchSinkDeps = {}): ElasticsearchSink {
  const prefix = `elasticsearch sink "${cfg.name}"`;
  const log = deps.log ?? silentLogger;
  const now = deps.now ?? (() => new Date());
  const client = createClient(cfg, deps.env ?? process.env, prefix, deps.egress);
  let setup: Promise<void> | undefined;
  let closed = false;
  const inFlight = new Set<Promise<unknown>>();
  let queue: Pending[] = [];
  let gathering = false;

  const ready = (): Promise<void> => {
    setup ??= prepareCluster(client, cfg, prefix).then(
      (info) => {
        log.info({ sink: cfg.name, dataStream: cfg.dataStream, elasticsearch: info.version, cluster: info.clusterName, manageTemplate: cfg.manageTemplate }, 'elasticsearch sink ready');
      },
      (err: SinkError) => {
        setup = undefined;
        log.warn({ sink: cfg.name, kind: err.kind, err: err.message }, 'elasticsearch sink cannot start');
        throw err;
      },
    );
    return setup;
  };

  const abandoned = (): SinkError => new SinkError(`${prefix}: send abandoned before it was sent`, { kind: 'retryable', reason: 'canceled' });

  const track = <T>(p: Promise<T>): Promise<T> => {
    inFlight.add(p);
    const done = (): void => void inFlight.delete(p);
    p.then(done, done);
    return p;
  };

  const deliver = async (ns: Notification[], signal?: AbortSignal): Promise<Outcome[]> => {
    try {
      await ready();
    } catch (err) {
      return ns.map(() => ({ status: 'failed', error: err as SinkError }));
    }
    const at = now();
    // the same notification twice in one request: send it once, the other is its duplicate
    const entries: BulkEntry[] = [];
    const slots = new Map<string, number>();
    const slotOf = ns.map((n) => {
      const id = documentId(n);
      let slot = slots.get(id);
      if (slot === undefined) {
        slot = entries.push({ id, doc: formatDocument(n, { includeRawObject: cfg.includeRawObject, now: at }) }) - 1;
        slots.set(id, slot);
      }
      return slot;
    });
    const { outcomes, missingDataStream } = await bulkCreate(client, cfg, entries, prefix, signal);
    // someone deleted the template (or never let us install it): install it again before the next write
    if (missingDataStream && cfg.manageTemplate) setup = undefined;
    const first = new Set<number>();
    return slotOf.map((slot) => {
      const o = outcomes[slot];
      if (first.has(slot) && o.status !== 'failed') return { status: 'duplicate' };
      first.add(slot);
      return o;
    });
  };

  const gather = async (): Promise<void> => {
    while (queue.length) {
      const batch = queue.slice(0, MAX_GATHERED);
      queue = queue.slice(batch.length);
      let outcomes: Outcome[];
      try {
        outcomes = await deliver(
          batch.map((p) => p.n),
          batchSignal(batch),
        );
      } catch (err) {
        // a bug rather than a delivery problem, but every caller must still hear back
        const error = new SinkError(`${prefix}: ${(err as Error).message}`, { kind: 'retryable', cause: err });
        outcomes = batch.map(() => ({ status: 'failed', error }));
      }
      batch.forEach((p, i) => {
        const o = outcomes[i];
        if (o.status === 'failed') p.reject(o.error);
        else p.resolve();
      });
    }
    gathering = false;
  };

  return {
    name: cfg.name,
    type: 'elasticsearch',
    start() {
      if (closed) return Promise.reject(closedError('elasticsearch', cfg.name));
      return track(ready());
    },
    send(n, opts) {
      if (closed) return Promise.reject(closedError('elasticsearch', cfg.name));
      const signal = opts?.signal;
      if (signal?.aborted) return Promise.reject(abandoned());
      const sent = new Promise<void>((resolve, reject) => {
        const p: Pending = { n, resolve, reject, ...(signal ? { signal } : {}) };
        queue.push(p);
        // abandoned while still waiting for a bulk request: it leaves the queue, never sent
        signal?.addEventListener(
          'abort',
          () => {
            if (!queue.includes(p)) return;
            queue = queue.filter((q) => q !== p);
            reject(abandoned());
          },
          { once: true },
        );
      });
      if (!gathering) {
        gathering = true;
        // after the current tick, so sends made together travel together
        track(Promise.resolve().then(gather));
      }
      return track(sent);
    },
    sendBatch(ns, opts) {
      if (closed) return Promise.reject(closedError('elasticsearch', cfg.name));
      return track(deliver(ns, opts?.signal));
    },
    async close() {
      closed = true;
      while (inFlight.size) await Promise.allSettled([...inFlight]);
      await client.close();
    },
  };
}
