// Shared by the plugin tests: notifications, a recording logger, a connect
// client whose connection the test can close, and a webhook plugin in process.

import http2 from 'node:http2';
import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { type Client, createClient } from '@connectrpc/connect';
import { createGrpcTransport, Http2SessionManager } from '@connectrpc/connect-node';
import { Health } from '../../src/gen/grpc/health/v1/health_pb.js';
import { SinkPlugin } from '../../src/gen/kubeherald/v1/plugin_pb.js';
import { type Notification, NotificationSchema, Severity, State } from '../../src/model/notification.ts';
import { type PluginServer, type PluginServerOptions, startPluginServer } from '../../src/plugin/server.ts';
import type { FakeWebhooks } from '../fakes/webhook.ts';
import type { Logger } from '../../src/model/logger.ts';

export function notification(key: string, over: Partial<Pick<Notification, 'title' | 'message' | 'reason' | 'state' | 'severity'>> = {}): Notification {
  return create(NotificationSchema, {
    idempotencyKey: key,
    incidentKey: `pod/uid-${key}/app/CrashLoopBackOff`,
    eventTime: timestampFromDate(new Date('2025-03-04T12:01:05Z')),
    severity: Severity.CRITICAL,
    state: State.FIRING,
    reason: 'CrashLoopBackOff',
    title: `web-${key} is crash-looping`,
    message: 'container app restarted 5 times',
    involvedObject: { apiVersion: 'v1', kind: 'Pod', namespace: 'demo', name: `web-${key}`, uid: `uid-${key}` },
    cluster: 'prod',
    count: 5,
    ...over,
  });
}

export interface LogEntry {
  level: 'info' | 'warn' | 'error' | 'debug';
  obj: Record<string, unknown>;
  msg: string;
}

export interface RecordingLog extends Logger {
  entries: LogEntry[];
  /** resolves once `pred` holds (checked after every entry) */
  until(pred: () => boolean): Promise<void>;
}

export function recordingLog(): RecordingLog {
  const entries: LogEntry[] = [];
  const waiters = new Set<{ pred: () => boolean; resolve: () => void }>();
  const at = (level: LogEntry['level']) => (obj: object, msg: string) => {
    entries.push({ level, obj: obj as Record<string, unknown>, msg });
    for (const w of [...waiters]) if (w.pred()) (waiters.delete(w), w.resolve());
  };
  return {
    entries,
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    debug: at('debug'),
    // the plugin's components log through children of one logger: one record for all of them
    child() {
      return this;
    },
    until: (pred) => (pred() ? Promise.resolve() : new Promise((resolve) => void waiters.add({ pred, resolve }))),
  };
}

export interface TestClient {
  plugin: Client<typeof SinkPlugin>;
  health: Client<typeof Health>;
  close(): void;
}

/** A gRPC client of a plugin at `address`; close() drops its connection. */
export function pluginClient(address: string, opts: { https?: http2.SecureClientSessionOptions } = {}): TestClient {
  const baseUrl = `${opts.https ? 'https' : 'http'}://${address}`;
  const sessions = new Http2SessionManager(baseUrl, {}, opts.https);
  const transport = createGrpcTransport({ baseUrl, sessionManager: sessions });
  return { plugin: createClient(SinkPlugin, transport), health: createClient(Health, transport), close: () => sessions.abort() };
}

export const SECRET = 'whsec-test-secret-0123456789';

/** A webhook plugin posting to `fake` at `/hook` (signed with SECRET), and a client of it. */
export async function webhookPlugin(fake: FakeWebhooks, over: Partial<PluginServerOptions> = {}): Promise<{ server: PluginServer; client: TestClient; log: RecordingLog }> {
  const log = recordingLog();
  const server = await startPluginServer({
    type: 'webhook',
    base: { urls: [fake.url('/hook')], timeoutSeconds: 5, allow: { options: ['template', 'timeoutSeconds', 'payload'] } },
    listen: '127.0.0.1:0',
    log,
    env: { KUBEHERALD_WEBHOOK_SECRET: SECRET },
    ...over,
  });
  return { server, client: pluginClient(server.address), log };
}
