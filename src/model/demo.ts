// What the demo scenario promises to notify: shared by the simulator, which
// plays the incidents, and the demo's verdict (app/demo-check.ts), which
// counts what was notified against them.

export interface Expectation {
  /**
   * the FIRING notification's reason: the condition, waiting reason or Event
   * reason (a RESOLVED one may carry a later waiting reason, e.g. ImagePullBackOff)
   */
  reason: string;
  kind: string;
  namespace?: string;
  /** exact name, or namePrefix for objects named by a controller */
  name?: string;
  namePrefix?: string;
  /** for RolloutCompleted: the deployment.kubernetes.io/revision that finished */
  revision?: string;
  /** for DaemonSetRolloutCompleted: the generation that finished */
  generation?: string;
  /** 'firing' when the last notification is the firing one (edges, and incidents that never clear) */
  state: 'firing' | 'resolved';
}
