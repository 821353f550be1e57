// Buttons on alerts: the useful next step for a crash loop, an OOM kill, an
// image that will not pull or a pod or node that is not ready, as chat
// buttons a person presses to run that command as themselves.
//
// The sink and the chat side may run in different processes, so a button
// carries its command itself, in a compact form both sides know: an action
// id naming the command (`kh:logs-previous`) and a value naming its target
// (`demo/api-7d9f8b6c5-x2x4z/app`), and `@<cluster>` after it when the
// notification names its cluster, so a press acts on the cluster the alert
// came from, never on the chat channel's default. Nothing here is trusted by the chat
// side: src/chatops/alert-actions.ts checks the id against its own list and
// every name again, then puts the command text through the normal grammar,
// identity mapping, RBAC and confirmation path. Pure.

import { createHash } from 'node:crypto';
import { CLUSTER_NAME } from '../model/cluster-name.ts';
import { type Notification, State } from '../model/notification.ts';

/** Every alert button's action id starts with this; the chat side refuses any other `kh:` id. */
export const ALERT_ACTION_PREFIX = 'kh:';

/** The commands an alert button can stand for, and the shape of its value. */
export const ALERT_ACTIONS = {
  /** value `ns/pod/container`: the previous (crashed) container's log */
  logsPrevious: 'kh:logs-previous',
  /** value `ns/pod/container` or `ns/pod`: the current log */
  logs: 'kh:logs',
  /** value `ns/pod` */
  describePod: 'kh:describe-pod',
  /** value `ns/pod` */
  eventsPod: 'kh:events-pod',
  /** value `ns/deployment` */
  restart: 'kh:restart',
  /** value `node` */
  describeNode: 'kh:describe-node',
  /** value `node` */
  cordon: 'kh:cordon',
  /** value `<channel tag>/<expiry>/<Kind>/<ns or ->/<name>/<reason>[@<cluster>]` (silenceButtonValue): silence this incident for an hour */
  silence: 'kh:silence',
} as const;

export type AlertActionId = (typeof ALERT_ACTIONS)[keyof typeof ALERT_ACTIONS];

export interface AlertAction {
  id: AlertActionId;
  label: string;
  value: string;
  style?: 'primary' | 'danger';
}

/** Telegram's InlineKeyboardButton.callback_data: 1 to 64 bytes. */
export const TELEGRAM_CALLBACK_DATA_MAX = 64;

/**
 * The action id of a Telegram button whose action did not fit in 64 bytes:
 * its value is a token naming the action kept in the state database (the
 * sink stores it, src/sinks/telegram/buttons.ts; the chat side looks it up,
 * checks the chat and the expiry, then treats it as the action itself).
 */
export const ALERT_BUTTON_TOKEN_ID = 'kh:b';

/** A token: 16 random bytes, base64url. */
export const ALERT_BUTTON_TOKEN = /^[A-Za-z0-9_-]{22}$/;

/** How long a button other than Silence 1h is honoured through its token after the alert's time. */
export const ALERT_BUTTON_TTL_SECONDS = 7 * 24 * 3600;

/**
 * The callback_data of an alert button on Telegram: `<id length>:<id><value>`,
 * the form the Telegram chat adapter decodes (src/chatops/telegram/render.ts
 * decodeCallbackData; a test keeps the two in step). Undefined when it would
 * not fit in 64 bytes.
 */
export function telegramCallbackData(a: Pick<AlertAction, 'id' | 'value'>): string | undefined {
  const data = `${a.id.length}:${a.id}${a.value}`;
  return Buffer.byteLength(data) <= TELEGRAM_CALLBACK_DATA_MAX ? data : undefined;
}

const IMAGE_PULL = new Set(['ErrImagePull', 'ImagePullBackOff']);
/** The reasons that get buttons; everything else gets none. */
export const ALERT_ACTION_REASONS: readonly string[] = ['CrashLoopBackOff', 'OOMKilled', ...IMAGE_PULL, 'PodNotReady', 'NodeNotReady'];

// what kubeherald names take: a DNS-1123 subdomain (pods, deployments, nodes) or label (namespaces, containers);
// anything else in a notification is not a name the grammar would accept, so it gets no button
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * The buttons for one notification, most useful first; none when it is not
 * firing, not one of ALERT_ACTION_REASONS, or names nothing a command could
 * take. Restart only where the pod belongs to a Deployment.
 */
export function alertActions(n: Notification): AlertAction[] {
  if (n.state !== State.FIRING || !ALERT_ACTION_REASONS.includes(n.reason)) return [];
  // a cluster whose name chat could not take: no button rather than one acting on some default cluster
  if (n.cluster !== '' && !CLUSTER_NAME.test(n.cluster)) return [];
  const at = n.cluster !== '' ? `@${n.cluster}` : '';
  return objectActions(n).map((a) => ({ ...a, value: a.value + at }));
}

function objectActions(n: Notification): AlertAction[] {
  const obj = n.involvedObject;
  if (!obj) return [];
  if (obj.kind === 'Node') {
    if (!SUBDOMAIN.test(obj.name)) return [];
    return [
      { id: ALERT_ACTIONS.describeNode, label: 'Describe', value: obj.name },
      { id: ALERT_ACTIONS.cordon, label: 'Cordon', value: obj.name, style: 'danger' },
    ];
  }
  if (obj.kind !== 'Pod' || !LABEL.test(obj.namespace) || !SUBDOMAIN.test(obj.name)) return [];
  const pod = `${obj.namespace}/${obj.name}`;
  const container = n.fields.container;
  const withContainer = container && LABEL.test(container) ? `${pod}/${container}` : pod;
  const out: AlertAction[] = [];
  if (n.reason === 'CrashLoopBackOff' || n.reason === 'OOMKilled') {
    out.push({ id: ALERT_ACTIONS.logsPrevious, label: 'Logs (previous)', value: withContainer });
  } else if (n.reason === 'PodNotReady') {
    out.push({ id: ALERT_ACTIONS.logs, label: 'Logs', value: withContainer });
  }
  out.push({ id: ALERT_ACTIONS.describePod, label: 'Describe', value: pod }, { id: ALERT_ACTIONS.eventsPod, label: 'Events', value: pod });
  const owner = n.owner;
  // a bare pod or one of a StatefulSet has no `restart` in the grammar
  if (owner?.kind === 'Deployment' && SUBDOMAIN.test(owner.name) && (owner.namespace === '' || owner.namespace === obj.namespace)) {
    out.push({ id: ALERT_ACTIONS.restart, label: 'Restart', value: `${obj.namespace}/${owner.name}`, style: 'danger' });
  }
  return out;
}

/** alertActions() without those whose callback_data would not fit Telegram's 64 bytes (long names: fewer buttons). */
export function telegramAlertActions(n: Notification): AlertAction[] {
  return alertActions(n).filter((a) => telegramCallbackData(a) !== undefined);
}

/** How long a "Silence 1h" button is honoured after the alert's time: an old message is no place to silence from. */
export const SILENCE_BUTTON_TTL_SECONDS = 24 * 3600;

const KIND = /^[A-Z][A-Za-z0-9]{0,62}$/;
const REASON = /^[A-Za-z][A-Za-z0-9_.-]{0,127}$/;

/**
 * The channel a button was posted to, as 8 characters (a hash: the value
 * stays short enough for Telegram, and the chat side compares it with the
 * channel the press came from, so a message shared elsewhere cannot
 * silence from there).
 */
export function channelTag(channel: string): string {
  return createHash('sha256').update(channel).digest('base64url').slice(0, 8);
}

/** `<channel tag>/<expiry, epoch seconds in base 36>/<Kind>/<namespace or ->/<name>/<reason>`, and `@<cluster>` when the notification names one (the silence is that cluster's only) */
export function silenceButtonValue(n: Notification, channel: string): string | undefined {
  const obj = n.involvedObject;
  if (!obj || !KIND.test(obj.kind) || !SUBDOMAIN.test(obj.name) || !REASON.test(n.reason)) return undefined;
  if (n.cluster !== '' && !CLUSTER_NAME.test(n.cluster)) return undefined;
  if (obj.namespace !== '' && !LABEL.test(obj.namespace)) return undefined;
  const at = n.eventTime ? Number(n.eventTime.seconds) : 0;
  if (!at) return undefined;
  const expiry = (at + SILENCE_BUTTON_TTL_SECONDS).toString(36);
  return [channelTag(channel), expiry, obj.kind, obj.namespace || '-', obj.name, n.reason].join('/') + (n.cluster !== '' ? `@${n.cluster}` : '');
}

/**
 * The alert's buttons for a message posted to `channel`: alertActions()
 * and, on anything firing about an object, "Silence 1h". Without a channel
 * (an incoming webhook) there is nothing to check a press against: no
 * silence button.
 */
export function alertActionsIn(n: Notification, channel: string | undefined): AlertAction[] {
  const out = alertActions(n);
  if (n.state !== State.FIRING || channel === undefined || channel === '') return out;
  const value = silenceButtonValue(n, channel);
  if (value !== undefined) out.push({ id: ALERT_ACTIONS.silence, label: 'Silence 1h', value });
  return out;
}

/** alertActionsIn() without those whose callback_data would not fit Telegram's 64 bytes. */
export function telegramAlertActionsIn(n: Notification, chatId: string | undefined): AlertAction[] {
  return alertActionsIn(n, chatId).filter((a) => telegramCallbackData(a) !== undefined);
}
