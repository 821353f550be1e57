// startSim(): the simulated cluster as one object — API server, store,
// controllers, scenarios, clock and fault switch — for `kubeherald sim`,
// `kubeherald demo`, tests and benchmarks.

import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { ApiServer, type AccessLogEntry } from './apiserver.ts';
import { AuditWebhook, type SimAuditOptions } from './audit.ts';
import { builtinResourceTypes } from './builtins.ts';
import { systemPriorityClasses } from './builtins-cluster.ts';
import { ClusterOps } from './cluster-ops.ts';
import { SimClock } from './clock.ts';
import { startControllers } from './controllers/index.ts';
import { startServiceAccountController } from './controllers/serviceaccounts.ts';
import { EventRecorder } from './events.ts';
import { Faults, type FaultOptions } from './faults.ts';
import { kubeconfigYaml } from './kubeconfig.ts';
import { LogStore } from './logs.ts';
import { Authorizer, defaultRbacObjects } from './rbac.ts';
import { ResourceRegistry } from './registry.ts';
import type { ScenarioOptions, SimContext } from './scenario.ts';
import { scenarios, startScenario } from './scenarios/index.ts';
import { ObjectStore } from './store.ts';
import { servingCert } from './tls.ts';
import type { KObject, UserInfo } from './types.ts';

export interface SimUser {
  name: string;
  groups?: string[];
  /** defaults to a random token */
  token?: string;
}

export interface SimOptions {
  /** 0 picks a free port; default 0 (the CLI defaults to 6443) */
  port?: number;
  host?: string;
  /** scenarios to start right away, by name */
  scenario?: string | string[];
  scenarioOptions?: ScenarioOptions;
  faults?: FaultOptions;
  /** virtual ms per real ms; 0 stops the clock so tests step it with clock.advance() */
  clockSpeed?: number;
  start?: Date;
  /** simulated nodes (default 3) */
  nodes?: number;
  /** each resource's watch cache: how many of its changes a watch can resume from before 410 (default 10000) */
  historySize?: number;
  /** users besides the admin; each gets a token and a kubeconfig context */
  users?: SimUser[];
  bookmarkIntervalMs?: number;
  /** write the kubeconfig here */
  kubeconfigPath?: string;
  onRequest?: (entry: AccessLogEntry) => void;
  /** post audit events of the API calls to this webhook, like kube-apiserver's webhook backend */
  audit?: SimAuditOptions;
}

export interface ScenarioController {
  names(): string[];
  start(name: string, opts?: ScenarioOptions): () => void;
  stopAll(): void;
}

export interface Sim {
  url: string;
  /** PEM of the CA that signed the serving certificate (also in the kubeconfig) */
  caCert: string;
  /** kubeconfig YAML whose current context is the admin */
  kubeconfig: string;
  kubeconfigPath?: string;
  adminToken: string;
  /** user name → bearer token */
  tokens: Map<string, string>;
  /** a kubeconfig whose current context is this user */
  kubeconfigFor(user: string): string;
  clock: SimClock;
  faults: Faults;
  scenarios: ScenarioController;
  ctx: SimContext;
  registry: ResourceRegistry;
  /** the audit webhook backend, when options.audit was given (flush() posts what is waiting) */
  audit?: AuditWebhook;
  close(): Promise<void>;
}

export const ADMIN_USER = 'admin';

export async function startSim(opts: SimOptions = {}): Promise<Sim> {
  const clock = new SimClock({ speed: opts.clockSpeed ?? 1, start: opts.start });
  const store = new ObjectStore({ clock, historySize: opts.historySize });
  const logs = new LogStore();
  const ctx: SimContext = { store, clock, logs, recorder: new EventRecorder(store) };
  const registry = new ResourceRegistry(builtinResourceTypes());
  const faults = new Faults(opts.faults);

  const tokenTable = new Map<string, UserInfo>();
  const tokens = new Map<string, string>();
  const addUser = (name: string, groups: string[], token = randomBytes(16).toString('hex')): void => {
    tokenTable.set(token, { username: name, groups });
    tokens.set(name, token);
  };
  addUser(ADMIN_USER, ['system:masters']);
  for (const u of opts.users ?? []) addUser(u.name, u.groups ?? [], u.token);

  for (const o of defaultRbacObjects()) seed(store, registry, o);
  for (const o of systemPriorityClasses()) seed(store, registry, o);
  const ops = new ClusterOps({ store, clock });
  ctx.admit = (storage, obj) => {
    const rt = registry.byStorage(storage);
    if (rt) ops.admit(rt, obj);
  };
  const authz = new Authorizer({ list: (storage, ns) => store.list(storage, ns) });
  const controllers = startControllers(ctx, { nodes: opts.nodes ?? 3 });
  // the watch caches start here, as kube-apiserver's start at the version of their first list:
  // a watch from an older version (resourceVersion=1 included) answers 410 Expired
  store.compact();

  const audit = opts.audit ? new AuditWebhook(opts.audit) : undefined;
  const onRequest = audit
    ? (e: AccessLogEntry) => {
        opts.onRequest?.(e);
        audit.record(e);
      }
    : opts.onRequest;
  const api = new ApiServer({ store, registry, clock, logs, faults, authz, tokens: tokenTable, bookmarkIntervalMs: opts.bookmarkIntervalMs, onRequest, ops });
  const host = opts.host ?? '127.0.0.1';
  const tls = await servingCert([host, '127.0.0.1', '::1']);
  // the cluster CA goes into every namespace's kube-root-ca.crt
  const stopServiceAccounts = startServiceAccountController(ctx, { caCert: tls.cert });
  const url = await api.listen(opts.port ?? 0, host, tls);

  const users = [...tokens].map(([name, token]) => ({ name, token }));
  const kubeconfigFor = (user: string): string => kubeconfigYaml({ server: url, caCert: tls.cert, users, currentUser: user });
  const kubeconfig = kubeconfigFor(ADMIN_USER);
  if (opts.kubeconfigPath) await writeFile(opts.kubeconfigPath, kubeconfig, { mode: 0o600 });

  const running = new Set<() => void>();
  const controller: ScenarioController = {
    names: () => [...scenarios.keys()],
    start(name, sopts = {}) {
      const stop = startScenario(ctx, name, { ...opts.scenarioOptions, ...sopts });
      running.add(stop);
      return () => {
        running.delete(stop);
        stop();
      };
    },
    stopAll() {
      for (const stop of running) stop();
      running.clear();
    },
  };
  for (const name of [opts.scenario ?? []].flat()) controller.start(name);

  return {
    url,
    caCert: tls.cert,
    kubeconfig,
    kubeconfigPath: opts.kubeconfigPath,
    adminToken: tokens.get(ADMIN_USER)!,
    tokens,
    kubeconfigFor,
    clock,
    faults,
    scenarios: controller,
    ctx,
    registry,
    audit,
    async close() {
      controller.stopAll();
      stopServiceAccounts();
      controllers.stop();
      faults.clear();
      await api.close();
      await audit?.close();
      clock.close();
    },
  };
}

/** Objects a fresh cluster has before anyone talks to it. */
function seed(store: ObjectStore, registry: ResourceRegistry, obj: KObject): void {
  const [group, version] = obj.apiVersion!.includes('/') ? obj.apiVersion!.split('/') : ['', obj.apiVersion!];
  const rt = registry.byKind(group, version, obj.kind!);
  if (!rt) throw new Error(`sim: no resource serves ${obj.apiVersion} ${obj.kind}`);
  store.create({ storage: rt.storage, resource: rt.resource, group: rt.group }, obj);
}
