// The audit webhook as a source of the running pipeline: it listens when
// `audit.enabled`, turns the API server's write events into notifications,
// and lends the user behind a change to notifications the watch produced
// about the same object moments later.

import { timestampDate } from '@bufbuild/protobuf/wkt';
import type { Notification } from '../model/notification.ts';
import { AuditSource } from '../sources/audit.ts';
import { type AuditConfig, parseListen } from '../sources/audit-config.ts';
import { readCredential } from '../sinks/credential.ts';
import type { Logger } from '../model/logger.ts';

export interface AuditFeed {
  source: AuditSource;
  /** the URL the API server's webhook kubeconfig should name */
  url: string;
  /** sets n.user from a recent audit event about the same object, when the watch did not know it */
  attribute(n: Notification): void;
  close(): Promise<void>;
}

export async function startAuditFeed(
  cfg: AuditConfig,
  deps: { cluster: string; log: Logger; env: NodeJS.ProcessEnv; onNotification: (n: Notification) => void },
): Promise<AuditFeed | undefined> {
  if (!cfg.enabled) return undefined;
  const bearerToken = cfg.tokenFrom ? readCredential(cfg.tokenFrom, { owner: 'audit webhook', key: 'audit.tokenFrom', env: deps.env }) : undefined;
  const { host, port } = parseListen(cfg.listen);
  const source = new AuditSource({
    host,
    port,
    tls: { certFile: cfg.tls.certFile, keyFile: cfg.tls.keyFile, clientCAFile: cfg.tls.clientCAFile || undefined },
    bearerToken,
    clientCert: cfg.tls.clientCAFile ? { allowedNames: cfg.clientCertNames.length ? cfg.clientCertNames : undefined } : undefined,
    cluster: deps.cluster,
    log: deps.log,
    onNotification: deps.onNotification,
  });
  const url = await source.listen();
  deps.log.info({ url }, 'audit webhook listening');
  return {
    source,
    url,
    attribute(n) {
      if (n.user?.username) return;
      const user = source.attributeNotification(n, n.eventTime ? timestampDate(n.eventTime) : new Date());
      if (user) n.user = user;
    },
    close: () => source.close(),
  };
}
