// Replicas of `kubeherald run` sharing one PostgreSQL state and electing a
// leader on a Lease: their config files, the Lease's holder, and Warning
// Events to time a handover with. Shared by the failover tests and
// `npm run bench -- handover`.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { Listener } from '../../src/cluster/listener.ts';
import { DEFAULT_DETECTORS } from '../../src/detect/config.ts';
import { silentLogger } from '../../src/model/logger.ts';
import type { Notification } from '../../src/model/notification.ts';
import { type Sim, startSim } from '../../src/sim/sim.ts';
import { FakeWebhooks } from '../fakes/webhook.ts';
import { startPostgres, type TestPostgres } from './postgres.ts';

export interface Timings {
  leaseDurationSeconds: number;
  renewDeadlineSeconds: number;
  retryPeriodSeconds: number;
}

/** Short enough for a test; client-go's defaults are 15/10/2. */
export const SHORT_TIMINGS: Timings = { leaseDurationSeconds: 2, renewDeadlineSeconds: 1.5, retryPeriodSeconds: 0.4 };
export const DEFAULT_TIMINGS: Timings = { leaseDurationSeconds: 15, renewDeadlineSeconds: 10, retryPeriodSeconds: 2 };

/**
 * One replica's config: the same for all but the webhook's path, which names
 * the replica, so the receiver knows which process sent each request.
 */
export function replicaConfig(o: {
  dir: string;
  id: string;
  hookUrl: (path: string) => string;
  stateUrl: string;
  lease: string;
  timings?: Timings;
  /** several clusters by name and kubeconfig file (default: one, `ha`, from --kubeconfig) */
  clusters?: { name: string; kubeconfig: string }[];
}): string {
  const file = join(o.dir, `${o.id}.yaml`);
  const t = o.timings ?? SHORT_TIMINGS;
  writeFileSync(
    file,
    [
      ...(o.clusters ? ['clusters:', ...o.clusters.map((c) => `  - {name: ${c.name}, kubeconfig: "${c.kubeconfig}"}`)] : ['cluster: {name: ha}']),
      'sinks:',
      `  - {name: hook, type: webhook, urls: ["${o.hookUrl(`/hook/${o.id}`)}"], sign: false}`,
      `state: {url: "${o.stateUrl}"}`,
      `leaderElection: {enabled: true, namespace: default, leaseName: ${o.lease}, leaseDurationSeconds: ${t.leaseDurationSeconds}, renewDeadlineSeconds: ${t.renewDeadlineSeconds}, retryPeriodSeconds: ${t.retryPeriodSeconds}}`,
    ].join('\n'),
  );
  return file;
}

/** The Lease's holderIdentity now ('' when none or unreadable). */
export async function leaseHolder(kc: k8s.KubeConfig, lease: string, namespace = 'default'): Promise<string> {
  try {
    return (await kc.makeApiClient(k8s.CoordinationV1Api).readNamespacedLease({ name: lease, namespace })).spec?.holderIdentity ?? '';
  } catch {
    return '';
  }
}

/** A Warning Event with this message (and name), told at once by the warningEvents detector. */
export async function warningEvent(kc: k8s.KubeConfig, message: string, namespace = 'default'): Promise<void> {
  // the name carries the message: one Event per message
  await kc.makeApiClient(k8s.CoreV1Api).createNamespacedEvent({
    namespace,
    body: {
      metadata: { name: `probe.${message}`, namespace },
      involvedObject: { kind: 'Node', name: 'probe-node', apiVersion: 'v1' },
      type: 'Warning',
      reason: 'HandoverProbe',
      message,
      source: { component: 'kubeherald-tests' },
      firstTimestamp: new Date(),
      lastTimestamp: new Date(),
      count: 1,
    },
  });
}

/** A PostgreSQL server, a simulated cluster on wall time, a webhook receiver and the kubeconfig file the replicas read. */
export interface HaWorld {
  pg: TestPostgres;
  sim: Sim;
  receiver: FakeWebhooks;
  kubeconfig: string;
  kc: k8s.KubeConfig;
  close(): Promise<void>;
}

export async function startHaWorld(dir: string, opts: { durable?: boolean } = {}): Promise<HaWorld> {
  const pg = await startPostgres(opts.durable ? { durable: true } : {});
  // cluster time is wall time: every replica (and any reference listener) judges durations alike
  const sim = await startSim({ clockSpeed: 1, bookmarkIntervalMs: 100 });
  const receiver = await FakeWebhooks.start();
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, sim.kubeconfig);
  const kc = new k8s.KubeConfig();
  kc.loadFromString(sim.kubeconfig);
  return {
    pg,
    sim,
    receiver,
    kubeconfig,
    kc,
    async close() {
      await receiver.close();
      await sim.close();
      await pg.stop();
    },
  };
}

/** A listener in the test's own process, never killed: what it detects is what should arrive. */
export async function referenceListener(kc: k8s.KubeConfig, cluster: string): Promise<{ listener: Listener; seen: Notification[] }> {
  const seen: Notification[] = [];
  const listener = new Listener({
    kc,
    log: silentLogger,
    onNotification: (n) => seen.push(n),
    config: { cluster, namespaceAllowed: () => true, eventsApi: 'core', extraResources: [], watchdogSeconds: 30, pageSize: 500, detectors: DEFAULT_DETECTORS },
  });
  await listener.start();
  return { listener, seen };
}
