// How a simulated container behaves, declared by annotations on its pod (a
// Deployment's template carries them down to every replica). Pure functions
// only: the kubelet, the scenarios and the demo all read the same rules.

import { createHash } from 'node:crypto';
import type { KObject } from './types.ts';

export const ANNOTATION_PREFIX = 'sim.kubeherald.io/';
export const BEHAVIOR_ANNOTATION = 'sim.kubeherald.io/behavior';
export const READY_AFTER_ANNOTATION = 'sim.kubeherald.io/ready-after';
export const CRASH_AFTER_ANNOTATION = 'sim.kubeherald.io/crash-after';
export const RECOVER_AFTER_ANNOTATION = 'sim.kubeherald.io/recover-after';
export const EXIT_CODE_ANNOTATION = 'sim.kubeherald.io/exit-code';
export const LOG_ANNOTATION = 'sim.kubeherald.io/log';
export const TERMINATION_MESSAGE_ANNOTATION = 'sim.kubeherald.io/termination-message';

export const BEHAVIORS = ['run', 'crash', 'oom', 'never-ready', 'complete'] as const;
export type BehaviorKind = (typeof BEHAVIORS)[number];

export const DEFAULT_READY_AFTER_SECONDS = 2;
export const DEFAULT_CRASH_AFTER_SECONDS = 3;
export const DEFAULT_CRASH_EXIT_CODE = 1;
export const OOM_EXIT_CODE = 137;

export interface Behavior {
  kind: BehaviorKind;
  /** a `run` container turns ready this long after it starts */
  readyAfterMs: number;
  /** crash, oom and complete containers exit this long after they start */
  crashAfterMs: number;
  /** exit code of a `crash` container */
  exitCode: number;
  /** from this long after the pod started, new instances behave like `run` */
  recoverAfterMs?: number;
  /** the line the container prints every few seconds; generated when absent */
  logLine?: string;
  /** what the container writes to its terminationMessagePath before it exits on its own */
  terminationMessage?: string;
}

/**
 * The behaviour of one container of a pod. Every annotation may be narrowed
 * to one container with a `.<container>` suffix, e.g.
 * `sim.kubeherald.io/behavior.sidecar: crash`.
 */
export function behaviorOf(pod: KObject, containerName: string): Behavior {
  const annotations = pod.metadata.annotations ?? {};
  const read = (key: string): string | undefined => annotations[`${key}.${containerName}`] ?? annotations[key];
  const rawKind = read(BEHAVIOR_ANNOTATION);
  // a Job's pod is a batch program: without an annotation it does its work and exits 0
  const fallback: BehaviorKind = pod.metadata.ownerReferences?.some((r) => r.controller && r.kind === 'Job') ? 'complete' : 'run';
  const kind = (BEHAVIORS as readonly string[]).includes(rawKind ?? '') ? (rawKind as BehaviorKind) : fallback;
  const recover = seconds(read(RECOVER_AFTER_ANNOTATION));
  const exitCode = Number.parseInt(read(EXIT_CODE_ANNOTATION) ?? '', 10);
  const behavior: Behavior = {
    kind,
    readyAfterMs: (seconds(read(READY_AFTER_ANNOTATION)) ?? DEFAULT_READY_AFTER_SECONDS) * 1000,
    crashAfterMs: (seconds(read(CRASH_AFTER_ANNOTATION)) ?? DEFAULT_CRASH_AFTER_SECONDS) * 1000,
    exitCode: Number.isInteger(exitCode) && exitCode > 0 && exitCode < 256 ? exitCode : DEFAULT_CRASH_EXIT_CODE,
  };
  if (recover !== undefined) behavior.recoverAfterMs = recover * 1000;
  const log = read(LOG_ANNOTATION);
  if (log) behavior.logLine = log;
  const message = read(TERMINATION_MESSAGE_ANNOTATION);
  if (message) behavior.terminationMessage = message.slice(0, 4096);
  return behavior;
}

/** What a container instance started `sincePodStartMs` after its pod started does. */
export function effectiveKind(b: Behavior, sincePodStartMs: number): BehaviorKind {
  if (b.kind !== 'run' && b.kind !== 'complete' && b.recoverAfterMs !== undefined && sincePodStartMs >= b.recoverAfterMs) {
    return 'run';
  }
  return b.kind;
}

function seconds(v: string | undefined): number | undefined {
  if (v === undefined || v.trim() === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

// ---------------------------------------------------------------- images

export interface ImageName {
  /** fully qualified repository, e.g. docker.io/library/nginx */
  repository: string;
  tag?: string;
  digest?: string;
  /** what containerd reports as the image: repository:tag or repository@digest */
  ref: string;
}

/** Normalizes an image reference the way containerd (docker's reference library) does. */
export function normalizeImage(image: string): ImageName {
  let rest = image;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const parts = rest.split('/');
  const first = parts[0];
  const hasDomain = parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  let repository: string;
  if (hasDomain) repository = rest;
  else if (parts.length === 1) repository = `docker.io/library/${rest}`;
  else repository = `docker.io/${rest}`;
  if (!tag && !digest) tag = 'latest';
  const ref = digest && !tag ? `${repository}@${digest}` : `${repository}:${tag}`;
  return { repository, tag, digest, ref };
}

/** kubelet's default pull policy: Always for :latest or untagged images, IfNotPresent otherwise. */
export function defaultPullPolicy(image: string): 'Always' | 'IfNotPresent' {
  const n = normalizeImage(image);
  return !n.digest && n.tag === 'latest' ? 'Always' : 'IfNotPresent';
}

/**
 * The runtime's error for an image the simulated registry does not have
 * (repository containing "inexisting", or tag "does-not-exist"), in
 * containerd's wording; undefined for images that pull fine.
 */
export function imagePullError(image: string): string | undefined {
  const n = normalizeImage(image);
  const prefix = `failed to pull and unpack image "${n.ref}": failed to resolve reference "${n.ref}"`;
  if (n.repository.includes('inexisting')) {
    return `${prefix}: pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed`;
  }
  if (n.tag === 'does-not-exist') return `${prefix}: ${n.ref}: not found`;
  return undefined;
}

function hashHex(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

/** A stable made-up digest per image, so imageIDs look real and repeat. */
export function imageDigest(image: string): string {
  return `sha256:${hashHex('image:' + normalizeImage(image).ref)}`;
}

/** `docker.io/library/nginx@sha256:…`, as status.containerStatuses[].imageID. */
export function imageId(image: string): string {
  const n = normalizeImage(image);
  return `${n.repository}@${n.digest ?? imageDigest(image)}`;
}

/** A stable size between ~3 MB and ~200 MB. */
export function imageSizeBytes(image: string): number {
  return 3_000_000 + (Number.parseInt(hashHex('size:' + normalizeImage(image).ref).slice(0, 8), 16) % 197_000_000);
}

/** How long a first pull takes: roughly 40 MB/s, at least 200 ms. */
export function imagePullMs(image: string): number {
  return Math.max(200, Math.round(imageSizeBytes(image) / 40_000));
}

/** A pull of an image whose layers are already on the node (pull policy Always). */
export function imageRepullMs(image: string): number {
  return 200 + (Number.parseInt(hashHex('repull:' + image).slice(0, 4), 16) % 600);
}

/** A containerd container id: 64 hex characters, stable per pod, container and attempt. */
export function containerIdFor(podUid: string, container: string, attempt: number): string {
  return hashHex(`container:${podUid}/${container}/${attempt}`);
}

// ---------------------------------------------------------------- formatting

/** Go's time.Duration.String() for whole milliseconds: 313ms, 1.393s, 1m20s, 5m0s. */
export function goDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const sMs = ms % 60_000;
  const whole = Math.floor(sMs / 1000);
  const frac = sMs % 1000;
  const s = frac ? `${whole}.${String(frac).padStart(3, '0').replace(/0+$/, '')}s` : `${whole}s`;
  if (h) return `${h}h${m}m${s}`;
  if (m) return `${m}m${s}`;
  return s;
}

// ---------------------------------------------------------------- logs

/** Lines a container prints when it starts. */
export function startupLines(kind: BehaviorKind, container: string, image: string): string[] {
  const lines = [`starting ${container} (${normalizeImage(image).ref})`];
  if (kind === 'never-ready') lines.push('waiting for dependency db:5432 before serving traffic');
  else lines.push('listening on :8080');
  return lines;
}

/** The n-th periodic line of a running container. */
export function periodicLine(b: Behavior, kind: BehaviorKind, n: number): string {
  if (b.logLine) return b.logLine;
  switch (kind) {
    case 'never-ready':
      return `dependency db:5432 not reachable yet: dial tcp 10.96.0.15:5432: connect: connection refused (attempt ${n + 1})`;
    case 'oom':
      return `cache warmed: ${(n + 1) * 256}MiB allocated`;
    case 'complete':
      return `processed batch ${n + 1}`;
    default:
      return `GET /api/items 200 ${((n * 7) % 40) + 1}ms`;
  }
}

/** What a container prints just before it exits on its own. */
export function exitLines(kind: BehaviorKind, exitCode: number): string[] {
  switch (kind) {
    case 'crash':
      return [
        'fatal: could not connect to database at db:5432: connection refused',
        `exiting with status ${exitCode}`,
      ];
    case 'complete':
      return ['all batches processed, exiting'];
    default:
      return [];
  }
}
