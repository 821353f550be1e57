// An audit record as a notification (reason ChatCommand), so routes can send
// the trail where the rest of the cluster's history goes (Elasticsearch).
// Pure.

import { createHash } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { ActorSchema, type Notification, NotificationSchema, ObjectRefSchema, Severity, State } from '../model/notification.ts';
import { kindInfo } from './kinds.ts';
import type { AuditEntry, ParsedCommand } from './types.ts';

export const CHAT_COMMAND_REASON = 'ChatCommand';

export function chatCommandNotification(e: AuditEntry, opts: { cluster: string; cmd?: ParsedCommand; namespace?: string }): Notification {
  const key = `chat/${e.platform}/${e.at}/${e.platformUserId}/${e.id ?? ''}`;
  const actor = e.identity?.user ?? `${e.platform}:${e.platformUserId}`;
  const fields: Record<string, string> = {
    platform: e.platform,
    platformUser: e.platformUserId,
    channel: e.channel,
    decision: e.decision,
    outcome: e.outcome,
    writes: String(e.writes),
    durationMs: String(e.durationMs),
  };
  if (e.platformUserName) fields.platformUserName = e.platformUserName;
  if (e.command) fields.command = e.command;
  if (e.target) fields.target = e.target;
  if (e.error) fields.error = e.error;
  const obj = involved(opts.cmd, opts.namespace);
  const refused = e.decision !== 'allowed' || e.outcome === 'error';
  return create(NotificationSchema, {
    idempotencyKey: createHash('sha256').update(key).digest('hex').slice(0, 32),
    incidentKey: key,
    eventTime: timestampFromMs(e.at),
    // a refused write is worth a look; everything else is a record
    severity: refused && e.writes ? Severity.WARNING : Severity.INFO,
    state: State.FIRING,
    reason: CHAT_COMMAND_REASON,
    title: `${actor} ran \`${e.command ?? e.text}\` from ${e.platform}: ${e.decision === 'allowed' ? e.outcome : e.decision}`,
    message: e.error ?? `${e.command ?? e.text}`,
    involvedObject: obj ? create(ObjectRefSchema, obj) : undefined,
    cluster: opts.cluster,
    user: create(ActorSchema, { username: actor, groups: e.identity?.groups ?? [] }),
    count: 1,
    fields,
    detector: 'chatops',
  });
}

function involved(cmd: ParsedCommand | undefined, namespace: string | undefined): { apiVersion: string; kind: string; namespace: string; name: string } | undefined {
  if (!cmd) return undefined;
  const ref = (kind: Parameters<typeof kindInfo>[0], name: string | undefined) => {
    const k = kindInfo(kind);
    return { apiVersion: k.group ? `${k.group}/${k.version}` : k.version, kind: k.title, namespace: k.namespaced ? (namespace ?? '') : '', name: name ?? '' };
  };
  switch (cmd.verb) {
    case 'scale':
    case 'restart':
    case 'rollout':
      return ref('deployment', cmd.name);
    case 'cordon':
    case 'uncordon':
      return ref('node', cmd.node);
    case 'delete':
      return ref('pod', cmd.name);
    case 'logs':
      return ref('pod', cmd.pod);
    case 'describe':
      return ref(cmd.kind, cmd.name);
    case 'get':
      return cmd.name ? ref(cmd.kind, cmd.name) : undefined;
    default:
      return undefined;
  }
}
