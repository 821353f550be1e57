// `kubeherald requests list|show|approve|deny`: chat write requests from the
// state database, for operators at a terminal. list and show only read.
// approve and deny go through the same rules as a button in chat
// (chatops/approvals.ts decide()): the operator names the chat user they act
// as (`--as slack:U0123ABCD`, or a console name), whose mapped identity must
// not be the requester's, must be allowed by the request's policy and must
// pass RBAC for the action itself.

import type { Command } from 'commander';
import type { ChatUser } from '../chatops/types.ts';
import { clustersOf, loadConfig } from '../config/index.ts';
import { REQUEST_STATES, type ActionRequest, type RequestState } from '../model/approval.ts';
import { fileState, inMemoryOnly, openStore, type StateTarget } from '../store/open.ts';

export interface RequestsIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  now?: () => number;
  /**
   * Runs a request this command approved (claimForExecution, the write as the
   * requester, recordResult) and returns its one-line outcome. Without it
   * the request stays `approved` for the running kubeherald to execute.
   */
  execute?: (r: ActionRequest, signal?: AbortSignal) => Promise<string>;
}

export interface RequestsFlags {
  config?: string;
  /** the state database (default: state.path from the config) */
  db?: string;
  as?: string;
  reason?: string;
  output?: string;
}

const PLATFORMS = ['slack', 'telegram', 'console'] as const;

/** `slack:U0123ABCD`, `telegram:123456`, or a bare name for the console platform. */
export function parseChatUser(text: string | undefined, verb: string): ChatUser {
  if (text === undefined || !text.trim()) throw new Error(`requests ${verb}: --as: expected the chat user you act as (slack:U0123ABCD, telegram:123456, or a console name)`);
  const m = /^([a-z]+):(\S+)$/.exec(text);
  if (m) {
    if (!(PLATFORMS as readonly string[]).includes(m[1])) throw new Error(`requests ${verb}: --as: unknown platform ${JSON.stringify(m[1])} (expected slack, telegram or console)`);
    return { platform: m[1] as ChatUser['platform'], id: m[2], name: m[2] };
  }
  if (/\s/.test(text)) throw new Error(`requests ${verb}: --as: expected one word, got ${JSON.stringify(text)}`);
  return { platform: 'console', id: text, name: text };
}

export function parseStates(text: string | undefined): RequestState[] | undefined {
  if (text === undefined) return undefined;
  const states = text.split(',').map((s) => s.trim()).filter(Boolean);
  for (const s of states) if (!(REQUEST_STATES as readonly string[]).includes(s)) throw new Error(`requests list: --state: unknown state ${JSON.stringify(s)} (expected ${REQUEST_STATES.join(', ')})`);
  return states as RequestState[];
}

const time = (at: number): string => new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z');
// chat text is anyone's: control and bidi characters are shown escaped
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const safe = (s: string): string => s.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
const who = (u: { id: string; name?: string }): string => (u.name && u.name !== u.id ? `${u.id} (${u.name})` : u.id);

export function formatRequestsTable(rows: ActionRequest[]): string {
  const header = ['ID', 'CREATED', 'STATE', 'REQUESTER', 'AS', 'COMMAND', 'APPROVALS', 'EXPIRES'];
  const body = rows.map((r) => [
    r.id,
    time(r.createdAt),
    r.state,
    safe(`${r.platform}:${who(r.requester)}`),
    r.identity.user,
    safe(r.command),
    `${r.decisions.filter((d) => d.decision === 'approve').length}/${r.policy.approvals}`,
    time(r.expiresAt),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  return [header, ...body].map((cols) => cols.map((c, i) => (i === cols.length - 1 ? c : c.padEnd(widths[i]))).join('  ')).join('\n') + '\n';
}

export function formatRequest(r: ActionRequest): string {
  const lines = [
    `id:          ${r.id}`,
    `state:       ${r.state}`,
    `command:     ${safe(r.command)}`,
    `requester:   ${safe(`${r.platform}:${who(r.requester)}`)} as ${r.identity.user}${r.identity.groups.length ? ` (groups ${r.identity.groups.join(', ')})` : ''}`,
    `channel:     ${safe(r.channel)}`,
    `target:      ${r.target.kind} ${r.target.namespace ? `${r.target.namespace}/` : ''}${r.target.name}${r.target.resourceVersion ? ` at resourceVersion ${r.target.resourceVersion}` : ''}${r.target.cluster ? ` on cluster ${safe(r.target.cluster)}` : ''}`,
    `preview:     ${safe(r.preview).split('\n').join('\n             ')}`,
    `digest:      ${r.previewDigest}`,
    ...(r.reason ? [`reason:      ${safe(r.reason)}`] : []),
    `policy:      ${r.policy.name}: ${r.policy.approvals} approval(s)${r.policy.approvers.groups?.length ? `, groups ${r.policy.approvers.groups.join(', ')}` : ''}${r.policy.approvers.chatUsers?.length ? `, users ${r.policy.approvers.chatUsers.join(', ')}` : ''}${r.policy.why ? ` (${safe(r.policy.why)})` : ''}`,
    `created:     ${time(r.createdAt)}`,
    `expires:     ${time(r.expiresAt)}`,
  ];
  for (const d of r.decisions) lines.push(`${d.decision === 'approve' ? 'approved' : 'denied'}:    ${time(d.at)} by ${safe(`${d.by.platform}:${who(d.by)}`)} as ${d.identity.user}${d.via ? ` via ${d.via}` : ''}${d.reason ? `: ${safe(d.reason)}` : ''}`);
  if (r.result) lines.push(`result:      ${r.result.ok ? 'ok' : 'failed'} at ${time(r.result.at)}: ${safe(r.result.message)}`);
  return `${lines.join('\n')}\n`;
}

async function stateOf(f: RequestsFlags, verb: string): Promise<StateTarget> {
  const state = f.db !== undefined ? fileState(f.db) : (await loadConfig({ file: f.config, env: process.env })).state;
  if (inMemoryOnly(state)) throw new Error(`requests ${verb}: state.path is :memory:, so requests lived only in that process; give --db <file>`);
  return state;
}

export async function requestsList(f: RequestsFlags & { state?: string }, io: RequestsIo): Promise<number> {
  const states = parseStates(f.state);
  const output = f.output ?? 'table';
  if (output !== 'table' && output !== 'json') throw new Error(`requests list: -o/--output: expected table or json, got ${JSON.stringify(output)}`);
  const store = await openStore(await stateOf(f, 'list'), { recover: false, mustExist: true });
  try {
    const rows = store.requests.list({ ...(states ? { states } : {}), limit: 200 });
    if (output === 'json') io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    else io.stdout.write(rows.length ? formatRequestsTable(rows) : 'no requests\n');
    return 0;
  } finally {
    store.close();
  }
}

export async function requestsShow(id: string, f: RequestsFlags, io: RequestsIo): Promise<number> {
  const store = await openStore(await stateOf(f, 'show'), { recover: false, mustExist: true });
  try {
    const r = store.requests.get(id);
    if (!r) {
      io.stderr.write(`requests show: there is no request ${JSON.stringify(id)}\n`);
      return 1;
    }
    io.stdout.write(f.output === 'json' ? `${JSON.stringify(r, null, 2)}\n` : formatRequest(r));
    return 0;
  } finally {
    store.close();
  }
}

/** approve or deny as a chat user: every flag checked before anything is opened. */
export async function requestsDecide(decision: 'approve' | 'deny', id: string, f: RequestsFlags, io: RequestsIo): Promise<number> {
  const approver = parseChatUser(f.as, decision);
  if (f.reason !== undefined && !f.reason.trim()) throw new Error(`requests ${decision}: --reason: expected some words, got ""`);
  const config = await loadConfig({ file: f.config, env: process.env });
  const state = f.db !== undefined ? fileState(f.db, config.state.synchronous) : config.state;
  if (inMemoryOnly(state)) throw new Error(`requests ${decision}: state.path is :memory:; give --db <file>`);
  const [{ decide, kubeAuthorizer }, { IdentityMap }, { clusterKubeConfig }] = await Promise.all([import('../chatops/approvals.ts'), import('../chatops/identity.ts'), import('../cluster/connect.ts')]);
  // the approver's rights are asked of the cluster the request was previewed on (absent: the home one), loaded only then
  const clusters = clustersOf(config);
  const kc = (name: string | undefined): ReturnType<typeof clusterKubeConfig> => {
    const c = name === undefined ? clusters[0] : clusters.find((x) => x.name === name);
    if (!c) throw new Error(`the request is for cluster ${JSON.stringify(name)}, which the config does not list (clusters: ${clusters.map((x) => x.name).join(', ')})`);
    return clusterKubeConfig(c);
  };
  const store = await openStore(state, { recover: false, mustExist: true });
  try {
    const out = await decide({ store, identities: new IdentityMap(config.chatops.identities), authorize: kubeAuthorizer(kc), ...(io.now ? { now: io.now } : {}) }, id, approver, decision, { via: 'cli', ...(f.reason ? { reason: f.reason } : {}) });
    switch (out.outcome) {
      case 'refused':
        io.stderr.write(`requests ${decision}: ${out.message}\n`);
        return 1;
      case 'recorded':
        io.stdout.write(`${decision === 'approve' ? 'approval' : 'denial'} recorded for ${id}; ${out.remaining} more approval(s) needed\n`);
        return 0;
      case 'denied':
        io.stdout.write(`request ${id} denied: nothing will run\n`);
        return 0;
      case 'approved':
        if (!io.execute) {
          io.stdout.write(`request ${id} approved; the running kubeherald runs it as ${out.request.identity.user} at its next check (every 15 s), and says so in the chat (see: kubeherald requests show ${id})\n`);
          return 0;
        }
        io.stdout.write(`request ${id} approved: ${await io.execute(out.request)}\n`);
        return 0;
    }
  } finally {
    store.close();
  }
}

export function registerRequests(program: Command, io: RequestsIo = { stdout: process.stdout, stderr: process.stderr }): void {
  const requests = program.command('requests').description('chat write requests awaiting confirmation or approval, and what became of them');
  const common = (c: Command) => c.option('-c, --config <file>', 'config file (default: $KUBEHERALD_CONFIG)').option('--db <path>', 'the state database (default: state.path from the config)');
  common(requests.command('list').description('list requests, newest last'))
    .option('--state <states>', `only these states, comma-separated (${REQUEST_STATES.join(', ')})`)
    .option('-o, --output <format>', 'table or json', 'table')
    .action(async (f: RequestsFlags & { state?: string }) => {
      process.exitCode = await requestsList(f, io);
    });
  common(requests.command('show <id>').description('one request: its preview, policy, decisions and result'))
    .option('-o, --output <format>', 'text or json', 'text')
    .action(async (id: string, f: RequestsFlags) => {
      process.exitCode = await requestsShow(id, f, io);
    });
  for (const decision of ['approve', 'deny'] as const) {
    common(requests.command(`${decision} <id>`).description(`${decision} a request as a chat user, under the same rules as in chat`))
      .requiredOption('--as <chat-user>', 'the chat user you act as: slack:U0123ABCD, telegram:123456, or a console name')
      .option('--reason <text>', 'why (kept with the decision)')
      .action(async (id: string, f: RequestsFlags) => {
        process.exitCode = await requestsDecide(decision, id, f, io);
      });
  }
}
