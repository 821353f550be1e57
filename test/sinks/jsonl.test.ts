// The jsonl sink: lines that parse back to the same notification, on stdout
// or appended to a file.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { clone, create, equals, fromJsonString } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { type Notification, NotificationSchema, Severity, State } from '../../src/model/notification.ts';
import { createSink, SinkError } from '../../src/sinks/index.ts';
import { createJsonlSink, formatJsonlLine } from '../../src/sinks/jsonl/index.ts';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'kubeherald-jsonl-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function oom(i = 0): Notification {
  return create(NotificationSchema, {
    idempotencyKey: `pod/uid-1/app/OOMKilled/${i}`,
    incidentKey: 'pod/uid-1/app/OOMKilled',
    eventTime: timestampFromDate(new Date('2025-03-04T12:01:05.250Z')),
    severity: Severity.CRITICAL,
    state: State.FIRING,
    reason: 'OOMKilled',
    title: 'Container app was OOM-killed',
    message: 'container app used more than its 128Mi limit\nexit code 137',
    involvedObject: { apiVersion: 'v1', kind: 'Pod', namespace: 'demo', name: 'web-1', uid: 'uid-1' },
    owner: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'demo', name: 'web', uid: 'uid-2' },
    cluster: 'prod',
    labels: { app: 'web', 'app.kubernetes.io/part-of': 'shop' },
    user: { username: 'expert@org.com', groups: ['system:authenticated'], uid: 'u-1' },
    count: 3,
    fields: { container: 'app', exitCode: '137', restarts: '3' },
    rawObject: { kind: 'Pod', metadata: { name: 'web-1' }, spec: { containers: [{ name: 'app', env: [{ name: 'TOKEN', value: 's3cret' }] }] } },
    detector: 'oomKilled',
    eventType: 'Warning',
  });
}

function withoutRaw(n: Notification): Notification {
  const c = clone(NotificationSchema, n);
  c.rawObject = undefined;
  return c;
}

function parseLines(text: string): Notification[] {
  assert.equal(text.endsWith('\n'), true, 'every line ends with a newline');
  return text
    .slice(0, -1)
    .split('\n')
    .map((l) => fromJsonString(NotificationSchema, l));
}

function recorder(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

describe('formatJsonlLine', () => {
  it('is protobuf JSON on one line, without the raw object unless asked', () => {
    const line = formatJsonlLine(oom(), { includeRawObject: false });
    assert.equal(line.includes('\n'), false);
    const json = JSON.parse(line) as Record<string, unknown>;
    assert.equal(json.severity, 'SEVERITY_CRITICAL');
    assert.equal(json.eventTime, '2025-03-04T12:01:05.250Z');
    assert.equal(json.involvedObject && (json.involvedObject as Record<string, unknown>).kind, 'Pod');
    assert.equal('rawObject' in json, false);
    assert.equal(line.includes('s3cret'), false);
    assert.ok(equals(NotificationSchema, fromJsonString(NotificationSchema, line), withoutRaw(oom())));
  });

  it('keeps the raw object with includeRawObject', () => {
    const line = formatJsonlLine(oom(), { includeRawObject: true });
    assert.ok(equals(NotificationSchema, fromJsonString(NotificationSchema, line), oom()));
  });

  it('does not change the notification it formats', () => {
    const n = oom();
    formatJsonlLine(n, { includeRawObject: false });
    assert.ok(equals(NotificationSchema, n, oom()));
  });
});

describe('jsonl sink to stdout', () => {
  it('writes one line per notification that parses back to it', async () => {
    const out = recorder();
    const sink = await createSink({ name: 'json', type: 'jsonl', path: '-', includeRawObject: false }, { stdout: out.stream });
    assert.equal(sink.type, 'jsonl');
    await sink.send(oom(1));
    await sink.send(oom(2));
    await sink.close();
    const got = parseLines(out.text());
    assert.equal(got.length, 2);
    assert.ok(equals(NotificationSchema, got[0], withoutRaw(oom(1))));
    assert.ok(equals(NotificationSchema, got[1], withoutRaw(oom(2))));
    assert.equal(out.stream.writableEnded, false, 'stdout is left open');
  });
});

describe('jsonl sink to a file', () => {
  it('creates the directories and appends, keeping what was there', async () => {
    const path = join(dir, 'a', 'b', 'notifications.jsonl');
    const first = createJsonlSink({ name: 'f', type: 'jsonl', path, includeRawObject: true });
    await first.send(oom(1));
    await first.close();
    const second = createJsonlSink({ name: 'f', type: 'jsonl', path, includeRawObject: false });
    await second.send(oom(2));
    await second.close();
    const got = parseLines(readFileSync(path, 'utf8'));
    assert.equal(got.length, 2);
    assert.ok(equals(NotificationSchema, got[0], oom(1)));
    assert.ok(equals(NotificationSchema, got[1], withoutRaw(oom(2))));
    assert.equal(statSync(path).mode & 0o007, 0, 'not readable by others');
  });

  it('keeps order and whole lines under concurrent sends, and has them all on disk when close resolves', async () => {
    const path = join(dir, 'many.jsonl');
    writeFileSync(path, '');
    const sink = createJsonlSink({ name: 'f', type: 'jsonl', path, includeRawObject: true });
    await Promise.all(Array.from({ length: 200 }, (_, i) => sink.send(oom(i))));
    await sink.close();
    const got = parseLines(readFileSync(path, 'utf8'));
    assert.deepEqual(
      got.map((n) => n.idempotencyKey),
      Array.from({ length: 200 }, (_, i) => `pod/uid-1/app/OOMKilled/${i}`),
    );
  });

  it('rejects a failed write with a message naming the path, and tries again on the next send', async () => {
    const blocker = join(dir, 'blocker');
    writeFileSync(blocker, 'a file where a directory should be');
    const path = join(blocker, 'n.jsonl');
    const sink = createJsonlSink({ name: 'events-file', type: 'jsonl', path, includeRawObject: false });
    await assert.rejects(sink.send(oom(1)), (err: unknown) => {
      assert.ok(err instanceof SinkError);
      assert.equal(err.message, `jsonl sink "events-file": cannot write to ${path}: ENOTDIR: not a directory, mkdir '${blocker}'`);
      assert.equal(err.kind, 'permanent');
      return true;
    });
    rmSync(blocker);
    await sink.send(oom(2));
    await sink.close();
    assert.deepEqual(
      parseLines(readFileSync(path, 'utf8')).map((n) => n.idempotencyKey),
      ['pod/uid-1/app/OOMKilled/2'],
    );
  });

  it('refuses to send once closed', async () => {
    const sink = createJsonlSink({ name: 'f', type: 'jsonl', path: join(dir, 'closed.jsonl'), includeRawObject: false });
    await sink.close();
    await assert.rejects(sink.send(oom()), (err: unknown) => err instanceof SinkError && err.message === 'jsonl sink "f": closed');
  });
});
