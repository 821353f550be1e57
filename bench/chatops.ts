// `npm run bench -- chatops`: how long a chat command takes, from the Slack
// fake sending the Socket Mode envelope to the reply reaching the fake's
// Web API, through the whole path kubeherald runs (the official Slack SDKs,
// the command service, a SelfSubjectAccessReview and the impersonated calls
// against the simulated cluster over HTTPS). Two commands: `pods -A` with
// 1,000 pods (the message carries 50 rows; the full table follows as a file,
// so "complete" is when files.completeUploadExternal arrives) and
// `logs --tail 100` of a pod with 5,000 log lines. The simulator runs in its
// own process (bench/sim-server.ts), as an API server does, so its work of
// serving 1,000 pods is not counted as kubeherald's. Figures in ms.

import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import * as k8s from '@kubernetes/client-node';
import { startChatOps } from '../src/app/chatops.ts';
import { parseConfigText } from '../src/config/index.ts';
import { silentLogger } from '../src/model/logger.ts';
import { stormPodName } from '../src/sim/scenarios/storm.ts';
import { openSqliteStore } from '../src/store/sqlite.ts';
import { FakeSlack, type SlackCall } from '../test/fakes/slack.ts';

const POD_COUNT = 1000;
const LOG_LINES = 5000;
const WARMUP = 5;
const RUNS = 200;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function summary(ms: number[]): { p50: number; p99: number; max: number } {
  const s = [...ms].sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 10) / 10;
  return { p50: r(percentile(s, 50)), p99: r(percentile(s, 99)), max: r(s[s.length - 1]) };
}

export async function benchChatops(): Promise<Record<string, unknown>> {
  const sim = spawn(process.execPath, [new URL('./sim-server.ts', import.meta.url).pathname, '3'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface(sim.stdout!)[Symbol.asyncIterator]();
  const next = async (): Promise<Record<string, unknown>> => JSON.parse((await lines.next()).value as string);
  const send = (cmd: object): void => void sim.stdin!.write(JSON.stringify(cmd) + '\n');
  const { kubeconfig } = (await next()) as { kubeconfig: string };
  const slack = await FakeSlack.start({ channels: [{ id: 'C0OPS', name: 'ops' }], users: [{ id: 'U0ALICE', name: 'alice' }] });
  const store = openSqliteStore({ path: ':memory:' });
  const kc = new k8s.KubeConfig();
  kc.loadFromString(kubeconfig);
  try {
    send({ cmd: 'storm', pods: POD_COUNT, eventsPerSecond: 0 });
    for (;;) {
      send({ cmd: 'stats' });
      if (Number((await next()).pods) >= POD_COUNT) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const logPod = stormPodName(0);
    send({ cmd: 'logLines', namespace: 'storm', pod: logPod, container: 'app', lines: LOG_LINES });
    await next();
    // alice may read the whole cluster, as an on-call engineer would
    await kc.makeApiClient(k8s.RbacAuthorizationV1Api).createClusterRoleBinding({
      body: {
        metadata: { name: 'alice-view' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'alice@corp' }],
      },
    });
    const config = parseConfigText(
      `chatops:
  slack:
    enabled: true
    botTokenFrom: { env: SLACK_BOT_TOKEN }
    appTokenFrom: { env: SLACK_APP_TOKEN }
    apiUrl: ${slack.apiUrl}
    channels: [{ id: C0OPS, namespace: storm }]
  identities:
    - { platform: slack, user: U0ALICE, kubernetes: { user: alice@corp } }
`,
      'bench.yaml',
    );
    const chat = await startChatOps({ config, kc, store, log: silentLogger, env: { SLACK_BOT_TOKEN: slack.token, SLACK_APP_TOKEN: slack.appToken } });
    try {
      const inThread = (method: string, ts: string) => (c: SlackCall) => c.method === method && c.status !== 0 && c.params.thread_ts === ts;
      const measure = async (command: string, withFile: boolean): Promise<{ message: number; complete: number }> => {
        const start = performance.now();
        const sent = await slack.sendAppMention({ user: 'U0ALICE', channel: 'C0OPS', text: `<@U0000BOT> ${command}` });
        const [msg] = await slack.waitForCalls(inThread('chat.postMessage', sent.ts!));
        const message = performance.now() - start;
        if (withFile) await slack.waitForCalls(inThread('files.completeUploadExternal', sent.ts!));
        const complete = performance.now() - start;
        const text = JSON.stringify(msg.params.blocks ?? msg.params.text);
        if (!text.includes(withFile ? 'NAME' : 'GET /api/items')) throw new Error(`unexpected reply to ${command}: ${text.slice(0, 300)}`);
        return { message, complete };
      };
      const run = async (command: string, withFile: boolean) => {
        for (let i = 0; i < WARMUP; i++) await measure(command, withFile);
        const messages: number[] = [];
        const completes: number[] = [];
        for (let i = 0; i < RUNS; i++) {
          const m = await measure(command, withFile);
          messages.push(m.message);
          completes.push(m.complete);
        }
        return withFile ? { messageMs: summary(messages), completeMs: summary(completes) } : { replyMs: summary(messages) };
      };
      const podsAll = await run('pods -A', true);
      const logs = await run(`logs ${logPod} --tail 100`, false);
      return { pods: POD_COUNT, runs: RUNS, podsAll, logsTail100: logs, targetP99Ms: 300 };
    } finally {
      await chat.stop();
    }
  } finally {
    store.close();
    await slack.close();
    sim.stdin!.end();
    await new Promise((r) => sim.once('exit', r));
  }
}
