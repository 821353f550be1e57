// A press on an alert's button (src/sinks/alert-actions.ts made it) as the
// command a person would have typed. Pure.
//
// The button came back from a chat platform, so its id and value are
// anybody's words: only the ids below are known, every part of the value
// must be a Kubernetes name (and a trailing `@<cluster>`, a cluster's name,
// becomes --cluster, which the service checks against the config), and the command text built from them still
// goes through the grammar, the clicker's identity, RBAC and the
// confirmation path like any typed command (the service does that).

import { ALERT_ACTION_PREFIX, ALERT_ACTIONS, ALERT_BUTTON_TOKEN, ALERT_BUTTON_TOKEN_ID, channelTag } from '../sinks/alert-actions.ts';
// the object named as the alert named it (deploy/web, not deployment/web)
import { shortKind } from '../sinks/summary.ts';
import { CLUSTER_NAME } from './validate.ts';

export type AlertCommand =
  /** a command text for the service to run as if the clicker typed it */
  | { ok: true; text: string }
  /** an alert button that is not one kubeherald makes: refused, nothing runs */
  | { ok: false; error: string };

const LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
/** A value is at most `ns/name/container@cluster`: 63 + 253 + 63 + 63, the slashes and the @. */
const MAX_VALUE = 450;

interface Spec {
  /** how many parts the value has: the lengths it may take */
  parts: readonly number[];
  text: (p: string[]) => string;
}

/** Lines a "Logs" button shows: enough to see a crash, short enough for a chat message. */
export const ALERT_LOG_TAIL = 100;

const container = (p: string[]): string => (p[2] !== undefined ? ` -c ${p[2]}` : '');

const SPECS: ReadonlyMap<string, Spec> = new Map<string, Spec>([
  [ALERT_ACTIONS.logsPrevious, { parts: [2, 3], text: (p) => `logs ${p[1]} -n ${p[0]}${container(p)} --previous --tail ${ALERT_LOG_TAIL}` }],
  [ALERT_ACTIONS.logs, { parts: [2, 3], text: (p) => `logs ${p[1]} -n ${p[0]}${container(p)} --tail ${ALERT_LOG_TAIL}` }],
  [ALERT_ACTIONS.describePod, { parts: [2], text: (p) => `describe pod ${p[1]} -n ${p[0]}` }],
  [ALERT_ACTIONS.eventsPod, { parts: [2], text: (p) => `events -n ${p[0]} --for pod/${p[1]}` }],
  [ALERT_ACTIONS.restart, { parts: [2], text: (p) => `restart deployment ${p[1]} -n ${p[0]}` }],
  [ALERT_ACTIONS.describeNode, { parts: [1], text: (p) => `describe node ${p[0]}` }],
  [ALERT_ACTIONS.cordon, { parts: [1], text: (p) => `cordon ${p[0]}` }],
]);

/** A value's names and the `@<cluster>` after them: undefined when there is none, null when it is no cluster's name. */
function splitCluster(value: string): { names: string; cluster: string | undefined | null } {
  const at = value.indexOf('@');
  if (at < 0) return { names: value, cluster: undefined };
  const cluster = value.slice(at + 1);
  return { names: value.slice(0, at), cluster: CLUSTER_NAME.test(cluster) ? cluster : null };
}

/** Whether an action id is an alert button's (so the service answers it here, not as a request's button). */
export function isAlertAction(actionId: string): boolean {
  return actionId.startsWith(ALERT_ACTION_PREFIX);
}

/**
 * The command an alert button stands for; undefined when the id is not an
 * alert button's at all (another kind of button), an error when it claims to
 * be one but is not one kubeherald makes.
 */
export function alertCommand(actionId: string, value: string): AlertCommand | undefined {
  if (!isAlertAction(actionId)) return undefined;
  const refused = { ok: false, error: 'This button is not one kubeherald made; nothing was run.' } as const;
  const spec = SPECS.get(actionId);
  if (!spec || value.length === 0 || value.length > MAX_VALUE) return refused;
  const { names, cluster } = splitCluster(value);
  if (cluster === null) return refused;
  const p = names.split('/');
  if (!spec.parts.includes(p.length)) return refused;
  // the namespace (ns/…) and a container are labels; pods, deployments and nodes subdomains
  const ok = p.every((part, i) => (p.length > 1 && (i === 0 || i === 2) ? LABEL.test(part) : SUBDOMAIN.test(part)));
  return ok ? { ok: true, text: `${spec.text(p)}${cluster !== undefined ? ` --cluster ${cluster}` : ''}` } : refused;
}

/** Whether an action id is the "Silence 1h" button's (checked by alertSilenceCommand, not alertCommand). */
export function isSilenceAction(actionId: string): boolean {
  return actionId === ALERT_ACTIONS.silence;
}

const KIND = /^[A-Z][A-Za-z0-9]{0,62}$/;
const REASON = /^[A-Za-z][A-Za-z0-9_.-]{0,127}$/;

/**
 * The `silence` command a "Silence 1h" button stands for: that object and
 * reason, for an hour. Refused when the value is not one kubeherald makes,
 * when the press comes from another channel than the one the alert was
 * posted to, or when the alert is older than the button's life (`now`:
 * epoch ms, the pipeline's clock).
 */
export function alertSilenceCommand(value: string, channel: string, now: number): AlertCommand {
  const forged = { ok: false, error: 'This button is not one kubeherald made; nothing was silenced.' } as const;
  const { names, cluster } = value.length <= MAX_VALUE ? splitCluster(value) : { names: '', cluster: undefined };
  if (cluster === null) return forged;
  const p = names.split('/');
  if (p.length !== 6) return forged;
  const [tag, expiry, kind, ns, name, reason] = p;
  if (!/^[A-Za-z0-9_-]{8}$/.test(tag) || !/^[0-9a-z]{1,10}$/.test(expiry) || !KIND.test(kind) || !(ns === '-' || LABEL.test(ns)) || !SUBDOMAIN.test(name) || !REASON.test(reason)) return forged;
  if (tag !== channelTag(channel)) return { ok: false, error: 'This Silence button belongs to an alert posted in another channel; silence from there, or type `silence …` here.' };
  if (parseInt(expiry, 36) * 1000 <= now) return { ok: false, error: 'This alert is too old for its Silence button; type `silence …` to silence it.' };
  const scope = ns === '-' ? '-A' : `-n ${ns}`;
  const only = cluster !== undefined ? ` --cluster ${cluster}` : '';
  return { ok: true, text: `silence ${scope} --kind ${kind} --name ${name} --reason ${reason}${only} for 1h -- Silence 1h button on ${reason} of ${shortKind(kind)}/${name}` };
}

/** Whether an action id is a Telegram button's token (resolveAlertButton, before alertCommand or alertSilenceCommand). */
export function isAlertButtonToken(actionId: string): boolean {
  return actionId === ALERT_BUTTON_TOKEN_ID;
}

/** What the state database keeps behind a token (AlertButtonRow). */
export interface StoredAlertButton {
  actionId: string;
  value: string;
  /** the chat the alert was posted to */
  channel: string;
  /** epoch ms */
  expiresAt: number;
}

export type ResolvedAlertButton =
  | { ok: true; actionId: string; value: string }
  /** refused; with the stored action when the token was known (the audit record says what it stood for) */
  | { ok: false; error: string; actionId?: string; value?: string };

/**
 * The action a token button stands for, once the token is one kubeherald
 * stored (`lookup`), the press comes from the chat the alert was posted to,
 * and the button has not expired (`now`: epoch ms, the pipeline's clock).
 * The action then goes through alertCommand or alertSilenceCommand like an
 * inline button's: the stored row is not trusted more than a button is.
 */
export function resolveAlertButton(token: string, lookup: (token: string) => StoredAlertButton | undefined, channel: string, now: number): ResolvedAlertButton {
  const row = ALERT_BUTTON_TOKEN.test(token) ? lookup(token) : undefined;
  if (!row) return { ok: false, error: 'This button is not one kubeherald made, or it was forgotten; nothing was run.' };
  const silence = isSilenceAction(row.actionId);
  const stood = { actionId: row.actionId, value: row.value };
  if (row.channel !== channel) {
    return {
      ok: false,
      ...stood,
      error: silence ? 'This Silence button belongs to an alert posted in another channel; silence from there, or type `silence …` here.' : 'This button belongs to an alert posted in another chat; nothing was run.',
    };
  }
  if (row.expiresAt <= now) {
    return { ok: false, ...stood, error: silence ? 'This alert is too old for its Silence button; type `silence …` to silence it.' : 'This alert is too old for its buttons; type the command instead.' };
  }
  return { ok: true, actionId: row.actionId, value: row.value };
}
