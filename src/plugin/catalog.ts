// What the plugin host knows about each sink type: its config schema (the
// same one a `sinks:` entry is checked with), which option names a target,
// and which keys a delivery may never change because they carry or direct
// the plugin's credentials or its signing.

import type { z } from 'zod';
import type { SinkConfig } from '../config/schema.ts';
import { consoleSinkSchema } from '../sinks/console.ts';
import { dingtalkSinkSchema } from '../sinks/dingtalk/config.ts';
import { elasticsearchSinkSchema } from '../sinks/elasticsearch/config.ts';
import { jsonlSinkSchema } from '../sinks/jsonl.ts';
import { slackSinkSchema } from '../sinks/slack/config.ts';
import { teamsSinkSchema } from '../sinks/teams/config.ts';
import { telegramSinkSchema } from '../sinks/telegram/config.ts';
import { webhookSinkSchema } from '../sinks/webhook/config.ts';

/** The types a plugin can host: every sink type but `plugin` (a sink that is itself served by a plugin). */
export type PluginSinkType = Exclude<SinkConfig['type'], 'plugin'>;

export interface SinkTypeInfo {
  /** the `sinks:` entry schema of the type */
  schema: z.ZodType;
  /**
   * The option a DeliverRequest.target sets ("" when the type has no
   * targets): what the type's targetOf names, never a secret.
   */
  targetOption: string;
  /**
   * Keys that decide where the plugin's credentials go, whether and how it
   * signs, or what of its own host it touches: only the plugin's own config
   * sets them. A delivery may repeat the plugin's value but never change it
   * (a Slack token must not be sent to another apiUrl, a webhook's signed
   * body to another URL), and an operator cannot allow them per delivery.
   */
  pinnedKeys: readonly string[];
}

export const SINK_TYPE_INFO: Record<PluginSinkType, SinkTypeInfo> = {
  console: { schema: consoleSinkSchema, targetOption: '', pinnedKeys: [] },
  // a file path is the plugin host's file system, not the caller's to choose
  jsonl: { schema: jsonlSinkSchema, targetOption: '', pinnedKeys: ['path'] },
  // the bot token goes to apiUrl with every call
  slack: { schema: slackSinkSchema, targetOption: 'channel', pinnedKeys: ['apiUrl'] },
  telegram: { schema: telegramSinkSchema, targetOption: 'chatId', pinnedKeys: ['apiRoot'] },
  // the API key or password goes to every node; caFile is a file of the host and decides whom to trust
  elasticsearch: { schema: elasticsearchSinkSchema, targetOption: 'dataStream', pinnedKeys: ['nodes', 'caFile'] },
  // the workflow / robot URL is itself the credential (urlFrom)
  teams: { schema: teamsSinkSchema, targetOption: '', pinnedKeys: [] },
  dingtalk: { schema: dingtalkSinkSchema, targetOption: '', pinnedKeys: [] },
  // the signature vouches for the body to whoever holds the secret: where it
  // goes and whether it is signed at all are the operator's; header values
  // expand the plugin's environment (${NAME})
  webhook: { schema: webhookSinkSchema, targetOption: '', pinnedKeys: ['urls', 'sign', 'headers'] },
};

export function isPluginSinkType(type: string): type is PluginSinkType {
  return Object.hasOwn(SINK_TYPE_INFO, type);
}

export { KUBEHERALD_ONLY_KEYS } from '../sinks/plugin.ts';

/** `tokenFrom`, `urlFrom`, `secretFrom` …: where a credential is read from, always the plugin's own business. */
export function isCredentialKey(key: string): boolean {
  return key.endsWith('From');
}
