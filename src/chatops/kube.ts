// Kubernetes API clients that act as one chat user's Kubernetes identity.
// Every request carries Impersonate-User and one Impersonate-Group line per
// group, so the API server's RBAC decides what the chat user may do, and its
// audit log names them. Everything else (server, TLS, kubeherald's own
// credentials) comes from the KubeConfig, applied the way client-node does.
//
// Why a transport of our own: client-node's default one hands the header map
// to fetch(), which folds repeated names into a single "a, b" line, and
// kube-apiserver reads each Impersonate-Group line as one group name (as Go's
// http.Header does): two groups would become one group called "a, b". The
// generated client accepts any HttpLibrary (createConfiguration's httpApi),
// so this one sends the same request through undici's request(), which
// writes each header pair as its own line.

import * as k8s from '@kubernetes/client-node';
import { getGlobalDispatcher, type Dispatcher } from 'undici';
import type { KubeIdentity } from './types.ts';

/** The API groups a command needs, built on first use, all impersonating one identity. */
export interface KubeClients {
  readonly identity: KubeIdentity;
  readonly core: k8s.CoreV1Api;
  readonly apps: k8s.AppsV1Api;
  readonly batch: k8s.BatchV1Api;
  readonly autoscaling: k8s.AutoscalingV2Api;
  readonly authorization: k8s.AuthorizationV1Api;
  readonly authentication: k8s.AuthenticationV1Api;
  /**
   * Per-call options: the AbortSignal (the generated client has no signal
   * parameter) and, for patches, the patch type (the generated client
   * defaults to JSON patch).
   */
  call(signal?: AbortSignal, patch?: PatchType): k8s.ConfigurationOptions;
}

export type PatchType = 'json' | 'merge' | 'strategic';

const PATCH_CONTENT_TYPE: Record<PatchType, string> = {
  json: k8s.PatchStrategy.JsonPatch,
  merge: k8s.PatchStrategy.MergePatch,
  strategic: k8s.PatchStrategy.StrategicMergePatch,
};

const USER_AGENT = 'kubeherald-chatops';

/** The API groups' clients a KubeClients offers, by property. */
const API_CLIENTS = {
  core: k8s.CoreV1Api,
  apps: k8s.AppsV1Api,
  batch: k8s.BatchV1Api,
  autoscaling: k8s.AutoscalingV2Api,
  authorization: k8s.AuthorizationV1Api,
  authentication: k8s.AuthenticationV1Api,
} satisfies { [K in keyof KubeClients]?: new (c: k8s.Configuration) => KubeClients[K] };

/** Header names the server reads as impersonation; any the kubeconfig set are replaced by ours. */
const IMPERSONATION_HEADER = /^impersonate-/i;

/**
 * Clients for `identity`, authenticated as the current context of `kc`
 * (kubeherald's own ServiceAccount or user, which needs `impersonate` on the
 * user and the groups). An `as:` in the kubeconfig is overridden: Kubernetes
 * has no nested impersonation.
 */
export function impersonatingClients(kc: k8s.KubeConfig, identity: KubeIdentity): KubeClients {
  if (!identity.user) throw new Error('impersonatingClients: the identity has no Kubernetes user');
  if (identity.user.startsWith('system:')) throw new Error(`impersonatingClients: refusing to impersonate the system identity ${identity.user}`);
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('impersonatingClients: the kubeconfig has no current cluster');
  const frozen: KubeIdentity = Object.freeze({ user: identity.user, groups: Object.freeze([...identity.groups]) as string[] });
  const configuration = k8s.createConfiguration({
    baseServer: new k8s.ServerConfiguration(cluster.server, {}),
    authMethods: { default: kc },
    httpApi: new ImpersonatingHttpLibrary(kc, frozen),
    middleware: [k8s.setHeaderMiddleware('User-Agent', USER_AGENT)],
  });
  // each API group's client is made when first used
  const clients = { identity: frozen, call: callOptions } as KubeClients;
  for (const [name, Api] of Object.entries(API_CLIENTS)) {
    let api: unknown;
    Object.defineProperty(clients, name, { enumerable: true, get: () => (api ??= new Api(configuration)) });
  }
  return clients;
}

/** Per-call options for any client of this kubeconfig: the abort signal and, for patches, the content type. */
export function callOptions(signal?: AbortSignal, patch?: PatchType): k8s.ConfigurationOptions {
  const middleware: k8s.ObservableMiddleware[] = [];
  if (signal) {
    middleware.push({
      pre: (ctx) => {
        ctx.setSignal(signal);
        return new k8s.Observable(Promise.resolve(ctx));
      },
      post: (res) => new k8s.Observable(Promise.resolve(res)),
    });
  }
  if (patch) middleware.push(k8s.setHeaderMiddleware('Content-Type', PATCH_CONTENT_TYPE[patch]));
  // append: the configured User-Agent middleware stays
  return { middleware, middlewareMergeStrategy: 'append' };
}

/** The request headers as separate lines: the context's (auth included), minus any impersonation, plus the identity's. */
export function requestHeaderLines(headers: Record<string, string>, identity: KubeIdentity): [string, string][] {
  const lines: [string, string][] = [];
  for (const [name, value] of Object.entries(headers)) if (!IMPERSONATION_HEADER.test(name)) lines.push([name, value]);
  lines.push(['Impersonate-User', identity.user]);
  for (const g of identity.groups) lines.push(['Impersonate-Group', g]);
  return lines;
}

/**
 * One connection pool per kubeconfig user and cluster, shared by every
 * identity (impersonation is per request, in headers). client-node 2.0 builds
 * a new undici Agent, with the kubeconfig's TLS settings, for every request
 * and never closes it: each call would pay a TLS handshake and leave an idle
 * connection behind. The first Agent is kept and later fresh ones, never
 * connected, are closed unused. That is the policy client-node applies to its
 * own https.Agent cache (createAgent, keyed by cluster and user name).
 */
const pools = new WeakMap<k8s.KubeConfig, Map<string, Dispatcher>>();

function pooled(kc: k8s.KubeConfig, fresh: Dispatcher | undefined): Dispatcher {
  // no TLS settings of its own (a public CA, plain http): undici's global pool
  if (!fresh) return getGlobalDispatcher();
  let byKey = pools.get(kc);
  if (!byKey) pools.set(kc, (byKey = new Map()));
  const key = JSON.stringify([kc.getCurrentCluster()?.name ?? '', kc.getCurrentUser()?.name ?? '']);
  const kept = byKey.get(key);
  if (!kept) {
    byKey.set(key, fresh);
    return fresh;
  }
  if (kept !== fresh) void fresh.close().catch(() => undefined);
  return kept;
}

class ImpersonatingHttpLibrary implements k8s.HttpLibrary {
  #identity: KubeIdentity;
  #kc: k8s.KubeConfig;

  constructor(kc: k8s.KubeConfig, identity: KubeIdentity) {
    this.#kc = kc;
    this.#identity = identity;
  }

  #dispatcher(fresh: Dispatcher | undefined): Dispatcher {
    return pooled(this.#kc, fresh);
  }

  send(ctx: k8s.RequestContext): k8s.Observable<k8s.ResponseContext> {
    return new k8s.Observable(this.#send(ctx));
  }

  async #send(ctx: k8s.RequestContext): Promise<k8s.ResponseContext> {
    const url = new URL(ctx.getUrl());
    const dispatcher = this.#dispatcher(ctx.getDispatcher());
    const body = ctx.getBody();
    if (body !== undefined && typeof body !== 'string') throw new Error('chatops: multipart request bodies are not supported');
    const flat: string[] = requestHeaderLines(ctx.getHeaders(), this.#identity).flat();
    const res = await dispatcher.request({
      origin: url.origin,
      path: url.pathname + url.search,
      method: ctx.getHttpMethod() as Dispatcher.HttpMethod,
      headers: flat,
      body,
      signal: ctx.getSignal(),
    });
    // read the whole body now: every chatops call is a bounded, non-streaming one
    const buf = Buffer.from(await res.body.arrayBuffer());
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(res.headers)) {
      if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
    }
    return new k8s.ResponseContext(res.statusCode, headers, {
      text: () => Promise.resolve(buf.toString('utf8')),
      binary: () => Promise.resolve(buf),
      stream: () => null,
    } as unknown as k8s.ResponseBody);
  }
}
