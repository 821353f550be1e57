// The one table of chat commands: usage, help text, the flags each takes and
// whether it writes (the approvals work puts every write behind a
// confirmation, so this table is where that is decided). Plus pure helpers
// over a parsed command: the RBAC it needs, its normalised text and target
// for the audit trail. No I/O.

import { formatDuration } from '../model/duration.ts';
import { kindInfo } from './kinds.ts';
import { formatSilence, silenceAccess, silenceTarget } from './silence-grammar.ts';
import type { KindName, ParsedCommand, ResourceAttributes, Verb } from './types.ts';

/** The most replicas `scale` sets: a typo of one digit should not start a thousand pods more. */
export const MAX_REPLICAS = 1000;
export const MAX_TAIL = 10_000;
/** `--since` at most a week, as far back as anyone reads logs from chat. */
export const MAX_SINCE_SECONDS = 7 * 24 * 3600;
export const MAX_REVISION = 2_147_483_647;

export type FlagId = 'namespace' | 'selector' | 'allNamespaces' | 'container' | 'tail' | 'previous' | 'since' | 'for' | 'replicas' | 'toRevision' | 'help' | 'kind' | 'name' | 'reason' | 'force' | 'cluster';

export interface FlagSpec {
  id: FlagId;
  /** without the dashes: `namespace` for --namespace */
  long: string;
  /** one letter: `n` for -n */
  short?: string;
  /** the value's placeholder in usage (`ns`); absent for a boolean flag */
  value?: string;
  help: string;
}

export const FLAGS: readonly FlagSpec[] = [
  { id: 'namespace', long: 'namespace', short: 'n', value: 'ns', help: "the namespace (default: the channel's)" },
  { id: 'selector', long: 'selector', short: 'l', value: 'selector', help: "only objects with these labels, as kubectl: 'app=web', 'tier in (a,b)', '!canary'" },
  { id: 'allNamespaces', long: 'all-namespaces', short: 'A', help: 'every namespace' },
  { id: 'container', long: 'container', short: 'c', value: 'container', help: 'the container (default: the only one, or the default-container annotation)' },
  { id: 'tail', long: 'tail', value: 'N', help: `the last N lines (1 to ${MAX_TAIL.toLocaleString('en-US')})` },
  { id: 'previous', long: 'previous', short: 'p', help: 'the previous, terminated container (after a crash)' },
  { id: 'since', long: 'since', value: 'duration', help: 'only lines newer than this: 30s, 10m, 1h30m, 2d (at most 7d)' },
  { id: 'for', long: 'for', value: 'kind/name', help: 'only events about this object: pod/web-1, deployment/web' },
  { id: 'replicas', long: 'replicas', value: 'N', help: `the replica count (0 to ${MAX_REPLICAS})` },
  { id: 'toRevision', long: 'to-revision', value: 'N', help: 'the revision to go back to (default: the previous one)' },
  { id: 'help', long: 'help', short: 'h', help: 'show the help of the command' },
  { id: 'kind', long: 'kind', value: 'Kind', help: 'silence: only this kind of object, as Kubernetes spells it (Pod, Deployment, Node)' },
  { id: 'name', long: 'name', value: 'name', help: "silence: only the object of this name" },
  { id: 'reason', long: 'reason', value: 'reason', help: 'silence: only this reason (CrashLoopBackOff, NodeNotReady …)' },
  { id: 'force', long: 'force', help: 'silence: allow no matcher or a silence longer than the maximum (needs the right to force silences)' },
  { id: 'cluster', long: 'cluster', value: 'name', help: "the cluster, by its name in kubeherald's config (default: the channel's, else the first configured)" },
];

const FLAG_BY_ID = new Map(FLAGS.map((f) => [f.id, f] as const));

export function flagSpec(id: FlagId): FlagSpec {
  return FLAG_BY_ID.get(id)!;
}

/** How a flag is written in messages: -n, --tail. */
export function flagName(id: FlagId): string {
  const f = flagSpec(id);
  return f.short ? `-${f.short}` : `--${f.long}`;
}

export interface CommandSpec {
  /** what help and messages call it: the verb, or `rollout undo` */
  name: string;
  verb: Verb;
  /** rollout only */
  action?: 'status' | 'history' | 'undo' | 'create' | 'list' | 'expire';
  usage: string;
  summary: string;
  description: string;
  examples: string[];
  /** changes the cluster: confirmation and approval apply */
  writes: boolean;
  /** the flags it takes (besides -h/--help, which every command takes) */
  flags: readonly FlagId[];
}

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'help',
    verb: 'help',
    usage: 'help [command]',
    summary: 'list the commands, or explain one',
    description: 'Without a command, lists every command. With one, shows its usage, flags and examples. `<command> --help` does the same.',
    examples: ['help', 'help logs', 'help rollout'],
    writes: false,
    flags: [],
  },
  {
    name: 'whoami',
    verb: 'whoami',
    usage: 'whoami',
    summary: 'the Kubernetes identity your commands run as',
    description: 'Shows the Kubernetes user and groups your chat user is mapped to. Every command impersonates that identity, so Kubernetes RBAC decides what you may do. Unmapped chat users may run only `help` and `whoami`.',
    examples: ['whoami'],
    writes: false,
    flags: [],
  },
  {
    name: 'pods',
    verb: 'pods',
    usage: 'pods [-n ns] [-l selector] [-A]',
    summary: 'list pods with their status, restarts and age',
    description: 'Lists the pods of a namespace (the channel\'s default unless -n is given) or of every namespace with -A, like `kubectl get pods`. `get pods` is the same command.',
    examples: ['pods', 'pods -n payments', "pods -l 'app=web,tier in (frontend,edge)'", 'pods -A', 'pods --cluster staging'],
    writes: false,
    flags: ['namespace', 'selector', 'allNamespaces', 'cluster'],
  },
  {
    name: 'get',
    verb: 'get',
    usage: 'get <kind> [name] [-n ns] [-l selector] [-A]',
    summary: 'list objects of a kind, or show one',
    description: 'Lists objects of one kind, or shows one by name, like `kubectl get`. Kinds: the ones kubeherald watches (pods, nodes, events, services, namespaces, pvc, deployments, replicasets, statefulsets, daemonsets, jobs, cronjobs, hpa), by kubectl\'s names and short names; `kind/name` works too.',
    examples: ['get deploy -n payments', 'get deployment web', 'get svc -A', 'get nodes', 'get pvc -l app=db'],
    writes: false,
    flags: ['namespace', 'selector', 'allNamespaces', 'cluster'],
  },
  {
    name: 'describe',
    verb: 'describe',
    usage: 'describe <kind> <name> [-n ns]',
    summary: 'details of one object and its recent events',
    description: 'Shows one object in detail with the events about it, like `kubectl describe`. `describe <kind>/<name>` works too.',
    examples: ['describe pod web-7c9f-abcde', 'describe deployment/web -n payments', 'describe node sim-node-1'],
    writes: false,
    flags: ['namespace', 'cluster'],
  },
  {
    name: 'logs',
    verb: 'logs',
    usage: 'logs <pod> [-n ns] [-c container] [--tail N] [--previous] [--since 10m]',
    summary: "a pod's container log",
    description: 'Shows the log of a pod\'s container, like `kubectl logs`. Long logs are sent as a file. --previous (-p) shows the container that ran before the last restart: what a crash-looping pod printed before it died. The container may also be given as a second argument.',
    examples: ['logs web-7c9f-abcde', 'logs crashloop -n demo --previous', 'logs api-0 -c sidecar --tail 100', 'logs api-0 --since 10m'],
    writes: false,
    flags: ['namespace', 'container', 'tail', 'previous', 'since', 'cluster'],
  },
  {
    name: 'events',
    verb: 'events',
    usage: 'events [-n ns] [-A] [--for kind/name]',
    summary: 'recent events, newest last',
    description: 'Lists the events of a namespace or of every namespace, like `kubectl events`; --for keeps the ones about one object.',
    examples: ['events', 'events -n payments', 'events --for pod/web-7c9f-abcde', 'events -A'],
    writes: false,
    flags: ['namespace', 'allNamespaces', 'for', 'cluster'],
  },
  {
    name: 'scale',
    verb: 'scale',
    usage: 'scale deployment <name> <replicas> [-n ns]',
    summary: "set a deployment's replica count",
    description: `Sets the replicas of a deployment through its scale subresource, like \`kubectl scale\`. Replicas: 0 to ${MAX_REPLICAS}. kubectl's \`scale deployment/<name> --replicas=N\` works too.`,
    examples: ['scale deployment web 3', 'scale deploy api 0 -n payments', 'scale deployment/web --replicas=5', 'scale deployment web 2 --cluster=staging'],
    writes: true,
    flags: ['namespace', 'replicas', 'cluster'],
  },
  {
    name: 'restart',
    verb: 'restart',
    usage: 'restart deployment <name> [-n ns]',
    summary: "restart a deployment's pods with a rolling update",
    description: 'Starts a rolling restart by setting the `kubectl.kubernetes.io/restartedAt` annotation on the pod template, as `kubectl rollout restart` does (which is accepted too).',
    examples: ['restart deployment web', 'rollout restart deployment api -n payments', 'restart deploy/web'],
    writes: true,
    flags: ['namespace', 'cluster'],
  },
  {
    name: 'rollout status',
    verb: 'rollout',
    action: 'status',
    usage: 'rollout status deployment <name> [-n ns]',
    summary: "how far a deployment's rollout has got",
    description: 'Shows whether the latest rollout of a deployment is complete, progressing or stuck, like `kubectl rollout status` (without waiting).',
    examples: ['rollout status deployment web', 'rollout status deploy/api -n payments'],
    writes: false,
    flags: ['namespace', 'cluster'],
  },
  {
    name: 'rollout history',
    verb: 'rollout',
    action: 'history',
    usage: 'rollout history deployment <name> [-n ns]',
    summary: "a deployment's revisions",
    description: 'Lists the revisions of a deployment (its ReplicaSets) with their change causes, like `kubectl rollout history`.',
    examples: ['rollout history deployment web'],
    writes: false,
    flags: ['namespace', 'cluster'],
  },
  {
    name: 'rollout undo',
    verb: 'rollout',
    action: 'undo',
    usage: 'rollout undo deployment <name> [-n ns] [--to-revision N]',
    summary: 'roll a deployment back to an earlier revision',
    description: 'Puts the pod template of an earlier revision back, like `kubectl rollout undo`: the previous revision, or the one --to-revision names (see `rollout history`).',
    examples: ['rollout undo deployment web', 'rollout undo deployment web --to-revision 3 -n payments'],
    writes: true,
    flags: ['namespace', 'toRevision', 'cluster'],
  },
  {
    name: 'cordon',
    verb: 'cordon',
    usage: 'cordon <node>',
    summary: 'mark a node unschedulable',
    description: 'Marks a node unschedulable so no new pods land on it, like `kubectl cordon`. The pods already there keep running.',
    examples: ['cordon sim-node-1'],
    writes: true,
    flags: ['cluster'],
  },
  {
    name: 'uncordon',
    verb: 'uncordon',
    usage: 'uncordon <node>',
    summary: 'mark a node schedulable again',
    description: 'Marks a node schedulable again, like `kubectl uncordon`.',
    examples: ['uncordon sim-node-1'],
    writes: true,
    flags: ['cluster'],
  },
  {
    name: 'delete',
    verb: 'delete',
    usage: 'delete pod <name> [-n ns]',
    summary: 'delete a pod (its controller makes a new one)',
    description: 'Deletes one pod, like `kubectl delete pod`; a Deployment, StatefulSet or Job replaces it. Only pods can be deleted from chat.',
    examples: ['delete pod web-7c9f-abcde', 'delete pod/api-0 -n payments'],
    writes: true,
    flags: ['namespace', 'cluster'],
  },
  // silences change what kubeherald says, not the cluster: no confirmation, but RBAC on silences.kubeherald.io and an audit record
  {
    name: 'silence',
    verb: 'silence',
    action: 'create',
    usage: 'silence [-n ns | -A] [--kind Kind] [--name name] [--reason reason] [-l k=v] [--cluster name] [--force] for <duration> | until <time> [-- comment]',
    summary: 'keep matching notifications out of chat for a while',
    description:
      "Silences notifications about the channel's namespace (or -n, or -A for every namespace and cluster-scoped objects such as nodes) that match every matcher given (--cluster: only that cluster's; without it, every cluster's), for a duration (30m, 2h, 1d) or until a time (2026-12-24T18:00Z). Data sinks still get them, marked. Needs `create silences.kubeherald.io` where it silences; no matcher, or longer than the maximum, needs --force and the `force` right.",
    examples: ['silence --reason CrashLoopBackOff for 2h -- deploying the fix', 'silence -A --kind Node --name sim-node-1 for 1h -- node drain', 'silence -n payments -l app=web until 2026-12-24T18:00Z -- migration'],
    writes: false,
    flags: ['namespace', 'allNamespaces', 'kind', 'name', 'reason', 'selector', 'force', 'cluster'],
  },
  {
    name: 'silence list',
    verb: 'silence',
    action: 'list',
    usage: 'silence list [-n ns | -A]',
    summary: 'the silences in force, with who and why',
    description: "Lists the silences in force (and not yet started) that apply to the channel's namespace (or -n), cluster-wide ones included, or all of them with -A: what each matches, until when, who made it and why. Needs `list silences.kubeherald.io`.",
    examples: ['silence list', 'silence list -A'],
    writes: false,
    flags: ['namespace', 'allNamespaces'],
  },
  {
    name: 'silence expire',
    verb: 'silence',
    action: 'expire',
    usage: 'silence expire <id>',
    summary: 'end a silence now',
    description: 'Ends a silence now; what it held that still fires is then sent to chat once. Needs `delete silences.kubeherald.io` where it silences. A Silence resource is ended by deleting it.',
    examples: ['silence expire s-42'],
    writes: false,
    flags: [],
  },
];

/** The words a command may start with. */
export const VERBS: readonly Verb[] = [...new Set(COMMANDS.map((c) => c.verb))];
export const ROLLOUT_ACTIONS = ['status', 'history', 'undo'] as const;
export const SILENCE_ACTIONS = ['list', 'expire'] as const;

/** The table row of a verb (and rollout action). */
export function commandSpec(verb: Verb, action?: string): CommandSpec {
  const spec = COMMANDS.find((c) => c.verb === verb && (c.action === undefined || c.action === action));
  if (!spec) throw new Error(`no command ${verb} ${action ?? ''}`);
  return spec;
}

function specOf(cmd: ParsedCommand): CommandSpec {
  return commandSpec(cmd.verb, cmd.verb === 'rollout' || cmd.verb === 'silence' ? cmd.action : undefined);
}

/** Whether the command changes the cluster. */
export function isWrite(cmd: ParsedCommand): boolean {
  return specOf(cmd).writes;
}

/**
 * Whether the command goes to a cluster, the one --cluster names or the
 * channel's; help, whoami and silences stay with kubeherald (a silence's
 * --cluster only narrows what it matches).
 */
export function reachesCluster(cmd: ParsedCommand): cmd is Exclude<ParsedCommand, { verb: 'help' | 'whoami' | 'silence' }> {
  return cmd.verb !== 'silence' && specOf(cmd).flags.includes('cluster');
}

/** The namespace a command acts in: what was typed, else the channel's default. */
function effectiveNamespace(cmd: { namespace?: string }, namespace: string | undefined): string | undefined {
  return cmd.namespace ?? namespace;
}

/**
 * What Kubernetes RBAC must allow for the command, as kubectl would need it;
 * `namespace` is the channel's default, used when none was typed. A
 * namespace of '' means every namespace; cluster-scoped resources have none.
 */
export function requiredAccess(cmd: ParsedCommand, namespace: string): ResourceAttributes[] {
  const ns = (c: { namespace?: string }): string => effectiveNamespace(c, namespace) ?? '';
  const on = (kind: KindName, verb: string, where: string | undefined, name?: string, subresource?: string): ResourceAttributes => {
    const k = kindInfo(kind);
    return {
      verb,
      group: k.group,
      resource: k.resource,
      ...(subresource !== undefined ? { subresource } : {}),
      ...(k.namespaced && where !== undefined ? { namespace: where } : {}),
      ...(name !== undefined ? { name } : {}),
    };
  };
  switch (cmd.verb) {
    case 'help':
    case 'whoami':
      return [];
    case 'pods':
      return [on('pod', 'list', cmd.allNamespaces ? '' : ns(cmd))];
    case 'get': {
      const where = cmd.allNamespaces ? '' : ns(cmd);
      return [cmd.name !== undefined ? on(cmd.kind, 'get', where, cmd.name) : on(cmd.kind, 'list', where)];
    }
    case 'describe': {
      // kubectl describe looks for a cluster-scoped object's events in every namespace
      const where = ns(cmd);
      return [on(cmd.kind, 'get', where, cmd.name), on('event', 'list', kindInfo(cmd.kind).namespaced ? where : '')];
    }
    case 'logs':
      return [on('pod', 'get', ns(cmd), cmd.pod, 'log')];
    case 'events':
      return [on('event', 'list', cmd.allNamespaces ? '' : ns(cmd))];
    // the write first, so a refusal names it; then the read the executor does before writing (kubectl's "from 3 to 5")
    case 'scale':
      return [on('deployment', 'patch', ns(cmd), cmd.name, 'scale'), on('deployment', 'get', ns(cmd), cmd.name, 'scale')];
    case 'restart':
      return [on('deployment', 'patch', ns(cmd), cmd.name), on('deployment', 'get', ns(cmd), cmd.name)];
    case 'rollout': {
      const where = ns(cmd);
      const get = on('deployment', 'get', where, cmd.name);
      if (cmd.action === 'status') return [get];
      const history = [get, on('replicaset', 'list', where)];
      return cmd.action === 'history' ? history : [...history, on('deployment', 'patch', where, cmd.name)];
    }
    case 'cordon':
    case 'uncordon':
      return [on('node', 'patch', undefined, cmd.node), on('node', 'get', undefined, cmd.node)];
    case 'delete':
      return [on('pod', 'delete', ns(cmd), cmd.name)];
    case 'silence':
      return silenceAccess(cmd, namespace);
  }
}

export { formatDuration };

// a selector with spaces is quoted; the grammar lets no quote into one
function quoted(value: string): string {
  return /[\s()!,]/.test(value) ? `'${value}'` : value;
}

function nsFlags(cmd: { namespace?: string; allNamespaces?: boolean }, namespace: string | undefined, namespaced = true): string[] {
  if (!namespaced) return [];
  if (cmd.allNamespaces) return ['-A'];
  const ns = effectiveNamespace(cmd, namespace);
  return ns !== undefined ? ['-n', ns] : [];
}

/**
 * The command as normalised text for the audit trail and replies
 * (`scale deployment web 3 -n demo`); parseCommand reads it back to the same
 * command. `namespace` (the channel's default) is written out when given, and
 * the cluster when the command names one (the service names it whenever
 * several clusters are configured).
 */
export function formatCommand(cmd: ParsedCommand, namespace?: string): string {
  const words: string[] = [];
  switch (cmd.verb) {
    case 'help':
      words.push('help', ...(cmd.topic !== undefined ? [cmd.topic] : []));
      break;
    case 'whoami':
      words.push('whoami');
      break;
    case 'pods':
      words.push('pods', ...nsFlags(cmd, namespace), ...(cmd.selector !== undefined ? ['-l', quoted(cmd.selector)] : []));
      break;
    case 'get':
      words.push('get', cmd.kind, ...(cmd.name !== undefined ? [cmd.name] : []), ...nsFlags(cmd, namespace, kindInfo(cmd.kind).namespaced), ...(cmd.selector !== undefined ? ['-l', quoted(cmd.selector)] : []));
      break;
    case 'describe':
      words.push('describe', cmd.kind, cmd.name, ...nsFlags(cmd, namespace, kindInfo(cmd.kind).namespaced));
      break;
    case 'logs':
      words.push('logs', cmd.pod, ...nsFlags(cmd, namespace));
      if (cmd.container !== undefined) words.push('-c', cmd.container);
      if (cmd.tail !== undefined) words.push('--tail', String(cmd.tail));
      if (cmd.previous) words.push('--previous');
      if (cmd.sinceSeconds !== undefined) words.push('--since', formatDuration(cmd.sinceSeconds));
      break;
    case 'events':
      words.push('events', ...nsFlags(cmd, namespace));
      if (cmd.for) words.push('--for', `${cmd.for.kind}/${cmd.for.name}`);
      break;
    case 'scale':
      words.push('scale', cmd.kind, cmd.name, String(cmd.replicas), ...nsFlags(cmd, namespace));
      break;
    case 'restart':
      words.push('restart', cmd.kind, cmd.name, ...nsFlags(cmd, namespace));
      break;
    case 'rollout':
      words.push('rollout', cmd.action, cmd.kind, cmd.name, ...nsFlags(cmd, namespace));
      if (cmd.toRevision !== undefined) words.push('--to-revision', String(cmd.toRevision));
      break;
    case 'cordon':
    case 'uncordon':
      words.push(cmd.verb, cmd.node);
      break;
    case 'delete':
      words.push('delete', cmd.kind, cmd.name, ...nsFlags(cmd, namespace));
      break;
    case 'silence':
      return formatSilence(cmd, namespace);
  }
  if ('cluster' in cmd && cmd.cluster !== undefined) words.push('--cluster', cmd.cluster);
  return words.join(' ');
}

/** What the command acts on, for the audit trail: `deployments/web in demo`, `nodes/sim-node-1`, `pods in all namespaces`. */
export function commandTarget(cmd: ParsedCommand, namespace: string): string | undefined {
  const where = (c: { namespace?: string; allNamespaces?: boolean }): string => (c.allNamespaces ? ' in all namespaces' : ` in ${effectiveNamespace(c, namespace)}`);
  const object = (kind: KindName, name: string | undefined, c: { namespace?: string; allNamespaces?: boolean }): string => {
    const k = kindInfo(kind);
    return `${k.resource}${name !== undefined ? `/${name}` : ''}${k.namespaced ? where(c) : ''}`;
  };
  switch (cmd.verb) {
    case 'help':
    case 'whoami':
      return undefined;
    case 'pods':
      return object('pod', undefined, cmd);
    case 'get':
      return object(cmd.kind, cmd.name, cmd);
    case 'describe':
      return object(cmd.kind, cmd.name, cmd);
    case 'logs':
      return object('pod', cmd.pod, cmd);
    case 'events':
      return cmd.for ? object(cmd.for.kind, cmd.for.name, cmd) : object('event', undefined, cmd);
    case 'scale':
    case 'restart':
    case 'rollout':
      return object('deployment', cmd.name, cmd);
    case 'cordon':
    case 'uncordon':
      return object('node', cmd.node, {});
    case 'delete':
      return object('pod', cmd.name, cmd);
    case 'silence':
      return silenceTarget(cmd, namespace);
  }
}
