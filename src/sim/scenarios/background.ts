// Background noise: the steady trickle of Normal events a healthy cluster
// produces, here a CronJob-like report pod every interval that gets
// scheduled, starts, runs a few seconds and completes. Only the newest few
// pods are kept, like a CronJob's successfulJobsHistoryLimit.

import type { TimerHandle } from '../clock.ts';
import { BEHAVIOR_ANNOTATION, CRASH_AFTER_ANNOTATION } from '../behavior.ts';
import { deleteObject } from '../controllers/gc.ts';
import { PODS } from '../refs.ts';
import type { Scenario } from '../scenario.ts';
import { createPod, nameSuffix, scenarioNamespace, secondsOption } from './pods.ts';

export const BACKGROUND_INTERVAL_SECONDS = 30;
export const BACKGROUND_KEEP = 3;
export const REPORT_IMAGE = 'busybox:1.36';

export const backgroundScenario: Scenario = {
  name: 'background',
  description:
    'A quiet stream of Normal events (Scheduled, Pulled, Created, Started): a report pod every opts.interval seconds (default 30) that runs 5s and completes; the 3 newest are kept',
  start(ctx, opts) {
    const ns = scenarioNamespace(opts);
    const interval = (secondsOption(opts, 'interval') ?? BACKGROUND_INTERVAL_SECONDS) * 1000;
    const kept: string[] = [];
    let n = 0;
    let timer: TimerHandle | undefined;
    const tick = (): void => {
      n++;
      // CronJob pods are named <cronjob>-<scheduled minute>-<suffix>
      const minute = Math.floor(ctx.clock.nowMs() / 60_000);
      const pod = createPod(ctx, {
        name: `report-${minute}-${nameSuffix(`${ns}/report/${n}`)}`,
        namespace: ns,
        image: REPORT_IMAGE,
        container: 'report',
        labels: { app: 'report' },
        annotations: { [BEHAVIOR_ANNOTATION]: 'complete', [CRASH_AFTER_ANNOTATION]: '5' },
        restartPolicy: 'Never',
      });
      kept.push(pod.metadata.name!);
      while (kept.length > BACKGROUND_KEEP) deleteObject(ctx, PODS, ns, kept.shift()!);
      timer = ctx.clock.setTimeout(tick, interval);
    };
    tick();
    return () => ctx.clock.clearTimeout(timer);
  },
};
