// Where each incident's (and each group's) first Slack message is, so later
// notifications for it reply in its thread and update it. In memory for now;
// a persistent store (SQLite) implements the same interface.

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
export class MemoryThreadStore implements ThreadStore {
  readonly #refs = new Map<string, ThreadRef>();
  readonly #max: number;

  constructor(max = 10_000) {
    this.#max = max;
  }

  get size(): number {
    return this.#refs.size;
  }

  async get(key: string): Promise<ThreadRef | undefined> {
    const ref = this.#refs.get(key);
    if (ref) {
      this.#refs.delete(key);
      this.#refs.set(key, ref);
    }
    return ref ? { ...ref } : undefined;
  }

  async set(key: string, ref: ThreadRef): Promise<void> {
    this.#refs.delete(key);
    this.#refs.set(key, { ...ref });
    while (this.#refs.size > this.#max) this.#refs.delete(this.#refs.keys().next().value as string);
  }
}
