// The console sink: its exact line, its colours, and how it writes.

import assert from 'node:assert/strict';
import { PassThrough, Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { type Notification, NotificationSchema, Severity, State } from '../../src/model/notification.ts';
import { createConsoleSink, formatConsoleLine } from '../../src/sinks/console/index.ts';
import { createSink, SinkError } from '../../src/sinks/index.ts';
import { crashLoop as crashLoopBase, type NotificationInit } from './crash-loop.ts';

const crashLoop = (over: NotificationInit = {}): Notification => crashLoopBase({ fields: {}, rawObject: { kind: 'Pod', secret: 'never printed' }, ...over });

const utc = { timeZone: 'utc' } as const;

describe('formatConsoleLine', () => {
  it('writes time, state, severity, reason, object (owner) and message', () => {
    assert.equal(
      formatConsoleLine(crashLoop(), { color: false, ...utc }),
      '12:01:05 FIRING   critical CrashLoopBackOff  demo/pod/web-7d9c-abcde (deploy/web)  container app restarted 5 times: back-off 40s restarting failed container',
    );
  });

  it('aligns RESOLVED and every severity', () => {
    assert.equal(
      formatConsoleLine(crashLoop({ state: State.RESOLVED, message: 'container app is stable' }), { color: false, ...utc }),
      '12:01:05 RESOLVED critical CrashLoopBackOff  demo/pod/web-7d9c-abcde (deploy/web)  container app is stable',
    );
    assert.equal(
      formatConsoleLine(crashLoop({ severity: Severity.WARNING, reason: 'BackOff', owner: undefined }), { color: false, ...utc }).slice(0, 42),
      '12:01:05 FIRING   warning  BackOff  demo/p',
    );
    assert.equal(formatConsoleLine(crashLoop({ severity: Severity.INFO }), { color: false, ...utc }).slice(9, 26), 'FIRING   info    ');
    assert.equal(formatConsoleLine(crashLoop({ severity: Severity.UNSPECIFIED, state: State.UNSPECIFIED }), { color: false, ...utc }).slice(9, 26), 'NOTICE   unknown ');
  });

  it('names cluster-scoped objects without a namespace, and other kinds in lower case', () => {
    const n = crashLoop({
      reason: 'NodeNotReady',
      involvedObject: { apiVersion: 'v1', kind: 'Node', namespace: '', name: 'worker-2', uid: 'n' },
      owner: undefined,
      message: 'kubelet stopped posting node status',
    });
    assert.equal(formatConsoleLine(n, { color: false, ...utc }), '12:01:05 FIRING   critical NodeNotReady  node/worker-2  kubelet stopped posting node status');
    const cr = crashLoop({ involvedObject: { apiVersion: 'example.com/v1', kind: 'Certificate', namespace: 'tls', name: 'www', uid: 'c' }, owner: { apiVersion: 'apps/v1', kind: 'StatefulSet', namespace: 'tls', name: 'db', uid: 'd' } });
    assert.match(formatConsoleLine(cr, { color: false, ...utc }), / {2}tls\/certificate\/www \(sts\/db\) {2}/);
  });

  it('shows placeholders for what is missing', () => {
    const n = create(NotificationSchema, { state: State.FIRING, severity: Severity.WARNING });
    assert.equal(formatConsoleLine(n, { color: false }), '--:--:-- FIRING   warning  -  -');
  });

  it('keeps cluster text from controlling the terminal and on one line', () => {
    const n = crashLoop({
      reason: 'Back\x1b[2JOff',
      message: 'line one\nline two\r\n\t\x1b[31mred\x1b[0m \u202eevil\u202c \u0007bell',
      involvedObject: { apiVersion: 'v1', kind: 'Pod', namespace: 'demo', name: 'web\x1b]0;title\x07', uid: 'u' },
      owner: undefined,
    });
    assert.equal(formatConsoleLine(n, { color: false, ...utc }), '12:01:05 FIRING   critical Back [2JOff  demo/pod/web ]0;title  line one line two [31mred [0m evil bell');
  });

  it('cuts long messages with an ellipsis, counting UTF-16 units as every sink does, never inside an emoji', () => {
    const n = crashLoop({ message: `${'😀'.repeat(10)}tail` });
    assert.equal(formatConsoleLine(n, { color: false, ...utc, maxMessageLength: 5 }).split('  ').pop(), '😀😀…');
    assert.equal(formatConsoleLine(crashLoop({ message: 'exactly5' }), { color: false, ...utc, maxMessageLength: 8 }).endsWith('  exactly5'), true);
    const long = formatConsoleLine(crashLoop({ message: 'x'.repeat(1000) }), { color: false, ...utc });
    assert.equal(long.split('  ').pop(), `${'x'.repeat(299)}…`);
  });

  it('colours by severity and green for resolved', () => {
    assert.equal(
      formatConsoleLine(crashLoop(), { color: true, ...utc }),
      '\x1b[2m12:01:05\x1b[0m \x1b[1;31mFIRING   critical\x1b[0m \x1b[1mCrashLoopBackOff\x1b[0m  demo/pod/web-7d9c-abcde (deploy/web)  container app restarted 5 times: back-off 40s restarting failed container',
    );
    assert.equal(formatConsoleLine(crashLoop({ severity: Severity.WARNING }), { color: true, ...utc }).split(' \x1b[1m')[0], '\x1b[2m12:01:05\x1b[0m \x1b[33mFIRING   warning \x1b[0m');
    assert.equal(formatConsoleLine(crashLoop({ severity: Severity.INFO }), { color: true, ...utc }).split(' \x1b[1m')[0], '\x1b[2m12:01:05\x1b[0m \x1b[36mFIRING   info    \x1b[0m');
    assert.equal(formatConsoleLine(crashLoop({ state: State.RESOLVED }), { color: true, ...utc }).split(' \x1b[1m')[0], '\x1b[2m12:01:05\x1b[0m \x1b[32mRESOLVED critical\x1b[0m');
  });

  it('uses local time unless told otherwise', () => {
    const d = new Date('2025-03-04T12:01:05Z');
    const local = [d.getHours(), d.getMinutes(), d.getSeconds()].map((p) => String(p).padStart(2, '0')).join(':');
    assert.equal(formatConsoleLine(crashLoop(), { color: false }).slice(0, 8), local);
  });
});

/** A stream that records what is written, optionally pretending to be a terminal. */
function recorder(isTTY = false): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  if (isTTY) Object.assign(stream, { isTTY: true });
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

describe('console sink', () => {
  it('writes one line per notification, in order', async () => {
    const out = recorder();
    const sink = await createSink({ name: 'out', type: 'console', color: 'auto' }, { stdout: out.stream, env: {} });
    assert.equal(sink.name, 'out');
    assert.equal(sink.type, 'console');
    await Promise.all([sink.send(crashLoop()), sink.send(crashLoop({ state: State.RESOLVED, message: 'ok' }))]);
    await sink.close();
    const lines = out.text().split('\n');
    assert.equal(lines.length, 3);
    assert.equal(lines[2], '');
    assert.match(lines[0], /^\d\d:\d\d:\d\d FIRING {3}critical CrashLoopBackOff {2}demo\/pod\/web-7d9c-abcde \(deploy\/web\) {2}container app restarted/);
    assert.match(lines[1], / RESOLVED critical .* {2}ok$/);
    assert.equal(out.text().includes('never printed'), false);
  });

  it('colours with auto only on a terminal without NO_COLOR or TERM=dumb', async () => {
    const cases: [boolean, NodeJS.ProcessEnv, 'auto' | 'always' | 'never', boolean][] = [
      [false, {}, 'auto', false],
      [true, {}, 'auto', true],
      [true, { NO_COLOR: '1' }, 'auto', false],
      [true, { TERM: 'dumb' }, 'auto', false],
      [false, {}, 'always', true],
      [true, {}, 'never', false],
    ];
    for (const [tty, env, color, want] of cases) {
      const out = recorder(tty);
      const sink = createConsoleSink({ name: 'c', type: 'console', color }, { stdout: out.stream, env });
      await sink.send(crashLoop());
      await sink.close();
      assert.equal(out.text().includes('\x1b['), want, `tty=${tty} env=${JSON.stringify(env)} color=${color}`);
    }
  });

  it('refuses to send once closed, and leaves the stream open', async () => {
    const out = recorder();
    const sink = createConsoleSink({ name: 'c', type: 'console', color: 'never' }, { stdout: out.stream });
    await sink.close();
    await assert.rejects(sink.send(crashLoop()), (err: unknown) => err instanceof SinkError && err.message === 'console sink "c": closed' && err.kind === 'permanent');
    assert.equal(out.stream.writableEnded, false);
  });

  it('rejects a send whose write fails, naming the sink', async () => {
    const broken = new Writable({ write: (_c, _e, cb) => cb(new Error('EPIPE: broken pipe')) });
    broken.on('error', () => undefined);
    const sink = createConsoleSink({ name: 'c', type: 'console', color: 'never' }, { stdout: broken });
    await assert.rejects(sink.send(crashLoop()), (err: unknown) => err instanceof SinkError && err.message === 'console sink "c": cannot write to stdout: EPIPE: broken pipe' && err.kind === 'retryable');
  });
});
