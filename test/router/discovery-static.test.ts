// The static list: ids, canonical addresses, and errors that name the entry
// and the value at fault.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseHostPort } from '../../src/router/discovery/common.ts';
import { parseStaticEntries, staticSource } from '../../src/router/discovery/static.ts';
import type { PluginEndpoint } from '../../src/router/types.ts';

test('static entries become endpoints with ids static/<type>/<host:port>, sorted by id', async () => {
  const src = staticSource([
    { type: 'slack', addresses: ['10.0.0.6:50051', '10.0.0.5:50051'] },
    { type: 'webhook', addresses: ['[2001:DB8:0:0::1]:7000', 'Plugin.Example.com:443'] },
  ]);
  assert.equal(src.name, 'static');
  const reports: (readonly PluginEndpoint[])[] = [];
  await src.start((e) => reports.push(e));
  assert.deepEqual(reports, [
    [
      { id: 'static/slack/10.0.0.5:50051', type: 'slack', address: '10.0.0.5:50051', source: 'static' },
      { id: 'static/slack/10.0.0.6:50051', type: 'slack', address: '10.0.0.6:50051', source: 'static' },
      { id: 'static/webhook/[2001:db8::1]:7000', type: 'webhook', address: '[2001:db8::1]:7000', source: 'static' },
      { id: 'static/webhook/plugin.example.com:443', type: 'webhook', address: 'plugin.example.com:443', source: 'static' },
    ],
  ]);
  await src.close();
});

test('an empty list reports an empty set', async () => {
  const reports: (readonly PluginEndpoint[])[] = [];
  await staticSource([]).start((e) => reports.push(e));
  assert.deepEqual(reports, [[]]);
});

test('every bad address is named with its entry index and value, in one error', () => {
  assert.throws(
    () =>
      parseStaticEntries([
        { type: 'slack', addresses: ['10.0.0.5:50051', '10.0.0.5'] },
        { type: 'teams', addresses: ['::1:50051', 'host:0', 'host:65536', 'host:http', '[::1]50051', '[10.0.0.1]:80', ':80', 'bad_host:80'] },
      ]),
    {
      message:
        'static plugin discovery: ' +
        [
          'entry 0 (type "slack"): address 1 "10.0.0.5" needs a port (host:port)',
          'entry 1 (type "teams"): address 0 "::1:50051" an IPv6 address needs brackets, e.g. [::1]:50051',
          'entry 1 (type "teams"): address 1 "host:0" port 0 is outside 1–65535',
          'entry 1 (type "teams"): address 2 "host:65536" port 65536 is outside 1–65535',
          'entry 1 (type "teams"): address 3 "host:http" port "http" is not a number',
          'entry 1 (type "teams"): address 4 "[::1]50051" needs ":port" after "]"',
          'entry 1 (type "teams"): address 5 "[10.0.0.1]:80" brackets must hold an IPv6 address',
          'entry 1 (type "teams"): address 6 ":80" needs a host before ":port"',
          'entry 1 (type "teams"): address 7 "bad_host:80" host "bad_host" is neither an IP address nor a DNS name',
        ].join('; '),
    },
  );
});

test('bad types, empty address lists and duplicates are errors', () => {
  assert.throws(() => parseStaticEntries([{ type: 'Slack', addresses: ['a:1'] }]), {
    message: 'static plugin discovery: entry 0: type "Slack" must be a DNS-1123 label: lower-case letters, digits and "-", starting and ending with a letter or digit',
  });
  assert.throws(() => parseStaticEntries([{ type: '', addresses: ['a:1'] }]), { message: 'static plugin discovery: entry 0: type "" must not be empty' });
  assert.throws(() => parseStaticEntries([{ type: 'slack', addresses: [] }]), { message: 'static plugin discovery: entry 0 (type "slack"): needs at least one address' });
  assert.throws(() => parseStaticEntries([{ type: 'slack', addresses: ['[::1]:80', '[0:0::1]:80'] }]), {
    message: 'static plugin discovery: entry 0 (type "slack"): address 1 "[0:0::1]:80" is listed more than once for this type',
  });
  // the same address under two types is two instances
  assert.equal(parseStaticEntries([{ type: 'slack', addresses: ['a:1'] }, { type: 'teams', addresses: ['a:1'] }]).length, 2);
});

test('parseHostPort edge cases', () => {
  assert.deepEqual(parseHostPort('[::1]:65535'), { host: '::1', port: 65535 });
  assert.deepEqual(parseHostPort('localhost:1'), { host: 'localhost', port: 1 });
  assert.deepEqual(parseHostPort('svc.ns.svc.cluster.local.:50051'), { host: 'svc.ns.svc.cluster.local.', port: 50051 });
  assert.deepEqual(parseHostPort('host:123456'), { problem: 'port "123456" is not a number' });
  assert.deepEqual(parseHostPort('[::1'), { problem: 'has "[" without "]"' });
  assert.deepEqual(parseHostPort('-host:1'), { problem: 'host "-host" is neither an IP address nor a DNS name' });
});
