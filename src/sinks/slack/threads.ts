// Where each incident's (and each group's) first Slack message is, so later
// notifications for it reply in its thread and update it: the sink's state
// (SinkDeps.state, the state database in a running kubeherald), else memory.

import { MemorySinkState } from '../state.ts';

/** The message that opened an incident's thread. */
export interface ThreadRef {
  /** the channel ID Slack answered with (chat.update needs the ID, not a name) */
  channel: string;
  ts: string;
  /**
   * The notification that opened the thread, as protobuf JSON, so the parent
   * can be re-rendered with a new status; absent when the parent was a group.
   */
  opened?: string;
  /** the incident was resolved: a new FIRING with the same key opens a new message */
  resolved?: boolean;
  /** for a group's message: how many notifications it listed, so an update replies with the new ones */
  members?: number;
}

export interface ThreadStore {
  get(incidentKey: string): Promise<ThreadRef | undefined>;
  set(incidentKey: string, ref: ThreadRef): Promise<void>;
}

/** Forgets the least recently used incidents past `max`, so memory stays bounded. */
export class MemoryThreadStore extends MemorySinkState<ThreadRef> implements ThreadStore {}
