// The Mattermost sink's configuration (documented in docs/config.md): an
// incoming webhook. Its URL (https://chat.example.com/hooks/<key>) lets
// anyone who holds it post, so it is a secret read from the environment or
// a file (a mounted Secret), never written in the config.

import { z } from 'zod';
import { count, dnsLabel, strict } from '../../config-kit/fields.ts';
import { sinkDeliveryFields } from '../../contracts/delivery.ts';
import { credentialRefSchema } from '../credential.ts';

export const MATTERMOST_URL_ENV = 'KUBEHERALD_MATTERMOST_URL';

const optionalHttpUrl = z.union([z.literal(''), z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' })]);

export const mattermostSinkSchema = strict({
  name: dnsLabel,
  type: z.literal('mattermost'),
  /** where the incoming webhook's URL is: `{ env: NAME }` or `{ file: PATH }` */
  urlFrom: credentialRefSchema.default({ env: MATTERMOST_URL_ENV }),
  /** another channel than the webhook's own: `town-square`, `#ops` or `@username`; "" for the webhook's */
  channel: z
    .string()
    .max(200)
    .regex(/^$|^[@#]?[a-z0-9][a-z0-9._-]*$/i, { error: 'expected a channel name (ops-alerts, #ops-alerts) or @username' })
    .default(''),
  /** the name shown on the posts (Mattermost's "Enable integrations to override usernames"); "" for the webhook's */
  username: z.string().max(64).default(''),
  /** the picture shown on the posts (Mattermost's "Enable integrations to override profile picture icons"); "" for the webhook's */
  iconUrl: optionalHttpUrl.default(''),
  timeoutSeconds: count(1).default(10),
  ...sinkDeliveryFields,
});

export type MattermostSinkConfig = z.output<typeof mattermostSinkSchema>;
