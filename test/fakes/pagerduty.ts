// A local PagerDuty Events API v2 (POST /v2/enqueue) on 127.0.0.1, enforcing
// what PagerDuty documents for alert events ("Send an Alert Event", "Events
// API v2 Overview", "Events API Rate Limits"):
//
// - routing_key: the 32-character integration key of a known integration;
// - event_action: trigger, acknowledge or resolve; dedup_key at most 255
//   characters, required for acknowledge and resolve;
// - a trigger's payload: summary (at most 1024 characters), source and
//   severity (critical, error, warning, info) required; timestamp ISO 8601;
//   component, group, class strings; custom_details an object; links with
//   an href, images with an https src;
// - at most 512 KB a request; about 120 events a minute per integration key,
//   then 429.
//
// Answers as PagerDuty does: 202 `{"status":"success","message":"Event
// processed","dedup_key":…}`; 400 `{"status":"invalid event","message":
// "Event object is invalid","errors":[…]}` (the error texts are this fake's
// own). Keeps PagerDuty's alert state per integration and dedup_key: a
// trigger opens an alert or adds to the open one, a resolve closes it, a
// trigger after that opens a new alert, a resolve with no open alert is
// dropped (PagerDuty accepts it and does nothing).

import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const MAX_BYTES = 512 * 1024;
export const MAX_SUMMARY = 1024;
export const MAX_DEDUP_KEY = 255;
export const SEVERITIES = ['critical', 'error', 'warning', 'info'];
const ACTIONS = ['trigger', 'acknowledge', 'resolve'];
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/;

export interface PagerDutyAlert {
  routingKey: string;
  dedupKey: string;
  status: 'triggered' | 'acknowledged' | 'resolved';
  /** the trigger that opened it */
  payload: Record<string, unknown>;
  /** every accepted event's action on it, in order */
  log: string[];
}

export interface PagerDutyRequest {
  path: string;
  headers: IncomingMessage['headers'];
  raw: string;
  status: number;
  response: string;
}

export type PagerDutyFailure = { kind: 'throttle'; retryAfterSeconds?: number } | { kind: 'status'; status: number; body?: string } | { kind: 'hang' };

export interface FakePagerDutyOptions {
  /** the fake's clock for its rate limit (default Date.now) */
  now?: () => number;
  /** events a minute per integration key before 429 (default 120, as PagerDuty documents) */
  perMinute?: number;
  /** integration keys besides `routingKey` that PagerDuty knows (other services' integrations) */
  otherKeys?: string[];
}

/** Problems with an event body as PagerDuty checks it; empty when fine. */
export function validateEvent(body: unknown, knownKeys: ReadonlySet<string>): string[] {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return ['Event object must be a JSON object'];
  const e = body as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof e.routing_key !== 'string' || e.routing_key === '') problems.push("'routing_key' is missing or blank");
  else if (e.routing_key.length !== 32) problems.push("Length of 'routing_key' is incorrect (should be 32 characters)");
  else if (!knownKeys.has(e.routing_key)) problems.push("Invalid routing key: no integration has this 'routing_key'");
  if (typeof e.event_action !== 'string' || !ACTIONS.includes(e.event_action)) problems.push(`'event_action' must be one of ${ACTIONS.join(', ')}`);
  if (e.dedup_key !== undefined && (typeof e.dedup_key !== 'string' || e.dedup_key === '' || e.dedup_key.length > MAX_DEDUP_KEY)) {
    problems.push(`'dedup_key' must be a non-empty string of at most ${MAX_DEDUP_KEY} characters`);
  }
  if ((e.event_action === 'acknowledge' || e.event_action === 'resolve') && e.dedup_key === undefined) problems.push(`'dedup_key' is required for ${e.event_action}`);
  if (e.event_action === 'trigger') problems.push(...validatePayload(e.payload));
  if (e.links !== undefined) {
    if (!Array.isArray(e.links) || e.links.some((l) => typeof (l as { href?: unknown })?.href !== 'string')) problems.push("'links' must be a list of objects with an 'href'");
  }
  if (e.images !== undefined) {
    if (!Array.isArray(e.images) || e.images.some((i) => !/^https:\/\//.test(String((i as { src?: unknown })?.src)))) problems.push("'images' must be a list of objects with an https 'src'");
  }
  for (const k of ['client', 'client_url']) if (e[k] !== undefined && typeof e[k] !== 'string') problems.push(`'${k}' must be a string`);
  return problems;
}

function validatePayload(p: unknown): string[] {
  if (p === null || typeof p !== 'object' || Array.isArray(p)) return ["'payload' is required for trigger and must be an object"];
  const payload = p as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof payload.summary !== 'string' || payload.summary.trim() === '') problems.push("'payload.summary' is missing or blank");
  else if (Array.from(payload.summary).length > MAX_SUMMARY) problems.push(`'payload.summary' is longer than ${MAX_SUMMARY} characters`);
  if (typeof payload.source !== 'string' || payload.source.trim() === '') problems.push("'payload.source' is missing or blank");
  if (typeof payload.severity !== 'string' || !SEVERITIES.includes(payload.severity)) problems.push(`'payload.severity' must be one of ${SEVERITIES.join(', ')}`);
  if (payload.timestamp !== undefined && (typeof payload.timestamp !== 'string' || !ISO_8601.test(payload.timestamp))) problems.push("'payload.timestamp' must be an ISO 8601 timestamp");
  for (const k of ['component', 'group', 'class']) if (payload[k] !== undefined && typeof payload[k] !== 'string') problems.push(`'payload.${k}' must be a string`);
  if (payload.custom_details !== undefined && (payload.custom_details === null || typeof payload.custom_details !== 'object' || Array.isArray(payload.custom_details))) {
    problems.push("'payload.custom_details' must be an object");
  }
  return problems;
}

export class FakePagerDuty {
  /** an integration key PagerDuty would have issued (32 characters) */
  readonly routingKey = 'R0ut1ngK3yF0rTh3K8sServ1ce000001';
  /** every request, in order */
  readonly requests: PagerDutyRequest[] = [];
  /** every accepted event, in order */
  readonly events: Record<string, unknown>[] = [];
  /** alerts by `${routingKey} ${dedupKey}`, the latest per key (resolved ones are kept until a new trigger replaces them) */
  readonly alerts = new Map<string, PagerDutyAlert>();
  url = '';
  #server: Server;
  #keys = new Set<string>();
  #failures: PagerDutyFailure[] = [];
  #recent = new Map<string, number[]>();
  #hanging: ServerResponse[] = [];
  #now: () => number;
  #perMinute: number;
  #waiters = new Set<{ pred: () => boolean; resolve: () => void }>();

  private constructor(opts: FakePagerDutyOptions) {
    this.#now = opts.now ?? Date.now;
    this.#perMinute = opts.perMinute ?? 120;
    this.#keys.add(this.routingKey);
    for (const k of opts.otherKeys ?? []) this.#keys.add(k);
    this.#server = createServer((req, res) => void this.#handle(req, res));
  }

  static async start(opts: FakePagerDutyOptions = {}): Promise<FakePagerDuty> {
    const fake = new FakePagerDuty(opts);
    await new Promise<void>((resolve) => fake.#server.listen(0, '127.0.0.1', resolve));
    fake.url = `http://127.0.0.1:${(fake.#server.address() as AddressInfo).port}`;
    return fake;
  }

  /** The endpoint a sink posts to. */
  get enqueueUrl(): string {
    return `${this.url}/v2/enqueue`;
  }

  /** The alerts of one integration, oldest first. */
  alertsOf(routingKey = this.routingKey): PagerDutyAlert[] {
    return [...this.alerts.values()].filter((a) => a.routingKey === routingKey);
  }

  /** The alert under a dedup_key (of the fake's own integration unless given). */
  alert(dedupKey: string, routingKey = this.routingKey): PagerDutyAlert | undefined {
    return this.alerts.get(`${routingKey} ${dedupKey}`);
  }

  /** Resolves once `pred` holds (checked after every request). */
  until(pred: () => boolean): Promise<void> {
    return pred() ? Promise.resolve() : new Promise((resolve) => void this.#waiters.add({ pred, resolve }));
  }

  /** The next requests fail as given, one failure each, in order. */
  failNext(...failures: PagerDutyFailure[]): void {
    this.#failures.push(...failures);
  }

  /** Answers requests held by a `hang` failure (with 202), so the server can close. */
  release(): void {
    for (const res of this.#hanging.splice(0)) if (!res.writableEnded) res.writeHead(202).end();
  }

  async close(): Promise<void> {
    for (const res of this.#hanging.splice(0)) res.destroy();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #notify(): void {
    for (const w of [...this.#waiters]) if (w.pred()) (this.#waiters.delete(w), w.resolve());
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    const u = new URL(req.url ?? '/', 'http://fake');
    const request: PagerDutyRequest = { path: u.pathname, headers: req.headers, raw: raw.toString('utf8'), status: 0, response: '' };
    this.requests.push(request);
    const answer = (status: number, body: object | string, headers: Record<string, string> = {}): void => {
      request.status = status;
      request.response = typeof body === 'string' ? body : JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(request.response);
      this.#notify();
    };
    const invalid = (errors: string[]): void => answer(400, { status: 'invalid event', message: 'Event object is invalid', errors });

    if (req.method !== 'POST') return answer(405, { status: 'error', message: 'Method not allowed' });
    if (u.pathname !== '/v2/enqueue') return answer(404, { status: 'error', message: 'Not found' });
    const failure = this.#failures.shift();
    if (failure?.kind === 'hang') {
      this.#hanging.push(res);
      return;
    }
    if (failure?.kind === 'status') return answer(failure.status, failure.body ?? '');
    if (failure?.kind === 'throttle') {
      return answer(429, { status: 'throttle event', message: 'Requests for this service are arriving too quickly. Please retry later.' }, failure.retryAfterSeconds !== undefined ? { 'retry-after': String(failure.retryAfterSeconds) } : {});
    }
    if (raw.length > MAX_BYTES) return answer(413, { status: 'invalid event', message: `Request too large: ${raw.length} bytes, the limit is ${MAX_BYTES}` });
    if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) return invalid(['Content-Type must be application/json']);
    let body: unknown;
    try {
      body = JSON.parse(request.raw);
    } catch {
      return invalid(['Invalid JSON']);
    }
    const problems = validateEvent(body, this.#keys);
    if (problems.length > 0) return invalid(problems);
    const e = body as { routing_key: string; event_action: string; dedup_key?: string; payload?: Record<string, unknown> };

    const now = this.#now();
    const recent = (this.#recent.get(e.routing_key) ?? []).filter((t) => t > now - 60_000);
    if (recent.length >= this.#perMinute) {
      this.#recent.set(e.routing_key, recent);
      return answer(429, { status: 'throttle event', message: 'Requests for this service are arriving too quickly. Please retry later.' });
    }
    recent.push(now);
    this.#recent.set(e.routing_key, recent);

    const dedupKey = e.dedup_key ?? randomUUID();
    const id = `${e.routing_key} ${dedupKey}`;
    const open = this.alerts.get(id);
    const live = open && open.status !== 'resolved' ? open : undefined;
    if (e.event_action === 'trigger') {
      if (live) live.log.push('trigger');
      else this.alerts.set(id, { routingKey: e.routing_key, dedupKey, status: 'triggered', payload: e.payload!, log: ['trigger'] });
    } else if (live) {
      live.status = e.event_action === 'resolve' ? 'resolved' : 'acknowledged';
      live.log.push(e.event_action);
    }
    this.events.push(body as Record<string, unknown>);
    answer(202, { status: 'success', message: 'Event processed', dedup_key: dedupKey });
  }
}
