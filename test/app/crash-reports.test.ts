// Crash reports around a sink, with a stub log reader: attached only to
// firing crash alerts in allowed namespaces, a failed or slow read said in
// the alert (which goes out anyway, without the API's headers or tokens),
// one read for a retried delivery; and how Slack and Telegram show them.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { kubeCrashLogReader, withCrashReports, type CrashLogReader, type CrashLogTarget } from '../../src/app/crash-reports.ts';
import { silentLogger } from '../../src/model/logger.ts';
import { CrashReportSchema, type Notification, NotificationSchema, Severity, State } from '../../src/model/notification.ts';
import { formatSlackMessage } from '../../src/sinks/slack/format.ts';
import { formatTelegram } from '../../src/sinks/telegram/format.ts';
import type { Sink } from '../../src/sinks/types.ts';

type Init = Omit<MessageInitShape<typeof NotificationSchema>, '$typeName'>;

const crash = (over: Init = {}): Notification =>
  create(NotificationSchema, {
    idempotencyKey: 'k1',
    state: State.FIRING,
    severity: Severity.CRITICAL,
    reason: 'CrashLoopBackOff',
    title: 'Pod web-1: container app is crash-looping',
    involvedObject: { kind: 'Pod', namespace: 'demo', name: 'web-1' },
    fields: { container: 'app' },
    ...over,
  });

function recorder(): { sink: Sink; sent: Notification[]; groups: Notification[][] } {
  const sent: Notification[] = [];
  const groups: Notification[][] = [];
  return {
    sent,
    groups,
    sink: {
      name: 's',
      type: 'slack',
      send: async (n) => void sent.push(n),
      sendGroup: async (ns) => void groups.push([...ns]),
      targetOf: () => 'C1',
      close: async () => undefined,
    },
  };
}

function reader(answer: (t: CrashLogTarget, lines: number) => Promise<string>): CrashLogReader & { calls: [CrashLogTarget, number][] } {
  const calls: [CrashLogTarget, number][] = [];
  return Object.assign((t: CrashLogTarget, lines: number) => (calls.push([t, lines]), answer(t, lines)), { calls });
}

describe('withCrashReports', () => {
  it('without crashReport the sink is left as it is', () => {
    const r = recorder();
    assert.equal(withCrashReports(r.sink, undefined, { namespaces: () => ['demo'], read: reader(async () => ''), log: silentLogger }), r.sink);
  });

  it('attaches the previous log of the crashed container, read once for a retried delivery', async () => {
    const r = recorder();
    const read = reader(async () => 'boom\nexiting with status 1\n');
    const s = withCrashReports(r.sink, { lines: 20 }, { namespaces: () => ['demo'], read, log: silentLogger });
    await s.send(crash());
    await s.send(crash());
    assert.deepEqual(read.calls, [[{ cluster: '', namespace: 'demo', pod: 'web-1', container: 'app' }, 20]]);
    assert.equal(r.sent[0].crashReport?.log, 'boom\nexiting with status 1\n');
    assert.equal(r.sent[0].crashReport?.container, 'app');
    assert.equal(s.targetOf?.(crash()), 'C1');
    await s.sendGroup!([crash({ idempotencyKey: 'k2', reason: 'OOMKilled' })], { key: 'g', update: 0 });
    assert.equal(r.groups[0][0].crashReport?.lines, 20);
  });

  it('reads nothing outside the allowed namespaces, for other reasons, resolved alerts, groups of several, or without a container', async () => {
    const r = recorder();
    const read = reader(async () => 'x');
    const s = withCrashReports(r.sink, { lines: 5 }, { namespaces: () => ['demo'], read, log: silentLogger });
    await s.send(crash({ involvedObject: { kind: 'Pod', namespace: 'kube-system', name: 'web-1' } }));
    await s.send(crash({ reason: 'ErrImagePull' }));
    await s.send(crash({ state: State.RESOLVED }));
    await s.send(crash({ fields: {} }));
    await s.send(crash({ involvedObject: { kind: 'Node', name: 'n1' } }));
    await s.sendGroup!([crash(), crash({ idempotencyKey: 'k3' })], { key: 'g', update: 0 });
    assert.deepEqual(read.calls, []);
    assert.ok(r.sent.every((n) => n.crashReport === undefined));
    assert.ok(r.groups[0].every((n) => n.crashReport === undefined));
  });

  it('a refused read is said in the alert, without the API response’s headers or tokens; the alert still goes out', async () => {
    const r = recorder();
    const forbidden = Object.assign(new Error('HTTP-Code: 403 Headers: {"authorization":"Bearer sekret-token"}'), {
      code: 403,
      body: JSON.stringify({ kind: 'Status', message: 'pods "web-1" is forbidden: User "system:serviceaccount:kubeherald:kubeherald" cannot get resource "pods/log"' }),
      headers: { authorization: 'Bearer sekret-token' },
    });
    const s = withCrashReports(r.sink, { lines: 5 }, { namespaces: () => ['demo'], read: reader(() => Promise.reject(forbidden)), log: silentLogger });
    await s.send(crash());
    const report = r.sent[0].crashReport!;
    assert.equal(report.log, '');
    assert.match(report.error, /^kubeherald may not read pod logs \(RBAC: get pods\/log\): pods "web-1" is forbidden/);
    assert.doesNotMatch(JSON.stringify(r.sent[0]), /sekret/);
  });

  it('a read that does not answer in time: the alert goes out saying so', async () => {
    const r = recorder();
    const s = withCrashReports(r.sink, { lines: 5 }, { namespaces: () => ['demo'], read: reader(() => new Promise(() => undefined)), log: silentLogger, timeoutMs: 1 });
    await s.send(crash());
    assert.equal(r.sent[0].crashReport?.error, 'the log could not be read in time');
  });

  it('an alert from one of several clusters: its log is read there, and only there', async () => {
    const r = recorder();
    const read = reader(async () => 'x');
    const s = withCrashReports(r.sink, { lines: 5 }, { namespaces: () => ['demo'], read, log: silentLogger });
    await s.send(crash({ cluster: 'b' }));
    // the same alert key from another cluster is another crash: read again, there
    await s.send(crash({ cluster: 'a' }));
    assert.deepEqual(read.calls.map(([t]) => t.cluster), ['b', 'a']);
    // the reader asks for that cluster's KubeConfig; one it does not know reads nothing anywhere
    const asked: string[] = [];
    const kube = kubeCrashLogReader((cluster) => {
      asked.push(cluster);
      throw new Error(`clusters: no KubeConfig for cluster "${cluster}"`);
    });
    await assert.rejects(kube({ cluster: 'gone', namespace: 'demo', pod: 'web-1', container: 'app' }, 5), /no KubeConfig for cluster "gone"/);
    assert.deepEqual(asked, ['gone']);
  });

  it('the allowed namespaces are read at each delivery (a config reload changes them)', async () => {
    let allowed: string[] = [];
    const r = recorder();
    const read = reader(async () => 'x');
    const s = withCrashReports(r.sink, { lines: 5 }, { namespaces: () => allowed, read, log: silentLogger });
    await s.send(crash());
    allowed = ['demo'];
    await s.send(crash({ idempotencyKey: 'k9' }));
    assert.equal(read.calls.length, 1);
  });
});

describe('crash reports in chat', () => {
  const withReport = (log: string, error = ''): Notification => crash({ crashReport: create(CrashReportSchema, { container: 'app', lines: 3, log, error }) });

  it('Slack: a code block under a line saying what it is, the end kept when long, markup escaped', () => {
    const m = formatSlackMessage(withReport('<b>&</b>\nexiting with status 1\n'));
    const texts = m.attachments[0].blocks.flatMap((b) => ('text' in b ? [b.text.text] : 'elements' in b && b.type === 'context' ? b.elements.map((e) => e.text) : []));
    assert.ok(texts.some((t) => /Last 3 log lines of the previous container app/.test(t)));
    assert.ok(texts.includes('```&lt;b&gt;&amp;&lt;/b&gt;\nexiting with status 1```'), texts.join(' | '));
    const long = formatSlackMessage(withReport(`${'x'.repeat(5000)}\nthe end`));
    const block = long.attachments[0].blocks.find((b) => b.type === 'section' && 'text' in b && b.text.text.startsWith('```'));
    assert.ok(block && 'text' in block && block.text.text.length <= 3000 && block.text.text.endsWith('the end```') && block.text.text.startsWith('```…'));
    const failed = JSON.stringify(formatSlackMessage(withReport('', 'the pod or its log is gone')));
    assert.match(failed, /Crash report of container app: the pod or its log is gone/);
    assert.doesNotMatch(failed, /```/);
  });

  it('Telegram: a pre block, escaped in HTML and MarkdownV2, within 4,096 characters', () => {
    const html = formatTelegram(withReport('<b>&</b>\nexiting'), { parseMode: 'HTML' }).text;
    assert.match(html, /<pre>&lt;b&gt;&amp;&lt;\/b&gt;\nexiting<\/pre>/);
    const md = formatTelegram(withReport('a`b\\c'), { parseMode: 'MarkdownV2' }).text;
    assert.match(md, /```\na\\`b\\\\c\n```/);
    const long = formatTelegram(withReport(`${'x'.repeat(10_000)}\nthe end`), { parseMode: 'HTML' }).text;
    assert.ok(long.includes('the end</pre>'));
    assert.ok(long.replace(/<[^>]+>/g, '').length <= 4096);
  });
});
