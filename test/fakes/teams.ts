// A local Teams Workflows webhook: the URL a "When a Teams webhook request
// is received" trigger gives (/workflows/<id>/triggers/manual/paths/invoke
// ?…&sig=…) on 127.0.0.1, enforcing what Microsoft documents for it and for
// the "Post card in a chat or channel" action behind it:
//
// - the body is a `message` whose attachments are Adaptive Cards
//   (contentType application/vnd.microsoft.card.adaptive), each valid
//   against the Adaptive Card JSON schema (the one the adaptivecards-designer
//   package ships, applied to every element, see validateAdaptiveCard), with
//   no action but Action.OpenUrl;
// - at most 28 KB (else 413, "Request Entity Too Large");
// - throttling both ways Teams does it: 429 with Retry-After (the trigger),
//   and a success status whose body says "Microsoft Teams endpoint returned
//   HTTP error 429" (Teams' connector endpoint); 4 requests a second are
//   allowed, as Teams documents for webhooks.
//
// Success is 202 with an empty body, as a Workflows trigger answers. The
// error bodies are `{"error":{"code","message"}}` as Logic Apps writes them;
// the exact codes for a bad signature or a refused body are this fake's
// choice. Records every request and every card it accepted.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { adaptiveCardSchema } from 'adaptivecards-designer/lib/adaptive-card-schema.js';
import { Ajv, type ValidateFunction } from 'ajv';
import draft06 from 'ajv/dist/refs/json-schema-draft-06.json' with { type: 'json' };

export const MAX_BYTES = 28 * 1024;
export const CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';

// ------------------------------------------------------------ card validation

let validators: { card: ValidateFunction; elements: ValidateFunction } | undefined;

function compile(): { card: ValidateFunction; elements: ValidateFunction } {
  if (validators) return validators;
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addMetaSchema(draft06);
  // the package's schema is draft-06 and names itself with "id", which ajv 8 only knows as "$id"; nothing else is changed
  const { id, ...rest } = adaptiveCardSchema as unknown as { id: string } & Record<string, unknown>;
  ajv.addSchema({ $id: id, ...rest });
  const card = ajv.getSchema(id)!;
  // CardElements validates only the first item of a list (it is written as a tuple), so each element is checked through it alone
  const elements = ajv.getSchema(`${id}#/definitions/CardElements`)!;
  validators = { card, elements };
  return validators;
}

function errorsOf(v: ValidateFunction, where: string): string[] {
  return (v.errors ?? []).map((e) => `${where}${e.instancePath} ${e.message}${e.params && 'allowedValues' in e.params ? ` (${(e.params.allowedValues as unknown[]).join(', ')})` : ''}`);
}

function elementLists(node: unknown, path: string, out: [string, unknown[]][]): void {
  if (Array.isArray(node)) {
    node.forEach((x, i) => elementLists(x, `${path}/${i}`, out));
    return;
  }
  if (node === null || typeof node !== 'object') return;
  for (const [k, v] of Object.entries(node)) {
    if ((k === 'body' || k === 'items') && Array.isArray(v)) out.push([`${path}/${k}`, v]);
    elementLists(v, `${path}/${k}`, out);
  }
}

function actionTypes(node: unknown, path: string, out: [string, string][]): void {
  if (Array.isArray(node)) {
    node.forEach((x, i) => actionTypes(x, `${path}/${i}`, out));
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const type = (node as { type?: unknown }).type;
  if (typeof type === 'string' && type.startsWith('Action.')) out.push([path, type]);
  for (const [k, v] of Object.entries(node)) actionTypes(v, `${path}/${k}`, out);
}

/** Problems with an Adaptive Card as Teams would show it from a flow: the schema, every element, OpenUrl-only actions. Empty when fine. */
export function validateAdaptiveCard(card: unknown): string[] {
  const v = compile();
  const problems: string[] = [];
  if (!v.card(card)) problems.push(...errorsOf(v.card, 'card'));
  const lists: [string, unknown[]][] = [];
  elementLists(card, 'card', lists);
  for (const [where, list] of lists) {
    list.forEach((el, i) => {
      if (!v.elements([el])) problems.push(...errorsOf(v.elements, `${where}/${i}`).map((p) => p.replace(`${where}/${i}/0`, `${where}/${i}`)));
    });
  }
  const actions: [string, string][] = [];
  actionTypes(card, 'card', actions);
  for (const [where, type] of actions) if (type !== 'Action.OpenUrl') problems.push(`${where}: ${type} is not supported in cards a workflow posts (only Action.OpenUrl)`);
  return problems;
}

/** Problems with a request body for the trigger; empty when fine. */
export function validateTeamsMessage(body: unknown): string[] {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return ['the body is not a JSON object'];
  const m = body as { type?: unknown; attachments?: unknown };
  const problems: string[] = [];
  if (m.type !== 'message') problems.push(`type must be "message", got ${JSON.stringify(m.type)}`);
  if (!Array.isArray(m.attachments) || m.attachments.length === 0) return [...problems, 'attachments must be a non-empty list'];
  m.attachments.forEach((a: { contentType?: unknown; content?: unknown }, i) => {
    if (a?.contentType !== CARD_CONTENT_TYPE) problems.push(`attachments[${i}].contentType must be ${CARD_CONTENT_TYPE}, got ${JSON.stringify(a?.contentType)}`);
    else problems.push(...validateAdaptiveCard(a.content).map((p) => `attachments[${i}].content: ${p}`));
  });
  return problems;
}

// ------------------------------------------------------------------ the fake

export interface TeamsPost {
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  raw: string;
  status: number;
  response: string;
}

export type TeamsFailure =
  | { kind: 'throttle'; via: 'status' | 'body'; retryAfterSeconds?: number }
  | { kind: 'status'; status: number; body?: string }
  | { kind: 'hang' };

export interface FakeTeamsOptions {
  /** the fake's clock for its rate limit (default Date.now) */
  now?: () => number;
  /** requests a second before throttling (default 4, as Teams documents) */
  perSecond?: number;
}

export const THROTTLED_BODY =
  'Webhook message delivery failed with error: Microsoft Teams endpoint returned HTTP error 429 with ContextId tcid=0,server=msgapi-production-weu-azsc2-4-21,cv=fake.0';

export class FakeTeams {
  readonly workflowId = '3f9c6a1e0b2d4c5e8f7a9b0c1d2e3f40';
  readonly sig = 'Xk2vT9qL0pR7sW4yZ1aB3cD5eF6gH8iJ0kL2mN4oP6q';
  /** every request, in order */
  readonly posts: TeamsPost[] = [];
  /** the cards Teams would have shown, in order */
  readonly cards: Record<string, unknown>[] = [];
  url = '';
  #server: Server;
  #failures: TeamsFailure[] = [];
  #recent: number[] = [];
  #hanging: ServerResponse[] = [];
  #now: () => number;
  #perSecond: number;

  private constructor(opts: FakeTeamsOptions) {
    this.#now = opts.now ?? Date.now;
    this.#perSecond = opts.perSecond ?? 4;
    this.#server = createServer((req, res) => void this.#handle(req, res));
  }

  static async start(opts: FakeTeamsOptions = {}): Promise<FakeTeams> {
    const fake = new FakeTeams(opts);
    await new Promise<void>((resolve) => fake.#server.listen(0, '127.0.0.1', resolve));
    fake.url = `http://127.0.0.1:${(fake.#server.address() as AddressInfo).port}`;
    return fake;
  }

  /** The URL the trigger shows, signature included. */
  get workflowUrl(): string {
    return `${this.url}/workflows/${this.workflowId}/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=${this.sig}`;
  }

  /** The next requests fail as given, one failure each, in order. */
  failNext(...failures: TeamsFailure[]): void {
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

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    const u = new URL(req.url ?? '/', 'http://fake');
    const post: TeamsPost = { path: u.pathname, query: u.searchParams, headers: req.headers, raw: raw.toString('utf8'), status: 0, response: '' };
    this.posts.push(post);
    const answer = (status: number, body: string | object = '', headers: Record<string, string> = {}): void => {
      post.status = status;
      post.response = typeof body === 'string' ? body : JSON.stringify(body);
      res.writeHead(status, { ...(post.response && typeof body !== 'string' ? { 'content-type': 'application/json; charset=utf-8' } : {}), ...headers }).end(post.response);
    };
    const error = (status: number, code: string, message: string, headers?: Record<string, string>): void => answer(status, { error: { code, message } }, headers);

    if (req.method !== 'POST') return error(405, 'MethodNotAllowed', 'The trigger accepts POST only.');
    if (u.pathname !== `/workflows/${this.workflowId}/triggers/manual/paths/invoke`) return error(404, 'WorkflowNotFound', `The workflow could not be found.`);
    if (u.searchParams.get('sig') !== this.sig) return error(401, 'InvalidSignature', 'The request signature is missing or does not match.');

    const failure = this.#failures.shift();
    if (failure?.kind === 'hang') {
      this.#hanging.push(res);
      return;
    }
    if (failure?.kind === 'status') return answer(failure.status, failure.body ?? '');
    if (failure?.kind === 'throttle') {
      if (failure.via === 'body') return answer(200, THROTTLED_BODY);
      return error(429, 'WorkflowRequestsThrottled', 'Rate limit is exceeded. Try again later.', failure.retryAfterSeconds !== undefined ? { 'retry-after': String(failure.retryAfterSeconds) } : {});
    }
    const now = this.#now();
    this.#recent = this.#recent.filter((t) => t > now - 1000);
    if (this.#recent.length >= this.#perSecond) return error(429, 'WorkflowRequestsThrottled', 'Rate limit is exceeded. Try again later.', { 'retry-after': '1' });
    this.#recent.push(now);

    if (raw.length > MAX_BYTES) return error(413, 'RequestEntityTooLarge', `Request entity too large: ${raw.length} bytes, the limit is ${MAX_BYTES}.`);
    if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) return error(400, 'InvalidRequestContent', 'The request content type must be application/json.');
    let body: unknown;
    try {
      body = JSON.parse(post.raw);
    } catch (err) {
      return error(400, 'InvalidRequestContent', `The request content is not valid JSON: ${(err as Error).message}`);
    }
    const problems = validateTeamsMessage(body);
    if (problems.length > 0) return error(400, 'InvalidRequestContent', problems.join('; '));
    for (const a of (body as { attachments: { content: Record<string, unknown> }[] }).attachments) this.cards.push(a.content);
    answer(202);
  }
}
