// The Microsoft Teams sink's configuration (documented in docs/config.md).
// Teams is reached through a Workflows flow started by "When a Teams webhook
// request is received" (the Office 365 connectors are retired); the flow's
// URL carries its signature, so it is a secret read from the environment or
// a file, never written in the config.

import { z } from 'zod';
import { count, dnsLabel, list, strict } from '../../config-kit/fields.ts';
import { sinkDeliveryFields } from '../../contracts/delivery.ts';
import { credentialRefSchema } from '../credential.ts';
import { parseTemplate, renderTemplate } from '../template.ts';

export const TEAMS_URL_ENV = 'KUBEHERALD_TEAMS_URL';
export const MAX_ACTIONS = 6;

/** A link template: `{{field.path}}` of the notification's JSON, URL-encoded; it must make an http(s) URL. */
const linkTemplate = z.string().superRefine((s, ctx) => {
  let rendered: string;
  try {
    rendered = renderTemplate(parseTemplate(s), undefined, () => 'x');
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return;
  }
  let url: URL | undefined;
  try {
    url = new URL(rendered);
  } catch {
    // reported below
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    ctx.addIssue({ code: 'custom', message: `expected an http(s) URL (fields as {{involvedObject.name}}), got ${JSON.stringify(s)}` });
  }
});

const actionSchema = strict({
  /** the button's label */
  title: z.string().min(1).max(80),
  url: linkTemplate,
});

export const teamsSinkSchema = strict({
  name: dnsLabel,
  type: z.literal('teams'),
  /** where the workflow's URL is: `{ env: NAME }` or `{ file: PATH }` (a mounted Kubernetes Secret) */
  urlFrom: credentialRefSchema.default({ env: TEAMS_URL_ENV }),
  /** buttons under each card (Action.OpenUrl, the only action a workflow-posted card supports) */
  actions: list(actionSchema).superRefine((a, ctx) => {
    // Teams' host config (maxActions) drops the rest without a word
    if (Array.isArray(a) && a.length > MAX_ACTIONS) ctx.addIssue({ code: 'custom', message: `expected at most ${MAX_ACTIONS} actions (Teams shows no more)` });
  }),
  timeoutSeconds: count(1).default(10),
  ...sinkDeliveryFields,
});

export type TeamsSinkConfig = z.output<typeof teamsSinkSchema>;
