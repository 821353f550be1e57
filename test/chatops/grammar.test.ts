// The chat command grammar: every form each command is written in, every
// way a command is refused (the message must name the problem), and the
// table's helpers (RBAC needed, writes, audit text and target, help).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { COMMANDS, commandTarget, formatCommand, formatDuration, isWrite, MAX_REPLICAS, requiredAccess } from '../../src/chatops/commands.ts';
import { parseCommand } from '../../src/chatops/grammar.ts';
import { helpReply } from '../../src/chatops/help.ts';
import type { ParsedCommand, ReplyBlock } from '../../src/chatops/types.ts';

function parsed(text: string): ParsedCommand {
  const r = parseCommand(text);
  assert.ok(r.ok, `${JSON.stringify(text)} should parse, got: ${r.ok ? '' : r.error}`);
  return r.command;
}

function refused(text: string): { error: string; usage?: string } {
  const r = parseCommand(text);
  assert.ok(!r.ok, `${JSON.stringify(text)} should be refused, parsed as ${JSON.stringify(r.ok && r.command)}`);
  return r;
}

describe('parseCommand: the forms of every command', () => {
  const cases: [string, ParsedCommand][] = [
    ['help', { verb: 'help' }],
    ['help scale', { verb: 'help', topic: 'scale' }],
    ['help rollout undo', { verb: 'help', topic: 'rollout undo' }],
    ['help nosuch', { verb: 'help', topic: 'nosuch' }],
    ['--help', { verb: 'help' }],
    ['scale --help', { verb: 'help', topic: 'scale' }],
    ['logs -h', { verb: 'help', topic: 'logs' }],
    ['rollout undo -h', { verb: 'help', topic: 'rollout undo' }],
    ['help -h', { verb: 'help' }],
    ['whoami', { verb: 'whoami' }],
    ['kubectl whoami', { verb: 'whoami' }],

    ['pods', { verb: 'pods', allNamespaces: false }],
    ['  pods  ', { verb: 'pods', allNamespaces: false }],
    ['pods -n demo', { verb: 'pods', namespace: 'demo', allNamespaces: false }],
    ['pods --namespace demo', { verb: 'pods', namespace: 'demo', allNamespaces: false }],
    ['pods --namespace=demo', { verb: 'pods', namespace: 'demo', allNamespaces: false }],
    ['pods -n=demo', { verb: 'pods', namespace: 'demo', allNamespaces: false }],
    ['pods -ndemo', { verb: 'pods', namespace: 'demo', allNamespaces: false }],
    ['pods -n demo -n demo', { verb: 'pods', namespace: 'demo', allNamespaces: false }],
    ['-n demo pods', { verb: 'pods', namespace: 'demo', allNamespaces: false }],
    ['pods -A', { verb: 'pods', allNamespaces: true }],
    ['pods --all-namespaces', { verb: 'pods', allNamespaces: true }],
    ['pods --all-namespaces=false -n demo', { verb: 'pods', namespace: 'demo', allNamespaces: false }],
    ['pods -l app=web', { verb: 'pods', allNamespaces: false, selector: 'app=web' }],
    ['pods --selector=app==web,tier!=db', { verb: 'pods', allNamespaces: false, selector: 'app==web,tier!=db' }],
    ["pods -l 'app in (web, api),!canary' -A", { verb: 'pods', allNamespaces: true, selector: 'app in (web, api),!canary' }],
    ['pods -l "env notin (prod)" -n demo', { verb: 'pods', namespace: 'demo', allNamespaces: false, selector: 'env notin (prod)' }],
    ['pods -l app.kubernetes.io/name=web,example.com/team', { verb: 'pods', allNamespaces: false, selector: 'app.kubernetes.io/name=web,example.com/team' }],
    ['pods -l app=', { verb: 'pods', allNamespaces: false, selector: 'app=' }],
    ['kubectl get pods', { verb: 'pods', allNamespaces: false }],
    ['get pods -n demo -l app=web', { verb: 'pods', namespace: 'demo', allNamespaces: false, selector: 'app=web' }],
    ['get po -A', { verb: 'pods', allNamespaces: true }],

    ['get deploy', { verb: 'get', kind: 'deployment', allNamespaces: false }],
    ['get deployments.apps -n demo', { verb: 'get', kind: 'deployment', namespace: 'demo', allNamespaces: false }],
    ['get deployment.apps/web', { verb: 'get', kind: 'deployment', name: 'web', allNamespaces: false }],
    ['get Deployments web', { verb: 'get', kind: 'deployment', name: 'web', allNamespaces: false }],
    ['get deploy/web -n demo', { verb: 'get', kind: 'deployment', name: 'web', namespace: 'demo', allNamespaces: false }],
    ['get -n demo deploy web', { verb: 'get', kind: 'deployment', name: 'web', namespace: 'demo', allNamespaces: false }],
    ['get pod web-1', { verb: 'get', kind: 'pod', name: 'web-1', allNamespaces: false }],
    ['get svc -A', { verb: 'get', kind: 'service', allNamespaces: true }],
    ['get pvc -l app=db', { verb: 'get', kind: 'persistentvolumeclaim', allNamespaces: false, selector: 'app=db' }],
    ['get hpa', { verb: 'get', kind: 'horizontalpodautoscaler', allNamespaces: false }],
    ['get rs', { verb: 'get', kind: 'replicaset', allNamespaces: false }],
    ['get sts', { verb: 'get', kind: 'statefulset', allNamespaces: false }],
    ['get ds', { verb: 'get', kind: 'daemonset', allNamespaces: false }],
    ['get jobs', { verb: 'get', kind: 'job', allNamespaces: false }],
    ['get cj', { verb: 'get', kind: 'cronjob', allNamespaces: false }],
    ['get ev', { verb: 'get', kind: 'event', allNamespaces: false }],
    ['get nodes', { verb: 'get', kind: 'node', allNamespaces: false }],
    // kubectl ignores -n and -A for cluster-scoped kinds
    ['get nodes -n demo', { verb: 'get', kind: 'node', allNamespaces: false }],
    ['get no sim-node-1 -A', { verb: 'get', kind: 'node', name: 'sim-node-1', allNamespaces: false }],
    ['get ns demo', { verb: 'get', kind: 'namespace', name: 'demo', allNamespaces: false }],

    ['describe pod web-1', { verb: 'describe', kind: 'pod', name: 'web-1' }],
    ['describe deployment/web -n demo', { verb: 'describe', kind: 'deployment', name: 'web', namespace: 'demo' }],
    ['describe -n demo deploy web', { verb: 'describe', kind: 'deployment', name: 'web', namespace: 'demo' }],
    ['describe node sim-node-1', { verb: 'describe', kind: 'node', name: 'sim-node-1' }],
    ['describe node sim-node-1 -n demo', { verb: 'describe', kind: 'node', name: 'sim-node-1' }],

    ['logs web-1', { verb: 'logs', pod: 'web-1', previous: false }],
    ['log web-1', { verb: 'logs', pod: 'web-1', previous: false }],
    ['logs crashloop -n demo --previous', { verb: 'logs', pod: 'crashloop', namespace: 'demo', previous: true }],
    ['logs -p crashloop', { verb: 'logs', pod: 'crashloop', previous: true }],
    ['logs pod/web-1 -c main', { verb: 'logs', pod: 'web-1', container: 'main', previous: false }],
    ['logs po/web-1 --container=main', { verb: 'logs', pod: 'web-1', container: 'main', previous: false }],
    ['logs web-1 main', { verb: 'logs', pod: 'web-1', container: 'main', previous: false }],
    ['logs web-1 main -c main', { verb: 'logs', pod: 'web-1', container: 'main', previous: false }],
    ['logs web-1 --tail 100', { verb: 'logs', pod: 'web-1', tail: 100, previous: false }],
    ['logs web-1 --tail=10000', { verb: 'logs', pod: 'web-1', tail: 10000, previous: false }],
    ['logs web-1 --since 10m', { verb: 'logs', pod: 'web-1', previous: false, sinceSeconds: 600 }],
    ['logs web-1 --since=1h30m', { verb: 'logs', pod: 'web-1', previous: false, sinceSeconds: 5400 }],
    ['logs web-1 --since 30s', { verb: 'logs', pod: 'web-1', previous: false, sinceSeconds: 30 }],
    ['logs web-1 --since 1.5h', { verb: 'logs', pod: 'web-1', previous: false, sinceSeconds: 5400 }],
    ['logs web-1 --since 7d', { verb: 'logs', pod: 'web-1', previous: false, sinceSeconds: 604800 }],
    ['logs web-1 --since 0.5s', { verb: 'logs', pod: 'web-1', previous: false, sinceSeconds: 1 }],
    ['logs web-1 --previous=false', { verb: 'logs', pod: 'web-1', previous: false }],
    [
      'kubectl logs --tail 5 -n demo api-0 -c sidecar -p --since 2h',
      { verb: 'logs', pod: 'api-0', namespace: 'demo', container: 'sidecar', tail: 5, previous: true, sinceSeconds: 7200 },
    ],

    ['events', { verb: 'events', allNamespaces: false }],
    ['events -n demo', { verb: 'events', namespace: 'demo', allNamespaces: false }],
    ['events -A', { verb: 'events', allNamespaces: true }],
    ['events --for pod/web-1', { verb: 'events', allNamespaces: false, for: { kind: 'pod', name: 'web-1' } }],
    ['events --for=deploy/web -n demo', { verb: 'events', namespace: 'demo', allNamespaces: false, for: { kind: 'deployment', name: 'web' } }],
    ['events --for node/sim-node-1', { verb: 'events', allNamespaces: false, for: { kind: 'node', name: 'sim-node-1' } }],

    ['scale deployment web 3', { verb: 'scale', kind: 'deployment', name: 'web', replicas: 3 }],
    ['scale deploy web 0 -n demo', { verb: 'scale', kind: 'deployment', name: 'web', replicas: 0, namespace: 'demo' }],
    ['scale deployments web 1000', { verb: 'scale', kind: 'deployment', name: 'web', replicas: 1000 }],
    ['scale deployment.apps web 2', { verb: 'scale', kind: 'deployment', name: 'web', replicas: 2 }],
    ['scale deployment/web --replicas=3', { verb: 'scale', kind: 'deployment', name: 'web', replicas: 3 }],
    ['kubectl scale --replicas 4 deployment/web -n demo', { verb: 'scale', kind: 'deployment', name: 'web', replicas: 4, namespace: 'demo' }],
    ['scale deployment web --replicas 5', { verb: 'scale', kind: 'deployment', name: 'web', replicas: 5 }],
    ['scale deployment web 5 --replicas=5', { verb: 'scale', kind: 'deployment', name: 'web', replicas: 5 }],
    ['scale deployment/web 007', { verb: 'scale', kind: 'deployment', name: 'web', replicas: 7 }],

    ['restart deployment web', { verb: 'restart', kind: 'deployment', name: 'web' }],
    ['restart deploy/web -n demo', { verb: 'restart', kind: 'deployment', name: 'web', namespace: 'demo' }],
    ['rollout restart deployment api -n payments', { verb: 'restart', kind: 'deployment', name: 'api', namespace: 'payments' }],
    ['kubectl rollout restart deployment/api', { verb: 'restart', kind: 'deployment', name: 'api' }],

    ['rollout status deployment web', { verb: 'rollout', action: 'status', kind: 'deployment', name: 'web' }],
    ['rollout status deploy/web -n demo', { verb: 'rollout', action: 'status', kind: 'deployment', name: 'web', namespace: 'demo' }],
    ['rollout history deployment web', { verb: 'rollout', action: 'history', kind: 'deployment', name: 'web' }],
    ['rollout undo deployment web', { verb: 'rollout', action: 'undo', kind: 'deployment', name: 'web' }],
    ['rollout undo deployment web --to-revision 3 -n demo', { verb: 'rollout', action: 'undo', kind: 'deployment', name: 'web', namespace: 'demo', toRevision: 3 }],
    ['rollout undo deployment/web --to-revision=1', { verb: 'rollout', action: 'undo', kind: 'deployment', name: 'web', toRevision: 1 }],

    ['cordon sim-node-1', { verb: 'cordon', node: 'sim-node-1' }],
    ['cordon node/sim-node-1', { verb: 'cordon', node: 'sim-node-1' }],
    ['uncordon ip-10-0-0-1.ec2.internal', { verb: 'uncordon', node: 'ip-10-0-0-1.ec2.internal' }],
    ['kubectl uncordon no/sim-node-1', { verb: 'uncordon', node: 'sim-node-1' }],

    ['delete pod web-1', { verb: 'delete', kind: 'pod', name: 'web-1' }],
    ['delete po web-1 -n demo', { verb: 'delete', kind: 'pod', name: 'web-1', namespace: 'demo' }],
    ['delete pod/web-1', { verb: 'delete', kind: 'pod', name: 'web-1' }],
    ['delete pods web-1.abc', { verb: 'delete', kind: 'pod', name: 'web-1.abc' }],
    ['delete\tpod\nweb-1', { verb: 'delete', kind: 'pod', name: 'web-1' }],
  ];
  for (const [text, expected] of cases) {
    it(text, () => assert.deepEqual(parsed(text), expected));
  }

  it('takes the longest names and a 1,000-character command', () => {
    const long = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`;
    assert.equal(long.length, 253);
    assert.deepEqual(parsed(`delete pod ${long}`), { verb: 'delete', kind: 'pod', name: long });
    assert.deepEqual(parsed(`pods -n ${'n'.repeat(63)}`), { verb: 'pods', namespace: 'n'.repeat(63), allNamespaces: false });
    const padded = `pods${' '.repeat(996)}`;
    assert.equal(padded.length, 1000);
    assert.ok(parseCommand(padded).ok);
  });
});

describe('parseCommand: what it refuses, and says why', () => {
  // [text, fragments the message must contain, the usage line if the command is known]
  const cases: [string, string[], string?][] = [
    ['', ['empty command']],
    ['   \t\n', ['empty command']],
    ['kubectl', ['expected a command after "kubectl"']],
    ['-n demo', ['expected a command before -n']],

    // unknown commands, case
    ['scael', ['unknown command "scael"; did you mean "scale"?']],
    ['pdos', ['unknown command "pdos"; did you mean "pods"?']],
    ['frobnicate', ['unknown command "frobnicate"', 'commands: help, whoami, pods']],
    ['Pods', ['unknown command "Pods"', 'lowercase', 'did you mean "pods"?']],
    ['SCALE deployment web 3', ['unknown command "SCALE"', 'did you mean "scale"?']],
    ['exec web-1 -- sh', ['unknown command "exec"']],

    // characters
    ['pods -n pаyments', ["'а' (U+0430) is not an ASCII letter: names are lowercase a-z, 0-9, '-' and '.'", '"p<U+0430>yments"', "looks like 'a'"]],
    ['scale deployment wеb 3', ["'е' (U+0435) is not an ASCII letter", '"w<U+0435>b"']],
    ['pоds', ["'о' (U+043E) is not an ASCII letter"]],
    ['delete pod ｗeb', ["'ｗ' (U+FF57) is not an ASCII letter", "looks like 'w'"]],
    ['logs web —tail 5', ["'—' (U+2014) is not an ASCII '-'", 'smart punctuation']],
    ['logs web –p', ["'–' (U+2013) is not an ASCII '-'"]],
    ['pods -l “app=web”', ["'“' (U+201C) is not an ASCII quote"]],
    ['pods\u200b', ['invisible character U+200B (zero-width space)', '"pods<U+200B>"']],
    ['delete pod web\u202e1-bew', ['invisible character U+202E (right-to-left override)']],
    ['pods\u200f -A', ['U+200F (right-to-left mark)']],
    ['pods\u00a0-A', ['U+00A0 (no-break space)']],
    ['pods -n demo\u0000', ['control character U+0000', 'not allowed']],
    ['pods\u001b[31m', ['control character U+001B']],
    // right-to-left scripts by code point only, so the reply keeps its order
    ['pods -n \u0663', ['character U+0663 is not an ASCII digit: numbers are 0-9']],
    ['scale deployment web ३', ["'३' (U+0969) is not an ASCII digit"]],
    ['scale deployment web ３', ["'３' (U+FF13) is not an ASCII digit", "looks like '3'"]],
    ['pods 😀', ["'😀' (U+1F600) is not ASCII"]],
    ['delete pod \u05d0', ['character U+05D0 is not an ASCII letter']],
    ['pods -n "de\tmo"', ['control character U+0009']],

    // shell syntax
    ['restart deployment web; rm -rf /', ["';' is not allowed", '"web;"']],
    ['pods | sh', ["'|' is not allowed"]],
    ['pods && reboot', ["'&' is not allowed"]],
    ['logs $(reboot)', ["'$' is not allowed"]],
    ['logs `id`', ["'`' is not allowed"]],
    ['logs web > /etc/passwd', ["'>' is not allowed"]],
    ['logs web < x', ["'<' is not allowed"]],
    ['delete pod web\\1', ["'\\' is not allowed"]],
    ['delete pod web*', ["'*' is not allowed"]],
    ['delete pod "it\'s"', ['"it\'s"', "''' is not allowed"]],
    ['pods -l "a=b', ['unterminated " quote']],
    ["pods -l 'a=b", ["unterminated ' quote"]],

    // lengths
    [`pods ${' '.repeat(996)}`, ['command too long: 1,001 characters; at most 1,000']],
    [`delete pod ${'a'.repeat(254)}`, ['is 254 characters long; a word may be at most 253']],
    [`pods -n ${'a'.repeat(64)}`, ['namespace', 'is 64 characters long; at most 63'], 'pods [-n ns] [-l selector] [-A]'],
    [`logs web -c ${'c'.repeat(64)}`, ['container name', 'at most 63']],

    // names
    ['delete pod Web-1', ['pod name "Web-1": names are lowercase; did you mean "web-1"?'], 'delete pod <name> [-n ns]'],
    ['delete pod web_1', ["pod name \"web_1\": '_' is not allowed: names are lowercase a-z, 0-9, '-' and '.'"]],
    ['delete pod -web', ['delete: unknown flag "-web"']],
    ['delete pod web-', ['pod name "web-" must start and end with a letter or digit']],
    ['delete pod web..1', ["each '.'-separated part must start and end with a letter or digit"]],
    ['delete pod web/x/y', ["pod name \"web/x/y\": '/' is not allowed"]],
    ['delete pod/web/x', ["pod name \"web/x\": '/' is not allowed"]],
    ['delete pod "web 1"', ["' ' (a space) is not allowed"]],
    ['delete pod ""', ['pod name: empty']],
    ['pods -n demo.prod', ["namespace \"demo.prod\": '.' is not allowed: names are lowercase a-z, 0-9 and '-'"]],
    ['pods -n Demo', ['namespace "Demo": names are lowercase; did you mean "demo"?']],
    ['pods -n ""', ['namespace: empty']],
    ['pods --namespace=', ['namespace: empty']],
    ['logs web -c Main', ['container name "Main": names are lowercase']],
    ['logs web -c a.b', ["container name \"a.b\": '.' is not allowed"]],
    ['cordon Node1', ['node name "Node1": names are lowercase']],
    ['cordon node_1', ["node name \"node_1\": '_' is not allowed"]],
    ['get ns demo.x', ["namespace name \"demo.x\": '.' is not allowed"]],
    ['describe deploy %2e%2e', ["'%' is not allowed"]],
    ['get deploy ../secrets', ["'/' is not allowed"]],
    ['events --for pod/Web', ['pod name "Web": names are lowercase']],

    // numbers
    ['scale deployment web -1', ['scale: replicas must be a whole number from 0 to 1000, got "-1"'], 'scale deployment <name> <replicas> [-n ns]'],
    ['scale deployment web 1001', [`replicas must be a whole number from 0 to ${MAX_REPLICAS}, got "1001"`]],
    ['scale deployment web 99999999999999999999999', ['replicas must be a whole number from 0 to 1000, got "99999999999999999999999"']],
    ['scale deployment web 1e3', ['replicas must be a whole number', 'got "1e3"']],
    ['scale deployment web 2.5', ['got "2.5"']],
    ['scale deployment web +3', ['got "+3"']],
    ['scale deployment web 0x10', ['got "0x10"']],
    ['scale deployment web three', ['got "three"']],
    ['scale deployment/web --replicas=-5', ['got "-5"']],
    ['scale deployment web', ['scale: expected the replica count']],
    ['scale deployment web 3 --replicas=4', ['replicas given twice: "3" and --replicas="4"']],
    ['logs web --tail 0', ['--tail must be a whole number from 1 to 10000, got "0"']],
    ['logs web --tail 10001', ['--tail must be a whole number from 1 to 10000']],
    ['logs web --tail -1', ['--tail must be a whole number from 1 to 10000, got "-1"']],
    ['logs web --since 10', ['--since expects a duration such as 30s, 10m, 1h30m or 2d, got "10"']],
    ['logs web --since 10x', ['--since: unknown unit "x"', 'units are s, m, h and d']],
    ['logs web --since 10ms', ['unknown unit "ms"']],
    ['logs web --since 8d', ['--since "8d" is longer than 7d']],
    ['logs web --since 0s', ['--since "0s" is shorter than 1s']],
    ['logs web --since -5m', ['--since expects a duration']],
    ['logs web --since 99999999999999999h', ['is longer than 7d']],
    ['rollout undo deployment web --to-revision 0', ['--to-revision must be a whole number from 1 to']],
    ['rollout undo deployment web --to-revision x', ['--to-revision must be a whole number']],

    // selectors
    ['pods -l "app in (a b)"', ["selector \"app in (a b)\": expected ',' or ')'"]],
    ['pods -l "app in ()"', ['expected a value in the list after "in"']],
    ['pods -l "app in a"', ["expected '(' after \"in\""]],
    ['pods -l app=a,', ["ends with ','"]],
    ['pods -l ,app', ["expected a label key, found ','"]],
    ['pods -l =web', ["expected a label key, found '='"]],
    ['pods -l app=-web', ['label value "-web"']],
    ['pods -l ""', ['selector "": empty']],
    ['pods -l "app=web tier=db"', ["expected ',' between requirements, found 'tier'"]],
    ['pods -l app%3Dweb', ["'%' is not allowed in a selector"]],
    ['pods -l Example.com/app=web', ['label key "Example.com/app=web"'.replace('=web', ''), 'prefix']],
    [`pods -l app=${'v'.repeat(64)}`, ['label value', 'at most 63']],
    [`pods -l ${'k'.repeat(64)}`, ['label key', 'at most 63']],
    ['pods -l "!"', ["expected a label key after '!'"]],
    ['pods -l app>3', ["'>' is not allowed"]],

    // flags
    ['pods -o wide', ['pods: unknown flag "-o"; pods takes -n, --namespace, -l, --selector, -A, --all-namespaces'], 'pods [-n ns] [-l selector] [-A]'],
    ['pods -a', ['pods: unknown flag "-a"; did you mean "-A"?']],
    ['pods --namspace demo', ['unknown flag "--namspace"; did you mean "--namespace"?']],
    ['logs web --tial 5', ['unknown flag "--tial"; did you mean "--tail"?']],
    ['logs web -pA', ['unknown flag "-pA"']],
    ['delete pod web --force', ['delete: does not take --force (silence does); its flags: -n']],
    ['cordon node1 --force', ['cordon: does not take --force (silence does); its flags: --cluster']],
    ['silence --reason CrashLoopBackOff -- why', ['expected "for <duration>" or "until <time>"']],
    ['silence --reason CrashLoopBackOff for 2 hours -- why', ['silence: unexpected argument "hours"']],
    ['silence --reason CrashLoopBackOff for two -- why', ['for expects a duration']],
    ['silence until tomorrow -- why', ['until expects a time with its zone']],
    ['silence --kind pod for 1h -- why', ['--kind "pod": expected a kind as Kubernetes spells it']],
    ['silence -l app!=web for 1h -- why', ['-l expects label=value pairs']],
    ['silence -n demo -A for 1h -- why', ['-A (all namespaces) and -n cannot be used together']],
    ['silence list -- why', ['silence list: takes no comment']],
    ['silence expire', ["expected the silence's id"]],
    ['silence for 1h -- rm -rf $HOME', ["silence comment:", "'$' is not allowed"]],
    ['whoami -n demo', ['whoami: does not take -n', 'it takes no flags']],
    ['scale deployment web 3 --tail 5', ['scale: does not take --tail (logs does); its flags: -n, --replicas']],
    ['rollout status deployment web --to-revision 2', ['rollout status: does not take --to-revision (rollout undo does)'], 'rollout status deployment <name> [-n ns]'],
    ['rollout history deployment web --to-revision 2', ['rollout history: does not take --to-revision']],
    ['restart deployment web -A', ['restart: does not take -A']],
    ['describe pod web -l app=web', ['describe: does not take -l']],
    ['pods -A -n demo', ['pods: -A (all namespaces) and -n cannot be used together']],
    ['events -n demo -A', ['-A (all namespaces) and -n cannot be used together']],
    ['get deploy -n demo --all-namespaces', ['cannot be used together']],
    ['pods -n', ['-n needs a value (ns)']],
    ['pods --selector', ['--selector needs a value (selector)']],
    ['pods -n -A', ['-n needs a value (ns), got the flag "-A"']],
    ['pods -A=yes', ['-A is true or false, got "yes"']],
    ['pods -n a -n b', ['-n given twice with different values']],

    // arguments
    ['pods web', ['pods: unexpected argument "web"']],
    ['whoami now', ['whoami: unexpected argument "now"']],
    ['help scale deployment web', ['help: unexpected argument "web"']],
    ['help 42', ['"42" is not a command']],
    ['get', ['get: expected a kind']],
    ['get foo', ['get: unknown kind "foo"', 'kinds: pods, nodes']],
    ['get deploymnet', ['unknown kind "deploymnet"; did you mean "deployment"?', 'kinds:']],
    ['get pods,svc', ['unknown kind "pods,svc"']],
    ['get secrets', ['unknown kind "secrets"']],
    ['get deploy web api', ['get: unexpected argument "api"']],
    ['get deploy web -l app=web', ['a name and -l cannot be used together']],
    ['get deploy web -A', ['-A cannot be used with a name']],
    ['describe', ['describe: expected a kind and a name']],
    ['describe pod', ['describe: expected the pod name']],
    ['describe foo/bar', ['unknown kind "foo"']],
    ['logs', ['logs: expected a pod name']],
    ['logs deployment/web', ['only pods have logs', 'not deployments']],
    ['logs web main -c other', ['the container is given twice: "main" and -c "other"']],
    ['logs web main extra', ['logs: unexpected argument "extra"']],
    ['events web', ['events: unexpected argument "web"']],
    ['events --for web', ['--for expects kind/name, e.g. pod/web-1, got "web"']],
    ['events --for secret/x', ['unknown kind "secret"']],
    ['scale web 3', ['scale: expected "deployment", not "web": only deployments can be scaled from chat']],
    ['scale statefulset db 3', ['scale: statefulsets cannot be scaled from chat']],
    ['scale deployment', ['scale: expected the deployment name']],
    ['scale deployment web 3 4', ['scale: unexpected argument "4"']],
    ['scale', ['scale: expected scale deployment <name> <replicas>']],
    ['restart web', ['restart: expected "deployment", not "web"']],
    ['restart daemonset agent', ['restart: daemonsets cannot be restarted from chat']],
    ['restart deployment', ['restart: expected the deployment name']],
    ['restart deployment web api', ['restart: unexpected argument "api"']],
    ['rollout', ['rollout: expected an action: status, history, undo or restart']],
    ['rollout pause deployment web', ['rollout: unknown rollout action "pause"', 'expected status, history, undo or restart']],
    ['rollout stauts deployment web', ['did you mean "status"?']],
    ['rollout status statefulset db', ['rollout status: statefulsets cannot be rolled out from chat']],
    ['rollout undo', ['rollout undo: expected rollout undo deployment <name>']],
    ['rollout restart web', ['restart: expected "deployment", not "web"']],
    ['cordon', ['cordon: expected a node name']],
    ['cordon a b', ['cordon: unexpected argument "b"']],
    ['cordon pod/web', ['cordon: expected a node, got "pod/web"']],
    ['uncordon', ['uncordon: expected a node name']],
    ['delete deployment web', ['delete: deployments cannot be deleted from chat']],
    ['delete namespace demo', ['delete: namespaces cannot be deleted from chat']],
    ['delete pod', ['delete: expected the pod name']],
    ['delete pod a b', ['delete: unexpected argument "b"']],
    ['delete pods --all', ['delete: unknown flag "--all"; delete takes -n, --namespace']],
  ];
  for (const [text, fragments, usage] of cases) {
    it(JSON.stringify(text).slice(0, 80), () => {
      const r = refused(text);
      for (const f of fragments) assert.ok(r.error.includes(f), `message for ${JSON.stringify(text)} should contain ${JSON.stringify(f)}: ${r.error}`);
      if (usage !== undefined) assert.equal(r.usage, usage);
      // no control, invisible or direction-changing character a user typed comes back in the reply
      assert.doesNotMatch(r.error, /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\u00a0]/u);
    });
  }

  it('gives the usage of the command that was refused, none when no command was recognised', () => {
    assert.equal(refused('logs').usage, 'logs <pod> [-n ns] [-c container] [--tail N] [--previous] [--since 10m]');
    assert.equal(refused('rollout').usage?.split('\n').length, 3);
    assert.equal(refused('scael').usage, undefined);
    assert.equal(refused('pods;').usage, undefined);
  });

  it('shows a long offending word cut short, and never a bidirectional override as is', () => {
    const r = refused(`delete pod ${'a'.repeat(100)}\u202e${'b'.repeat(100)}`);
    assert.ok(r.error.includes('…'), r.error);
    assert.ok(r.error.length < 250, r.error);
    assert.ok(!/[\u202a-\u202e\u2066-\u2069\u200e\u200f]/.test(r.error));
  });
});

describe('the command table', () => {
  it('has a row for every verb, rollout per action, with usage, summary, description and examples', () => {
    assert.deepEqual(
      COMMANDS.map((c) => c.name),
      ['help', 'whoami', 'pods', 'get', 'describe', 'logs', 'events', 'scale', 'restart', 'rollout status', 'rollout history', 'rollout undo', 'cordon', 'uncordon', 'delete', 'silence', 'silence list', 'silence expire'],
    );
    for (const c of COMMANDS) {
      assert.ok(c.usage.startsWith(c.name), c.name);
      assert.ok(c.summary && c.description && c.examples.length > 0, c.name);
      // every example parses, and as this command
      for (const e of c.examples) {
        const cmd = parsed(e);
        assert.equal(cmd.verb, c.verb === 'restart' ? 'restart' : c.verb, e);
        if (cmd.verb === 'rollout' || cmd.verb === 'silence') assert.equal(cmd.action, c.action, e);
      }
    }
  });

  it('marks exactly scale, restart, rollout undo, cordon, uncordon and delete as writes', () => {
    assert.deepEqual(
      COMMANDS.filter((c) => c.writes).map((c) => c.name),
      ['scale', 'restart', 'rollout undo', 'cordon', 'uncordon', 'delete'],
    );
  });
});

// every verb once, with what each helper says about it
const helpers: { text: string; writes: boolean; access: unknown[]; format: string; target: string | undefined }[] = [
  { text: 'help', writes: false, access: [], format: 'help', target: undefined },
  { text: 'help scale', writes: false, access: [], format: 'help scale', target: undefined },
  { text: 'whoami', writes: false, access: [], format: 'whoami', target: undefined },
  { text: 'pods', writes: false, access: [{ verb: 'list', group: '', resource: 'pods', namespace: 'demo' }], format: 'pods -n demo', target: 'pods in demo' },
  { text: 'pods -A -l app=web', writes: false, access: [{ verb: 'list', group: '', resource: 'pods', namespace: '' }], format: 'pods -A -l app=web', target: 'pods in all namespaces' },
  {
    text: "pods -n prod -l 'app in (a,b)'",
    writes: false,
    access: [{ verb: 'list', group: '', resource: 'pods', namespace: 'prod' }],
    format: "pods -n prod -l 'app in (a,b)'",
    target: 'pods in prod',
  },
  { text: 'get deploy', writes: false, access: [{ verb: 'list', group: 'apps', resource: 'deployments', namespace: 'demo' }], format: 'get deployment -n demo', target: 'deployments in demo' },
  {
    text: 'get deploy web -n prod',
    writes: false,
    access: [{ verb: 'get', group: 'apps', resource: 'deployments', namespace: 'prod', name: 'web' }],
    format: 'get deployment web -n prod',
    target: 'deployments/web in prod',
  },
  { text: 'get hpa -A', writes: false, access: [{ verb: 'list', group: 'autoscaling', resource: 'horizontalpodautoscalers', namespace: '' }], format: 'get horizontalpodautoscaler -A', target: 'horizontalpodautoscalers in all namespaces' },
  { text: 'get nodes', writes: false, access: [{ verb: 'list', group: '', resource: 'nodes' }], format: 'get node', target: 'nodes' },
  { text: 'get cj nightly', writes: false, access: [{ verb: 'get', group: 'batch', resource: 'cronjobs', namespace: 'demo', name: 'nightly' }], format: 'get cronjob nightly -n demo', target: 'cronjobs/nightly in demo' },
  {
    text: 'describe pod web-1',
    writes: false,
    access: [
      { verb: 'get', group: '', resource: 'pods', namespace: 'demo', name: 'web-1' },
      { verb: 'list', group: '', resource: 'events', namespace: 'demo' },
    ],
    format: 'describe pod web-1 -n demo',
    target: 'pods/web-1 in demo',
  },
  {
    text: 'describe node sim-node-1',
    writes: false,
    access: [
      { verb: 'get', group: '', resource: 'nodes', name: 'sim-node-1' },
      { verb: 'list', group: '', resource: 'events', namespace: '' },
    ],
    format: 'describe node sim-node-1',
    target: 'nodes/sim-node-1',
  },
  {
    text: 'logs crashloop -n prod --previous --tail 100 -c app --since 90m',
    writes: false,
    access: [{ verb: 'get', group: '', resource: 'pods', subresource: 'log', namespace: 'prod', name: 'crashloop' }],
    format: 'logs crashloop -n prod -c app --tail 100 --previous --since 1h30m',
    target: 'pods/crashloop in prod',
  },
  { text: 'events', writes: false, access: [{ verb: 'list', group: '', resource: 'events', namespace: 'demo' }], format: 'events -n demo', target: 'events in demo' },
  { text: 'events -A', writes: false, access: [{ verb: 'list', group: '', resource: 'events', namespace: '' }], format: 'events -A', target: 'events in all namespaces' },
  {
    text: 'events --for deploy/web',
    writes: false,
    access: [{ verb: 'list', group: '', resource: 'events', namespace: 'demo' }],
    format: 'events -n demo --for deployment/web',
    target: 'deployments/web in demo',
  },
  {
    text: 'scale deployment web 3',
    writes: true,
    access: [
      { verb: 'patch', group: 'apps', resource: 'deployments', subresource: 'scale', namespace: 'demo', name: 'web' },
      { verb: 'get', group: 'apps', resource: 'deployments', subresource: 'scale', namespace: 'demo', name: 'web' },
    ],
    format: 'scale deployment web 3 -n demo',
    target: 'deployments/web in demo',
  },
  {
    text: 'restart deployment web -n prod',
    writes: true,
    access: [
      { verb: 'patch', group: 'apps', resource: 'deployments', namespace: 'prod', name: 'web' },
      { verb: 'get', group: 'apps', resource: 'deployments', namespace: 'prod', name: 'web' },
    ],
    format: 'restart deployment web -n prod',
    target: 'deployments/web in prod',
  },
  {
    text: 'rollout status deployment web',
    writes: false,
    access: [{ verb: 'get', group: 'apps', resource: 'deployments', namespace: 'demo', name: 'web' }],
    format: 'rollout status deployment web -n demo',
    target: 'deployments/web in demo',
  },
  {
    text: 'rollout history deployment web',
    writes: false,
    access: [
      { verb: 'get', group: 'apps', resource: 'deployments', namespace: 'demo', name: 'web' },
      { verb: 'list', group: 'apps', resource: 'replicasets', namespace: 'demo' },
    ],
    format: 'rollout history deployment web -n demo',
    target: 'deployments/web in demo',
  },
  {
    text: 'rollout undo deployment web --to-revision 2',
    writes: true,
    access: [
      { verb: 'get', group: 'apps', resource: 'deployments', namespace: 'demo', name: 'web' },
      { verb: 'list', group: 'apps', resource: 'replicasets', namespace: 'demo' },
      { verb: 'patch', group: 'apps', resource: 'deployments', namespace: 'demo', name: 'web' },
    ],
    format: 'rollout undo deployment web -n demo --to-revision 2',
    target: 'deployments/web in demo',
  },
  { text: 'cordon sim-node-1', writes: true, access: [{ verb: 'patch', group: '', resource: 'nodes', name: 'sim-node-1' }, { verb: 'get', group: '', resource: 'nodes', name: 'sim-node-1' }], format: 'cordon sim-node-1', target: 'nodes/sim-node-1' },
  { text: 'uncordon sim-node-1', writes: true, access: [{ verb: 'patch', group: '', resource: 'nodes', name: 'sim-node-1' }, { verb: 'get', group: '', resource: 'nodes', name: 'sim-node-1' }], format: 'uncordon sim-node-1', target: 'nodes/sim-node-1' },
  {
    text: 'delete pod web-1',
    writes: true,
    access: [{ verb: 'delete', group: '', resource: 'pods', namespace: 'demo', name: 'web-1' }],
    format: 'delete pod web-1 -n demo',
    target: 'pods/web-1 in demo',
  },
  {
    text: 'silence --reason CrashLoopBackOff -l app=web for 2h -- deploying the fix',
    writes: false,
    access: [{ verb: 'create', group: 'kubeherald.io', resource: 'silences', namespace: 'demo' }],
    format: 'silence -n demo --reason CrashLoopBackOff -l app=web for 2h -- deploying the fix',
    target: 'silences in demo',
  },
  {
    text: 'silence -A --kind Node --name sim-node-1 --force until 2026-12-24T18:00Z -- node drain',
    writes: false,
    access: [
      { verb: 'create', group: 'kubeherald.io', resource: 'silences', namespace: '' },
      { verb: 'force', group: 'kubeherald.io', resource: 'silences', namespace: '' },
    ],
    format: 'silence -A --kind Node --name sim-node-1 --force until 2026-12-24T18:00:00Z -- node drain',
    target: 'silences in all namespaces',
  },
  { text: 'silence list -n payments', writes: false, access: [{ verb: 'list', group: 'kubeherald.io', resource: 'silences', namespace: 'payments' }], format: 'silence list -n payments', target: 'silences in payments' },
  { text: 'silence expire s-0123456789', writes: false, access: [], format: 'silence expire s-0123456789', target: 'silences/s-0123456789' },
];

describe('requiredAccess, isWrite, formatCommand, commandTarget', () => {
  for (const h of helpers) {
    it(h.text, () => {
      const cmd = parsed(h.text);
      assert.equal(isWrite(cmd), h.writes);
      assert.deepEqual(requiredAccess(cmd, 'demo'), h.access);
      assert.equal(formatCommand(cmd, 'demo'), h.format);
      assert.equal(commandTarget(cmd, 'demo'), h.target);
      // the audit text reads back as the same command, the channel's namespace filled in
      const again = parsed(h.format);
      assert.deepEqual(requiredAccess(again, 'elsewhere'), h.access);
      assert.equal(formatCommand(again), h.format);
    });
  }

  it('covers every verb', () => {
    assert.deepEqual(new Set(helpers.map((h) => parsed(h.text).verb)), new Set(COMMANDS.map((c) => c.verb)));
  });

  it('without a default namespace, formats what was typed and reads back to the same command', () => {
    for (const h of helpers) {
      const cmd = parsed(h.text);
      assert.deepEqual(parsed(formatCommand(cmd)), cmd, h.text);
    }
    assert.equal(formatCommand(parsed('pods')), 'pods');
    assert.equal(formatCommand(parsed('pods -l !canary')), "pods -l '!canary'");
  });

  it('writes durations as the shortest --since', () => {
    assert.equal(formatDuration(30), '30s');
    assert.equal(formatDuration(600), '10m');
    assert.equal(formatDuration(5400), '1h30m');
    assert.equal(formatDuration(90061), '1d1h1m1s');
    assert.equal(formatDuration(604800), '7d');
  });
});

function text(blocks: ReplyBlock[]): string {
  return blocks.map((b) => (b.kind === 'table' ? [b.columns, ...b.rows].map((r) => r.join(' | ')).join('\n') : b.kind === 'fields' ? b.fields.map((f) => `${f.label}: ${f.value}`).join('\n') : b.text)).join('\n');
}

describe('helpReply', () => {
  it('lists every command with its summary and marks the writes', () => {
    const r = helpReply();
    assert.equal(r.status, 'ok');
    const table = r.blocks.find((b) => b.kind === 'table');
    assert.ok(table && table.kind === 'table');
    assert.equal(table.rows.length, COMMANDS.length);
    for (const c of COMMANDS) {
      const row: string[] | undefined = table.rows.find((x) => x[0] === c.name);
      assert.ok(row, c.name);
      assert.equal(row[1], c.summary);
      assert.equal(row[2], c.writes ? 'writes' : '', c.name);
    }
    assert.match(text(r.blocks), /help <command>/);
    assert.deepEqual(helpReply(''), r);
  });

  it('explains one command: usage, description, flags and examples', () => {
    const r = helpReply('scale');
    assert.equal(r.status, 'ok');
    assert.equal(r.title, "scale: set a deployment's replica count");
    assert.deepEqual(r.blocks[0], { kind: 'code', text: 'scale deployment <name> <replicas> [-n ns]' });
    const all = text(r.blocks);
    assert.match(all, /0 to 1000/);
    assert.match(all, /writes/);
    assert.match(all, /-n, --namespace <ns>/);
    assert.match(all, /--replicas <N>/);
    assert.match(all, /scale deployment\/web --replicas=5/);

    const logs = text(helpReply('logs').blocks);
    for (const f of ['-c, --container <container>', '--tail <N>', '-p, --previous', '--since <duration>']) assert.ok(logs.includes(f), f);
    assert.doesNotMatch(logs, /changes the cluster/);
  });

  it('shows every rollout action for `help rollout`, one for `help rollout undo`', () => {
    const all = helpReply('rollout');
    assert.deepEqual(
      all.blocks.filter((b) => b.kind === 'code' && b.text.includes('<name>')).map((b) => b.kind === 'code' && b.text.split(' ')[1]),
      ['status', 'history', 'undo'],
    );
    const undo = helpReply('rollout undo');
    assert.equal(undo.title, 'rollout undo: roll a deployment back to an earlier revision');
    assert.match(text(undo.blocks), /--to-revision <N>/);
  });

  it('answers an unknown topic as invalid, with a suggestion', () => {
    const r = helpReply('nosuch');
    assert.equal(r.status, 'invalid');
    assert.match(r.title ?? '', /^no command "nosuch"/);
    assert.match(text(r.blocks), /Commands: help, whoami, pods/);
    assert.equal(helpReply('scael').title, 'no command "scael"; did you mean "scale"?');
    assert.equal(helpReply('Scale').title, 'no command "Scale"; did you mean "scale"?');
    assert.equal(helpReply('rollout pause').status, 'invalid');
    assert.equal(helpReply('x\u202e'.repeat(30)).title?.includes('\u202e'), false);
  });

  it('answers `help <command>` for every command the parser accepts as a topic', () => {
    for (const c of COMMANDS) {
      const cmd = parsed(`help ${c.name}`);
      assert.equal(cmd.verb, 'help');
      assert.equal(helpReply(cmd.verb === 'help' ? cmd.topic : undefined).status, 'ok', c.name);
    }
  });
});

describe('--cluster', () => {
  it('is taken, in every form, by each command that reaches a cluster, and only by them', () => {
    const cases: [string, ParsedCommand][] = [
      ['pods --cluster b', { verb: 'pods', allNamespaces: false, cluster: 'b' }],
      ['pods --cluster=b', { verb: 'pods', allNamespaces: false, cluster: 'b' }],
      ['--cluster prod-eu_1.x pods -A', { verb: 'pods', allNamespaces: true, cluster: 'prod-eu_1.x' }],
      ['pods --cluster b --cluster b', { verb: 'pods', allNamespaces: false, cluster: 'b' }],
      ['get deploy web -n demo --cluster Staging', { verb: 'get', kind: 'deployment', name: 'web', namespace: 'demo', allNamespaces: false, cluster: 'Staging' }],
      ['get pods --cluster b', { verb: 'pods', allNamespaces: false, cluster: 'b' }],
      ['describe node n1 --cluster b', { verb: 'describe', kind: 'node', name: 'n1', cluster: 'b' }],
      ['logs web-1 --cluster b --tail 5', { verb: 'logs', pod: 'web-1', tail: 5, previous: false, cluster: 'b' }],
      ['events --for pod/web-1 --cluster b', { verb: 'events', allNamespaces: false, for: { kind: 'pod', name: 'web-1' }, cluster: 'b' }],
      ['scale deployment web 0 --cluster=b', { verb: 'scale', kind: 'deployment', name: 'web', replicas: 0, cluster: 'b' }],
      ['restart deploy/web --cluster b', { verb: 'restart', kind: 'deployment', name: 'web', cluster: 'b' }],
      ['rollout restart deployment web --cluster b', { verb: 'restart', kind: 'deployment', name: 'web', cluster: 'b' }],
      ['rollout undo deployment web --cluster b --to-revision 2', { verb: 'rollout', action: 'undo', kind: 'deployment', name: 'web', toRevision: 2, cluster: 'b' }],
      ['cordon n1 --cluster b', { verb: 'cordon', node: 'n1', cluster: 'b' }],
      ['uncordon --cluster=b n1', { verb: 'uncordon', node: 'n1', cluster: 'b' }],
      ['delete pod web-1 --cluster b', { verb: 'delete', kind: 'pod', name: 'web-1', cluster: 'b' }],
      ['pods', { verb: 'pods', allNamespaces: false }],
    ];
    for (const [text, want] of cases) {
      const got = parsed(text);
      assert.deepEqual(got, want, text);
      // the normalised text reads back to the same command, the cluster included
      assert.deepEqual(parsed(formatCommand(got)), got, formatCommand(got));
    }
    assert.equal(formatCommand(parsed('scale deployment web 0 --cluster=b'), 'demo'), 'scale deployment web 0 -n demo --cluster b');
    // a silence is kubeherald's: --cluster narrows what it matches
    const silence = parsed('silence --reason X --cluster b for 1h -- why');
    assert.equal(silence.verb === 'silence' && silence.action === 'create' ? silence.cluster : undefined, 'b');
    assert.equal(formatCommand(silence), 'silence --reason X --cluster b for 1h -- why');
    for (const text of ['whoami --cluster b', 'help --cluster b', 'silence list --cluster b', 'silence expire s-1 --cluster b']) {
      assert.match(refused(text).error, /does not take --cluster/, text);
    }
  });

  it('refuses a missing, repeated-and-different or malformed name, and nothing of it is echoed raw', () => {
    const cases: [string, string][] = [
      ['pods --cluster', '--cluster needs a value (name)'],
      ['pods --cluster -A', '--cluster needs a value (name), got the flag "-A"'],
      ['pods --cluster=', '--cluster: empty; expected a cluster name'],
      ['pods --cluster a --cluster b', 'pods: --cluster given twice with different values'],
      ['pods --cluster=a --cluster b', 'pods: --cluster given twice with different values'],
      ['pods --cluster "a b"', `pods: --cluster "a b": ' ' (a space) is not allowed: cluster names are letters, digits, '-', '_' and '.'`],
      ['pods --cluster ../etc/passwd', 'pods: --cluster "../etc/passwd": \'/\' is not allowed'],
      ['pods --cluster=a/b', `pods: --cluster "a/b": '/' is not allowed`],
      ['pods --cluster a:b', `pods: --cluster "a:b": ':' is not allowed`],
      ['pods --cluster "a,b"', `pods: --cluster "a,b": ',' is not allowed`],
      ['pods --cluster -b', '--cluster needs a value (name), got the flag "-b"'],
      ['pods --cluster=-b', 'pods: --cluster "-b" must start and end with a letter or digit'],
      ['pods --cluster b.', 'pods: --cluster "b." must start and end with a letter or digit'],
      [`pods --cluster ${'c'.repeat(64)}`, 'pods: --cluster "cccc'],
      ['pods --cluster $(whoami)', 'not allowed'],
      ['pods --cluster `id`', 'not allowed'],
      ['pods --cluster a;rm', 'not allowed'],
      ['pods --cluster "a\u202eb"', 'right-to-left override'],
      ['pods --cluster pr\u043ed', "it looks like 'o'"],
      ['pods --cluster "a%0d%0ab"', `pods: --cluster "a%0d%0ab": '%' is not allowed`],
      ['pods --cluster \u00e9t\u00e9', '(U+00E9) is not an ASCII letter'],
    ];
    for (const [text, fragment] of cases) {
      const r = refused(text);
      assert.ok(r.error.includes(fragment), `message for ${JSON.stringify(text)} should contain ${JSON.stringify(fragment)}: ${r.error}`);
      assert.doesNotMatch(r.error, /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\u00a0]/u);
    }
    assert.match(refused(`pods --cluster ${'c'.repeat(64)}`).error, /64 characters long; at most 63/);
  });

  it('is named in help, for the commands that take it', () => {
    const pods = helpReply('pods').blocks.find((b) => b.kind === 'table');
    assert.ok(pods?.kind === 'table' && pods.rows.some((r) => r[0] === '--cluster <name>'));
    const whoami = helpReply('whoami').blocks.find((b) => b.kind === 'table');
    assert.ok(whoami?.kind === 'table' && !whoami.rows.some((r) => r[0] === '--cluster <name>'));
  });
});
