// `kubeherald routes test --at`: a route muted by a time window says so,
// naming the interval and its zone; a bad --at is refused.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { routesTest } from '../../src/cli/routes.ts';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'kubeherald-cli-routes-window-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function io() {
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks = { out: [] as Buffer[], err: [] as Buffer[] };
  out.on('data', (c: Buffer) => chunks.out.push(c));
  err.on('data', (c: Buffer) => chunks.err.push(c));
  return { io: { stdout: out, stderr: err, env: {} }, stdout: () => Buffer.concat(chunks.out).toString(), stderr: () => Buffer.concat(chunks.err).toString() };
}

const CONFIG = `
sinks:
  - { name: deploys, type: slack, channel: C0DEPLOYS, tokenFrom: { env: T } }
  - { name: es, type: jsonl, path: es.jsonl }
timeIntervals:
  - name: night
    intervals: [{ times: [{ startTime: "22:00", endTime: "06:00" }], location: Europe/Berlin }]
routes:
  - name: deploys
    match: { reasons: [RolloutCompleted] }
    sinks: [deploys]
    muteTimeIntervals: [night]
    continue: true
  - name: everything
    match: {}
    sinks: [es]
`;

describe('routes test --at', () => {
  const n = () => file('n.yaml', ['severity: info', 'state: firing', 'reason: RolloutCompleted', 'involvedObject: { kind: Deployment, namespace: prod, name: web }', ''].join('\n'));

  it('says which route a time interval mutes, with the interval and its zone, after midnight in Berlin', async () => {
    const c = io();
    const code = await routesTest({ config: file('k.yaml', CONFIG), file: n(), at: '2026-12-08T00:30:00+01:00' }, c.io);
    assert.equal(c.stderr(), '');
    const out = c.stdout();
    assert.match(out, /^sinks: config\/es$/m);
    assert.match(out, /config\/deploys +muted +- +matched: reasons; muted by time interval night \(Europe\/Berlin\)/);
    assert.match(out, /^muted: config\/deploys: route deploys: muted by time interval night \(Europe\/Berlin\)$/m);
    assert.equal(code, 0);
  });

  it('sends at noon', async () => {
    const c = io();
    await routesTest({ config: file('k.yaml', CONFIG), file: n(), at: '2026-12-08T12:00:00+01:00' }, c.io);
    assert.match(c.stdout(), /^sinks: config\/deploys, config\/es$/m);
    assert.doesNotMatch(c.stdout(), /muted/);
  });

  it('refuses a bad --at, and an undefined interval names the route and the name', async () => {
    const c = io();
    assert.equal(await routesTest({ config: file('k.yaml', CONFIG), file: n(), at: 'tonight' }, c.io), 2);
    assert.match(c.stderr(), /--at: expected a time such as .*, got "tonight"/);
    const d = io();
    assert.equal(await routesTest({ config: file('k2.yaml', CONFIG.replace('[night]', '[nights]')), file: n() }, d.io), 2);
    assert.match(d.stderr(), /routes\[0\]\.muteTimeIntervals\[0\]: route "deploys" names time interval "nights", which is not defined \(timeIntervals: night\)/);
  });
});
