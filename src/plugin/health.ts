// grpc.health.v1.Health for the plugin: SERVING while it takes deliveries,
// NOT_SERVING from the moment shutdown begins, so routers stop sending before
// the port closes. Names the protocol defines: "" (the server as a whole) and
// the service's full name; anything else is unknown.

import { Code, ConnectError, type HandlerContext, type ServiceImpl } from '@connectrpc/connect';
import { type Health, HealthCheckResponse_ServingStatus as Status } from '../gen/grpc/health/v1/health_pb.js';

export const PLUGIN_SERVICE = 'kubeherald.v1.SinkPlugin';
const SERVICES = new Set(['', PLUGIN_SERVICE]);

export class HealthState {
  #status: Status = Status.SERVING;
  #ended = false;
  #waiters = new Set<() => void>();

  /** The status of `service`, or undefined when the plugin does not serve it. */
  statusOf(service: string): Status | undefined {
    return SERVICES.has(service) ? this.#status : undefined;
  }

  set(status: Status.SERVING | Status.NOT_SERVING): void {
    if (status === this.#status) return;
    this.#status = status;
    this.#wake();
  }

  /** Ends every Watch stream (the server is closing). */
  end(): void {
    this.#ended = true;
    this.#wake();
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Resolves at the next change, at end(), or when `signal` aborts. */
  changed(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        this.#waiters.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.#waiters.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  #wake(): void {
    for (const w of [...this.#waiters]) w();
  }
}

export function healthService(state: HealthState): ServiceImpl<typeof Health> {
  return {
    check(req) {
      const status = state.statusOf(req.service);
      if (status === undefined) throw new ConnectError(`unknown service ${JSON.stringify(req.service)}`, Code.NotFound);
      return { status };
    },
    // the protocol: the current status at once, then each change; an unknown
    // service is SERVICE_UNKNOWN (not an error), in case it appears later
    async *watch(req, ctx: HandlerContext) {
      let last: Status | undefined;
      for (;;) {
        const status = state.statusOf(req.service) ?? Status.SERVICE_UNKNOWN;
        if (status !== last) {
          last = status;
          yield { status };
        }
        if (state.ended || ctx.signal.aborted) return;
        await state.changed(ctx.signal);
      }
    },
  };
}
