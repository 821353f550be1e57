// ChatOps assembled: the identity map (config and, when enabled, ChatIdentity
// resources), the command service, and one adapter per configured platform
// (Slack over Socket Mode or HTTP, Telegram by long polling or webhook, and
// any the caller brings, such as the console). `run` starts it next to the
// listener; `chat` and `demo --chat` start it with the console adapter.

import type * as k8s from '@kubernetes/client-node';
import { clustersOf, type Config } from '../config/index.ts';
import { chatCommandNotification } from '../chatops/audit-notification.ts';
import type { ChatCluster } from '../chatops/clusters.ts';
import { IdentityMap } from '../chatops/identity.ts';
import { startIdentityResources } from '../chatops/identity-source.ts';
import { startPolicyResources } from '../chatops/policy-source.ts';
import { ChatOpsService } from '../chatops/service.ts';
import type { SilencePort } from '../chatops/silence-command.ts';
import type { AuditEntry, ChatAdapter, ChatReply, MessageTarget } from '../chatops/types.ts';
import type { Logger } from '../model/logger.ts';
import type { Notification } from '../model/notification.ts';
import { readCredential } from '../sinks/credential.ts';
import type { Store } from '../store/types.ts';
import type { Metrics } from './metrics.ts';

export interface ChatOpsOptions {
  config: Config;
  /** the home cluster: ChatIdentity and ChatPolicy resources are read here, and commands go here unless told otherwise */
  kc: k8s.KubeConfig;
  /**
   * Every configured cluster commands may go to (`--cluster`, a channel's
   * `cluster`), by name, the home one (kc's) first. Default: kc alone, named
   * as the first configured cluster.
   */
  clusters?: readonly ChatCluster[];
  /** the audit trail is written here, and write requests wait here for confirmation and approval */
  store: Pick<Store, 'audit'> & Partial<Pick<Store, 'requests' | 'transaction' | 'alertButtons'>>;
  log: Logger;
  /** where `{env: …}` credentials are read (default process.env) */
  env?: NodeJS.ProcessEnv;
  metrics?: Pick<Metrics, 'chatCommand' | 'chatRejected'>;
  /** where ChatCommand notifications go when chatops.auditNotifications is on */
  submit?: (ns: Notification[]) => void;
  /** adapters besides the configured platforms (the console) */
  adapters?: ChatAdapter[];
  /** start the platforms the config enables (default true; `kubeherald chat` answers only its terminal) */
  platforms?: boolean;
  /** the cluster's "now" for ages and restartedAt (the demo passes the simulator's clock) */
  clusterNow?: () => Date;
  /** called for every audit record after it is stored (tests, the demo) */
  onAudit?: (e: AuditEntry) => void;
  /** the clock of request expiry (tests step it) */
  now?: () => number;
  /** how often requests past their expiry are marked expired and audited, and requests approved at a terminal are run (default 15 s) */
  expiryCheckMs?: number;
  /** kubeherald's silences, for `silence …` and the Silence 1h button */
  silences?: SilencePort;
}

export interface ChatOps {
  service: ChatOpsService;
  adapters: ChatAdapter[];
  /** what the timer does (expire, run requests approved elsewhere), at once: tests step time and call it */
  tick(): Promise<void>;
  /**
   * Stops answering (adapters closed, replies in flight finished) and the
   * leader-only work: requests expired, approved requests run. Once, however
   * often called. A process that leads again starts a new ChatOps.
   */
  stop(): Promise<void>;
}

/** Whether the config asks for any chat platform (the console is asked for by the command, not the config). */
export function chatPlatformsEnabled(config: Config): boolean {
  return config.chatops.slack.enabled || config.chatops.telegram.enabled;
}

export async function startChatOps(opts: ChatOpsOptions): Promise<ChatOps> {
  const { config, log } = opts;
  const c = config.chatops;
  const env = opts.env ?? process.env;
  const identities = new IdentityMap(c.identities);
  const abort = new AbortController();
  const adapters: ChatAdapter[] = [];
  /** updates of request messages in flight: stop() lets them finish, tests await them (settled()) */
  const notices = new Set<Promise<unknown>>();
  const stops: (() => Promise<void> | void)[] = [];
  // the expiry timer and the tick it may be running go first: nothing expires, runs or notifies once stop() is called
  let expiry: NodeJS.Timeout | undefined;
  let ticking: Promise<void> | undefined;
  let stopped: Promise<void> | undefined;
  const stopAll = (): Promise<void> =>
    (stopped ??= (async () => {
      abort.abort();
      clearInterval(expiry);
      await ticking;
      for (const s of stops.splice(0).reverse()) await s();
    })());
  let held: [MessageTarget, ChatReply][] | undefined = [];
  const settled = async (): Promise<void> => {
    while (notices.size) await Promise.allSettled([...notices]);
  };
  // expiries, runs after a terminal approval and recoveries go through the adapter of the request's platform
  const notify = (to: MessageTarget, reply: ChatReply): void => {
    // recovery at start reports before the adapters are up: held until they are
    if (held) return void held.push([to, reply]);
    const a = adapters.find((x) => x.platform === to.platform);
    if (!a?.notify) return;
    const sent = a.notify(to, reply).catch((err: unknown) => log.warn({ platform: to.platform, channel: to.channel, err: (err as Error).message }, 'cannot update a request message'));
    notices.add(sent);
    void sent.finally(() => notices.delete(sent));
  };
  try {
    if (c.identityResources) {
      const source = await startIdentityResources({ kc: opts.kc, map: identities, log: log.child({ component: 'chat-identities' }) });
      stops.push(() => source.stop());
    }
    // the service compiles chatops.policies itself and asks for the resources' policies at every proposal
    const policySource = c.policyResources ? await startPolicyResources({ kc: opts.kc, config: c.policies, log: log.child({ component: 'chat-policies' }) }) : undefined;
    if (policySource) stops.push(() => policySource.stop());
    const clusters = opts.clusters ?? [{ name: clustersOf(config)[0].name, kc: opts.kc }];
    const service = new ChatOpsService({
      config: c,
      identities,
      ...(policySource ? { policies: () => policySource.resourcePolicies() } : {}),
      kc: opts.kc,
      clusters,
      clusterNow: opts.clusterNow,
      audit: opts.store.audit,
      ...(opts.store.requests ? { requests: opts.store.requests } : {}),
      ...(opts.store.transaction ? { transaction: <T>(fn: () => T): T => opts.store.transaction!(fn) } : {}),
      ...(opts.now ? { now: opts.now } : {}),
      notify,
      ...(opts.silences ? { silences: opts.silences } : {}),
      ...(opts.store.alertButtons ? { alertButtons: opts.store.alertButtons } : {}),
      log: log.child({ component: 'chatops' }),
      onAudit: (e, cmd, namespace) => {
        opts.metrics?.chatCommand(e);
        if (c.auditNotifications && opts.submit) opts.submit([chatCommandNotification(e, { cluster: e.cluster ?? clusters[0].name, cmd, namespace })]);
        opts.onAudit?.(e);
      },
    });
    // a process that died between claiming a request and recording its result left it executing: settle it before anything else runs
    for (const r of await service.recover(abort.signal)) log.warn({ request: r.request.id, command: r.request.command, state: r.request.state, outcome: r.outcome }, 'request left executing by a previous run re-checked');
    const tick = (): Promise<void> => {
      if (abort.signal.aborted) return Promise.resolve();
      return (ticking ??= (async () => {
        try {
          service.expireDue();
          // approved by `kubeherald requests approve` (which only records the decision): run here, once
          await service.executeApproved(abort.signal);
          await settled();
        } catch (err) {
          log.error({ err: (err as Error).message }, 'cannot expire or execute chat requests');
        } finally {
          ticking = undefined;
        }
      })());
    };
    // leader-only work: a stopped ChatOps (a standby's) expires and runs nothing
    expiry = setInterval(() => void tick(), opts.expiryCheckMs ?? 15_000);
    expiry.unref();
    adapters.push(...(opts.platforms === false ? [] : await platformAdapters(config, env, log, opts.metrics)), ...(opts.adapters ?? []));
    for (const a of adapters) {
      await a.start(service, abort.signal);
      stops.push(async () => {
        await settled();
        await a.stop();
      });
      log.info({ platform: a.platform }, 'chat commands answered');
    }
    const early = held;
    held = undefined;
    for (const [to, reply] of early) notify(to, reply);
    return { service, adapters, tick, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/**
 * The adapters of the platforms the config enables. Each platform's module
 * (and its SDK: @slack/web-api and @slack/socket-mode, grammy) is loaded only
 * when that platform is enabled, so a process without it never holds its code.
 */
async function platformAdapters(config: Config, env: NodeJS.ProcessEnv, log: Logger, metrics: ChatOpsOptions['metrics']): Promise<ChatAdapter[]> {
  const c = config.chatops;
  const out: ChatAdapter[] = [];
  const cred = (ref: Parameters<typeof readCredential>[0] | undefined, owner: string, key: string): string => {
    // the schema requires these when the platform is enabled
    if (!ref) throw new Error(`chatops.${owner}.${key} is required`);
    return readCredential(ref, { owner: `chatops.${owner}`, key, env });
  };
  if (c.slack.enabled) {
    const s = c.slack;
    const common = {
      botToken: cred(s.botTokenFrom, 'slack', 'botTokenFrom'),
      apiUrl: s.apiUrl,
      slashCommand: s.slashCommand,
      resolveEmail: c.identities.some((i) => i.platform === 'slack' && i.email !== undefined) || c.identityResources,
      log: log.child({ component: 'chatops-slack' }),
      onRejected: (reason: string) => metrics?.chatRejected('slack', reason),
    };
    out.push(
      s.mode === 'socket'
        ? new (await import('../chatops/slack/socket.ts')).SlackSocketAdapter({ ...common, appToken: cred(s.appTokenFrom, 'slack', 'appTokenFrom') })
        : new (await import('../chatops/slack/http.ts')).SlackHttpAdapter({ ...common, signingSecret: cred(s.signingSecretFrom, 'slack', 'signingSecretFrom'), listen: s.listen, tls: s.tls }),
    );
  }
  if (c.telegram.enabled) {
    const t = c.telegram;
    const { TelegramAdapter } = await import('../chatops/telegram/adapter.ts');
    out.push(
      new TelegramAdapter({
        token: cred(t.tokenFrom, 'telegram', 'tokenFrom'),
        apiRoot: t.apiRoot,
        mode: t.mode,
        webhook: {
          listen: t.webhook.listen,
          url: t.webhook.url,
          secretToken: t.mode === 'webhook' ? cred(t.webhook.secretTokenFrom, 'telegram', 'webhook.secretTokenFrom') : '',
          tls: t.webhook.tls,
        },
        log: log.child({ component: 'chatops-telegram' }),
        onRejected: (reason: string) => metrics?.chatRejected('telegram', reason),
      }),
    );
  }
  return out;
}
