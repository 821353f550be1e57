// The DingTalk sink's configuration (documented in docs/config.md): a group's
// custom robot. Its webhook URL carries the robot's access_token and its
// signing secret ("加签", SEC…) is a key, so both are read from the
// environment or files, never written in the config.

import { z } from 'zod';
import { count, dnsLabel, list, strict } from '../../config-kit/fields.ts';
import { sinkDeliveryFields } from '../../contracts/delivery.ts';
import { credentialRefSchema } from '../credential.ts';

export const DINGTALK_URL_ENV = 'KUBEHERALD_DINGTALK_URL';
/** DingTalk's documented limit per robot: 20 messages a minute, and 10 minutes of refusals for exceeding it. */
export const DINGTALK_MAX_PER_MINUTE = 20;

export const dingtalkSinkSchema = strict({
  name: dnsLabel,
  type: z.literal('dingtalk'),
  /** where the robot's webhook URL (https://oapi.dingtalk.com/robot/send?access_token=…) is: `{ env: NAME }` or `{ file: PATH }` */
  urlFrom: credentialRefSchema.default({ env: DINGTALK_URL_ENV }),
  /** where the robot's signing secret (SEC…) is; null: the robot does not sign */
  secretFrom: z.preprocess((v) => (v === undefined ? null : v), credentialRefSchema.nullable()),
  msgType: z.enum(['markdown', 'text']).default('markdown'),
  /** the robot's security keyword ("自定义关键词"), put in every message that lacks it */
  keyword: z.string().default(''),
  /** mobile numbers @-mentioned in firing notifications */
  atMobiles: list(z.string().regex(/^\+?[0-9][0-9-]{4,19}$/, { error: 'expected a mobile number (digits, optionally +country code and "-")' })),
  /** @all in firing notifications */
  atAll: z.boolean().default(false),
  /** client-side limit, at most DingTalk's 20 */
  maxPerMinute: count(1)
    .default(DINGTALK_MAX_PER_MINUTE)
    .superRefine((n, ctx) => {
      if (n > DINGTALK_MAX_PER_MINUTE) ctx.addIssue({ code: 'custom', message: `expected at most ${DINGTALK_MAX_PER_MINUTE}: DingTalk refuses the 21st message in a minute and then every message for 10 minutes` });
    }),
  timeoutSeconds: count(1).default(10),
  ...sinkDeliveryFields,
});

export type DingTalkSinkConfig = z.output<typeof dingtalkSinkSchema>;
