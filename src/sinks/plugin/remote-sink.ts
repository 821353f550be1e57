// A sink whose sending happens in a plugin process: what the outbox sees
// for a sink configured as a plugin type. It only names the delivery
// (stable ids, so a plugin drops repeats of a retried one) and hands it to
// the router; the plugin formats, sends and classifies.

import type { JsonObject } from '@bufbuild/protobuf';
import type { Notification } from '../../model/notification.ts';
import type { PluginDelivery, SendOptions, Sink, SinkGroupInfo } from '../../contracts/sink.ts';
import { lifecycle } from '../lifecycle.ts';

export interface RemoteSinkOptions {
  /** the sink's name from the config */
  name: string;
  /** the plugin type that serves it ("slack") */
  pluginType: string;
  /** where in the platform (a channel); "" or absent for the plugin's default */
  target?: string;
  /** the sink's non-secret settings, passed to the plugin as they are */
  options?: JsonObject;
  /** the process's plugin router (src/router/), as SinkDeps lends it */
  router: { deliver(type: string, d: PluginDelivery, opts?: SendOptions): Promise<void> };
}

export function createRemoteSink(o: RemoteSinkOptions): Sink {
  const target = o.target ?? '';
  const options = o.options ?? {};
  // ordering and rate limits are per target; an untargeted sink is one target
  const orderKey = target || o.name;
  const life = lifecycle(o.pluginType, o.name);
  const run = (d: PluginDelivery, opts: SendOptions | undefined): Promise<void> => life.run(() => o.router.deliver(o.pluginType, d, opts));

  return {
    name: o.name,
    type: o.pluginType,
    plugin: o.pluginType,
    // a webhook plugin told per delivery to send pods needs them whole from here
    sendsPods: options.payload === 'pod',
    send(n: Notification, opts?: SendOptions): Promise<void> {
      return run(
        {
        deliveryId: `${o.name}:${n.idempotencyKey}`,
        sink: o.name,
        target,
        options,
        payload: { case: 'notification', value: n },
        attempt: 1,
        },
        opts,
      );
    },
    sendGroup(ns: readonly Notification[], g: SinkGroupInfo, opts?: SendOptions): Promise<void> {
      return run(
        {
        deliveryId: `${o.name}:group:${g.key}:${g.update}`,
        sink: o.name,
        target,
        options,
        payload: { case: 'group', value: { key: g.key, update: g.update, members: [...ns] } },
        attempt: 1,
        },
        opts,
      );
    },
    targetOf(): string {
      return orderKey;
    },
    close(): Promise<void> {
      return life.close();
    },
  };
}
