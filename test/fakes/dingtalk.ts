// A local DingTalk custom robot: POST /robot/send?access_token=… on
// 127.0.0.1, enforcing what DingTalk documents for it. Every answer is
// HTTP 200 with {"errcode","errmsg"}, as the real one's:
//
// - the access_token must name a robot (else 300005 "token is not exist");
// - a signing robot needs `timestamp` (ms) and `sign` = base64
//   HMAC-SHA256("timestamp\nsecret") in the query, the timestamp within an
//   hour of the robot's clock (else 310000 "invalid timestamp" / "sign not
//   match");
// - a robot with keywords needs one of them in the message (else 310000
//   "keywords not in content");
// - the body: Content-Type application/json (else 43004), msgtype text
//   (text.content) or markdown (markdown.title, markdown.text), `at` with
//   atMobiles/atUserIds lists and isAtAll (else 40035);
// - 20 messages a minute: the 21st gets 130101 "send too fast, exceed 20
//   times per minute", and so does every message for the 10 minutes after.
//
// Records every request and every message the group would have seen.

import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const SIGN_WINDOW_MS = 60 * 60 * 1000;
export const PER_MINUTE = 20;
export const PENALTY_MS = 10 * 60 * 1000;

export interface Robot {
  accessToken: string;
  /** the signing secret (SEC…), when the robot signs */
  secret?: string;
  /** security keywords, when the robot has them */
  keywords?: string[];
}

export interface DingTalkRequest {
  accessToken: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  raw: string;
  errcode: number;
  errmsg: string;
}

export interface DingTalkMessageSeen {
  accessToken: string;
  msgtype: string;
  body: Record<string, unknown>;
  /** what the robot checks keywords against */
  content: string;
  at?: { atMobiles?: string[]; atUserIds?: string[]; isAtAll?: boolean };
}

export type DingTalkFailure = { kind: 'errcode'; errcode: number; errmsg: string } | { kind: 'status'; status: number; body?: string } | { kind: 'hang' };

export interface FakeDingTalkOptions {
  robots?: Robot[];
  /** the robots' clock (default Date.now): signatures and the rate limit use it */
  now?: () => number;
}

export class FakeDingTalk {
  readonly robots: Robot[];
  readonly requests: DingTalkRequest[] = [];
  readonly messages: DingTalkMessageSeen[] = [];
  url = '';
  #server: Server;
  #now: () => number;
  #sent = new Map<string, number[]>();
  #penalizedUntil = new Map<string, number>();
  #failures: DingTalkFailure[] = [];
  #hanging: ServerResponse[] = [];

  private constructor(opts: FakeDingTalkOptions) {
    this.robots = opts.robots ?? [{ accessToken: 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2', secret: 'SECf0e1d2c3b4a5968778695a4b3c2d1e0f1a2b3c4d5e6f708192a3b4c5d6e7f8', keywords: [] }];
    this.#now = opts.now ?? Date.now;
    this.#server = createServer((req, res) => void this.#handle(req, res));
  }

  static async start(opts: FakeDingTalkOptions = {}): Promise<FakeDingTalk> {
    const fake = new FakeDingTalk(opts);
    await new Promise<void>((resolve) => fake.#server.listen(0, '127.0.0.1', resolve));
    fake.url = `http://127.0.0.1:${(fake.#server.address() as AddressInfo).port}`;
    return fake;
  }

  /** The robot's webhook URL, as DingTalk shows it when the robot is added. */
  webhookUrl(robot: Robot = this.robots[0]): string {
    return `${this.url}/robot/send?access_token=${robot.accessToken}`;
  }

  failNext(...failures: DingTalkFailure[]): void {
    this.#failures.push(...failures);
  }

  async close(): Promise<void> {
    for (const res of this.#hanging.splice(0)) res.destroy();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const u = new URL(req.url ?? '/', 'http://fake');
    const token = u.searchParams.get('access_token') ?? '';
    const record: DingTalkRequest = { accessToken: token, query: u.searchParams, headers: req.headers, raw, errcode: -2, errmsg: '' };
    this.requests.push(record);
    const answer = (errcode: number, errmsg: string): void => {
      record.errcode = errcode;
      record.errmsg = errmsg;
      res.writeHead(200, { 'content-type': 'application/json;charset=UTF-8' }).end(JSON.stringify({ errcode, errmsg }));
    };

    if (req.method !== 'POST' || u.pathname !== '/robot/send') {
      res.writeHead(404).end();
      return;
    }
    const failure = this.#failures.shift();
    if (failure?.kind === 'hang') {
      this.#hanging.push(res);
      return;
    }
    if (failure?.kind === 'status') {
      res.writeHead(failure.status).end(failure.body ?? '');
      return;
    }
    if (failure?.kind === 'errcode') return answer(failure.errcode, failure.errmsg);

    if (!token) return answer(40035, '缺少参数 access_token');
    const robot = this.robots.find((r) => r.accessToken === token);
    if (!robot) return answer(300005, 'token is not exist');
    const now = this.#now();

    if (robot.secret) {
      const timestamp = u.searchParams.get('timestamp');
      const sign = u.searchParams.get('sign');
      if (!timestamp || !/^\d+$/.test(timestamp) || Math.abs(now - Number(timestamp)) > SIGN_WINDOW_MS) {
        return answer(310000, 'invalid timestamp');
      }
      const expected = createHmac('sha256', robot.secret).update(`${timestamp}\n${robot.secret}`).digest('base64');
      if (sign !== expected) return answer(310000, 'sign not match, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]');
    }

    // the limit counts every request that reaches the robot, and exceeding it costs 10 minutes
    if ((this.#penalizedUntil.get(token) ?? 0) > now) return answer(130101, 'send too fast, exceed 20 times per minute');
    const recent = (this.#sent.get(token) ?? []).filter((t) => t > now - 60_000);
    if (recent.length >= PER_MINUTE) {
      this.#penalizedUntil.set(token, now + PENALTY_MS);
      this.#sent.set(token, recent);
      return answer(130101, 'send too fast, exceed 20 times per minute');
    }
    recent.push(now);
    this.#sent.set(token, recent);

    if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) return answer(43004, '无效的HTTP HEADER Content-Type');
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      return answer(40035, '缺少参数 json');
    }
    const checked = checkMessage(body);
    if (typeof checked === 'string') return answer(40035, `缺少参数 ${checked}`);
    if (robot.keywords && robot.keywords.length > 0 && !robot.keywords.some((k) => checked.content.includes(k))) {
      return answer(310000, 'keywords not in content');
    }
    this.messages.push({ accessToken: token, msgtype: body.msgtype as string, body, content: checked.content, at: body.at as DingTalkMessageSeen['at'] });
    answer(0, 'ok');
  }
}

const isStringList = (v: unknown): boolean => Array.isArray(v) && v.every((x) => typeof x === 'string');

/** The text the robot shows (and searches for keywords), or the name of what is missing. */
function checkMessage(body: Record<string, unknown>): { content: string } | string {
  const at = body.at as Record<string, unknown> | undefined;
  if (at !== undefined) {
    if (at === null || typeof at !== 'object') return 'at';
    if (at.atMobiles !== undefined && !isStringList(at.atMobiles)) return 'at.atMobiles';
    if (at.atUserIds !== undefined && !isStringList(at.atUserIds)) return 'at.atUserIds';
    if (at.isAtAll !== undefined && typeof at.isAtAll !== 'boolean') return 'at.isAtAll';
  }
  switch (body.msgtype) {
    case 'text': {
      const text = body.text as { content?: unknown } | undefined;
      if (typeof text?.content !== 'string' || text.content === '') return 'text.content';
      return { content: text.content };
    }
    case 'markdown': {
      const md = body.markdown as { title?: unknown; text?: unknown } | undefined;
      if (typeof md?.title !== 'string' || md.title === '') return 'markdown.title';
      if (typeof md?.text !== 'string' || md.text === '') return 'markdown.text';
      return { content: `${md.title}\n${md.text}` };
    }
    default:
      return 'msgtype';
  }
}
