// `kubeherald routes list` and `kubeherald routes test`: the table as printed,
// a notification file explained route by route, and --from-event against the
// simulator.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { type RouteSource, routesList, routesTest } from '../../src/cli/routes.ts';
import { crdRouteSource } from '../../src/cli/routes-crd.ts';
import { Kubectl } from '../helpers/kubectl.ts';
import { startSim } from '../../src/sim/sim.ts';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'kubeherald-cli-routes-'));
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
  - { name: console, type: console }
  - { name: es, type: jsonl, path: es.jsonl }
  - { name: deploys, type: jsonl, path: deploys.jsonl }
routes:
  - name: quiet-sandboxes
    match: { namespaces: ["*-sandbox"] }
    drop: true
  - name: everything-to-es
    match: {}
    sinks: [es]
    continue: true
  - name: rollouts
    match: { kinds: [Deployment], reasons: [RolloutCompleted] }
    sinks: [deploys]
  - name: changed-by-expert
    match: { cel: 'user == "expert@org.com" && kind == "Deployment"' }
    sinks: [console]
  - name: typo
    match: { reasons: [OOMKilled] }
    sinks: [consol]
`;

describe('routes list', () => {
  it('prints every route in order, those not in effect marked, and why at their line in the file (exit 1)', async () => {
    const c = io();
    const k = file('k.yaml', CONFIG);
    const code = await routesList({ config: k }, c.io);
    assert.equal(c.stderr(), '');
    assert.equal(
      c.stdout(),
      [
        '#  ROUTE                     THEN      SINKS    MATCH',
        '1  config/quiet-sandboxes    drop      (drop)   namespaces=[*-sandbox]',
        '2  config/everything-to-es   continue  es       (everything)',
        '3  config/rollouts           stop      deploys  kinds=[Deployment] reasons=[RolloutCompleted]',
        '4  config/changed-by-expert  stop      console  cel: user == "expert@org.com" && kind == "Deployment"',
        '-  config/typo               off       consol   reasons=[OOMKilled]',
        '',
        '1 route not in effect (every other route works):',
        `  config/typo  ${k}:22: routes[4].sinks[0]: UnknownSink: no config sink or ClusterSink named "consol"; did you mean "console"?`,
        '',
      ].join('\n'),
    );
    assert.equal(code, 1);
  });

  it('warns of a reason, kind or detector nothing produces, with the word meant (exit 0); with --strict that route is not in effect (exit 1)', async () => {
    const k = file('warn.yaml', CONFIG.replace('reasons: [RolloutCompleted]', 'reasons: [RolloutComplete]').replace('consol]', 'console]').replace('kinds: [Deployment]', 'kinds: [Deploymnet]'));
    const warnings = [
      `  config/rollouts  ${k}:15: routes[2].match.kinds[0]: UnknownKind: "Deploymnet" is not a kind kubeherald watches or sees Kubernetes events about; did you mean "Deployment"?`,
      `  config/rollouts  ${k}:15: routes[2].match.reasons[0]: UnknownReason: "RolloutComplete" is not a reason kubeherald's detectors or Kubernetes' own components give; did you mean "RolloutCompleted"?`,
    ];
    const c = io();
    assert.equal(await routesList({ config: k }, c.io), 0);
    assert.equal(
      c.stdout(),
      [
        '#  ROUTE                     THEN      SINKS    MATCH',
        '1  config/quiet-sandboxes    drop      (drop)   namespaces=[*-sandbox]',
        '2  config/everything-to-es   continue  es       (everything)',
        '3  config/rollouts           stop      deploys  kinds=[Deploymnet] reasons=[RolloutComplete]',
        '4  config/changed-by-expert  stop      console  cel: user == "expert@org.com" && kind == "Deployment"',
        '5  config/typo               stop      console  reasons=[OOMKilled]',
        '',
        "2 warnings (the route is in effect, but nothing kubeherald knows of gives this; an error with --strict):",
        ...warnings,
        '',
      ].join('\n'),
    );
    const strict = io();
    assert.equal(await routesList({ config: k, strict: true }, strict.io), 1);
    assert.equal(
      strict.stdout(),
      [
        '#  ROUTE                     THEN      SINKS    MATCH',
        '1  config/quiet-sandboxes    drop      (drop)   namespaces=[*-sandbox]',
        '2  config/everything-to-es   continue  es       (everything)',
        '-  config/rollouts           off       deploys  kinds=[Deploymnet] reasons=[RolloutComplete]',
        '3  config/changed-by-expert  stop      console  cel: user == "expert@org.com" && kind == "Deployment"',
        '4  config/typo               stop      console  reasons=[OOMKilled]',
        '',
        '1 route not in effect (every other route works):',
        ...warnings,
        '',
      ].join('\n'),
    );
    const j = io();
    assert.equal(await routesList({ config: k, output: 'json' }, j.io), 0);
    const out = JSON.parse(j.stdout());
    assert.deepEqual(out.problems, []);
    assert.deepEqual(
      out.warnings.map((w: { field: string; reason: string }) => `${w.field} ${w.reason}`),
      ['match.kinds[0] UnknownKind', 'match.reasons[0] UnknownReason'],
    );
  });

  it('says when the default applies (no routes anywhere), exit 0', async () => {
    const c = io();
    const code = await routesList({ config: file('none.yaml', 'sinks: [{ name: a, type: console }, { name: b, type: jsonl }]\n') }, c.io);
    assert.equal(
      c.stdout(),
      ['No routes configured: every notification goes to every config sink.', '', '#  ROUTE           THEN  SINKS  MATCH', '1  config/default  stop  a, b   (everything)', ''].join('\n'),
    );
    assert.equal(code, 0);
  });

  it('a route of another source whose spec is invalid, or whose problem the source explains, is listed with what the source says', async () => {
    const crds: RouteSource = async () => ({
      routes: [{ id: 'Route/shop/deploys', name: 'deploys', namespace: 'shop', source: 'Route', order: 0, match: { reasons: ['RolloutCompleted'] }, sinks: [{ name: 'chat' }] }],
      sinks: [{ name: 'chat', namespace: 'shop', kind: 'Sink' }],
      problems: [{ routeId: 'ClusterRoute/broken', field: 'spec.sinks', reason: 'InvalidSpec', message: 'expected a list' }],
    });
    const c = io();
    assert.equal(await routesList({ config: file('src.yaml', 'sinks: [{ name: a, type: console }]\n'), sources: [crds] }, c.io), 1);
    assert.equal(
      c.stdout(),
      [
        '#  ROUTE                THEN  SINKS  MATCH',
        '1  Route/shop/deploys   stop  chat   (namespace shop only) reasons=[RolloutCompleted]',
        '-  ClusterRoute/broken  off   -      (invalid spec)',
        '',
        '1 route not in effect (every other route works):',
        '  ClusterRoute/broken  spec.sinks: InvalidSpec: expected a list',
        '',
      ].join('\n'),
    );
  });

  it('merges routes and sinks from other sources (the custom resources)', async () => {
    const crds: RouteSource = async ({ config }) => {
      assert.equal(config.sinks.length, 1);
      return {
        routes: [{ id: 'Route/team-a/mine', name: 'mine', namespace: 'team-a', source: 'Route', order: 100, match: { labelSelector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'canary', operator: 'DoesNotExist' }] } }, sinks: [{ name: 'chat' }] }],
        sinks: [{ name: 'chat', namespace: 'team-a', kind: 'Sink' }],
      };
    };
    const c = io();
    const code = await routesList({ config: file('one.yaml', 'sinks: [{ name: a, type: console }]\nroutes: [{ name: r, match: { severities: [critical] }, sinks: [a], continue: true }]\n'), sources: [crds] }, c.io);
    assert.equal(
      c.stdout(),
      ['#  ROUTE              THEN      SINKS  MATCH', '1  config/r           continue  a      severities=[critical]', '2  Route/team-a/mine  stop      chat   (namespace team-a only) labels{app=web, !canary}', ''].join('\n'),
    );
    assert.equal(code, 0);
  });

  it("a GROUP column when some route groups its own way, and the group in -o json", async () => {
    const cfg = file(
      'grouped.yaml',
      `
sinks: [{ name: slack-oncall, type: console }]
routes:
  - name: crash-loops
    match: { reasons: [CrashLoopBackOff] }
    sinks: [slack-oncall]
    group: { by: [owner], waitSeconds: 30, intervalSeconds: 600 }
  - name: the-rest
    match: {}
    sinks: [slack-oncall]
`,
    );
    const c = io();
    assert.equal(await routesList({ config: cfg }, c.io), 0);
    assert.equal(c.stderr(), '');
    // what docs/routes.md shows
    assert.equal(
      c.stdout(),
      [
        '#  ROUTE               THEN  SINKS         GROUP                             MATCH',
        '1  config/crash-loops  stop  slack-oncall  by=[owner] wait=30s interval=10m  reasons=[CrashLoopBackOff]',
        '2  config/the-rest     stop  slack-oncall  -                                 (everything)',
        '',
      ].join('\n'),
    );
    const j = io();
    await routesList({ config: cfg, output: 'json' }, j.io);
    const routes = JSON.parse(j.stdout()).routes as { id: string; group?: unknown }[];
    assert.deepEqual(
      routes.map((r) => [r.id, r.group]),
      [
        ['config/crash-loops', { by: ['owner'], waitSeconds: 30, intervalSeconds: 600 }],
        ['config/the-rest', undefined],
      ],
    );
  });

  it('GROUP shows only the keys a route sets; by: [] is ungrouped', async () => {
    const crds: RouteSource = async () => ({
      routes: [
        { id: 'ClusterRoute/each', name: 'each', source: 'ClusterRoute', order: 0, match: { severities: ['critical'] }, sinks: [{ name: 'a' }], continue: true, group: { by: [] } },
        { id: 'ClusterRoute/slow', name: 'slow', source: 'ClusterRoute', order: 1, match: {}, sinks: [{ name: 'a' }], group: { waitSeconds: 90, intervalSeconds: 7200 } },
      ],
      sinks: [],
    });
    const c = io();
    await routesList({ config: file('g2.yaml', 'sinks: [{ name: a, type: console }]\nroutes: [{ name: r, match: { reasons: [BackOff] }, sinks: [a], group: {} }]\n'), sources: [crds] }, c.io);
    assert.equal(
      c.stdout(),
      [
        '#  ROUTE              THEN      SINKS  GROUP                          MATCH',
        '1  ClusterRoute/each  continue  a      by=[] (ungrouped)              severities=[critical]',
        '2  config/r           stop      a      (own groups, sinks\' settings)  reasons=[BackOff]',
        '3  ClusterRoute/slow  stop      a      wait=90s interval=2h           (everything)',
        '',
      ].join('\n'),
    );
  });

  it('an invalid config file: its problems on stderr, exit 2', async () => {
    const c = io();
    const bad = file('bad.yaml', "routes:\n  - name: r\n    match: { cel: 'reasn == 1' }\n    sinks: [console]\n");
    assert.equal(await routesList({ config: bad }, c.io), 2);
    assert.equal(c.stderr(), `${bad}:3: routes[0].match.cel: 1:1: undeclared reference to 'reasn'\n`);
  });

  it('-o json', async () => {
    const c = io();
    await routesList({ config: file('k2.yaml', CONFIG), output: 'json' }, c.io);
    const out = JSON.parse(c.stdout());
    assert.equal(out.default, false);
    assert.deepEqual(
      out.routes.map((r: { id: string; inEffect: boolean }) => [r.id, r.inEffect]),
      [
        ['config/quiet-sandboxes', true],
        ['config/everything-to-es', true],
        ['config/rollouts', true],
        ['config/changed-by-expert', true],
        ['config/typo', false],
      ],
    );
    assert.deepEqual(out.problems, [{ routeId: 'config/typo', field: 'sinks[0]', reason: 'UnknownSink', message: 'no config sink or ClusterSink named "consol"; did you mean "console"?' }]);
    assert.deepEqual(out.warnings, []);
  });
});

describe('routes test', () => {
  it('explains every route for a YAML notification, a route not in effect where it would be', async () => {
    const n = file('n.yaml', ['severity: info', 'state: firing', 'reason: RolloutCompleted', 'involvedObject: { kind: Deployment, namespace: prod, name: web }', 'user: { username: expert@org.com }', ''].join('\n'));
    const c = io();
    const k3 = file('k3.yaml', CONFIG);
    const code = await routesTest({ config: k3, file: n }, c.io);
    assert.equal(c.stderr(), '');
    assert.equal(
      c.stdout(),
      [
        'notification: FIRING info RolloutCompleted Deployment prod/web by expert@org.com',
        'sinks: config/es, config/deploys',
        '  ROUTE                     RESULT    SINKS           WHY',
        '  config/quiet-sandboxes    no match  -               namespaces: "prod" matches none of [*-sandbox]',
        '  config/everything-to-es   matched   config/es       matched: empty match (every notification)',
        '  config/rollouts           matched   config/deploys  matched: kinds, reasons',
        '  config/changed-by-expert  skipped   -               not evaluated: config/rollouts matched first (without continue)',
        '  config/typo               off       -               not in effect: UnknownSink: no config sink or ClusterSink named "consol"; did you mean "console"?',
        'delivery:',
        '  config/es: sent on its own, at once (a record sink never groups or folds)',
        '  config/deploys: sent on its own, at once (a record sink never groups or folds)',
        '',
        '1 route not in effect (every other route works):',
        `  config/typo  ${k3}:22: routes[4].sinks[0]: UnknownSink: no config sink or ClusterSink named "consol"; did you mean "console"?`,
        '',
      ].join('\n'),
    );
    assert.equal(code, 0);
    // --strict: a route not in effect is a failure
    const strict = io();
    assert.equal(await routesTest({ config: k3, file: n, strict: true }, strict.io), 1);
  });

  it('warns of a route matching a reason nothing produces; with --strict it is not in effect and the exit status is 1', async () => {
    const n = file('n2.yaml', ['severity: info', 'reason: RolloutCompleted', 'involvedObject: { kind: Deployment, namespace: prod, name: web }', ''].join('\n'));
    const k = file('k-warn.yaml', 'sinks: [{ name: deploys, type: console }]\nroutes:\n  - { name: rollouts, match: { reasons: [RolloutComplete] }, sinks: [deploys] }\n');
    const why = `"RolloutComplete" is not a reason kubeherald's detectors or Kubernetes' own components give; did you mean "RolloutCompleted"?`;
    const c = io();
    assert.equal(await routesTest({ config: k, file: n }, c.io), 0);
    assert.equal(
      c.stdout(),
      [
        'notification: info RolloutCompleted Deployment prod/web',
        'sinks: (none: no route matched)',
        '  ROUTE            RESULT    SINKS  WHY',
        '  config/rollouts  no match  -      reasons: "RolloutCompleted" not in [RolloutComplete]',
        '',
        "1 warning (the route is in effect, but nothing kubeherald knows of gives this; an error with --strict):",
        `  config/rollouts  ${k}:3: routes[0].match.reasons[0]: UnknownReason: ${why}`,
        '',
      ].join('\n'),
    );
    const s = io();
    assert.equal(await routesTest({ config: k, file: n, strict: true }, s.io), 1);
    assert.ok(s.stdout().includes(`  config/rollouts  off     -      not in effect: UnknownReason: ${why}\n`), s.stdout());
    assert.ok(s.stdout().startsWith('notification: info RolloutCompleted Deployment prod/web\nsinks: (none: no route matched)\n'), 'a route left out does not bring back the default route');
    const j = io();
    await routesTest({ config: k, file: n, output: 'json' }, j.io);
    assert.deepEqual(JSON.parse(j.stdout()).warnings, [{ routeId: 'config/rollouts', field: 'match.reasons[0]', reason: 'UnknownReason', message: why }]);
  });

  it('a dropped notification, and several notifications from JSON lines (what the jsonl sink writes)', async () => {
    const lines = [
      JSON.stringify({ severity: 'SEVERITY_WARNING', state: 'STATE_FIRING', reason: 'BackOff', involvedObject: { kind: 'Pod', namespace: 'x-sandbox', name: 'p' } }),
      JSON.stringify({ severity: 'SEVERITY_CRITICAL', reason: 'NodeNotReady', involvedObject: { kind: 'Node', name: 'n1' } }),
    ].join('\n');
    const c = io();
    await routesTest({ config: file('k4.yaml', CONFIG.replace('consol]', 'console]')), file: file('n.jsonl', `${lines}\n`) }, c.io);
    assert.equal(
      c.stdout(),
      [
        'notification: FIRING warning BackOff Pod x-sandbox/p',
        'sinks: (none: dropped)',
        '  ROUTE                     RESULT   SINKS   WHY',
        '  config/quiet-sandboxes    matched  (drop)  matched: namespaces (drop)',
        '  config/everything-to-es   skipped  -       not evaluated: dropped by config/quiet-sandboxes',
        '  config/rollouts           skipped  -       not evaluated: dropped by config/quiet-sandboxes',
        '  config/changed-by-expert  skipped  -       not evaluated: dropped by config/quiet-sandboxes',
        '  config/typo               skipped  -       not evaluated: dropped by config/quiet-sandboxes',
        '',
        'notification: critical NodeNotReady Node n1',
        'sinks: config/es',
        '  ROUTE                     RESULT    SINKS      WHY',
        '  config/quiet-sandboxes    no match  -          namespaces: the object is cluster-scoped (namespace ""), matching none of [*-sandbox]',
        '  config/everything-to-es   matched   config/es  matched: empty match (every notification)',
        '  config/rollouts           no match  -          kinds: "Node" not in [Deployment]',
        '  config/changed-by-expert  no match  -          cel: false',
        '  config/typo               no match  -          reasons: "NodeNotReady" not in [OOMKilled]',
        'delivery:',
        '  config/es: sent on its own, at once (a record sink never groups or folds)',
        '',
      ].join('\n'),
    );
  });

  it('bad input: not a notification, neither or both sources (exit 2)', async () => {
    const c = io();
    const bad = file('bad-n.yaml', 'reason: X\nseverity: loud\n');
    assert.equal(await routesTest({ config: file('k5.yaml', CONFIG), file: bad }, c.io), 2);
    assert.equal(c.stderr(), `kubeherald routes: ${bad}: not a kubeherald.v1.Notification: cannot decode enum kubeherald.v1.Severity from JSON: "loud"\n`);
    const d = io();
    assert.equal(await routesTest({ config: file('k6.yaml', CONFIG) }, d.io), 2);
    assert.equal(d.stderr(), 'kubeherald routes test: give a notification FILE or --from-event KIND/NAMESPACE/NAME (one of them)\n');
    const e = io();
    assert.equal(await routesTest({ fromEvent: 'Pod', config: file('k7.yaml', CONFIG) }, e.io), 2);
    assert.equal(e.stderr(), 'kubeherald routes: --from-event "Pod": expected KIND/NAMESPACE/NAME, or KIND/NAME for a cluster-scoped object\n');
  });

  it('--from-event: the detectors make the notification from the live object', async () => {
    const sim = await startSim({ clockSpeed: 0, scenario: 'node-notready', kubeconfigPath: join(dir, 'sim.kubeconfig') });
    try {
      await sim.clock.advance(30_000);
      const config = file('k8.yaml', `${CONFIG}  - name: nodes\n    match: { kinds: [Node], reasons: [NodeNotReady], severities: [critical] }\n    sinks: [console]\n`);
      const c = io();
      const code = await routesTest({ config, fromEvent: 'Node/sim-node-1', kubeconfig: join(dir, 'sim.kubeconfig') }, c.io);
      assert.equal(c.stderr(), '');
      const lines = c.stdout().split('\n');
      assert.equal(lines[0], 'notification: FIRING critical NodeNotReady Node sim-node-1');
      assert.equal(lines[1], 'sinks: config/es, config/console');
      assert.match(c.stdout(), /\n  config\/nodes +matched +config\/console +matched: kinds, reasons, severities\n/);
      assert.equal(code, 0);

      // a healthy object: no detector fires, so the notification just names it (with its labels)
      const h = io();
      await routesTest({ config, fromEvent: 'node/sim-node-2', kubeconfig: join(dir, 'sim.kubeconfig'), output: 'json' }, h.io);
      const out = JSON.parse(h.stdout());
      assert.equal(out.results.length, 1);
      assert.equal(out.results[0].note, 'no detector fires for this object now: routing a notification that names it, with no reason');
      assert.deepEqual(out.results[0].notification.involvedObject, { apiVersion: 'v1', kind: 'Node', name: 'sim-node-2', uid: out.results[0].notification.involvedObject.uid });
      assert.equal(out.results[0].notification.labels['kubernetes.io/hostname'], 'sim-node-2');
      assert.deepEqual(out.results[0].sinks, ['config/es']);

      // an object that does not exist
      const m = io();
      assert.equal(await routesTest({ config, fromEvent: 'Pod/default/nope', kubeconfig: join(dir, 'sim.kubeconfig') }, m.io), 2);
      assert.match(m.stderr(), /^kubeherald routes: .*(not found|NotFound|404)/);
    } finally {
      await sim.close();
    }
  });
});

describe('routes list with the custom resources', () => {
  it('every Route, in effect or not: one naming a Sink that does not exist is marked with why, one matching a reason nothing produces warns', async () => {
    const sim = await startSim({ clockSpeed: 0, kubeconfigPath: join(dir, 'crs.kubeconfig') });
    try {
      const kubectl = new Kubectl(sim.kubeconfig);
      await kubectl.ok(['apply', '-k', join(import.meta.dirname, '..', '..', 'deploy', 'crds')]);
      await kubectl.ok(['create', 'namespace', 'shop']);
      const route = (name: string, match: string, sink: string): string =>
        ['apiVersion: kubeherald.io/v1alpha1', 'kind: Route', `metadata: {name: ${name}, namespace: shop}`, 'spec:', `  match: ${match}`, `  sinks: [{name: ${sink}}]`].join('\n');
      await kubectl.ok(
        ['apply', '-f', '-'],
        [
          ['apiVersion: kubeherald.io/v1alpha1', 'kind: Sink', 'metadata: {name: deploys, namespace: shop}', 'spec: {type: webhook, target: {url: "https://hooks.example/deploys"}}'].join('\n'),
          route('rollouts', '{reasons: [RolloutComplete]}', 'deploys'),
          route('pager', '{reasons: [NodeNotReady]}', 'deploy'),
        ].join('\n---\n'),
      );
      const config = file('crs.yaml', 'sinks: [{ name: console, type: console }]\ncustomResources: { enabled: true, namespace: shop }\n');
      const c = io();
      const code = await routesList({ config, kubeconfig: join(dir, 'crs.kubeconfig'), sources: [crdRouteSource] }, c.io);
      assert.equal(c.stderr(), '');
      assert.equal(
        c.stdout(),
        [
          '#  ROUTE                THEN  SINKS    MATCH',
          '-  Route/shop/pager     off   deploy   (namespace shop only) reasons=[NodeNotReady]',
          '1  Route/shop/rollouts  stop  deploys  (namespace shop only) reasons=[RolloutComplete]',
          '',
          '1 route not in effect (every other route works):',
          '  Route/shop/pager  spec.sinks[0]: UnknownSink: no Sink "deploy" in namespace "shop"; did you mean "deploys"?',
          '',
          "1 warning (the route is in effect, but nothing kubeherald knows of gives this; an error with --strict):",
          `  Route/shop/rollouts  spec.match.reasons[0]: UnknownReason: "RolloutComplete" is not a reason kubeherald's detectors or Kubernetes' own components give; did you mean "RolloutCompleted"?`,
          '',
        ].join('\n'),
      );
      assert.equal(code, 1);
      const strict = io();
      assert.equal(await routesList({ config, kubeconfig: join(dir, 'crs.kubeconfig'), sources: [crdRouteSource], strict: true, output: 'json' }, strict.io), 1);
      const out = JSON.parse(strict.stdout()) as { routes: { id: string; inEffect: boolean }[]; problems: { routeId: string; reason: string }[] };
      assert.deepEqual(out.routes.map((r) => [r.id, r.inEffect]), [['Route/shop/pager', false], ['Route/shop/rollouts', false]]);
      assert.deepEqual(out.problems.map((p) => `${p.routeId} ${p.reason}`), ['Route/shop/pager UnknownSink', 'Route/shop/rollouts UnknownReason']);
    } finally {
      await sim.close();
    }
  });
});
