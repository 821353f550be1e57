// The egress policy of namespaced Sinks: every internal address class is
// refused as written and as resolved (a name that resolves to loopback at
// send time gets no request), the admin's allow-list lifts it, and config
// sinks (no policy) reach anything.

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { NotificationSchema, ObjectRefSchema, Severity, State } from '../../src/model/notification.ts';
import { classifyAddress, classifyHostName, egressPolicy, isAllowEntry, type LookupFn } from '../../src/sinks/egress.ts';
import { SinkError } from '../../src/sinks/types.ts';
import { createWebhookSink } from '../../src/sinks/webhook/index.ts';
import { createTeamsSink } from '../../src/sinks/teams/index.ts';
import { teamsSinkSchema } from '../../src/sinks/teams/config.ts';
import { webhookSinkSchema } from '../../src/sinks/webhook/config.ts';

const hook = (name: string, url: string) => webhookSinkSchema.parse({ name, type: 'webhook', urls: [url], sign: false });

describe('classifyAddress', () => {
  const cases: [string, string | undefined][] = [
    ['127.0.0.1', 'loopback'],
    ['127.255.1.2', 'loopback'],
    ['::1', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['169.254.0.5', 'link-local'],
    ['fe80::1', 'link-local'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456::1', 'unique-local'],
    ['169.254.169.254', 'metadata'],
    ['fd00:ec2::254', 'metadata'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:a9fe:a9fe', 'metadata'],
    ['64:ff9b::10.0.0.1', 'private'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['8.8.8.8', undefined],
    ['172.32.0.1', undefined],
    ['2606:4700:4700::1111', undefined],
    ['not an address', undefined],
  ];
  for (const [ip, cls] of cases) it(`${ip} → ${cls ?? 'public'}`, () => assert.equal(classifyAddress(ip), cls));
});

describe('classifyHostName', () => {
  for (const [h, cls] of [
    ['localhost', 'loopback'],
    ['api.localhost', 'loopback'],
    ['metadata.google.internal', 'metadata'],
    ['kubernetes.default', 'cluster-service'],
    ['kubernetes.default.svc', 'cluster-service'],
    ['web.shop.svc', 'cluster-service'],
    ['web.shop.svc.cluster.local', 'cluster-service'],
    ['web', 'cluster-service'],
    ['hooks.example.com', undefined],
  ] as const) {
    it(`${h} → ${cls ?? 'public'}`, () => assert.equal(classifyHostName(h), cls));
  }
});

describe('egressPolicy.checkUrl', () => {
  const p = egressPolicy({ allow: ['10.20.0.0/16', 'hooks.corp.example', '*.trusted.example', 'fd00:1::/32'] });
  it('refuses numeric spellings of loopback', () => {
    for (const u of ['http://0x7f000001/', 'http://2130706433/', 'http://0177.0.0.1/', 'http://127.1/', 'http://[::ffff:127.0.0.1]/', 'http://[0:0:0:0:0:0:0:1]/']) {
      assert.equal(p.checkUrl(u)?.cls, 'loopback', u);
    }
  });
  it('lets the allow-list through, and only it', () => {
    assert.equal(p.checkUrl('http://10.20.3.4/'), undefined);
    assert.equal(p.checkUrl('http://10.21.3.4/')?.cls, 'private');
    assert.equal(p.checkUrl('http://[fd00:1::5]/'), undefined);
    assert.equal(p.checkUrl('http://hooks.corp.example/'), undefined);
    assert.equal(p.checkUrl('http://a.trusted.example/'), undefined);
    assert.equal(p.checkUrl('http://trusted.example.evil/'), undefined, 'public');
    assert.equal(p.checkUrl('https://receiver.example.com/x'), undefined);
  });
  it('allow entries are CIDRs, addresses or host names', () => {
    for (const ok of ['10.0.0.0/8', '127.0.0.1', '::1', 'fd00::/8', 'hooks.example', '*.example.com']) assert.ok(isAllowEntry(ok), ok);
    for (const bad of ['10.0.0.0/33', 'http://x', '*', 'a b', '1.2.3.4/x']) assert.ok(!isAllowEntry(bad), bad);
  });
});

describe('delivery through the policy: checked on the resolved address, when connecting', () => {
  let server: Server;
  let port = 0;
  const got: string[] = [];
  // a resolver of our own: every name resolves to loopback (as a rebinding name would at send time)
  const lookup: LookupFn = (_h, _o, cb) => cb(null, [{ address: '127.0.0.1', family: 4 }]);
  const note = create(NotificationSchema, {
    reason: 'CrashLoopBackOff',
    severity: Severity.WARNING,
    state: State.FIRING,
    involvedObject: create(ObjectRefSchema, { apiVersion: 'v1', kind: 'Pod', namespace: 'shop', name: 'web-1' }),
  });

  before(async () => {
    server = createServer((req, res) => {
      got.push(`${req.headers.host} ${req.url}`);
      req.resume();
      req.on('end', () => res.writeHead(200).end('ok'));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it('a name that resolves to loopback: permanent, naming the address class, and no request sent', async () => {
    const sink = createWebhookSink(
      hook('tenant', `http://rebind.example:${port}/hook`),
      { egress: egressPolicy({ lookup }) },
    );
    const before = got.length;
    const err = await sink.send(note).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof SinkError);
    assert.equal(err.kind, 'permanent');
    assert.match(err.message, /rebind\.example resolves to 127\.0\.0\.1, a loopback address/);
    assert.match(err.message, /customResources\.egress\.allow/);
    assert.equal(got.length, before, 'no request reached the receiver');
    await sink.close();
  });

  it('a literal address is refused before connecting (teams, from a Secret’s URL)', async () => {
    const sink = createTeamsSink(teamsSinkSchema.parse({ name: 't', type: 'teams', urlFrom: { env: 'U' } }), { env: { U: `http://2130706433:${port}/flow?sig=secret-sig` }, egress: egressPolicy() });
    const before = got.length;
    const err = await sink.send(note).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof SinkError);
    assert.equal(err.kind, 'permanent');
    assert.match(err.message, /127\.0\.0\.1 is a loopback address/);
    assert.doesNotMatch(err.message, /secret-sig/);
    assert.equal(got.length, before);
    await sink.close();
  });

  it('the legitimate paths deliver: a name the admin allowed, and a sink with no policy (config file, ClusterSink)', async () => {
    const allowed = createWebhookSink(
      hook('tenant', `http://receiver.example:${port}/allowed`),
      { egress: egressPolicy({ lookup, allow: ['receiver.example'] }) },
    );
    await allowed.send(note);
    const byCidr = createWebhookSink(
      hook('tenant', `http://127.0.0.1:${port}/cidr`),
      { egress: egressPolicy({ allow: ['127.0.0.0/8'] }) },
    );
    await byCidr.send(note);
    const admin = createWebhookSink(hook('admin', `http://127.0.0.1:${port}/admin`), {});
    await admin.send(note);
    assert.deepEqual(got.slice(-3), [`receiver.example:${port} /allowed`, `127.0.0.1:${port} /cidr`, `127.0.0.1:${port} /admin`]);
    await Promise.all([allowed.close(), byCidr.close(), admin.close()]);
  });
});
