// The clusters chat commands may reach: exactly the ones kubeherald's config
// lists, by name, the first being home (a command without --cluster, in a
// channel that names none, goes there). A name the config does not list is
// refused before anything is sent anywhere: a typo must never land on some
// other cluster.

import type * as k8s from '@kubernetes/client-node';
import type { ChatOpsConfig } from './config.ts';
import type { ChatReply } from './types.ts';

export interface ChatCluster {
  /** its `clusters[].name` ('' for the one cluster of a caller that names none) */
  name: string;
  /** kubeherald's own credentials there: they only impersonate chat users */
  kc: k8s.KubeConfig;
}

export class ChatClusters {
  readonly #list: readonly ChatCluster[];
  readonly #byName: ReadonlyMap<string, ChatCluster>;

  constructor(list: readonly ChatCluster[]) {
    if (list.length === 0) throw new Error('chatops: no cluster to send commands to');
    const byName = new Map<string, ChatCluster>();
    for (const c of list) {
      if (byName.has(c.name)) throw new Error(`chatops: the cluster ${JSON.stringify(c.name)} is given twice`);
      byName.set(c.name, c);
    }
    this.#list = list;
    this.#byName = byName;
  }

  get home(): ChatCluster {
    return this.#list[0];
  }

  /** Whether more than one is configured: replies then say which cluster answered. */
  get several(): boolean {
    return this.#list.length > 1;
  }

  get names(): string[] {
    return this.#list.map((c) => c.name);
  }

  /** The cluster of that name (undefined: home), or undefined when the config lists none by it. */
  get(name: string | undefined): ChatCluster | undefined {
    return name === undefined ? this.home : this.#byName.get(name);
  }

  /** Like get(), throwing with the reason for a name the config does not list. */
  require(name: string | undefined): ChatCluster {
    const c = this.get(name);
    if (!c) throw new Error(`the cluster ${JSON.stringify(name)} is not in kubeherald's config (${this.known()})`);
    return c;
  }

  /** The sentence refusing an unknown name: what exists instead. */
  unknown(name: string): string {
    return `unknown cluster "${name}": ${this.known()}`;
  }

  known(): string {
    const named = this.names.filter((n) => n !== '');
    if (named.length === 0) return 'kubeherald talks to one cluster here, and it has no name; leave --cluster out';
    return named.length === 1 ? `the only cluster is ${named[0]}` : `the clusters are ${named.join(', ')}`;
  }
}

/** The reply, saying which cluster answered (where several are configured, the caller decides). */
export function answeredBy(cluster: string, reply: ChatReply): ChatReply {
  return { ...reply, notes: [...(reply.notes ?? []), `Cluster: ${cluster}`] };
}

/** Channels whose `cluster` the config's clusters do not include, as config paths under `chatops`. */
export function channelClusterProblems(c: Pick<ChatOpsConfig, 'slack' | 'telegram'>, names: readonly string[]): { path: (string | number)[]; message: string }[] {
  const out: { path: (string | number)[]; message: string }[] = [];
  const check = (platform: 'slack' | 'telegram', key: 'channels' | 'chats', list: readonly { cluster?: string }[]): void =>
    list.forEach((ch, i) => {
      if (ch.cluster !== undefined && !names.includes(ch.cluster)) out.push({ path: [platform, key, i, 'cluster'], message: `no cluster named ${JSON.stringify(ch.cluster)}; clusters: ${names.join(', ')}` });
    });
  check('slack', 'channels', c.slack.channels);
  check('telegram', 'chats', c.telegram.chats);
  return out;
}
